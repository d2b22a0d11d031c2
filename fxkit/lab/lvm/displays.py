"""pvdisplay, vgdisplay and lvdisplay in the lab (full, ``-c`` colon and ``vgdisplay -v``).

Layouts port lvm2's ``lib/display/display.c`` (pvdisplay_full, pvdisplay_colons,
pvdisplay_short, vgdisplay_full, vgdisplay_colons, lvdisplay_full,
lvdisplay_colons) for a host with device-mapper: active LVs also show
``LV Status``, ``# open``, ``- currently set to`` and ``Block device``.
"""

from __future__ import annotations

from fxkit.lab.lvm.args import DISPLAY, Args, parse
from fxkit.lab.lvm.common import Failed, lines, lvm_command, model
from fxkit.lab.lvm.model import LvmModel
from fxkit.lab.lvm.volumes import LogicalVolume, PhysicalVolume, VolumeGroup
from fxkit.lab.shell.base import Call
from fxkit.lvm.sizes import format_size

SECTOR = 512


def _size(n: int) -> str:
    return format_size(n, long=True)


def display_order(m: LvmModel) -> list[VolumeGroup]:
    # lvm2 walks its VG cache newest first: the fixtures list "lvm" before "fourier"
    return list(reversed(m.vgs))


def pv_full(m: LvmModel, pv: PhysicalVolume) -> list[str]:
    vg = m.vg(pv.vg) if pv.vg else None
    if vg is None:
        return [f'"{pv.name}" is a new physical volume of "{_size(pv.dev_size)}"',
                "--- NEW Physical volume ---", f"PV Name               {pv.name}",
                "VG Name               ", f"PV Size               {_size(pv.dev_size)}",
                "Allocatable           NO", "PE Size               0   ",
                "Total PE              0", "Free PE               0", "Allocated PE          0",
                f"PV UUID               {pv.uuid}", " "]
    data = pv.pe_count * vg.extent_size
    if pv.dev_size > data + pv.pe_start:
        pvsize, unusable = pv.dev_size, pv.dev_size - data
    else:
        pvsize, unusable = data + pv.pe_start, data + pv.pe_start - pv.dev_size
    alloc = m.pv_alloc_count(pv)
    free = pv.pe_count - alloc
    return ["--- Physical volume ---", f"PV Name               {pv.name}",
            f"VG Name               {vg.name}",
            f"PV Size               {_size(pvsize)} / not usable {_size(unusable)}",
            f"Allocatable           yes {'(but full)' if not free else ''}",
            f"PE Size               {_size(vg.extent_size)}",
            f"Total PE              {pv.pe_count}", f"Free PE               {free}",
            f"Allocated PE          {alloc}", f"PV UUID               {pv.uuid}", " "]


def pv_colon(m: LvmModel, pv: PhysicalVolume) -> str:
    vg = m.vg(pv.vg) if pv.vg else None
    ext = vg.extent_size if vg else 0
    alloc = m.pv_alloc_count(pv) if vg else 0
    count = pv.pe_count if vg else 0
    return (f"{pv.name}:{vg.name if vg else ''}:{pv.dev_size // SECTOR}:-1:{8 if vg else 0}:"
            f"{8 if vg else 0}:-1:{ext // 1024}:{count}:{count - alloc}:{alloc}:{pv.uuid}")


def _pvs_in_order(m: LvmModel) -> list[PhysicalVolume]:
    out = [m.pvs[name] for vg in display_order(m) for name in vg.pvs]
    return out + [pv for pv in m.pvs.values() if not pv.vg]


@lvm_command
def pvdisplay(call: Call, a: Args) -> str:
    a = parse("pvdisplay", a.positional, DISPLAY)
    m = model(call)
    pvs = _pvs_in_order(m)
    errors = []
    if a.positional:
        errors = [f'Failed to find physical volume "{n}".' for n in a.positional
                  if n not in m.pvs]
        pvs = [pv for pv in pvs if pv.name in a.positional]
    if a.has("colon"):
        out = lines(*(pv_colon(m, pv) for pv in pvs))
    else:
        out = lines(*(line for pv in pvs for line in pv_full(m, pv)))
    if errors:
        raise Failed(*errors, stdout=out)
    return out


