"""Plans for PVs and VGs: pvcreate, vgcreate, vgextend."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fxkit.errors import InvalidRequest, PreconditionFailed
from fxkit.lvm.facts import LvmFacts
from fxkit.lvm.names import validate_vg_name
from fxkit.lvm.sizes import human, parse_size
from fxkit.lvm.state import read_pvs
from fxkit.lvm.steps import pv_absent, vg_absent
from fxkit.plan import Plan, Step, keeps_facts

if TYPE_CHECKING:
    from fxkit.host import Host


def _devices(devices: list[str] | tuple[str, ...] | str) -> list[str]:
    devs = [devices] if isinstance(devices, str) else list(devices)
    if not devs:
        raise InvalidRequest("no device given: name at least one block device, e.g. /dev/sdb1")
    for d in devs:
        if not d.startswith("/dev/") or any(c.isspace() for c in d):
            raise InvalidRequest(f"{d!r} is not a block device path: write e.g. /dev/sdb1")
    return devs


def _pvcreate_steps(facts: LvmFacts, devs: list[str]) -> list[Step]:
    return [Step(f"Initialise {dev} as an LVM physical volume", ("pvcreate", dev),
                 sudo=facts.sudo, destroys=dev, needed=pv_absent(dev, facts.sudo))
            for dev in devs if facts.lvm.pv(dev) is None]


@keeps_facts
def plan_pv_create(facts: LvmFacts, devices: list[str] | str) -> Plan:
    """Make each device a PV (destructive: it confirms by device name)."""
    devs = _devices(devices)
    steps = _pvcreate_steps(facts, devs)
    return Plan(f"Initialise {', '.join(devs)} as PV", steps,
                reason="every device is already a PV",
                replan=lambda host: plan_pv_create(facts.reread(host), devs))


def _check_free(facts: LvmFacts, devs: list[str], vg: str) -> None:
    for dev in devs:
        pv = facts.lvm.pv(dev)
        if pv is not None and pv.vg and pv.vg != vg:
            raise PreconditionFailed(f"{dev} already belongs to VG {pv.vg}: it cannot join {vg}. "
                                     f"Pick another device, or move it out of {pv.vg} first "
                                     "(pvmove, vgreduce)")


@keeps_facts
def plan_vg_create(facts: LvmFacts, name: str, devices: list[str] | str, *,
                   extent_size: str | None = None) -> Plan:
    devs = _devices(devices)
    validate_vg_name(name, facts.dev_entries - {name} if facts.lvm.vg(name) else
                     facts.dev_entries)
    existing = facts.lvm.vg(name)
    if existing is not None:
        members = {p.name for p in facts.lvm.pvs if p.vg == name}
        if set(devs) <= members:
            return Plan(f"Create VG {name}", [], reason=f"VG {name} already exists on "
                        f"{', '.join(sorted(members))}",
                        replan=lambda host: plan_vg_create(facts.reread(host), name, devs,
                                                   extent_size=extent_size))
        raise PreconditionFailed(f"VG {name} already exists (on {', '.join(sorted(members))}); "
                                 "choose another name, or add devices with plan_vg_extend")
    _check_free(facts, devs, name)
    argv = ["vgcreate"]
    if extent_size:
        size = parse_size(extent_size, allow_sign=False).value
        if size < 1024 or size & (size - 1):
            raise InvalidRequest(f"extent size {extent_size!r} must be a power of 2, at least "
                                 "1 KiB (4M is lvm2's default)")
        argv += ["-s", f"{size // 1024}k"]
    steps = _pvcreate_steps(facts, devs)
    steps.append(Step(f"Create VG {name} on {', '.join(devs)}", (*argv, name, *devs),
                      sudo=facts.sudo, needed=vg_absent(name, facts.sudo)))
    return Plan(f"Create VG {name}", steps,
                replan=lambda host: plan_vg_create(facts.reread(host), name, devs,
                                                   extent_size=extent_size))


@keeps_facts
def plan_vg_extend(facts: LvmFacts, vg: str, devices: list[str] | str) -> Plan:
    devs = _devices(devices)
    vgf = facts.lvm.vg(vg)
    if vgf is None:
        raise PreconditionFailed(f"VG {vg!r} does not exist: create it with plan_vg_create")
    _check_free(facts, devs, vg)
    todo = [d for d in devs if not (facts.lvm.pv(d) and facts.lvm.pv(d).vg == vg)]  # type: ignore
    steps = _pvcreate_steps(facts, todo)
    if todo:
        su = facts.sudo

        def missing(h: Host) -> bool:
            members = {p.name for p in read_pvs(h, sudo=su) if p.vg == vg}
            return any(d not in members for d in todo)
        steps.append(Step(f"Add {', '.join(todo)} to VG {vg} (now {human(vgf.size_bytes)})",
                          ("vgextend", vg, *todo), sudo=facts.sudo,
                          needed=missing))
    return Plan(f"Extend VG {vg} with {', '.join(devs)}", steps,
                reason=f"{', '.join(devs)} already in VG {vg}",
                replan=lambda host: plan_vg_extend(facts.reread(host), vg, devs))
