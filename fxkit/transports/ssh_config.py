"""An SSH host as OpenSSH's configuration describes it, with its ProxyJump hops.

Settings come from ``fxkit.transports.openssh`` (``ssh -G``)::

    >>> host = ssh_host("fx", ssh_config="/tmp/lab/ssh_config")      # doctest: +SKIP
    >>> host.config_source                                          # doctest: +SKIP
    'ssh -G'

``ProxyJump a,b`` connects to ``a``, then to ``b`` through ``a``, then to the host
through ``b``, as ``ssh -J a,b`` does: each hop has its own ssh_config settings and its
own host-key check, and a hop that fails fails the connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fxkit.errors import InvalidRequest
from fxkit.transports.openssh import parse_url, resolve

if TYPE_CHECKING:
    from fxkit.transports.ssh import SSHHost

# Paramiko (and what it imports) costs ~0.2 s: it is imported only when a target needs SSH.
MAX_HOPS = 8


def ssh_host(alias: str, *, user: str | None = None, port: int | None = None,
             ssh_config: str | None = None, accept_new_host_key: bool = False,
             name: str | None = None, _depth: int = 0, _jumps: bool = True) -> SSHHost:
    """An SSHHost for ``alias`` with its ssh_config settings applied.

    Explicit ``user``/``port`` win over the config, as with OpenSSH's command line.
    """
    from fxkit.transports.ssh import KEEPALIVE_SECONDS, SSHHost

    opts = resolve(alias, user=user, port=port, config=ssh_config)
    if _jumps and _depth + len(opts.proxy_jump) > MAX_HOPS:
        raise InvalidRequest(f"ssh_config: more than {MAX_HOPS} ProxyJump hops lead to "
                             f"{alias!r}: is there a loop (a hop whose ProxyJump leads back)?")
    known = opts.user_known_hosts
    host = SSHHost(
        name=name or alias, hostname=opts.hostname, port=opts.port, user=opts.user,
        key_filenames=list(opts.identity_files),
        known_hosts=known[0] if known else "",
        also_known_hosts=(*known[1:], *opts.global_known_hosts),
        accept_new_host_key=accept_new_host_key,
        host_key_checking=opts.strict_host_key_checking,
        hash_known_hosts=opts.hash_known_hosts, host_key_alias=opts.host_key_alias,
        identities_only=opts.identities_only, look_for_keys=False,
        proxy_command=opts.proxy_command if _jumps and not opts.proxy_jump else None,
        destination=alias, config_source=opts.source,
        keepalive_seconds=opts.server_alive_interval or KEEPALIVE_SECONDS)
    if opts.connect_timeout:
        host.connect_timeout = opts.connect_timeout
    if _jumps and opts.proxy_jump:
        host.jump = _hops(opts.proxy_jump, ssh_config, accept_new_host_key,
                          _depth + len(opts.proxy_jump), host.name)
    return host


def _hops(hops: tuple[str, ...], ssh_config: str | None, accept_new: bool, depth: int,
          target: str) -> SSHHost:
    """The last of ``hops``, each one reached through the one before (``ssh -J`` order)."""
    previous: SSHHost | None = None
    for spec in hops:
        hop_host, hop_user, hop_port = parse_hop(spec, target)
        # as with `ssh -J a,b`: the first hop follows its own ProxyJump/ProxyCommand; b is
        # reached through a, whatever b's own config says
        hop = ssh_host(hop_host, user=hop_user, port=hop_port, ssh_config=ssh_config,
                       accept_new_host_key=accept_new, name=spec, _depth=depth,
                       _jumps=previous is None)
        hop.jump = previous or hop.jump
        previous = hop
    assert previous is not None
    return previous


def parse_hop(spec: str, target: str) -> tuple[str, str | None, int | None]:
    """``[user@]host[:port]`` or ``ssh://[user@]host[:port]`` of one ProxyJump hop."""
    url = spec if "://" in spec else f"ssh://{spec}"
    if url.endswith("/"):
        raise InvalidRequest(f"ProxyJump hop {spec!r} of {target}: write it as "
                             "[user@]host[:port]")
    return parse_url(url, what=f"ProxyJump hop of {target}")
