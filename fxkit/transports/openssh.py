"""A destination's SSH settings as OpenSSH resolves them: ``ssh -G``, else Paramiko's parser.

``ssh -G`` gives OpenSSH's own answer (Include, Match, the system file,
canonicalisation); without ``ssh``, Paramiko's parser is used, with ``Include`` and
``/etc/ssh/ssh_config`` added. ``SshOptions.source`` and a debug line on the
``fxkit.ssh`` logger say which one answered::

    >>> opts = resolve("fx", config="/tmp/lab/ssh_config")       # doctest: +SKIP
    >>> opts.hostname, opts.port, opts.source                     # doctest: +SKIP
    ('127.0.0.1', 2222, 'ssh -G')

The destination is checked against an allowlist first: ``ssh -G`` runs ``Match exec``
commands through a shell with ``%h`` in them, so a host name never carries shell syntax.
"""

from __future__ import annotations

import getpass
import hashlib
import ipaddress
import logging
import os
import pwd
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass
from urllib.parse import urlsplit

from fxkit.errors import InvalidRequest

SYSTEM_CONFIG = "/etc/ssh/ssh_config"
DEFAULT_IDENTITIES = ("id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk",
                      "id_xmss", "id_dsa")
log = logging.getLogger("fxkit.ssh")

_HOST = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,252}\Z")
_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,31}\Z")
_STRICT = {"yes": "yes", "true": "yes", "accept-new": "accept-new", "ask": "ask",
           "no": "no", "false": "no", "off": "no"}


@dataclass(frozen=True)
class SshOptions:
    """What fxkit uses of one destination's resolved ssh_config."""

    destination: str
    hostname: str
    port: int
    user: str
    identity_files: tuple[str, ...]
    identities_only: bool
    proxy_jump: tuple[str, ...]
    proxy_command: str | None
    connect_timeout: float | None
    server_alive_interval: int
    user_known_hosts: tuple[str, ...]
    global_known_hosts: tuple[str, ...]
    strict_host_key_checking: str    # yes, accept-new, ask, no
    hash_known_hosts: bool
    host_key_alias: str | None
    source: str                      # "ssh -G" or "paramiko"


def check_destination(host: str, user: str | None = None, what: str = "host") -> None:
    """Refuse a host name or user that is not plain letters, digits, ``.``, ``-``, ``_``
    (or an IP literal): these reach ``ssh -G`` and ssh_config's ``%h``/``%r`` tokens."""
    if not _HOST.match(host) and not _ip_literal(host):
        raise InvalidRequest(
            f"{what} {host!r} is not a host name, IP address or ssh_config alias (letters, "
            "digits, '.', '-' and '_' only, not starting with '-')")
    if user is not None and not _USER.match(user):
        raise InvalidRequest(f"user name {user!r} in {what} {host!r}: use letters, digits, "
                             "'.', '-' and '_' only")


def redact(target: str) -> str:
    """``target`` with any password (``user:PASSWORD@``, ``ssh://user:PASSWORD@``) shown as
    ``***``: everything between the user name and the last ``@`` goes."""
    scheme, sep, rest = target.partition("://")
    if not sep:
        scheme, rest = "", target
    userinfo, at, hostpart = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return target
    return f"{scheme}{sep}{userinfo.split(':', 1)[0]}:***@{hostpart}"


def parse_url(target: str, what: str = "host target") -> tuple[str, str | None, int | None]:
    """(host, user, port) of ``ssh://[user@]host[:port]``, checked: host and user against
    the allowlist, the port from 1 to 65535, and no password (refused without being shown:
    fxkit never sends, stores or prints one)."""
    shown = redact(target)
    if shown != target:
        raise InvalidRequest(f"{what} {shown!r} holds a password: fxkit never sends, stores or "
                             "shows passwords. Drop it and log in with a key (ssh-agent, or "
                             "IdentityFile in ~/.ssh/config)")
    try:
        url = urlsplit(target)
        host, user, port_text = url.hostname, url.username, _port_text(url.netloc)
    except ValueError:
        url, host, user, port_text = None, None, None, None
    if url is None or url.scheme != "ssh" or not host or url.path not in ("", "/") \
            or url.query or url.fragment:
        raise InvalidRequest(f"{what} {shown!r}: only ssh://[user@]host[:port] URLs are "
                             "understood")
    check_destination(host, user, what=what)
    return host, user, None if port_text is None else check_port(port_text, f"{what} {shown!r}")


