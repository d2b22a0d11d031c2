"""Runbook parameters: read from the ``parameters`` cell, converted and checked before any kernel.

Every check here is pure (no host, no kernel), so a bad value fails in
milliseconds with an error naming the parameter and the fix::

    >>> specs = {"lv": ParamSpec("lv", "str", "'scratch'")}
    >>> validate({"lv": "x; rm -rf /"}, specs, runbook="lv-create")
    Traceback (most recent call last):
    fxkit.errors.InvalidRequest: lv-create: parameter lv='x; rm -rf /' ...
"""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import re
import sys
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fxkit.errors import InvalidRequest
from fxkit.lvm.names import lv_name_problem, vg_name_problem
from fxkit.lvm.sizes import parse_extents, parse_size
from fxkit.secrets import Secret, has_url_password, mask

# Parameters every runbook has, in its ``parameters`` cell.
COMMON = ("host", "apply", "sudo")
# Switches that decide whether and how a host is changed: only a real True or False is
# accepted, never text. Under plain papermill, `-p apply no` arrives as the string "no",
# which Python finds true: refused rather than guessed.
SWITCHES = ("apply", "sudo")
# Names that smell like secrets: never accepted as parameters (papermill keeps
# injected parameters in the output notebook and its metadata, papermill #706).
SECRET_NAMES = re.compile(r"pass(word|phrase)?|secret|token|private|api_?key|credential",
                          re.IGNORECASE)
SECRET_VALUES = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----|^(ghp|glpat|xox[bp])[-_]")
# Shell metacharacters and control characters: never meaningful in a name or size,
# and a sign of someone trying `x; rm -rf /` through a parameter.
_SHELL = re.compile(r"[;&|`$<>\\\"'(){}*?!\n\r\t\x00]")


@dataclass(frozen=True)
class ParamSpec:
    """One parameter as the runbook's ``parameters`` cell declares it."""

    name: str
    type: str  # papermill's inferred_type_name: str, bool, int, float, None, ...
    default: str  # the source text of the default value
    help: str = ""


# Optional checkers of jsonschema's string formats (installed by JupyterLab's
# jsonschema[format-nongpl]), never used by nbformat's schema; rfc3987_syntax alone
# builds a grammar for seconds at import.
FORMAT_CHECKERS = ("rfc3987_syntax", "rfc3986_validator", "rfc3339_validator", "webcolors",
                   "uri_template", "fqdn", "isoduration", "jsonpointer")


def import_papermill() -> Any:
    """``import papermill``, minus most of its import time.

    With jsonschema's optional format checkers marked absent, jsonschema simply skips
    those formats, which nbformat's schema does not use. ``requests`` (papermill reads
    and writes http:// notebooks with it, never a runbook's) is loaded on first use.
    """
    for name in FORMAT_CHECKERS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    if "requests" not in sys.modules and (spec := importlib.util.find_spec("requests")):
        sys.modules["requests"] = _OnFirstUse(spec)
    import papermill
    return papermill


class _OnFirstUse(types.ModuleType):
    """A module that imports itself when one of its names is first read.

    ``importlib.util.LazyLoader`` does not do for this: on Python 3.11 the import system
    reads ``__spec__`` when papermill runs ``import requests``, and that read loads the
    module (urllib3, charset detection: about 0.14 s of each ``fxkit run``)."""

    def __init__(self, spec: importlib.machinery.ModuleSpec) -> None:
        super().__init__(spec.name)
        self.__spec__ = spec

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


def read_specs(notebook: str | Path) -> dict[str, ParamSpec]:
    """The parameters a runbook declares (papermill reads its ``parameters`` cell)."""
    import_papermill()
    from papermill.inspection import inspect_notebook
    found = inspect_notebook(str(notebook))
    return {name: ParamSpec(name, _type_of(p), str(p.get("default")), str(p.get("help") or ""))
            for name, p in found.items()}


def specs_of_cell(source: str) -> dict[str, ParamSpec]:
    """The parameters a ``parameters`` cell's source declares, read by papermill's own
    inspection (the same that ``read_specs`` and ``papermill --help-notebook`` use)."""
    import_papermill()
    from papermill.translators import PythonTranslator
    found = PythonTranslator.inspect({"source": source})
    return {p.name: ParamSpec(p.name, _type_of(p._asdict()), str(p.default), str(p.help or ""))
            for p in found}


