"""LV plans that shrink or remove: lvreduce (filesystem first), snapshots, lvremove."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from fxkit.errors import InvalidRequest, PreconditionFailed
from fxkit.lvm.facts import LvmFacts
from fxkit.lvm.names import parse_lv_ref, validate_lv_name
from fxkit.lvm.sizes import human, target_extents
from fxkit.lvm.steps import (
    EXT_FS,
    extents_now,
    fs_now,
    lv_absent,
    lv_of,
    lv_present,
    parse_size_request,
    wipe_steps,
)
from fxkit.plan import Plan, Step, keeps_facts

if TYPE_CHECKING:
    from fxkit.host import Host


def _in_use(facts: LvmFacts, full: str, action: str, released: frozenset[str] = frozenset()
            ) -> None:
    lv = facts.lvm.lv(full)
    running = facts.require_users(full, action).running.get(full, ())
    users = [u for u in running if u not in released]
    if users:
        raise PreconditionFailed(f"cannot {action} {full}: it is a disk of the running domU "
                                 f"{', '.join(users)}. Shut it down first (xl shutdown -w NAME)")
    if lv is not None and lv.attr.open and not running:
        raise PreconditionFailed(f"cannot {action} {full}: it is open (mounted in dom0, or used "
                                 "by a domain fxkit does not know). Unmount it or stop its user")


@keeps_facts
def plan_lv_reduce(facts: LvmFacts, ref: str, size: str | int) -> Plan:
    """Shrink an LV; an ext filesystem is checked and shrunk first. Needs confirm="vg/lv"."""
    lv = lv_of(facts, ref)
    full, vg = lv.full_name, facts.lvm.vg(lv.vg)
    assert vg is not None
    cur = facts.lvm.extents(lv)
    want = target_extents(parse_size_request(size), extent_size=vg.extent_size, current=cur,
                          vg_extents=vg.extent_count, vg_free=vg.free_count)
    if want.extents > cur:
        raise InvalidRequest(f"{full} is {human(lv.size_bytes)}; {size!r} would grow it: use "
                             "plan_lv_extend")
    if want.extents <= 0:
        raise InvalidRequest(f"{size!r} leaves {full} with no extents: remove it instead")
    target = want.extents * vg.extent_size
    path, su, extent = lv.path, facts.sudo, vg.extent_size
    steps: list[Step] = []
    warnings = [want.note] if want.note else []
    info = facts.fs(lv)
    if want.extents < cur:
        _in_use(facts, full, "shrink")
        if info is not None and info.type in EXT_FS:
            def big(h: Host) -> bool:
                i = fs_now(h, path, su, size=True)
                return i is not None and (i.size_bytes or 0) > target
            steps += [Step(f"Check the filesystem on {full} before shrinking it",
                           ("e2fsck", "-f", "-y", path), sudo=su, needed=big, timeout=3600),
                      Step(f"Shrink the filesystem on {full} to {human(target)}",
                           ("resize2fs", path, f"{target // 1024}K"), sudo=su,
                           needed=big, timeout=3600)]
        elif info is not None and info.type == "swap":
            warnings.append(f"{full} holds swap: it is re-made (mkswap) at the new size; its "
                            "UUID changes, check /etc/fstab inside the guest")
        elif info is None:
            warnings.append(f"no filesystem found on {full}: whatever lies beyond "
                            f"{human(target)} is lost")
        steps.append(Step(f"Shrink LV {full} from {human(lv.size_bytes)} to {human(target)}",
                          ("lvreduce", "-f", "-l", str(want.extents), full), destroys=full,
                          sudo=su, needed=lambda h: (extents_now(h, full, extent, su) or 0)
                          > want.extents))
        if info is not None and info.type == "swap":
            steps.append(Step(f"Re-make swap on {full}", ("mkswap", lv.path), sudo=facts.sudo))
    return Plan(f"Reduce {full} to {human(target)}", steps, warnings,
                reason=f"{full} is already {human(target)}",
                replan=lambda host: plan_lv_reduce(facts.reread(host), full, want.extents))


@keeps_facts
def plan_snapshot_create(facts: LvmFacts, ref: str, name: str, size: str | int) -> Plan:
    """A snapshot of ``ref`` named ``name``, with ``size`` of copy-on-write space."""
    origin = lv_of(facts, ref)
    vg = facts.lvm.vg(origin.vg)
    assert vg is not None
    validate_lv_name(name, vg.name)
    if origin.attr.is_snapshot:
        raise InvalidRequest(f"{origin.full_name} is itself a snapshot: snapshot its origin "
                             f"{origin.vg}/{origin.origin} instead")
    full = f"{vg.name}/{name}"
    existing = facts.lvm.lv(full)
    want = target_extents(parse_size_request(size, allow_sign=False),
                          extent_size=vg.extent_size, vg_extents=vg.extent_count,
                          vg_free=vg.free_count)
    steps: list[Step] = []
    if existing is not None:
        if existing.origin != origin.name:
            raise PreconditionFailed(f"an LV named {full} already exists and is not a snapshot "
                                     f"of {origin.full_name}: choose another name")
    else:
        if want.extents > vg.free_count:
            raise PreconditionFailed(f"VG {vg.name} has {vg.free_count} free extents; the "
                                     f"snapshot needs {want.extents}: ask for less COW space")
        steps.append(Step(f"Snapshot {origin.full_name} as {full} "
                          f"({human(want.extents * vg.extent_size)} of change space)",
                          ("lvcreate", "-s", "-n", name, "-l", str(want.extents),
                           origin.full_name), sudo=facts.sudo,
                          needed=lv_absent(full, facts.sudo)))
    warnings = [want.note] if want.note else []
    warnings.append("a snapshot becomes invalid once its change space fills up: remove it "
                    "(plan_snapshot_remove) when the risky change is over")
    return Plan(f"Snapshot {origin.full_name} as {full}", steps, warnings,
                reason=f"snapshot {full} already exists",
                replan=lambda host: plan_snapshot_create(facts.reread(host), origin.full_name,
                                                         name, want.extents))


@keeps_facts
def plan_snapshot_remove(facts: LvmFacts, ref: str) -> Plan:
    """Drop a snapshot (its origin keeps every change made since). Needs confirm="vg/snap"."""
    r = parse_lv_ref(ref)
    snap = facts.lvm.lv(r)
    if snap is None:
        return Plan(f"Remove snapshot {r.full_name}", [], reason=f"{r.full_name} does not exist",
                    replan=lambda host: plan_snapshot_remove(facts.reread(host), ref))
    if not snap.attr.is_snapshot:
        raise InvalidRequest(f"{snap.full_name} is not a snapshot: use plan_lv_remove")
    _in_use(facts, snap.full_name, "remove")
    step = Step(f"Remove snapshot {snap.full_name} (of {snap.vg}/{snap.origin})",
                ("lvremove", "-f", snap.full_name), destroys=snap.full_name, sudo=facts.sudo,
                needed=lv_present(snap.full_name, facts.sudo))
    return Plan(f"Remove snapshot {snap.full_name}", [step],
                replan=lambda host: plan_snapshot_remove(facts.reread(host), ref))


@keeps_facts
def plan_lv_remove(facts: LvmFacts, ref: str, *,
                   referenced_by: Mapping[str, Iterable[str]] | None = None,
                   wipe: bool = False, released_by: Iterable[str] = ()) -> Plan:
    """Remove an LV, refusing while any domU config names it (running or not), while it is
    open, or while it has snapshots. ``wipe=True`` zeroes it all first. Needs confirm="vg/lv".

    ``released_by`` names domUs that earlier steps of the same plan shut down and whose
    config they delete (``fxkit.xen.plans.plan_domu_remove``): their use does not block.
    """
    released = frozenset(released_by)
    r = parse_lv_ref(ref)
    lv = facts.lvm.lv(r)
    if lv is None:
        if facts.lvm.vg(r.vg) is None:
            raise PreconditionFailed(f"VG {r.vg!r} does not exist: nothing named {r.full_name}")
        return Plan(f"Remove LV {r.full_name}", [], reason=f"{r.full_name} does not exist",
                    replan=lambda host: plan_lv_remove(facts.reread(host), ref,
                                                       referenced_by=referenced_by))
    full = lv.full_name
    facts.require_users(full, "remove")
    facts = facts.with_references(referenced_by)
    if lv.attr.is_snapshot:
        return plan_snapshot_remove(facts, full)
    users = [u for u in facts.referenced_by.get(full, ()) if u not in released]
    if users:
        raise PreconditionFailed(
            f"{full} is a disk in the config of domU {', '.join(users)} (running or not): "
            "removing it would break that domain. Remove the disk line from its config "
            "(or the domain) first")
    _in_use(facts, full, "remove", released)
    snaps = facts.lvm.snapshots_of(lv)
    if snaps:
        raise PreconditionFailed(f"{full} has snapshots: {', '.join(s.name for s in snaps)}. "
                                 "Remove them first (plan_snapshot_remove)")
    steps: list[Step] = []
    if wipe:
        if not lv.attr.active:
            raise InvalidRequest(f"{full} is not active, so it cannot be wiped: activate it "
                                 f"(lvchange -ay {full}) or remove it without wipe")
        wipe_step = wipe_steps(lv.path, full, lv.size_bytes, facts, None, lv.size_bytes)[-1]
        steps.append(replace(wipe_step, destroys=full, needed=lv_present(full, facts.sudo)))
    steps.append(Step(f"Remove LV {full} ({human(lv.size_bytes)})", ("lvremove", "-f", full),
                      destroys=full, sudo=facts.sudo, needed=lv_present(full, facts.sudo)))
    return Plan(f"Remove LV {full}", steps,
                replan=lambda host: plan_lv_remove(facts.reread(host), full,
                                                   referenced_by=referenced_by))