def _port_text(netloc: str) -> str | None:
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        hostport = hostport.partition("]")[2]
    return hostport.partition(":")[2] if ":" in hostport else None


def check_port(text: str | int, where: str = "port") -> int:
    """A TCP port from 1 to 65535 (decimal digits only), or InvalidRequest naming ``where``."""
    raw = str(text)
    if not (raw.isascii() and raw.isdecimal() and len(raw) <= 5 and 1 <= int(raw) <= 65535):
        raise InvalidRequest(f"port {raw[:20]!r} in {where}: use a number from 1 to 65535 "
                             "(22 when left out)")
    return int(raw)


def _ip_literal(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return "%" not in text


def ssh_client() -> str | None:
    """OpenSSH's client, if installed: ``resolve`` asks it (``ssh -G``) when it can."""
    return shutil.which("ssh")


def resolve(host: str, *, user: str | None = None, port: int | None = None,
            config: str | None = None) -> SshOptions:
    """``host``'s settings from ``config`` (default ``$FXKIT_SSH_CONFIG``, else OpenSSH's
    own ~/.ssh/config and /etc/ssh/ssh_config); ``user``/``port`` win, as on ssh's
    command line. With ``config`` given, the system file is not read (like ``ssh -F``)."""
    check_destination(host, user)
    config = config or os.environ.get("FXKIT_SSH_CONFIG") or None
    ssh = ssh_client()
    if ssh:
        values, source = _ssh_g(ssh, host, user, port, config), "ssh -G"
    else:
        values, source = _paramiko(host, user, port, config), "paramiko"
    log.debug("%s: ssh_config resolved by %s%s", host, source,
              f" -F {config}" if config else " (~/.ssh/config, /etc/ssh/ssh_config)")
    return _options(host, values, source)


def _ssh_g(ssh: str, host: str, user: str | None, port: int | None,
           config: str | None) -> dict[str, list[str]]:
    argv = [ssh, "-G", *(["-F", config] if config else []), *(["-l", user] if user else []),
            *(["-p", str(port)] if port else []), "--", host]
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=30)
    except subprocess.TimeoutExpired:
        raise InvalidRequest(f"`ssh -G {host}` did not answer within 30 s: does a `Match "
                             "exec` in your ssh_config hang?") from None
    if done.returncode != 0:
        errors = [ln for ln in done.stderr.splitlines() if "Pseudo-terminal" not in ln]
        raise InvalidRequest(f"ssh_config for {host!r}: OpenSSH refuses it (`ssh -G`): "
                             f"{'; '.join(errors) or done.returncode}. Fix "
                             f"{config or '~/.ssh/config or /etc/ssh/ssh_config'}")
    values: dict[str, list[str]] = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition(" ")
        values.setdefault(key.lower(), []).append(value)
    return values


def _paramiko(host: str, user: str | None, port: int | None,
              config: str | None) -> dict[str, list[str]]:
    import paramiko

    home = _home()
    if config:
        text = _expand_includes(config, f"{home}/.ssh", 0)
    else:
        text = _expand_includes(f"{home}/.ssh/config", f"{home}/.ssh", 0) + "\n" + \
            _expand_includes(SYSTEM_CONFIG, "/etc/ssh", 0)
    try:
        found = paramiko.SSHConfig.from_text(text).lookup(host)
    except (paramiko.SSHException, ValueError) as e:
        raise InvalidRequest(f"ssh_config for {host!r}: {e}") from None
    values = {k: (v if isinstance(v, list) else [str(v)]) for k, v in found.items()
              if v is not None}   # Paramiko gives None for "ProxyCommand none"
    # Paramiko has already replaced ProxyCommand's tokens; ProxySocket replaces them again
    values["proxycommand"] = [v.replace("%", "%%") for v in values.get("proxycommand", [])] \
        or ["none"]
    if user:
        values["user"] = [user]
    if port:
        values["port"] = [str(port)]
    values.setdefault("identityfile", [f"~/.ssh/{name}" for name in DEFAULT_IDENTITIES])
    return values