def _type_of(param: dict[str, Any]) -> str:
    """The annotated type, else the type of the default's literal (``apply = False`` -> bool)."""
    annotated = str(param.get("inferred_type_name") or "None")
    if annotated != "None":
        return annotated
    try:
        value = ast.literal_eval(str(param.get("default")))  # literals only, never code
    except (ValueError, SyntaxError):
        return "None"
    return "None" if value is None else type(value).__name__


# -- conversion (CLI values arrive as strings) ----------------------------------------

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off", ""}


def convert(name: str, value: Any, spec: ParamSpec, runbook: str) -> Any:
    """``value`` converted to the type the parameters cell gives ``name``."""
    kind = spec.type.lower()
    if name in SWITCHES and not isinstance(value, bool):
        raise _bad(runbook, name, value, "is not True or False (a switch takes only a real "
                   "boolean, never text or a number)", f"fxkit run: --{name}; papermill: "
                   f"-p {name} True or -p {name} False (capitalised)")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise _bad(runbook, name, value, "is a yes/no parameter", "true or false")
    if kind == "int":
        if isinstance(value, bool):
            raise _bad(runbook, name, value, "is a whole number", "e.g. 2")
        try:
            return int(str(value).strip())
        except ValueError:
            raise _bad(runbook, name, value, "is a whole number", "e.g. 2") from None
    if kind == "float":
        try:
            return float(str(value).strip())
        except ValueError:
            raise _bad(runbook, name, value, "is a number", "e.g. 1.5") from None
    if value is None:
        return None
    if isinstance(value, (bool, int, float)) and kind not in ("str", "none"):
        return value
    return str(value)


# -- validators by parameter name ---------------------------------------------------

def _check_text(value: str, *, path: bool = False) -> str | None:
    if _SHELL.search(value):
        return "contains shell metacharacters or control characters"
    if path:
        return None
    if ".." in value.split("/") or value.startswith("/"):
        return "is a path (absolute, or with '..'), not a name"
    return None


def _boot_file(value: str) -> str | None:
    """A file in dom0 for a domU's kernel or ramdisk: absolute, plain characters, no '..'."""
    if not re.fullmatch(r"/[A-Za-z0-9._+/-]+", value) or ".." in value.split("/"):
        return "is not an absolute path of plain characters (e.g. /boot/vmlinuz-6.1.0-amd64)"
    return None


def _lvm_rules(value: str, kind: str) -> str | None:
    """LVM's rules for VG/LV names (lvm2 lib/misc/lvm-string.c: _validate_name and
    apply_lvname_restrictions), as ``fxkit.lvm`` applies them."""
    return (vg_name_problem if kind == "vg" else lv_name_problem)(value)


def _vg(value: str) -> str | None:
    return _lvm_rules(value, "vg")


def _lv(value: str) -> str | None:
    return _lvm_rules(value, "lv")


def _size(value: str) -> str | None:
    """LVM's -L syntax (``20G``, ``+256M``, ``512m``) or -l extents (``100%FREE``, or
    ``-l 2816``: the absolute target a run records for a relative size)."""
    text = value[2:].strip() if value.startswith("-l") else value
    try:
        (parse_extents if "%" in text or text != value else parse_size)(text)
    except InvalidRequest:
        return "is not an LVM size (e.g. 20G, +256M, 512M, 100%FREE, -l 2816)"
    return None


def _host(value: str) -> str | None:
    """The syntax fxkit.connect understands, checked without connecting."""
    if value in ("lab", "local") or re.fullmatch(r"lab:[A-Za-z0-9_-]+", value):
        return None
    if re.fullmatch(r"ssh://([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+(:\d{1,5})?", value):
        return None
    if re.fullmatch(r"([A-Za-z0-9._-]+@)?[A-Za-z0-9][A-Za-z0-9.-]*", value):
        return None
    return ("is not a host target ('lab', 'lab:fourier', 'lab:real', 'local', an ssh_config "
            "alias, or ssh://user@host:port)")


def _domu(value: str) -> str | None:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", value):
        return "is not a domain name (letters, digits, _ . -, at most 64, no leading symbol)"
    return None


