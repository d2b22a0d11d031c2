"""Everything an LVM plan checks: LVM state, filesystems on LVs, and which domUs use which LV.

``read_facts(host)`` gathers it in a fixed number of commands (pvs, vgs, lvs, one
blkid for every active LV, the Xen configs and domain list, ``ls /dev``); an ext
filesystem's size costs a ``dumpe2fs`` only when a plan reads it. Plans re-read it
all after applying (``facts.reread(host)``); a step's ``needed`` check uses
``facts.fresh(host)``, which runs only the reports that check looks at.
Domain references come from the Xen module (every ``/etc/xen/*.cfg``, running or
not, and the live domain list); callers may also give them directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from fxkit.errors import FxkitError, InvalidRequest
from fxkit.lvm import LazyLvmState, LogicalVolume, LvmState, read_lvm
from fxkit.lvm_names import parse_lv_ref

if TYPE_CHECKING:
    from fxkit.host import Host


EXT_TYPES = ("ext2", "ext3", "ext4")


class FsInfo:
    """What is on an LV: ``type`` as blkid names it, and an ext filesystem's size.

    The size comes from ``dumpe2fs -h``, run the first time ``size_bytes`` is read
    (``load``): only the LVs a plan grows or shrinks cost that command.
    """

    __slots__ = ("type", "_size", "_load")

    def __init__(self, type: str, size_bytes: int | None = None, *,  # noqa: A002
                 load: Callable[[], int | None] | None = None) -> None:
        self.type, self._size, self._load = type, size_bytes, load

    @property
    def size_bytes(self) -> int | None:
        if self._load is not None:
            self._size, self._load = self._load(), None
        return self._size

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FsInfo) and (self.type, self.size_bytes) == (
            other.type, other.size_bytes)

    def __hash__(self) -> int:
        return hash(self.type)

    def __repr__(self) -> str:
        size = "unread" if self._load is not None else self._size
        return f"FsInfo(type={self.type!r}, size_bytes={size})"


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
        """The same facts, read again from ``host`` (used by ``replan``)."""
        return read_facts(host, **dict(self.options))

    def fresh(self, host: Host) -> LvmFacts:
        """Facts for a step's ``needed`` check: each LVM report, and each LV's filesystem,
        is read from ``host`` only if the check asks for it; references are kept."""
        state = LazyLvmState(host, sudo=self.sudo)
        return replace(self, lvm=state, filesystems=LazyFilesystems(host, state, sudo=self.sudo))

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


def parse_blkid_export_all(text: str) -> dict[str, dict[str, str]]:
    """``blkid -o export DEV...``: one block of KEY=value lines per device found (blank
    lines between them), each starting with DEVNAME; devices without a signature are left
    out (util-linux misc-utils/blkid.c, ``print_value`` in export mode)."""
    out: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in text.splitlines():
        key, eq, value = line.partition("=")
        if not eq:
            continue
        if key == "DEVNAME":
            current = out.setdefault(value, {})
        current[key] = value
    return out


def parse_dumpe2fs_size(text: str) -> int | None:
    fields = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in
                                                   text.splitlines()) if v}
    try:
        return int(fields["Block count"]) * int(fields["Block size"])
    except (KeyError, ValueError):
        return None


def _fs_info(host: Host, path: str, kind: str, sudo: bool) -> FsInfo:
    if kind not in EXT_TYPES:
        return FsInfo(kind)

    def load() -> int | None:
        d = host.run(["dumpe2fs", "-h", path], check=False, read_only=True, sudo=sudo)
        return parse_dumpe2fs_size(d.stdout) if d.exit_status == 0 else None
    return FsInfo(kind, load=load)


def _blkid(host: Host, paths: list[str], sudo: bool) -> dict[str, dict[str, str]]:
    if not paths:
        return {}
    r = host.run(["blkid", "-o", "export", *paths], check=False, read_only=True, sudo=sudo)
    return parse_blkid_export_all(r.stdout) if r.exit_status == 0 else {}


def _lv_of(devname: str, lvs: Mapping[str, LogicalVolume]) -> LogicalVolume | None:
    if devname in lvs:
        return lvs[devname]
    try:
        key = parse_lv_ref(devname).full_name
    except InvalidRequest:
        return None
    return next((lv for lv in lvs.values() if lv.full_name == key), None)


def read_filesystems(host: Host, lvs: Iterable[LogicalVolume], *, sudo: bool = False
                     ) -> dict[str, FsInfo]:
    """The filesystem on each active LV: one ``blkid`` for all of them; an ext
    filesystem's size is read (``dumpe2fs``) only when asked for."""
    active = {lv.path: lv for lv in lvs if lv.attr.active}
    out: dict[str, FsInfo] = {}
    found = _blkid(host, list(active), sudo)
    for devname, tags in found.items():
        lv = _lv_of(devname, active)
        if lv is not None and tags.get("TYPE"):
            out[lv.full_name] = _fs_info(host, lv.path, tags["TYPE"], sudo)
    if len(active) > 1 and any(_lv_of(d, active) is None for d in found):
        # blkid named a device by another alias (/dev/dm-N): ask for the rest one by one
        for lv in active.values():
            if lv.full_name not in out:
                tags = next(iter(_blkid(host, [lv.path], sudo).values()), {})
                if tags.get("TYPE"):
                    out[lv.full_name] = _fs_info(host, lv.path, tags["TYPE"], sudo)
    return out


class LazyFilesystems(Mapping[str, FsInfo]):
    """``read_filesystems`` one LV at a time, on demand (``vg/lv`` -> FsInfo)."""

    def __init__(self, host: Host, state: LvmState, *, sudo: bool = False) -> None:
        self.host, self.state, self.sudo = host, state, sudo
        self._seen: dict[str, FsInfo | None] = {}

    def get(self, key: str, default: Any = None) -> Any:   # type: ignore[override]
        if key not in self._seen:
            lv = self.state.lv(key)
            self._seen[key] = (read_filesystems(self.host, [lv], sudo=self.sudo).get(key)
                               if lv is not None else None)
        found = self._seen[key]
        return default if found is None else found

    def __getitem__(self, key: str) -> FsInfo:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def _all(self) -> dict[str, FsInfo]:
        missing = [lv for lv in self.state.lvs if lv.full_name not in self._seen]
        found = read_filesystems(self.host, missing, sudo=self.sudo)
        self._seen.update({lv.full_name: found.get(lv.full_name) for lv in missing})
        return {k: v for k, v in self._seen.items() if v is not None}

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


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