def vg_full(m: LvmModel, vg: VolumeGroup) -> list[str]:
    total = m.vg_extents(vg)
    free = m.vg_free(vg)
    alloc = total - free
    opened = sum(1 for lv in vg.lvs if lv.full_name in m.open_lvs())
    e = vg.extent_size
    return ["--- Volume group ---", f"VG Name               {vg.name}", "System ID             ",
            "Format                lvm2", f"Metadata Areas        {len(vg.pvs)}",
            f"Metadata Sequence No  {vg.seqno}", "VG Access             read/write",
            "VG Status             resizable", "MAX LV                0",
            f"Cur LV                {len(vg.lvs)}", f"Open LV               {opened}",
            "Max PV                0", f"Cur PV                {len(vg.pvs)}",
            f"Act PV                {len(vg.pvs)}", f"VG Size               {_size(total * e)}",
            f"PE Size               {_size(e)}", f"Total PE              {total}",
            f"Alloc PE / Size       {alloc} / {_size(alloc * e)}",
            f"Free  PE / Size       {free} / {_size(free * e)}",
            f"VG UUID               {vg.uuid}", " "]


def vg_colon(m: LvmModel, vg: VolumeGroup) -> str:
    total, free = m.vg_extents(vg), m.vg_free(vg)
    opened = sum(1 for lv in vg.lvs if lv.full_name in m.open_lvs())
    kib = vg.extent_size // 1024
    return (f"{vg.name}:r/w:772:-1:0:{len(vg.lvs)}:{opened}:-1:0:{len(vg.pvs)}:{len(vg.pvs)}:"
            f"{total * kib}:{kib}:{total}:{total - free}:{free}:{vg.uuid}")


@lvm_command
def vgdisplay(call: Call, a: Args) -> str:
    a = parse("vgdisplay", a.positional, DISPLAY)
    m = model(call)
    vgs = display_order(m)
    errors: list[str] = []
    if a.positional:
        for n in a.positional:
            if not m.vg(n):
                errors += [f'Volume group "{n}" not found', f"Cannot process volume group {n}"]
        vgs = [vg for vg in vgs if vg.name in a.positional]
    out: list[str] = []
    for vg in vgs:
        if a.has("colon"):
            out.append(vg_colon(m, vg))
            continue
        out += vg_full(m, vg)
        if a.has("verbose"):
            for lv in vg.lvs:
                out += lv_full(m, vg, lv)
            out.append("--- Physical volumes ---")
            for name in vg.pvs:
                pv = m.pvs[name]
                free = pv.pe_count - m.pv_alloc_count(pv)
                out += [f"PV Name               {pv.name}     ", f"PV UUID               {pv.uuid}",
                        "PV Status             allocatable",
                        f"Total PE / Free PE    {pv.pe_count} / {free}", " "]
    if errors:
        raise Failed(*errors, stdout=lines(*out))
    return lines(*out)


def lv_full(m: LvmModel, vg: VolumeGroup, lv: LogicalVolume) -> list[str]:
    opened = lv.full_name in m.open_lvs()
    origin = vg.lv(lv.origin) if lv.origin else None
    snaps = [s for s in vg.lvs if s.origin == lv.name]
    out = ["--- Logical volume ---", f"LV Path                {lv.path}",
           f"LV Name                {lv.name}", f"VG Name                {vg.name}",
           f"LV UUID                {lv.uuid}", "LV Write Access        read/write",
           f"LV Creation host, time {lv.host}, {lv.created}"]
    if snaps:
        out.append("LV snapshot status     source of")
        out += [f"                       {s.name} [{'active' if s.active else 'INACTIVE'}]"
                for s in snaps]
    elif origin is not None:
        out.append(f"LV snapshot status     {'active' if lv.active else 'INACTIVE'} "
                   f"destination for {origin.name}")
    out.append(f"LV Status              {'' if lv.active else 'NOT '}available")
    if lv.active:
        out.append(f"# open                 {1 if opened else 0}")
    shown = origin or lv
    out += [f"LV Size                {_size(shown.size_bytes)}",
            f"Current LE             {shown.extents}"]
    if origin is not None:
        out += [f"COW-table size         {_size(lv.size_bytes)}",
                f"COW-table LE           {lv.extents}"]
        if lv.active:
            out.append("Allocated to snapshot  0.00%")
        out.append(f"Snapshot chunk size    {_size(lv.chunk_size)}")
    out += [f"Segments               {len(lv.segments)}", "Allocation             inherit",
            "Read ahead sectors     auto"]
    if lv.active:
        out += ["- currently set to     256", f"Block device           254:{lv.minor}"]
    return out + [" "]