def _expand_includes(path: str, base: str, depth: int) -> str:
    """The file's text with each ``Include`` replaced by the files it names (glob, sorted,
    relative to ``base``), as OpenSSH reads them; missing files give nothing."""
    import glob

    if depth > 16:
        raise InvalidRequest(f"ssh_config: Include nested deeper than 16 at {path}")
    try:
        with open(os.path.expanduser(path), encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except (FileNotFoundError, IsADirectoryError):
        return ""
    out = []
    for line in lines:
        words = line.strip().replace("=", " ", 1).split()
        if words and words[0].lower() == "include":
            for pattern in words[1:]:
                pattern = _tilde(pattern)
                full = pattern if pattern.startswith("/") else f"{base}/{pattern}"
                for match in sorted(glob.glob(full)):
                    out.append(_expand_includes(match, base, depth + 1))
        else:
            out.append(line)
    return "\n".join(out)


def _options(host: str, v: dict[str, list[str]], source: str) -> SshOptions:
    def one(key: str, default: str = "") -> str:
        return v.get(key, [default])[0]

    hostname, port = one("hostname", host), int(one("port", "22"))
    user = one("user") or _local_user()
    jumps = one("proxyjump", "none")
    tokens = _tokens(host, hostname, port, user, one("hostkeyalias", "") or None,
                     "" if jumps == "none" else jumps)

    def paths(key: str, default: str) -> tuple[str, ...]:
        words = " ".join(v.get(key, [default])).split()
        return tuple(_tilde(expand_tokens(w, tokens)) for w in words if w != "none")

    timeout = one("connecttimeout", "none")
    command = one("proxycommand", "none")
    strict = one("stricthostkeychecking", "ask").lower()
    return SshOptions(
        destination=host, hostname=hostname, port=port, user=user,
        identity_files=tuple(_tilde(expand_tokens(p, tokens))
                             for p in v.get("identityfile", []) if p != "none"),
        identities_only=one("identitiesonly", "no").lower() == "yes",
        proxy_jump=() if jumps == "none" else tuple(j.strip() for j in jumps.split(",")),
        proxy_command=None if command == "none" else command,
        connect_timeout=None if timeout == "none" else float(timeout),
        server_alive_interval=int(one("serveraliveinterval", "0")),
        user_known_hosts=paths("userknownhostsfile", "~/.ssh/known_hosts ~/.ssh/known_hosts2"),
        global_known_hosts=paths("globalknownhostsfile",
                                 "/etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2"),
        strict_host_key_checking=_STRICT.get(strict, "yes"),
        hash_known_hosts=one("hashknownhosts", "no").lower() == "yes",
        host_key_alias=one("hostkeyalias", "") or None, source=source)


def _tokens(host: str, hostname: str, port: int, user: str, alias: str | None,
            jump: str) -> dict[str, str]:
    local = socket.gethostname()
    return {"h": hostname, "p": str(port), "r": user, "n": host, "u": _local_user(),
            "d": _home(), "i": str(os.getuid()), "l": local, "L": local.split(".")[0],
            "k": alias or host, "j": jump, "T": "NONE",
            "C": hashlib.sha1(f"{local}{hostname}{port}{user}".encode()).hexdigest()}


def expand_tokens(text: str, tokens: dict[str, str]) -> str:
    """ssh_config's ``%h``-style tokens replaced (``%%`` is a percent sign)."""
    def one(m: re.Match[str]) -> str:
        key = m.group(1)
        if key == "%":
            return "%"
        if key not in tokens:
            raise InvalidRequest(f"ssh_config value {text!r}: unknown token %{key}")
        return tokens[key]
    return re.sub(r"%(.)", one, text)


def _tilde(path: str) -> str:
    # OpenSSH expands ~ with the password database's home directory, not $HOME.
    return _home() + path[1:] if path == "~" or path.startswith("~/") else path


def _home() -> str:
    try:
        return pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:
        return os.path.expanduser("~")


def _local_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry (containers)
        return str(os.getuid())
