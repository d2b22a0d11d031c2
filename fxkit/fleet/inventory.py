"""Ansible inventories read by fxkit: INI, YAML, and ``ansible-inventory --list`` JSON.

    >>> inv = read_inventory_file("inv.ini")          # doctest: +SKIP
    >>> inv.hosts_in("dom0s"), inv.host_vars("fx07")  # doctest: +SKIP

The model and Ansible's variable precedence are in ``fxkit.fleet.model``. Anything else
Ansible can read (scripts, plugins) goes through ``ansible-inventory``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from fxkit.errors import InvalidRequest, ParseError
from fxkit.fleet.formats import parse_ini, parse_yaml
from fxkit.fleet.model import Group, Inventory

__all__ = ["Group", "Inventory", "ansible_inventory_cmd", "parse_list_json",
           "read_inventory_file"]


def parse_list_json(text: str, source: str = "") -> Inventory:
    """An inventory from ``ansible-inventory --list`` output (its hostvars are merged)."""
    try:
        data = json.loads(text)
    except ValueError as e:
        raise ParseError(f"ansible-inventory --list for {source}: not JSON ({e})") from None
    if not isinstance(data, dict):
        raise ParseError(f"ansible-inventory --list for {source}: not a JSON object")
    inv = Inventory(source)
    hostvars = (data.get("_meta") or {}).get("hostvars") or {}
    for name, body in data.items():
        if name == "_meta" or not isinstance(body, dict):
            continue
        g = inv.group(name)
        for h in body.get("hosts") or []:
            inv.add_host(str(h), name, None)
        g.children = [str(c) for c in body.get("children") or []]
        g.vars = dict(body.get("vars") or {})
    for name, hv in hostvars.items():
        inv.add_host(str(name), None, dict(hv or {}))
    return inv.finish()


def ansible_inventory_cmd() -> str | None:
    """``ansible-inventory`` on PATH or beside this Python, or None."""
    beside = Path(sys.executable).parent / "ansible-inventory"
    return shutil.which("ansible-inventory") or (str(beside) if beside.exists() else None)


def read_inventory_file(source: str | os.PathLike[str]) -> Inventory:
    """Read ``source``: a comma-separated host list ("h1,h2,"), an INI or YAML file,
    else whatever ``ansible-inventory -i SOURCE --list`` makes of it (scripts, plugins)."""
    src = str(source)
    if "," in src and not os.path.exists(src):
        inv = Inventory(src)
        for name in filter(None, (s.strip() for s in src.split(","))):
            inv.add_host(name, None)
        return inv.finish()
    path = Path(src)
    if not path.exists():
        raise InvalidRequest(f"inventory {src}: no such file. Give an Ansible inventory "
                             "(INI or YAML), or a comma-separated host list ending in ','")
    executable = path.is_file() and os.access(path, os.X_OK)
    if path.is_file() and not executable:
        text = path.read_text(encoding="utf-8", errors="replace")
        parsed = parse_yaml(text, src) if path.suffix in (".yml", ".yaml", ".json") \
            else parse_ini(text, src)
        if parsed is not None:
            inv = Inventory(src)
            parsed(inv)
            return inv.finish()
    return _through_ansible(src)


def _through_ansible(src: str) -> Inventory:
    cmd = ansible_inventory_cmd()
    if cmd is None:
        raise InvalidRequest(f"inventory {src}: fxkit reads INI and YAML inventories itself; "
                             "this one (a script, a directory or a plugin) needs Ansible: "
                             "install ansible-core so that `ansible-inventory` is on PATH")
    done = subprocess.run([cmd, "-i", src, "--list"], capture_output=True, text=True,
                          timeout=300, check=False,
                          env={**os.environ, "ANSIBLE_NOCOLOR": "1"})
    if done.returncode != 0:
        tail = "\n  ".join(done.stderr.strip().splitlines()[-5:])
        raise InvalidRequest(f"inventory {src}: `ansible-inventory -i {src} --list` failed "
                             f"(exit {done.returncode}):\n  {tail}")
    return parse_list_json(done.stdout, src)
