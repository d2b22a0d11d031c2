"""Typed disk and vif specs: the strings inside a Xen config's ``disk`` and ``vif`` lists.

They are read by the rules Xen 4.17's ``xl create`` applies, replayed in
``fxkit.xen.libxl_disk`` (libxlu's flex scanner ``libxlu_disk_l.l``) and
``fxkit.xen.libxl_vif`` (``parse_nic_config`` in ``tools/xl/xl_parse.c`` and
``libxlu_vif.c``): what xl refuses raises ``SpecError`` with xl's own message, what xl
only complains about is kept in ``VifSpec.warnings``. The documented syntax is
``docs/man/xl-disk-configuration.5.pod.in`` and ``xl-network-configuration.5.pod.in``::

    >>> d = DiskSpec.parse("phy:/dev/mapper/lvm-secours--root,hda1,w")
    >>> d.target, d.vdev, d.access, d.writable
    ('/dev/mapper/lvm-secours--root', 'hda1', 'w', True)
    >>> VifSpec.parse("mac=aa:73:65:63:6f:75, bridge=xenbr0").bridge
    'xenbr0'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from fxkit.errors import ParseError
from fxkit.xen.libxl_disk import FORMATS, scan
from fxkit.xen.libxl_vif import FIELD_KEYS, scan_vif

ACCESS = ("r", "ro", "w", "rw")

_HINTS = (
    ("unknown value for format", "without a prefix such as phy:, the second field is the "
     "format (raw, qcow2, ...): write 'phy:TARGET,VDEV,ACCESS', 'TARGET,raw,VDEV,ACCESS' "
     "or 'vdev=VDEV, access=ACCESS, target=TARGET'"),
    ("no vdev specified", "add the device the guest sees, e.g. 'phy:/dev/vg/lv,xvda1,w'"),
    ("unknown value for access", "access is r, ro, w or rw"),
    ("too many positional parameters", "a disk has at most TARGET,FORMAT,VDEV,ACCESS (or "
     "prefix:TARGET,VDEV,ACCESS); give the rest as key=value"),
    ("unknown parameter", "the keys are format, vdev, access, devtype, backend, backendtype, "
     "script, specification and target= last"),
    ("bad disk syntax", "put '=' only in key=value, and commas only between parameters; a "
     "target holding ',' or '=' goes last, as target=..."),
    ("invalid rate", "write e.g. rate=10Mb/s or rate=1MB/s@20ms: a whole number, then GB, MB, "
     "KB or B for bytes, Gb, Mb, Kb or b for bits, then /s"),
    ("interval", "the interval after @ is a whole number with ms, us or s, e.g. @20ms"),
    ("rate overflow", "the rate must be above 0 and below 2^32 of its unit"),
    ("failed to convert", "give a whole number"),
)


class SpecError(ParseError):
    """A disk or vif spec that ``xl create`` refuses; ``lines`` are xl's own messages."""

    def __init__(self, kind: str, spec: str, lines: list[str]) -> None:
        self.kind, self.spec, self.lines = kind, spec, list(lines)
        hint = next((h for key, h in _HINTS if key in lines[0]), "")
        super().__init__(f"{kind} {spec!r}: xl create refuses it: {lines[0]}"
                         + (f"; {hint}" if hint else ""))


