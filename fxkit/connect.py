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

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from fxkit.errors import InvalidRequest
from fxkit.host import Host
from fxkit.transports.local import LocalHost
from fxkit.transports.openssh import check_destination
from fxkit.transports.ssh_config import ssh_host

if TYPE_CHECKING:
    from fxkit.transports.ssh import SSHHost

# Paramiko (and what it imports) costs ~0.2 s: it is imported only when a target needs SSH.


def connect(target: str | Host, *, ssh_config: str | None = None,
            accept_new_host_key: bool = False, sudo: bool = False) -> Host:
    """A Host for ``target``; nothing connects until the first command.

    ``sudo=True``: the host runs every command through ``sudo -n`` (for a login that is
    not root), facts and plan steps alike. ``ssh_config``: the file to read instead of
    OpenSSH's own (``ssh -F``; default ``$FXKIT_SSH_CONFIG``). ``accept_new_host_key``:
    record an unknown host key in known_hosts (``StrictHostKeyChecking accept-new``);
    a changed key is always refused.
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
        try:
            url = urlsplit(target)
            port = url.port
        except ValueError:
            url, port = None, None
        if url is None or url.scheme != "ssh" or not url.hostname or url.path not in ("", "/") \
                or url.query or url.fragment or url.password:
            raise InvalidRequest(f"host target {target!r}: only ssh://[user@]host[:port] URLs "
                                 "are understood")
        check_destination(url.hostname, url.username, what="host target")
        return ssh_host(url.hostname, user=url.username, port=port,
                        ssh_config=ssh_config, accept_new_host_key=accept_new_host_key,
                        name=target)
    user, _, alias = target.rpartition("@")
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
