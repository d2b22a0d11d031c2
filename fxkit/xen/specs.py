"""Typed disk and vif specs: the strings inside a Xen config's ``disk`` and ``vif`` lists.

Grammars: Xen's ``docs/man/xl-disk-configuration.5.pod.in`` (DISKSPEC: keys,
flags and the positional ``target, format, vdev, access``, plus the deprecated
``[prefix:]target,vdev[:devtype],access`` form that fx's configs use) and
``docs/man/xl-network-configuration.5.pod.in`` (vifspec: ``key=value``
pairs separated by commas, all optional)::

    >>> d = DiskSpec.parse("phy:/dev/mapper/lvm-secours--root,hda1,w")
    >>> d.target, d.vdev, d.access, d.writable
    ('/dev/mapper/lvm-secours--root', 'hda1', 'w', True)
    >>> VifSpec.parse("mac=aa:73:65:63:6f:75, bridge=xenbr0").bridge
    'xenbr0'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace

from fxkit.errors import ParseError

# xl-disk-configuration: "Deprecated Parameters, Prefixes And Syntaxes".
_IGNORED_PREFIXES = ("tapdisk", "tap2", "tap", "aio", "ioemu", "file", "phy")
_FORMAT_PREFIXES = ("raw", "qcow", "qcow2", "vhd")
_SCRIPT_PREFIXES = ("iscsi", "nbd", "enbd", "drbd")
FORMATS = ("raw", "qcow", "qcow2", "vhd", "qed")
ACCESS = ("r", "ro", "w", "rw")
_DISK_FLAGS = ("cdrom", "direct-io-safe", "discard", "no-discard", "trusted", "untrusted",
               "colo")
_DISK_KEYS = ("format", "vdev", "access", "devtype", "backend", "backendtype", "script")
_VDEV = re.compile(r"(?:xvd|hd|sd)[a-z]+\d*(?::\w+)?\Z|d\d+(?:p\d+)?\Z")
_MAC = re.compile(r"[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}\Z")


@dataclass(frozen=True)
class DiskSpec:
    """One DISKSPEC. ``legacy`` marks the deprecated ``prefix:target,vdev,access`` form."""

    target: str | None = None
    vdev: str | None = None
    access: str | None = None
    format: str | None = None
    devtype: str | None = None
    backend: str | None = None
    backendtype: str | None = None
    script: str | None = None
    prefixes: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()
    legacy: bool = False

    @classmethod
    def parse(cls, spec: str) -> DiskSpec:
        """Parse one DISKSPEC string; ``ParseError`` says what is wrong and how to write it."""
        values: dict[str, str | None] = {}
        prefixes: list[str] = []
        flags: list[str] = []
        extra: list[tuple[str, str]] = []
        positional: list[str | None] = []
        legacy = False
        rest = spec
        while True:
            rest = rest.lstrip()
            if rest.startswith("target="):          # consumes the rest of the spec
                values["target"] = rest[len("target="):] or None
                break
            param, sep, rest = rest.partition(",")
            param = param.strip()
            if "=" in param:
                key, _, value = param.partition("=")
                if key in values and key != "target":
                    raise ParseError(f"disk {spec!r}: {key} is given twice; keep one")
                if key in _DISK_KEYS:
                    values[key] = value or None
                else:
                    extra.append((key, value))
            elif param in _DISK_FLAGS:
                if param == "cdrom":
                    values["devtype"] = "cdrom"
                else:
                    flags.append(param)
            else:
                positional.append(param)
            if not sep:
                break
        # Assign positionals: target, format, vdev, access (or target, vdev, access when
        # the target carried a deprecated prefix or the 2nd one is plainly a vdev).
        order = ["target", "format", "vdev", "access"]
        if positional:
            target, prefixes, fmt, script = _strip_prefixes(positional[0] or "")
            positional[0] = target or None
            legacy = bool(prefixes or fmt or script)
            if fmt:
                values.setdefault("format", fmt)
            if script:
                values.setdefault("script", script)
            if len(positional) > 1 and positional[1] and positional[1] not in FORMATS \
                    and _VDEV.match(positional[1]):
                legacy = True
            if legacy:
                order = ["target", "vdev", "access"]
        keyed_target = values.pop("target", "")
        names = ["target"] + [n for n in order[1:] if n not in values]
        for name, value in zip(names, positional, strict=False):
            values[name] = value or None
        if keyed_target != "":          # target= wins over a positional one
            values["target"] = keyed_target
        if len(positional) > len(names):
            raise ParseError(f"disk {spec!r}: too many positional parameters; write it as "
                             "'TARGET,FORMAT,VDEV,ACCESS' or 'format=raw, vdev=xvda, "
                             "access=rw, target=/dev/vg/lv'")
        vdev = values.get("vdev")
        if vdev and ":" in vdev:                 # deprecated hdc:cdrom
            vdev, _, devtype = vdev.partition(":")
            values["vdev"], values["devtype"] = vdev, devtype or values.get("devtype")
            legacy = True
        if not values.get("vdev"):
            raise ParseError(f"disk {spec!r}: no vdev (the device the guest sees, e.g. xvda1 "
                             "or hda1); it is mandatory")
        access = values.get("access")
        if access is not None and access not in ACCESS:
            raise ParseError(f"disk {spec!r}: access {access!r} is not r, ro, w or rw")
        return cls(**values, prefixes=tuple(prefixes), flags=tuple(flags),  # type: ignore
                   extra=tuple(extra), legacy=legacy)

    @property
    def path(self) -> str | None:
        """The block device or image path (``/dev`` prepended to relative targets)."""
        if not self.target:
            return None
        return self.target if self.target.startswith("/") else "/dev/" + self.target

    @property
    def writable(self) -> bool:
        if self.access is None:
            return self.devtype != "cdrom"
        return self.access in ("w", "rw")

    def render(self) -> str:
        """The spec as text in the form it was written (legacy or positional/keyed)."""
        tail = [f"{k}={v}" for k, v in (("devtype", self.devtype if not self.legacy else None),
                                        ("backend", self.backend),
                                        ("backendtype", self.backendtype)) if v]
        tail += list(self.flags) + [f"{k}={v}" for k, v in self.extra]
        if self.legacy:
            lead = "".join(p + ":" for p in self.prefixes)
            if self.format and self.format not in self.prefixes:
                lead += self.format + ":"
            if self.script and self.script.startswith("block-") and not self.prefixes:
                lead += self.script[len("block-"):] + ":"
            elif self.script:
                tail.append(f"script={self.script}")
            vdev = (self.vdev or "") + (f":{self.devtype}" if self.devtype else "")
            head = [lead + (self.target or ""), vdev, self.access or ""]
            return ",".join(head + tail)
        if self.script:
            tail.append(f"script={self.script}")
        target = self.target or ""
        if any(c in target for c in ",=:") or target != target.strip():
            keyed = [f"{k}={v}" for k, v in (("format", self.format), ("vdev", self.vdev),
                                            ("access", self.access)) if v]
            return ", ".join(keyed + tail + [f"target={target}"])
        head = [target, self.format or "", self.vdev or "", self.access or ""]
        while head and not head[-1]:
            head.pop()
        return ",".join(head + tail)

    def with_target(self, target: str) -> DiskSpec:
        return replace(self, target=target)


def _strip_prefixes(target: str) -> tuple[str, list[str], str | None, str | None]:
    prefixes: list[str] = []
    fmt = script = None
    while ":" in target and not target.startswith("/"):
        head, _, rest = target.partition(":")
        if head in _IGNORED_PREFIXES:
            prefixes.append(head)
        elif head in _FORMAT_PREFIXES:
            fmt = head
        elif head in _SCRIPT_PREFIXES:
            script = "block-" + head
        else:
            break
        target = rest
    return target, prefixes, fmt, script


@dataclass(frozen=True)
class VifSpec:
    """One vifspec: every keyword of xl-network-configuration(5), unknown ones in ``extra``."""

    mac: str | None = None
    bridge: str | None = None
    ip: str | None = None
    vifname: str | None = None
    model: str | None = None
    type: str | None = None
    script: str | None = None
    rate: str | None = None
    backend: str | None = None
    gatewaydev: str | None = None
    devid: str | None = None
    mtu: str | None = None
    vlan: str | None = None
    flags: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = field(default=())

    @classmethod
    def parse(cls, spec: str) -> VifSpec:
        """Parse one vifspec (``''`` is a valid, all-defaults vif)."""
        known = {f.name for f in fields(cls)} - {"flags", "extra"}
        values: dict[str, str] = {}
        flags: list[str] = []
        extra: list[tuple[str, str]] = []
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            key, eq, value = part.partition("=")
            key, value = key.strip(), value.strip()
            if not eq:
                flags.append(key)      # trusted / untrusted
            elif key in known:
                if key in values:
                    raise ParseError(f"vif {spec!r}: {key} is given twice; keep one")
                values[key] = value
            elif key == "netdev":      # deprecated alias of gatewaydev
                values["gatewaydev"] = value
            else:
                extra.append((key, value))
        mac = values.get("mac")
        if mac is not None and not _MAC.match(mac):
            raise ParseError(f"vif {spec!r}: mac {mac!r} is not six hex pairs separated by "
                             "colons, e.g. 00:16:3e:12:34:56")
        return cls(**values, flags=tuple(flags), extra=tuple(extra))  # type: ignore[arg-type]

    @property
    def bridge_or_default(self) -> str:
        """The bridge xl uses: ``xenbr0`` when none is given."""
        return self.bridge or "xenbr0"

    def render(self) -> str:
        parts = [f"{f.name}={getattr(self, f.name)}" for f in fields(self)
                 if f.name not in ("flags", "extra") and getattr(self, f.name) is not None]
        parts += list(self.flags) + [f"{k}={v}" for k, v in self.extra]
        return ", ".join(parts)
