"""The real lab's tiny guests as dom0 sees them: booted or not, and what their console said.

`xl create` returns once the domain is built and unpaused, seconds before its kernel has
booted. Until the guest's init runs, an `xl shutdown` can be lost: Linux 6.1 acknowledges a
request that comes while it frees its init memory, then drops it (`do_poweroff` in
drivers/xen/manage.c ignores any `system_state` but booting and running), and the console
says "xen:manage: Ignoring Xen toolstack shutdown." (README.md, "A lost `xl shutdown`").
A guest counts as booted once its front-ends are connected: its init loads them.
"""

from __future__ import annotations

from fxkit.host import Host
from fxkit.polling import wait_until

# XenbusStateConnected, in the state column of `xl block-list` (4th) and `xl network-list`
# (5th): the front-end's own state, which only the guest's driver sets.
CONNECTED = "4"
COLUMNS = (("block-list", 3), ("network-list", 4))
CONSOLE_LOG = "/var/log/xen/console/guest-{name}.log"     # xenconsoled --log=guest (rootfs.py)


def frontends_connected(host: Host, name: str) -> bool:
    """True when every disk and NIC of domain ``name`` is connected (False if it has none
    listed, or is not running)."""
    states = []
    for what, column in COLUMNS:
        r = host.run(["xl", what, name], check=False, read_only=True)
        rows = [ln.split() for ln in r.stdout.splitlines()[1:] if ln.strip()]
        if not r.ok or not rows:
            return False
        states += [row[column] if len(row) > column else "?" for row in rows]
    return all(state == CONNECTED for state in states)


def wait_booted(host: Host, name: str, timeout: float) -> bool:
    """Wait (bounded) until ``name`` has booted as far as its init; False on timeout."""
    return wait_until(lambda: frontends_connected(host, name), timeout)


def console_tail(host: Host, name: str, lines: int = 40) -> str:
    """The last ``lines`` of the guest's console log, or a sentence saying why there is none."""
    r = host.run(["tail", "-n", str(lines), CONSOLE_LOG.format(name=name)], check=False,
                 read_only=True)
    return r.stdout if r.ok else f"(no console log: {r.stderr.strip()})"
