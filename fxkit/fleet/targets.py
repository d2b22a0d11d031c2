"""From an inventory host's variables to how fxkit reaches it: target, sudo, ssh_config.

Mapped as Ansible's ssh connection would use them: ``ansible_host``, ``ansible_port``,
``ansible_user``, ``ansible_become`` (sudo only), ``ansible_connection`` (ssh, or local),
and ``ansible_ssh_common_args``/``ansible_ssh_extra_args``: ``-F FILE`` is the
ssh_config to read; ``-o Key=Value`` and ``-J HOP`` become lines of a small generated
ssh_config placed before that file (OpenSSH keeps the first value it reads). A host whose
name is an fxkit target (``lab``, ``lab:fourier``, ``local``, ``ssh://...``) keeps it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fxkit.errors import InvalidRequest
from fxkit.transports.openssh import check_destination

_KEY = re.compile(r"[A-Za-z][A-Za-z0-9]{1,40}\Z")
_VALUE = re.compile(r"[A-Za-z0-9_.,:@%/=+~\-]{1,300}\Z")   # no space, quote or newline
_TRUE = ("1", "yes", "true", "on")


@dataclass(frozen=True)
class FleetHost:
    """One selected host: its inventory name, fxkit target and connection options."""

    name: str
    target: str
    sudo: bool = False
    ssh_config: str | None = None
    accept_new_host_key: bool = False
    vars: tuple[tuple[str, str], ...] = ()


def _flag(value: Any) -> bool:
    return value is True or str(value).strip().lower() in _TRUE


def fleet_host(name: str, hvars: dict[str, Any], *, ssh_config: str | None = None,
               sudo: bool = False, accept_new_host_key: bool = False) -> FleetHost:
    """How to reach inventory host ``name`` with variables ``hvars``; the command line's
    -F, --sudo and --accept-new-host-key apply unless the inventory says otherwise."""
    become = hvars.get("ansible_become")
    if become is not None and _flag(become):
        method = str(hvars.get("ansible_become_method", "sudo"))
        if method != "sudo":
            raise InvalidRequest(f"inventory host {name}: ansible_become_method={method!r}: "
                                 "fxkit becomes root with sudo -n only")
        sudo = True
    conn = str(hvars.get("ansible_connection", "ssh"))
    shown = tuple(sorted((k, str(v)) for k, v in hvars.items()
                         if k in ("ansible_host", "ansible_port", "ansible_user")))
    if name in ("local", "lab") or name.startswith("lab:") or "://" in name:
        return FleetHost(name, name, sudo, ssh_config, accept_new_host_key, shown)
    if conn == "local":
        return FleetHost(name, "local", sudo, None, False, shown)
    if conn not in ("ssh", "paramiko", "ansible.builtin.ssh", "ansible.builtin.paramiko_ssh"):
        raise InvalidRequest(f"inventory host {name}: ansible_connection={conn!r}: fxkit "
                             "reaches hosts over SSH (or local)")
    address = str(hvars.get("ansible_host", name))
    user = hvars.get("ansible_user")
    port = hvars.get("ansible_port")
    check_destination(address, str(user) if user is not None else None,
                      what=f"inventory host {name}")
    if port is not None and not (str(port).isdigit() and 0 < int(port) < 65536):
        raise InvalidRequest(f"inventory host {name}: ansible_port={port!r} is not a port "
                             "(1 to 65535)")
    args = " ".join(str(hvars.get(k, "")) for k in ("ansible_ssh_common_args",
                                                   "ansible_ssh_extra_args"))
    ssh_config, accept = _ssh_args(name, args, ssh_config, accept_new_host_key)
    if user is None and port is None and "ansible_host" not in hvars:
        target = name
    else:
        target = "ssh://" + (f"{user}@" if user else "") + address + (f":{port}" if port else "")
    return FleetHost(name, target, sudo, ssh_config, accept, shown)


def _ssh_args(name: str, args: str, ssh_config: str | None,
              accept_new: bool) -> tuple[str | None, bool]:
    try:
        words = shlex.split(args)
    except ValueError as e:
        raise InvalidRequest(f"inventory host {name}: ansible_ssh_common_args: {e}") from None
    options: list[tuple[str, str]] = []
    i = 0
    while i < len(words):
        word = words[i]
        flag, value = (word[:2], word[2:]) if len(word) > 2 and word[:2] in ("-F", "-o", "-J") \
            else (word, None)
        if flag in ("-F", "-o", "-J") and value is None:
            if i + 1 >= len(words):
                raise InvalidRequest(f"inventory host {name}: ansible_ssh_common_args ends "
                                     f"with {flag} and no value")
            i += 1
            value = words[i]
        if flag == "-F":
            ssh_config = str(Path(str(value)).expanduser())
        elif flag == "-J":
            options.append(("ProxyJump", str(value)))
        elif flag == "-o":
            key, _, val = str(value).partition("=")
            options.append((key.strip(), val.strip()))
        else:
            raise InvalidRequest(f"inventory host {name}: ansible_ssh_common_args word "
                                 f"{word!r}: fxkit maps -F FILE, -o Key=Value and -J HOP; "
                                 "put other settings in an ssh_config file given with -F")
        i += 1
    for key, val in options:
        if not _KEY.match(key) or not _VALUE.match(val):
            raise InvalidRequest(f"inventory host {name}: ssh option {key}={val!r} is not a "
                                 "plain ssh_config keyword and value")
        if key.lower() == "stricthostkeychecking":
            accept_new = accept_new or val.lower() == "accept-new"
    if not options:
        return ssh_config, accept_new
    return _generated_config(options, ssh_config), accept_new


def _generated_config(options: list[tuple[str, str]], base: str | None) -> str:
    """An ssh_config file with ``options`` first, then ``base`` (or the user's and the
    system's files, which ``-F`` would otherwise skip); content-addressed, reused."""
    includes = [base] if base else ["~/.ssh/config", "/etc/ssh/ssh_config"]
    if any(c in str(p) for p in includes for c in '"\n'):
        raise InvalidRequest(f"ssh_config path {base!r} holds a quote or a newline")
    text = ("# generated by fxkit from an inventory's ansible_ssh_common_args\n"
            + "".join(f"{k} {v}\n" for k, v in options)
            + "".join(f'Include "{p}"\n' for p in includes))
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fxkit" / "ssh"
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{hashlib.sha256(text.encode()).hexdigest()[:16]}.conf"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    return str(path)
