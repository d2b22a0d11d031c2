"""``connect(target)``: turn a target string into a Host.

Targets::

    local                     this machine, no SSH
    lab, lab:fourier          the simulated fx (see fxkit.lab)
    lab:real                  the real Xen lab under QEMU (``fxkit lab start --real``)
    ssh://user@host:port      SSH, explicit
    fx, admin@fx              an ssh_config alias or a host name, SSH

    >>> host = connect("local")
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from fxkit.errors import InvalidRequest
from fxkit.host import Host
from fxkit.transports.local import LocalHost
from fxkit.transports.ssh_config import ssh_host

if TYPE_CHECKING:
    from fxkit.transports.ssh import SSHHost

# Paramiko (and what it imports) costs ~0.2 s: it is imported only when a target needs SSH.


def connect(target: str | Host, *, ssh_config: str | None = None,
            accept_new_host_key: bool = False, sudo: bool = False) -> Host:
    """A Host for ``target``; nothing connects until the first command.

    ``sudo=True``: the host runs its commands through ``sudo -n`` (for a login that is
    not root).
    """
    host = _host(target, ssh_config=ssh_config, accept_new_host_key=accept_new_host_key)
    if sudo:
        host.sudo = True
    return host


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
        url = urlsplit(target)
        if url.scheme != "ssh" or not url.hostname:
            raise InvalidRequest(f"host target {target!r}: only ssh://[user@]host[:port] URLs "
                                 "are understood")
        return ssh_host(url.hostname, user=url.username, port=url.port,
                        ssh_config=ssh_config, accept_new_host_key=accept_new_host_key,
                        name=target)
    user, _, alias = target.rpartition("@")
    if not alias or any(c.isspace() or c in "/;&|$`'\"" for c in alias):
        raise InvalidRequest(f"host target {target!r} is not a host name or ssh_config alias")
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