@dataclass(frozen=True)
class DiskSpec:
    """One DISKSPEC. ``prefixes`` are the deprecated ``phy:``-style ones, in order; with
    them the positional fields are ``target,vdev,access``, without ``target,format,vdev,
    access``. ``devtype_in_vdev`` marks the deprecated ``hdc:cdrom``."""

    target: str | None = None
    vdev: str | None = None
    access: str | None = None
    format: str | None = None
    devtype: str | None = None
    backend: str | None = None
    backendtype: str | None = None
    script: str | None = None
    specification: str | None = None
    prefixes: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()
    devtype_in_vdev: bool = field(default=False, compare=False)   # how it was written
    source: str | None = field(default=None, compare=False, repr=False)   # as written

    @classmethod
    def parse(cls, spec: str) -> DiskSpec:
        """Parse one DISKSPEC as libxl does; ``SpecError`` carries xl's messages."""
        s = scan(spec)
        if s.errors:
            raise SpecError("disk", spec, s.errors)
        f = s.fields
        devtype = None if s.cdrom is None else ("cdrom" if s.cdrom else "disk")
        return cls(target=f.get("target") or None, vdev=f.get("vdev"), access=f.get("access")
                   or None, format=f.get("format"), devtype=devtype, backend=f.get("backend"),
                   backendtype=f.get("backendtype"), script=f.get("script"),
                   specification=f.get("specification"), prefixes=tuple(s.prefixes),
                   flags=tuple(s.flags), extra=tuple(s.extra),
                   devtype_in_vdev=s.devtype_in_vdev, source=spec)

    @property
    def legacy(self) -> bool:
        """Written in the deprecated xm-era form (a prefix, or ``vdev:devtype``)."""
        return bool(self.prefixes) or self.devtype_in_vdev

    @property
    def path(self) -> str | None:
        """The block device or image path (``/dev`` prepended to relative targets)."""
        if not self.target:
            return None
        return self.target if self.target.startswith("/") else "/dev/" + self.target

    @property
    def writable(self) -> bool:
        if self.devtype == "cdrom":
            return False
        return self.access is None or self.access in ("w", "rw")

    def render(self) -> str:
        """The spec as text: as it was written when parsed, else in the positional form
        (with the prefixes, if any), or keyed when a value would not survive it."""
        if self.source is not None:
            return self.source
        from_prefix = {self.format} | {f"block-{p}" for p in self.prefixes}
        vdev = (self.vdev or "") + (f":{self.devtype}" if self.devtype_in_vdev else "")
        tail = [f"{k}={v}" for k, v in (
            ("format", None if self.format in self.prefixes else self.format),
            ("devtype", None if self.devtype_in_vdev else self.devtype),
            ("backend", self.backend), ("backendtype", self.backendtype),
            ("specification", self.specification),
            ("script", None if self.script in from_prefix else self.script)) if v]
        tail += list(self.flags) + [f"{k}={v}" for k, v in self.extra]
        target = self.target or ""
        if self.prefixes or (self.devtype_in_vdev and not target and not self.format):
            lead = "".join(p + ":" for p in self.prefixes)
            return ",".join([lead + target, vdev, self.access or "", *tail]).rstrip(",")
        tail = [t for t in tail if not t.startswith("format=")]
        if re.search(r"[,=]|\A\s|\s\Z|\A[a-z][a-z0-9]*:", target) or \
                re.search(r"[,=:]|\A\s|\s\Z|\A\Z", "x" if self.vdev is None else self.vdev):
            keyed = [f"{k}={v}" for k, v in (("format", self.format), ("vdev", self.vdev),
                                            ("access", self.access)) if v is not None]
            if self.devtype_in_vdev and self.devtype:
                keyed.append(f"devtype={self.devtype}")
            return ", ".join(keyed + tail + [f"target={target}"])
        head = [target, self.format or "", vdev, self.access or ""]
        while len(head) > 3 and not head[-1]:
            head.pop()
        return ",".join(head + tail)

    def with_target(self, target: str) -> DiskSpec:
        return replace(self, target=target, source=None)


FORMAT_NAMES = tuple(sorted(set(FORMATS.values())))


@dataclass(frozen=True)
class VifSpec:
    """One vifspec: the keys of xl-network-configuration(5); ``extra`` holds the others
    (xl prints "unrecognized argument" for them, see ``warnings``) and COLO's keys.
    ``mac_octets`` and ``rate_limit`` are what xl makes of ``mac`` and ``rate``."""

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
    flags: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = field(default=())
    warnings: tuple[str, ...] = field(default=(), compare=False)
    mac_octets: tuple[int, ...] | None = field(default=None, compare=False)
    rate_limit: tuple[int, int] | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, spec: str) -> VifSpec:
        """Parse one vifspec (``''`` is a valid, all-defaults vif); ``SpecError`` when xl
        would exit, ``warnings`` for what xl only prints."""
        s = scan_vif(spec)
        if s.errors:
            raise SpecError("vif", spec, s.errors)
        return cls(**s.fields, flags=tuple(s.flags), extra=tuple(s.extra),  # type: ignore
                   warnings=tuple(s.warnings), mac_octets=s.mac_octets, rate_limit=s.rate)

    @property
    def bridge_or_default(self) -> str:
        """The bridge xl uses: ``xenbr0`` when none is given."""
        return self.bridge or "xenbr0"

    @property
    def mac_address(self) -> str | None:
        """The MAC xl gives the card, lower-case; None when xl makes one up (none given,
        or all zeros)."""
        octets = self.mac_octets
        if octets is None and self.mac is not None:
            octets = VifSpec.parse(f"mac={self.mac}").mac_octets
        if not octets or not any(octets):
            return None
        return ":".join(f"{b:02x}" for b in octets)

    def render(self) -> str:
        parts = [f"{k}={getattr(self, k)}" for k in _VIF_ORDER if getattr(self, k) is not None]
        parts += list(self.flags) + [f"{k}={v}" for k, v in self.extra]
        return ", ".join(parts)


_VIF_ORDER = ("mac", "bridge", "ip", "vifname", "model", "type", "script", "rate", "backend",
              "gatewaydev", "devid", "mtu")
assert set(_VIF_ORDER) == set(FIELD_KEYS)
