"""libxl's DISKSPEC scanner, rule for rule: what ``xl create`` accepts in ``disk = [...]``.

Xen 4.17 parses each disk string with a flex scanner, ``tools/libs/util/libxlu_disk_l.l``
(as generated into the ``libxlu_disk_l.c`` the release ships: see ``FLAGS``),
then ``xlu_disk_parse`` in ``tools/libs/util/libxlu_disk.c`` checks the result (a vdev is
mandatory; a target too unless the device is a cdrom). ``scan`` replays that scanner:
at each position every rule is tried, the longest match wins (its trailing context
counted, as flex does), the earlier rule breaks a tie, and the rule's action runs.
Errors carry libxlu's own text (``xlu__disk_err``), without the config file name xl
puts in front; xl exits 1 on any of them (``parse_disk_config_multistring`` in
``tools/xl/xl_parse.c``)::

    >>> scan("phy:/dev/lvm/web-root,xvda1,w").fields["vdev"]
    'xvda1'
    >>> scan("/dev/lvm/web-root,xvda1,w").errors[0]
    "config parsing error in disk specification: unknown value for format: near `xvda1' \
in `/dev/lvm/web-root,xvda1,w'"
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# FORMAT values (setformat): "" means raw; "empty" is a cdrom drive with nothing in it.
FORMATS = {"": "raw", "raw": "raw", "qcow": "qcow", "qcow2": "qcow2", "vhd": "vhd",
           "empty": "empty", "qed": "qed"}
BACKENDTYPES = ("phy", "tap", "qdisk", "standalone")
SPECIFICATIONS = ("xen", "virtio")
ACCESS_READ, ACCESS_WRITE = ("r", "ro"), ("rw", "w", "")
# The flag rules of the scanner xl 4.17 runs. libxlu_disk_l.l also has `trusted,?` and
# `untrusted,?` (added for XSA-403, commit 54d8f27d04), but the generated libxlu_disk_l.c
# committed with the 4.17 releases (last made in 66dd1c62b2) predates them and has no such
# rule: xl 4.17 reads "trusted" as one more positional parameter (seen on the real lab,
# tests/test_realxen_specs.py). Vifs do take trusted/untrusted (xl_parse.c).
FLAGS = ("direct-io-safe", "discard", "no-discard", "colo", "no-colo")
COLO_KEYS = ("colo-host", "colo-port", "colo-export", "active-disk", "hidden-disk")
IGNORED_PREFIXES = ("tapdisk", "tap", "tap2", "aio", "ioemu", "file", "phy")


@dataclass
class DiskScan:
    """What the scanner found: libxl_device_disk's fields as text, and the errors."""

    spec: str
    fields: dict[str, str] = field(default_factory=dict)   # target vdev format access ...
    flags: list[str] = field(default_factory=list)
    extra: list[tuple[str, str]] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)       # deprecated "phy:" and friends
    cdrom: bool | None = None
    devtype_in_vdev: bool = False                           # "hdc:cdrom"
    format_enum: str | None = None
    access_set: bool = False
    errors: list[str] = field(default_factory=list)

    def err(self, erroneous: str | None, message: str) -> None:
        near = f": near `{erroneous}'" if erroneous is not None else ""
        self.errors.append(f"config parsing error in disk specification: {message}{near} "
                           f"in `{self.spec}'")


# (name, head, trailing context or None), in the order of libxlu_disk_l.l's rules.
_RULES = [(name, re.compile(head), re.compile(trail) if trail is not None else None)
          for name, head, trail in (
    ("space", r"[ \t\n]+", r"(?:[^ \t\n].*)?"),
    ("format", r"format=[^,]*,?", None),
    ("cdrom", r"cdrom,?", None),
    ("devtype_cdrom", r"devtype=cdrom,?", None),
    ("devtype_disk", r"devtype=disk,?", None),
    ("devtype_bad", r"devtype=[^,]*,?", None),
    ("access", r"access=[^,]*,?", None),
    ("backend", r"backend=[^,]*,?", None),
    ("backendtype", r"backendtype=[^,]*,?", None),
    ("specification", r"specification=[^,]*,?", None),
    ("vdev", r"vdev=[^,]*,?", None),
    ("script", r"script=[^,]*,?", None),
    *((f"flag:{f}", re.escape(f) + ",?", None) for f in FLAGS),
    *((f"colo:{k}", re.escape(k) + "=[^,]*,?", None) for k in COLO_KEYS),
    ("target", r"target=.*", None),
    ("unknown_key", r"[a-z][-a-z0-9]*=[^,],?", None),
    ("format_prefix", r"(?:raw|qcow2?|vhd):", r".*"),
    ("script_prefix", r"(?:iscsi|e?nbd|drbd):", r".*"),
    ("prefix", r"tapdisk:", r".*"),
    ("prefix", r"tap2?:", r".*"),
    ("prefix", r"aio:", r".*"),
    ("prefix", r"ioemu:", r".*"),
    ("prefix", r"file:", r".*"),
    ("prefix", r"phy:", r".*"),
    ("bad_prefix", r"[a-z][a-z0-9]*:", r"(?:[^a-z0-9].*)?"),
    ("positional", r"[^=,]*,|[^=,]+,?", None),
    ("lexerr", r".", None),
)]


def _strip(text: str, delim: str) -> str:
    return text[:-1] if text.endswith(delim) else text


