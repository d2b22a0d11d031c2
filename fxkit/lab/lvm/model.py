"""The lab's LVM section: block devices, PVs, VGs and LVs with real extent arithmetic.

The objects themselves (and how extents are counted) are in ``volumes``; this
module holds them together and changes them. Allocation follows lvm2's "normal" policy as
seen on real runs (fixtures and tests/test_lvm_real_lvm2.py): extend
contiguously after the LV's last segment, then elsewhere on that segment's PV,
then the first free area (VG order) that holds the rest whole, else the
largest areas first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fxkit.lab.lvm.volumes import (
    DEFAULT_EXTENT,
    DEFAULT_PE_START,
    LogicalVolume,
    NoSpace,
    PhysicalVolume,
    Segment,
    VolumeGroup,
    lvm_uuid,
)
from fxkit.lvm.names import split_dm_name
from fxkit.lvm.sizes import parse_size, target_extents


@dataclass
class LvmModel:
    state: Any
    devices: dict[str, int] = field(default_factory=dict)
    signatures: dict[str, str] = field(default_factory=dict)  # device -> fs found on it
    pvs: dict[str, PhysicalVolume] = field(default_factory=dict)
    vgs: list[VolumeGroup] = field(default_factory=list)
    # extents that held a removed, never-wiped LV: [pv, pe, count, "vg/lv"]
    stale: list[list[Any]] = field(default_factory=list)

    # -- lookups ----------------------------------------------------------------------

    def vg(self, name: str) -> VolumeGroup | None:
        return next((vg for vg in self.vgs if vg.name == name), None)

    def all_lvs(self) -> list[LogicalVolume]:
        return [lv for vg in self.vgs for lv in vg.lvs]

    def resolve(self, path: str) -> LogicalVolume | None:
        """The LV behind ``/dev/VG/LV``, ``/dev/mapper/VG-LV`` or ``VG/LV`` (else None)."""
        path = path.strip()
        for prefix in ("phy:", "file:"):
            if path.startswith(prefix):
                path = path[len(prefix):]
        try:
            if path.startswith("/dev/mapper/"):
                vg_name, lv_name, layer = split_dm_name(path[len("/dev/mapper/"):])
                if layer:
                    return None
            else:
                rest = path[len("/dev/"):] if path.startswith("/dev/") else path
                vg_name, _, lv_name = rest.partition("/")
        except Exception:
            return None
        vg = self.vg(vg_name)
        return vg.lv(lv_name) if vg and lv_name else None

    def open_lvs(self) -> set[str]:
        """Full names (vg/lv) of LVs held open: by a running domain, or by dom0 (its fstab)."""
        try:
            devices = set(self.state.xen.open_block_devices())
        except Exception:  # the Xen section is optional
            devices = set()
        devices |= self.dom0_devices()
        out = set()
        for dev in devices:
            lv = self.resolve(dev)
            if lv is not None:
                out.add(lv.full_name)
        return out

    def dom0_devices(self) -> set[str]:
        """Devices in dom0's /etc/fstab: mounted or swapped on at boot, so always open."""
        fstab = self.state.read("/etc/fstab") if self.state is not None else None
        fields = (line.split() for line in (fstab or "").splitlines())
        return {f[0] for f in fields if f and not f[0].startswith("#")}

    def device_size(self, path: str) -> int | None:
        if path in self.devices:
            return self.devices[path]
        lv = self.resolve(path)
        return lv.size_bytes if lv else None

    # -- extents ------------------------------------------------------------------------

    def pv_used(self, pv: PhysicalVolume) -> list[tuple[int, int]]:
        vg = self.vg(pv.vg) if pv.vg else None
        used = [(s.pe, s.count) for lv in (vg.lvs if vg else []) for s in lv.segments
                if s.pv == pv.name]
        return sorted(used)

    def pv_alloc_count(self, pv: PhysicalVolume) -> int:
        return sum(c for _, c in self.pv_used(pv))

    def free_areas(self, pv: PhysicalVolume) -> list[tuple[int, int]]:
        areas, pos = [], 0
        for pe, count in self.pv_used(pv):
            if pe > pos:
                areas.append((pos, pe - pos))
            pos = max(pos, pe + count)
        if pos < pv.pe_count:
            areas.append((pos, pv.pe_count - pos))
        return areas

    def vg_extents(self, vg: VolumeGroup) -> int:
        return sum(self.pvs[p].pe_count for p in vg.pvs)

    def vg_free(self, vg: VolumeGroup) -> int:
        return sum(c for p in vg.pvs for _, c in self.free_areas(self.pvs[p]))

    def allocate(self, vg: VolumeGroup, need: int,
                 lv: LogicalVolume | None = None) -> list[Segment]:
        """Segments for ``need`` more extents, or NoSpace (lvm2's normal policy)."""
        free = self.vg_free(vg)
        if need > free:
            raise NoSpace(need, free)
        areas = {name: [[pe, n] for pe, n in self.free_areas(self.pvs[name])]
                 for name in vg.pvs if self.pvs[name].allocatable}
        taken: list[Segment] = []

        def take(name: str, area: list[int], n: int) -> int:
            taken.append(Segment(name, area[0], n))
            area[0] += n
            area[1] -= n
            return n

        if lv is not None and lv.segments:
            last = lv.segments[-1]
            for area in areas.get(last.pv, []):     # contiguous to the last segment
                if area[0] == last.pe + last.count:
                    need -= take(last.pv, area, min(need, area[1]))
            for area in areas.get(last.pv, []):     # then "cling" to the same PV
                if need > 0 and area[1] > 0:
                    need -= take(last.pv, area, min(need, area[1]))
        # The first area (in VG order) that holds the rest whole; else the largest first.
        # This matches every placement in the fixtures' devices column.
        fits = [(n, a) for n, lst in areas.items() for a in lst if a[1] >= need > 0]
        if fits:
            name, area = fits[0]
            need -= take(name, area, need)
        order = {name: i for i, name in enumerate(vg.pvs)}
        while need > 0:
            name, area = max(((n, a) for n, lst in areas.items() for a in lst if a[1] > 0),
                             key=lambda t: (t[1][1], -order[t[0]], -t[1][0]))
            need -= take(name, area, min(need, area[1]))
        return taken

    def extend(self, lv: LogicalVolume, need: int) -> None:
        vg = self.vg(lv.vg)
        assert vg is not None
        for seg in self.allocate(vg, need, lv):
            last = lv.segments[-1] if lv.segments else None
            if last and last.pv == seg.pv and last.pe + last.count == seg.pe:
                last.count += seg.count  # lvm2 merges adjacent segments
            else:
                lv.segments.append(seg)

    def reduce(self, lv: LogicalVolume, remove: int) -> None:
        while remove > 0 and lv.segments:
            last = lv.segments[-1]
            if last.count <= remove:
                remove -= last.count
                lv.segments.pop()
            else:
                last.count -= remove
                remove = 0

    def new_lv(self, vg: VolumeGroup, name: str, extents: int, **kw: Any) -> LogicalVolume:
        lv = LogicalVolume(name, vg.name, lvm_uuid(self.state, "lv", vg.name, name,
                                                   self.state.clock),
                           vg.extent_size, created=self.timestamp(),
                           host=self.state.hostname,
                           minor=self.state.next_counter("dm-minor", 0), **kw)
        self.extend(lv, extents)  # raises NoSpace before anything changes
        vg.lvs.append(lv)
        lv.stale_from = sorted({name for pv, pe, n, name in self.stale
                                for s in lv.segments
                                if s.pv == pv and s.pe < pe + n and pe < s.pe + s.count})
        return lv

    def forget(self, lv: LogicalVolume) -> None:
        """Before removing ``lv``: its data stays on the extents unless it was wiped."""
        if not lv.origin and not self.fully_wiped(lv):
            self.stale += [[s.pv, s.pe, s.count, lv.full_name] for s in lv.segments]

    def fully_wiped(self, lv: LogicalVolume) -> bool:
        return any(w.get("bytes", 0) >= lv.size_bytes for w in lv.wipes)

    def wiped(self, lv: LogicalVolume, nbytes: int, tool: str) -> None:
        """Record that ``nbytes`` from the start of ``lv`` were overwritten with zeros."""
        lv.wipes.append({"tool": tool, "bytes": nbytes, "at": self.timestamp()})
        if nbytes > 0:
            lv.fs = None
        if nbytes >= lv.size_bytes:
            lv.stale_from = []
            self.stale = [e for e in self.stale if not any(
                s.pv == e[0] and s.pe < e[1] + e[2] and e[1] < s.pe + s.count
                for s in lv.segments)]

    def timestamp(self) -> str:
        return self.state.now().strftime("%Y-%m-%d %H:%M:%S %z")

    # -- (de)serialisation ------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: dict[str, Any], state: Any) -> LvmModel:
        model = cls(state, devices={k: int(v) for k, v in data.get("devices", {}).items()},
                    signatures=dict(data.get("signatures", {})),
                    stale=[list(e) for e in data.get("stale", [])])
        for p in data.get("pvs", []):
            model.pvs[p["name"]] = PhysicalVolume(
                p["name"], int(p.get("dev_size") or model.devices.get(p["name"], 0)),
                p.get("uuid") or lvm_uuid(state, "pv", p["name"]),
                int(p.get("pe_start", DEFAULT_PE_START)), p.get("vg"), int(p.get("pe_count", 0)))
        for v in data.get("vgs", []):
            vg = VolumeGroup(v["name"], v.get("uuid") or lvm_uuid(state, "vg", v["name"]),
                             int(v.get("extent_size", DEFAULT_EXTENT)), list(v.get("pvs", [])),
                             [], int(v.get("seqno", 1)))
            model.vgs.append(vg)
            for name in vg.pvs:
                pv = model.pvs[name]
                pv.vg = vg.name
                if not pv.pe_count:
                    pv.pe_count = (pv.dev_size - pv.pe_start) // vg.extent_size
            for d in v.get("lvs", []):
                model._load_lv(vg, d)
        return model

    def _load_lv(self, vg: VolumeGroup, d: dict[str, Any]) -> None:
        # not d.get("minor", len(...)): the default would be computed for every LV (O(n^2))
        minor = int(d["minor"]) if "minor" in d else len(self.all_lvs())
        lv = LogicalVolume(d["name"], vg.name, d.get("uuid") or lvm_uuid(self.state, "lv", vg.name,
                                                                          d["name"]),
                           vg.extent_size, created=d.get("created") or self.timestamp(),
                           host=d.get("host", self.state.hostname), fs=d.get("fs"),
                           origin=d.get("origin"), minor=minor,
                           wipes=list(d.get("wipes", [])), active=bool(d.get("active", True)),
                           stale_from=list(d.get("stale_from", [])))
        if "segments" in d:
            lv.segments = [Segment(pv, int(pe), int(n)) for pv, pe, n in d["segments"]]
            vg.lvs.append(lv)
        else:
            req = parse_size(str(d["size"]), allow_sign=False)
            self.extend(lv, target_extents(req, extent_size=vg.extent_size).extents)
            vg.lvs.append(lv)
        if lv.fs is not None:
            lv.fs.setdefault("size_bytes", lv.size_bytes)
            lv.fs.setdefault("uuid", self.state.uuid("fs", lv.full_name))
        self.state.counters["dm-minor"] = max(self.state.counters.get("dm-minor", -1), lv.minor)

    def to_dict(self) -> dict[str, Any]:
        return {"devices": dict(self.devices), "signatures": dict(self.signatures),
                "pvs": [pv.to_dict() for pv in self.pvs.values()],
                "vgs": [vg.to_dict() for vg in self.vgs], "stale": self.stale}
