"""Everything an LVM plan checks: LVM state, filesystems on LVs, and which domUs use which LV.

``read_facts(host)`` gathers it; plans take the resulting ``LvmFacts`` and re-read
it the same way (``facts.reread(host)``) before each step and after applying.
Domain references come from the Xen module (every ``/etc/xen/*.cfg``, running or
not, and the live domain list); callers may also give them directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fxkit.errors import FxkitError, InvalidRequest
from fxkit.lvm import LogicalVolume, LvmState, read_lvm
from fxkit.lvm_names import parse_lv_ref

if TYPE_CHECKING:
    from fxkit.host import Host


@dataclass(frozen=True)
class FsInfo:
    """What is on an LV: ``type`` as blkid names it, and an ext filesystem's size."""

    type: str
    size_bytes: int | None = None


@dataclass(frozen=True)
class LvmFacts:
    lvm: LvmState
    filesystems: Mapping[str, FsInfo] = field(default_factory=dict)     # "vg/lv" -> fs
    referenced_by: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # in configs
    running_users: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # live domUs
    dev_entries: frozenset[str] = frozenset()
    sudo: bool = False
    options: Mapping[str, Any] = field(default_factory=dict, compare=False)
    guest_devices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # lv->dom->vdev

    def fs(self, lv: LogicalVolume) -> FsInfo | None:
        return self.filesystems.get(lv.full_name)

    def reread(self, host: Host) -> LvmFacts:
        """The same facts, read again from ``host`` (used by ``needed`` and ``replan``)."""
        return read_facts(host, **dict(self.options))

    def with_references(self, referenced_by: Mapping[str, Iterable[str]] | None) -> LvmFacts:
        """These facts with ``referenced_by`` (LV path in any form -> domU names) merged in."""
        if not referenced_by:
            return self
        merged = {k: tuple(v) for k, v in self.referenced_by.items()}
        for path, names in referenced_by.items():
            key = parse_lv_ref(path).full_name
            merged[key] = tuple(sorted(set(merged.get(key, ())) | set(names)))
        return LvmFacts(self.lvm, self.filesystems, merged, self.running_users, self.dev_entries,
                        self.sudo, self.options, self.guest_devices)


def parse_blkid_export(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def parse_dumpe2fs_size(text: str) -> int | None:
    fields = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in
                                                   text.splitlines()) if v}
    try:
        return int(fields["Block count"]) * int(fields["Block size"])
    except (KeyError, ValueError):
        return None


def read_filesystems(host: Host, lvs: Iterable[LogicalVolume], *, sudo: bool = False
                     ) -> dict[str, FsInfo]:
    """blkid (and dumpe2fs for ext filesystems) on each active LV."""
    out: dict[str, FsInfo] = {}
    for lv in lvs:
        if not lv.attr.active:
            continue
        r = host.run(["blkid", "-o", "export", lv.path], check=False, read_only=True, sudo=sudo)
        kind = parse_blkid_export(r.stdout).get("TYPE") if r.exit_status == 0 else None
        if not kind:
            continue
        size = None
        if kind in ("ext2", "ext3", "ext4"):
            d = host.run(["dumpe2fs", "-h", lv.path], check=False, read_only=True, sudo=sudo)
            size = parse_dumpe2fs_size(d.stdout) if d.exit_status == 0 else None
        out[lv.full_name] = FsInfo(kind, size)
    return out


def domu_references(configs: Mapping[str, Any], live: Iterable[str] = (),
                    devices: dict[str, dict[str, str]] | None = None
                    ) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """From Xen configs (path -> DomainConfig): LVs each domU's config names, and the
    subset used by live domains (names in ``live``). ``devices`` collects, per LV and
    domain, the device name the guest sees (``hda1``, ``xvda1``)."""
    referenced: dict[str, set[str]] = {}
    running: dict[str, set[str]] = {}
    alive = set(live)
    for path, cfg in configs.items():
        domain = cfg.name or path.rsplit("/", 1)[-1].removesuffix(".cfg")
        for disk in cfg.disks:
            if not disk.path:
                continue
            try:
                key = parse_lv_ref(disk.path).full_name
            except InvalidRequest:
                continue   # an image file or a plain partition, not an LV
            referenced.setdefault(key, set()).add(domain)
            if devices is not None and disk.vdev:
                devices.setdefault(key, {})[domain] = disk.vdev.split(":")[0]
            if domain in alive:
                running.setdefault(key, set()).add(domain)
    return ({k: tuple(sorted(v)) for k, v in referenced.items()},
            {k: tuple(sorted(v)) for k, v in running.items()})


def read_domu_references(host: Host, tool: str = "xl",
                         devices: dict[str, dict[str, str]] | None = None
                         ) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]], str]:
    """Ask the Xen module; on a host without Xen, no references (and say why)."""
    try:
        from fxkit.xen import Toolstack, read_configs
    except ImportError:
        return {}, {}, "fxkit.xen is not available: domU references not checked"
    configs, _ = read_configs(host)
    note = ""
    try:
        live = [d.name for d in Toolstack(host, tool).list() if d.alive and not d.is_dom0]
    except FxkitError as e:
        live, note = [], f"could not list running domains ({str(e).splitlines()[0]})"
    referenced, running = domu_references(configs, live, devices)
    return referenced, running, note


def read_facts(host: Host, *, sudo: bool = False, filesystems: bool = True, xen: bool = True,
               tool: str = "xl") -> LvmFacts:
    """LVM state, filesystems on active LVs, domU references and /dev names, from ``host``."""
    state = read_lvm(host, sudo=sudo)
    fs = read_filesystems(host, state.lvs, sudo=sudo) if filesystems else {}
    referenced: dict[str, tuple[str, ...]] = {}
    running: dict[str, tuple[str, ...]] = {}
    devices: dict[str, dict[str, str]] = {}
    if xen:
        referenced, running, _ = read_domu_references(host, tool, devices)
    r = host.run(["ls", "-1", "/dev"], check=False, read_only=True)
    dev_entries = frozenset(r.stdout.split()) if r.exit_status == 0 else frozenset()
    return LvmFacts(state, fs, referenced, running, dev_entries, sudo,
                    {"sudo": sudo, "filesystems": filesystems, "xen": xen, "tool": tool},
                    devices)
