"""An SSH host as ``~/.ssh/config`` (or another ssh_config file) describes it.

    >>> host = ssh_host("fx", ssh_config="/tmp/lab/ssh_config")      # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from fxkit.transports.ssh import SSHHost

# Paramiko (and what it imports) costs ~0.2 s: it is imported only when a target needs SSH.


def ssh_host(alias: str, *, user: str | None = None, port: int | None = None,
             ssh_config: str | None = None, accept_new_host_key: bool = False,
             name: str | None = None) -> SSHHost:
    """An SSHHost for ``alias`` with its ``~/.ssh/config`` settings applied.

    Explicit ``user``/``port`` win over the config, as with OpenSSH's command line.
    """
    from fxkit.transports.ssh import SSHHost

    cfg = _lookup(alias, ssh_config)
    jump = None
    if proxy := cfg.get("proxyjump"):
        first = proxy.split(",")[0]
        jump_url = first if "://" in first else f"ssh://{first}"
        j = urlsplit(jump_url)
        jump = ssh_host(j.hostname or first, user=j.username, port=j.port,
                        ssh_config=ssh_config, accept_new_host_key=accept_new_host_key)
    known = cfg.get("userknownhostsfile", "").split()
    host = SSHHost(
        name=name or alias,
        hostname=cfg.get("hostname", alias),
        port=int(port or cfg.get("port", 22)),
        user=user or cfg.get("user"),
        key_filenames=[os.path.expanduser(k) for k in cfg.get("identityfile", [])],
        accept_new_host_key=accept_new_host_key,
        jump=jump,
    )
    if known:
        host.known_hosts = os.path.expanduser(known[0])
    return host


def _lookup(alias: str, path: str | None) -> dict:
    cfg_path = Path(path or os.environ.get("FXKIT_SSH_CONFIG") or Path.home() / ".ssh/config")
    if not cfg_path.exists():
        return {}
    import paramiko

    return dict(paramiko.SSHConfig.from_path(str(cfg_path)).lookup(alias))
