"""``connect(target)``: turn a target string into a Host.

Targets::

    local                     this machine, no SSH
    lab, lab:fourier          the simulated fx (see fxkit.lab)
    lab:real                  the real Xen lab under QEMU (``fxkit lab start --real``)
    ssh://user@host:port      SSH, explicit
    fx, admin@fx              an ssh_config alias or a host name, SSH

    >>> host = connect("local")

SSH targets are resolved as OpenSSH would (``ssh -G``: Include, Match, the system file,
ProxyJump, ProxyCommand; see ``fxkit.transports.openssh``). Host and user names are
checked against an allowlist before anything runs: ssh_config's ``Match exec`` and
``ProxyCommand`` put them into shell commands.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from fxkit.errors import FxkitError, InvalidRequest
from fxkit.host import Host
from fxkit.transports.local import LocalHost
from fxkit.transports.openssh import check_destination, parse_url, redact
from fxkit.transports.ssh_config import ssh_host

if TYPE_CHECKING:
    from fxkit.transports.ssh import SSHHost

SSH_CONFIG_ENV = "FXKIT_SSH_CONFIG"            # read by fxkit.transports.openssh.resolve
ACCEPT_NEW_ENV = "FXKIT_ACCEPT_NEW_HOST_KEY"   # "1": accept_new_host_key=True

# Paramiko (and what it imports) costs ~0.2 s: it is imported only when a target needs SSH.


def connect(target: str | Host, *, ssh_config: str | None = None,
            accept_new_host_key: bool = False, sudo: bool = False) -> Host:
    """A Host for ``target``; nothing connects until the first command.

    ``sudo=True``: the host runs every command through ``sudo -n`` (for a login that is
    not root), facts and plan steps alike. ``ssh_config``: the file to read instead of
    OpenSSH's own (``ssh -F``; default ``$FXKIT_SSH_CONFIG``). ``accept_new_host_key``:
    record an unknown host key in known_hosts (``StrictHostKeyChecking accept-new``);
    a changed key is always refused. ``FXKIT_ACCEPT_NEW_HOST_KEY=1`` says the same for
    every connection (``fxkit run --accept-new-host-key`` tells the runbook's kernel so).
    """
    accept_new_host_key = accept_new_host_key or \
        os.environ.get(ACCEPT_NEW_ENV, "").lower() in ("1", "yes", "true")
    host = _host(target, ssh_config=ssh_config, accept_new_host_key=accept_new_host_key)
    if sudo:
        host.sudo = True
    return host


def prepare(targets: Iterable[str]) -> None:
    """Import now, in this thread, what connecting to ``targets`` needs (Paramiko and its
    crypto when one goes over SSH). A fleet calls it before its threads start: fifty
    threads that all connect first would otherwise all meet the same 270 first imports at
    once, and wait on and contend for them. That includes the codec ``socket`` looks a
    host name up with (``encodings.idna``), which the first connection imports."""
    if any(_over_ssh(t) for t in targets):
        import encodings.idna  # noqa: F401

        import fxkit.transports.ssh  # noqa: F401


def _over_ssh(target: str) -> bool:
    """Whether ``_host`` makes ``target`` an SSH host (a lab scenario: when it is served)."""
    target = target.strip()
    if target == "local":
        return False
    if target != "lab:real" and (target == "lab" or target.startswith("lab:")):
        from fxkit.lab import lab_served
        try:
            return lab_served(target.partition(":")[2] or None)
        except FxkitError:      # a bad scenario name: its host's own connect says so
            return False
    return True


def _host(target: str | Host, *, ssh_config: str | None, accept_new_host_key: bool) -> Host:
    if isinstance(target, Host):
        return target
    if not isinstance(target, str) or not target.strip():
        raise InvalidRequest(f"host target {target!r} is empty: use 'lab', 'local', "
                             "'ssh://user@host:port' or an ssh_config alias")
    target = target.strip()
    if target == "local":
        return LocalHost()
    if target == "lab:real":
        return _real_lab()
    if target == "lab" or target.startswith("lab:"):
        from fxkit.lab import connect_lab
        return connect_lab(target.partition(":")[2] or None)
    if "://" in target:
        hostname, user, port = parse_url(target)
        return ssh_host(hostname, user=user, port=port,
                        ssh_config=ssh_config, accept_new_host_key=accept_new_host_key,
                        name=target)
    user, _, alias = target.rpartition("@")
    if ":" in user:     # user:password@host: refused without showing the password
        raise InvalidRequest(f"host target {redact(target)!r} holds a password: fxkit never "
                             "sends, stores or shows passwords. Drop it and log in with a "
                             "key (ssh-agent, or IdentityFile in ~/.ssh/config)")
    check_destination(alias, user if "@" in target else None, what="host target")
    return ssh_host(alias, user=user or None, ssh_config=ssh_config,
                    accept_new_host_key=accept_new_host_key, name=target)


def _real_lab() -> SSHHost:
    """dom0 of the real lab that runs from $FXKIT_LAB_DIR, or a clear error saying how to
    start it."""
    from fxkit.lab.real import real_host, status_real
    st = status_real()
    if not st or not st.get("running"):
        raise InvalidRequest("host target 'lab:real': the real Xen lab is not running here: "
                             "start it with `fxkit lab start --real` (same FXKIT_LAB_DIR)")
    return real_host()