def lv_colon(m: LvmModel, lv: LogicalVolume) -> str:
    opened = 1 if lv.full_name in m.open_lvs() else 0
    k = (f"1:-1:{opened}" if lv.active else "0:-1:0")
    dev = f"254:{lv.minor}" if lv.active else "-1:-1"
    return (f"{lv.path}:{lv.vg}:3:{k}:{lv.size_bytes // SECTOR}:{lv.extents}:-1:0:-1:"
            f"{dev}")


@lvm_command
def lvdisplay(call: Call, a: Args) -> str:
    a = parse("lvdisplay", a.positional, DISPLAY)
    m = model(call)
    errors: list[str] = []
    chosen: list[tuple[VolumeGroup, LogicalVolume]] = []
    for vg in display_order(m):
        for lv in vg.lvs:
            chosen.append((vg, lv))
    if a.positional:
        keep = []
        for n in a.positional:
            ref = n[len("/dev/"):] if n.startswith("/dev/") else n
            vg_name, _, lv_name = ref.partition("/")
            found = m.vg(vg_name)
            if found is None:
                errors += [f'Volume group "{vg_name}" not found',
                           f"Cannot process volume group {vg_name}"]
            elif lv_name and not found.lv(lv_name):
                errors.append(f'Failed to find logical volume "{vg_name}/{lv_name}"')
            keep += [(v, lv) for v, lv in chosen
                     if v.name == vg_name and (not lv_name or lv.name == lv_name)]
        chosen = keep
    if a.has("colon"):
        out = lines(*(lv_colon(m, lv) for _, lv in chosen))
    else:
        out = lines(*(line for vg, lv in chosen for line in lv_full(m, vg, lv)))
    if errors:
        raise Failed(*errors, stdout=out)
    return out


# -- the scan commands of the 2007 era (tools/pvscan.c, vgscan.c, lvscan.c) ------------------

@lvm_command
def pvscan(call: Call, a: Args) -> str:
    a = parse("pvscan", a.positional, {"-s": ("short", False), "--short": ("short", False),
                                        "--cache": ("cache", False)})
    m = model(call)
    pvs = _pvs_in_order(m)
    if not pvs:
        return lines("No matching physical volumes found")
    name_w = max(len(pv.name) for pv in pvs) + 2
    vg_w = max(len(pv.vg or "") for pv in pvs) + 2
    out, total, used, free = [], 0, 0, 0
    for pv in pvs:
        vg = m.vg(pv.vg) if pv.vg else None
        if vg is None:
            out.append(f"PV {pv.name:<{name_w}}    {' ':<{vg_w}} lvm2 [{_size(pv.dev_size)}]")
            total += pv.dev_size
            free += pv.dev_size
            continue
        size = pv.pe_count * vg.extent_size
        left = (pv.pe_count - m.pv_alloc_count(pv)) * vg.extent_size
        out.append(f"PV {pv.name:<{name_w}} VG {vg.name:<{vg_w}} lvm2 [{_size(size)} / "
                   f"{_size(left)} free]")
        total += size
        used += size
    orphans = [pv for pv in pvs if not pv.vg]
    out.append(f"Total: {len(pvs)} [{_size(total)}] / in use: {len(pvs) - len(orphans)} "
               f"[{_size(used)}] / in no VG: {len(orphans)} [{_size(free)}]")
    return lines(*out)


@lvm_command
def vgscan(call: Call, a: Args) -> str:
    parse("vgscan", a.positional, {"--mknodes": ("mknodes", False)})
    return lines(*(f'Found volume group "{vg.name}" using metadata type lvm2'
                   for vg in display_order(model(call))))


@lvm_command
def lvscan(call: Call, a: Args) -> str:
    parse("lvscan", a.positional, {"-a": ("all", False), "--all": ("all", False)})
    m = model(call)
    out = []
    for vg in display_order(m):
        for lv in vg.lvs:
            kind = "Snapshot" if lv.origin else "Original" if any(
                s.origin == lv.name for s in vg.lvs) else "        "
            state = "ACTIVE   " if lv.active else "inactive "
            out.append(f"{state}{kind} '{lv.path}' [{_size(lv.size_bytes)}] inherit")
    return lines(*out)