def _longest(spec: str, pos: int) -> tuple[str, str]:
    """(rule name, yytext) of the rule flex picks at ``pos``."""
    best, best_len, best_text = "", -1, ""
    for name, head, trail in _RULES:
        m = head.match(spec, pos)
        if m is None:
            continue
        length = m.end() - pos
        if trail is not None:
            t = trail.match(spec, m.end())
            if t is None:
                continue
            length += t.end() - m.end()
        if length > best_len:
            best, best_len, best_text = name, length, m.group()
    return best, best_text


def scan(spec: str) -> DiskScan:
    """Run libxlu's scanner and checks on one DISKSPEC."""
    s = DiskScan(spec)
    pos = 0
    while pos < len(spec):
        name, text = _longest(spec, pos)
        if name == "lexerr":           # `.` then <LEXERR>.*: the rest of the line
            rest = spec[pos:].split("\n", 1)[0]
            s.err(rest, "bad disk syntax")
            break
        pos += len(text)
        if _action(s, name, text) == "stop":
            break
    _finish(s)
    return s


def _action(s: DiskScan, name: str, text: str) -> str | None:
    value = _strip(text, ",").partition("=")[2]
    if name == "space":
        return None
    if name == "format":
        _setformat(s, value)
    elif name in ("cdrom", "devtype_cdrom"):
        s.cdrom = True
    elif name == "devtype_disk":
        s.cdrom = False
    elif name == "devtype_bad":
        s.err(text, "unknown value for type")
    elif name == "access":
        _setaccess(s, value)
    elif name in ("backend", "vdev", "script"):
        _save(s, name, value)
    elif name == "backendtype":
        _setenum(s, "backendtype", value, BACKENDTYPES, "backend")
    elif name == "specification":
        _setenum(s, "specification", value, SPECIFICATIONS, "specification")
    elif name.startswith("flag:"):
        s.flags.append(name[5:])
    elif name.startswith("colo:"):
        if name == "colo:colo-port" and not _atoi(value):
            s.err(value, "unknown value for colo_port")
        else:
            s.extra.append((name[5:], value))
    elif name == "target":
        _save(s, "target", _strip(text, ",")[len("target="):])
    elif name == "unknown_key":
        s.err(text, "unknown parameter")
    elif name == "format_prefix":
        s.prefixes.append(text[:-1])
        _setformat(s, text[:-1])
    elif name == "script_prefix":
        s.prefixes.append(text[:-1])
        _save(s, "script", "block-" + text[:-1])
    elif name == "prefix":
        s.prefixes.append(text[:-1])
    elif name == "bad_prefix":
        s.err(text, "unknown deprecated disk prefix")
        return "stop"
    elif name == "positional":
        return _positional(s, _strip(text, ","))
    return None


def _positional(s: DiskScan, text: str) -> str | None:
    if s.errors:
        return None                          # "previous errors may just lead to others"
    if "target" not in s.fields:
        _save(s, "target", text)
    elif not s.prefixes and s.format_enum is None:
        if not s.fields["target"] and _vdev_and_devtype(s, text):
            s.format_enum = "empty"
        else:
            _setformat(s, text)
    elif "vdev" not in s.fields:
        if not _vdev_and_devtype(s, text):
            _save(s, "vdev", text)
    elif not s.access_set:
        s.access_set = True
        _setaccess(s, text)
    else:
        s.err(text, "too many positional parameters")
        return "stop"
    return None


def _save(s: DiskScan, key: str, value: str) -> None:
    if s.fields.get(key):                    # an empty string may be overwritten
        s.err(value, f"{key} respecified")
    else:
        s.fields[key] = value


def _setformat(s: DiskScan, text: str) -> None:
    if text not in FORMATS:
        s.err(text, "unknown value for format")
    elif s.format_enum is not None and s.format_enum != FORMATS[text]:
        s.err(text, "format respecified")
    else:
        s.format_enum = FORMATS[text]
        if text:
            s.fields["format"] = text


def _setenum(s: DiskScan, key: str, text: str, allowed: tuple[str, ...], member: str) -> None:
    if text not in allowed:
        s.err(text, f"unknown value for {key}")
    elif s.fields.get(key, text) != text:
        s.err(text, f"{member} respecified")
    else:
        s.fields[key] = text


def _setaccess(s: DiskScan, text: str) -> None:
    if text in ACCESS_READ or text in ACCESS_WRITE:
        s.fields["access"] = text
    else:
        s.err(text, "unknown value for access")


def _vdev_and_devtype(s: DiskScan, text: str) -> bool:
    """``hdc:cdrom``: the vdev, then a deprecated device type after the last colon."""
    if ":" not in text:
        return False
    vdev, _, devtype = text.rpartition(":")
    _save(s, "vdev", vdev)
    s.devtype_in_vdev = True
    if devtype in ("cdrom", "disk"):
        s.cdrom = devtype == "cdrom"
    else:
        s.err(devtype, "unknown deprecated type")
    return True


def _atoi(text: str) -> int:
    m = re.match(r"[ \t\n\v\f\r]*([-+]?\d+)", text)
    return int(m.group(1)) if m else 0


def _finish(s: DiskScan) -> None:
    """xlu_disk_parse's checks after the scan (only when the scan found no error)."""
    if s.errors:
        return
    if s.cdrom and not s.fields.get("target"):
        s.format_enum = "empty"
    if "vdev" not in s.fields:
        s.err(None, "no vdev specified")
    elif "target" not in s.fields and not s.cdrom:
        s.err(None, "no target specified (and device not removable)")