def _bridge(value: str) -> str | None:
    # Linux interface names: at most 15 bytes (IFNAMSIZ-1), no '/', ':' or spaces.
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,14}", value):
        return "is not an interface name (letters, digits, _ . -, at most 15)"
    return None


def _confirm(value: str) -> str | None:
    if not re.fullmatch(r"[A-Za-z0-9+_.-]+(/[A-Za-z0-9+_.-]+)?", value) or ".." in value.split("/"):
        return "is not an object name like VG/LV or a domain name"
    return None


def _interface(value: str) -> str | None:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,14}", value):
        return "is not an interface name (at most 15 characters)"
    return None


def _action(value: str) -> str | None:
    return None if value in ("start", "shutdown", "reboot") else \
        "is not a domU action (start, shutdown or reboot)"


def _filesystem(value: str) -> str | None:
    return None if value in ("", "ext4", "ext3", "swap") else \
        "is not a filesystem fxkit makes (ext4, ext3, swap, or empty for none)"


Validator = Callable[[str], str | None]
VALIDATORS: dict[str, Validator] = {
    "host": _host, "vg": _vg, "lv": _lv, "snapshot": _lv,
    "size": _size, "root_size": _size, "swap_size": _size, "snapshot_size": _size,
    "domu": _domu, "bridge": _bridge, "uplink": _interface, "confirm": _confirm,
    "action": _action, "filesystem": _filesystem, "kernel": _boot_file, "ramdisk": _boot_file,
}
PATHS = {"kernel", "ramdisk"}
FIXES = {
    "host": "e.g. -p host lab", "vg": "e.g. -p vg lvm", "lv": "e.g. -p lv scratch",
    "size": "e.g. -p size 20G or -p size +256M", "domu": "e.g. -p domu titanic",
    "bridge": "e.g. -p bridge xenbr3", "confirm": "pass exactly the name the plan asks for",
    "action": "-p action start, shutdown or reboot", "filesystem": "-p filesystem ext4",
    "kernel": "e.g. -p kernel /boot/guest/vmlinuz",
    "ramdisk": "e.g. -p ramdisk /boot/guest/initrd.gz",
}


def validate(given: Mapping[str, Any], specs: Mapping[str, ParamSpec], *,
             runbook: str) -> dict[str, Any]:
    """``given`` converted and checked against ``specs``; raises ``InvalidRequest``."""
    unknown = sorted(set(given) - set(specs))
    if unknown:
        raise InvalidRequest(
            f"{runbook}: unknown parameter(s) {', '.join(unknown)}. This runbook takes: "
            f"{', '.join(sorted(specs))}. Nothing was run.")
    out: dict[str, Any] = {}
    for name, value in given.items():
        if isinstance(value, str) and has_url_password(value):
            _forget_passwords(value)
            raise InvalidRequest(
                f"{runbook}: parameter {name} holds a password ({mask(value)}); fxkit never "
                "takes a password, in a URL or otherwise, so it is never stored. Log in with "
                "SSH keys or the agent: ssh://user@host. Nothing was run.")
        if SECRET_NAMES.search(name):
            raise InvalidRequest(f"{runbook}: parameter {name} looks like a secret; secrets are "
                                 "never runbook parameters (they would be stored in the executed "
                                 "notebook). Use SSH keys or the agent instead")
        value = convert(name, value, specs[name], runbook)
        if isinstance(value, str):
            if SECRET_VALUES.search(value):
                raise InvalidRequest(f"{runbook}: the value of {name} looks like a key or token;"
                                     " secrets are never runbook parameters")
            empty_ok = name == "confirm" or specs[name].default in ("''", '""', "None")
            if value or not empty_ok:
                check = VALIDATORS.get(name, lambda v: None)
                problem = _check_text(value, path=name in PATHS) or check(value)
                if problem:
                    raise _bad(runbook, name, value, problem, FIXES.get(name, "see the runbook"))
        out[name] = value
    return out


def _forget_passwords(value: str) -> None:
    """Mark the passwords in ``value`` secret in this process: masked wherever they go."""
    for match in re.finditer(r"://[^\s/@:]*:([^\s/@]+)@", value):
        Secret(match.group(1))


def _bad(runbook: str, name: str, value: Any, problem: str, fix: str) -> InvalidRequest:
    return InvalidRequest(f"{runbook}: parameter {name}={value!r} {problem}. Fix: {fix}. "
                          "Nothing was run.")
