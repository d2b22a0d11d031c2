"""Plans for domUs: create one from nothing (LVs, filesystems, config, start), remove it, lifecycle.

Every plan is made from fresh facts and re-made after it is applied (the
verification must find nothing left to do)::

    >>> spec = DomuSpec("mail", memory=256, bridges=("xenbr0",))
    >>> plan = plan_domu_create(read_domu_facts(fx), spec)   # doctest: +SKIP
    >>> plan.apply(fx)                                        # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from fxkit.errors import FxkitError, InvalidRequest, PreconditionFailed
from fxkit.lvm.facts import LvmFacts, read_facts
from fxkit.lvm.plans import plan_lv_create
from fxkit.lvm.plans_shrink import plan_lv_remove
from fxkit.lvm.sizes import parse_size, target_extents
from fxkit.net.state import read_net
from fxkit.plan import Plan, Step, keeps_facts
from fxkit.xen.domains import CONFIG_DIR
from fxkit.xen.domu import DomuFacts, DomuSpec
from fxkit.xen.domu_takeover import check_name_free, config_step, existing_lvs
from fxkit.xen.facts import XenFacts, read_xen
from fxkit.xen.macs import config_macs
from fxkit.xen.storage import disk_users, lv_ref_for_disk
from fxkit.xen.toolstack import Toolstack

if TYPE_CHECKING:
    from fxkit.host import Host

_NAME = re.compile(r"[a-z][a-z0-9-]{0,30}\Z")
def read_bridges(host: Host) -> frozenset[str]:
    return frozenset(b.name for b in read_net(host).bridges)


def lvm_facts_for(xen: XenFacts, lvm: LvmFacts) -> LvmFacts:
    """``lvm`` with the LVs each domU config names, from Xen facts already read."""
    return replace(lvm, users=disk_users(xen.configs, [d.name for d in xen.domus if d.alive]))


def read_domu_facts(host: Host, tool: str = "xl", *, sudo: bool = False) -> DomuFacts:
    """The facts for the domU plans; ``sudo=True`` runs the tools (and steps) via sudo."""
    xen = read_xen(host, tool, sudo=sudo)
    lvm = read_facts(host, filesystems=False, sudo=sudo)
    return DomuFacts(xen, lvm_facts_for(xen, lvm), read_bridges(host), sudo, tool)


def _reread(facts: DomuFacts) -> Callable[[Host], DomuFacts]:
    return lambda h: read_domu_facts(h, facts.tool, sudo=facts.sudo)


def _bytes(size: str | int) -> int:
    """Bytes from LVM size syntax (``4G``, ``512M``; MiB by default) or an int of bytes."""
    return size if isinstance(size, int) else parse_size(size, allow_sign=False).value


def validate_spec(spec: DomuSpec, facts: DomuFacts) -> list[str]:
    """Raise on anything that would make the domU fail; return warnings."""
    if not _NAME.match(spec.name):
        raise InvalidRequest(f"domU name {spec.name!r}: use 1-31 lower-case letters, digits "
                             "and '-', starting with a letter (it also names its LVs)")
    info = facts.xen.info
    if not 32 <= spec.memory <= (info.total_memory if info else 1 << 20):
        raise InvalidRequest(f"domU {spec.name}: memory {spec.memory} MiB is out of range; "
                             "give 32 MiB up to the host's total memory")
    if not 1 <= spec.vcpus <= (info.nr_cpus if info else 128):
        raise InvalidRequest(f"domU {spec.name}: {spec.vcpus} vcpus; give 1 up to the host's "
                             f"{info.nr_cpus if info else '?'} CPUs")
    root, swap = _bytes(spec.root_size), _bytes(spec.swap_size)
    if root < 128 * 1024**2 or swap < 16 * 1024**2:
        raise InvalidRequest(f"domU {spec.name}: root {spec.root_size} / swap {spec.swap_size} "
                             "too small; give at least 128M of root and 16M of swap")
    missing = sorted(set(spec.bridges) - facts.bridges)
    if missing:
        raise PreconditionFailed(f"domU {spec.name}: bridge(s) {', '.join(missing)} do not exist "
                                 f"on {facts.xen.info.host if info else 'the host'}; existing: "
                                 f"{', '.join(sorted(facts.bridges)) or 'none'}. Create the "
                                 "bridge first (fxkit net) or pick an existing one")
    others = {p: c for p, c in facts.xen.configs.items()
              if p != spec.config_path and c.name != spec.name}
    used = {mac: path for mac, path, _ in config_macs(others)}
    for mac in spec.vif_macs():
        if mac in used:
            raise PreconditionFailed(f"domU {spec.name}: MAC {mac} is already used in "
                                     f"{used[mac]}; two guests with one MAC confuse every "
                                     "switch. Drop macs= to get stable unique ones")
    warnings: list[str] = []
    running = facts.xen.domain(spec.name)
    if running is None and info is not None and spec.memory > info.free_memory:
        raise PreconditionFailed(f"domU {spec.name} needs {spec.memory} MiB but the host has "
                                 f"{info.free_memory} MiB free (xl info free_memory); lower "
                                 "memory= or shut another domU down")
    state = facts.lvm.lvm
    vg = state.vg(spec.vg)
    if vg is None:
        known = ", ".join(v.name for v in state.vgs) or "none"
        raise PreconditionFailed(f"domU {spec.name}: volume group {spec.vg} does not exist; "
                                 f"existing: {known}")
    sizes = ((spec.root_lv, root), (spec.swap_lv, swap))
    need = sum(target_extents(parse_size(f"{size}b"), extent_size=vg.extent_size).extents
               for lv, size in sizes if state.lv(f"{spec.vg}/{lv}") is None) * vg.extent_size
    if need > vg.free_bytes:
        raise PreconditionFailed(f"domU {spec.name}: its LVs need {need // 1024**2} MiB but VG "
                                 f"{spec.vg} has {vg.free_bytes // 1024**2} MiB free; shrink the "
                                 "sizes, free space or extend the VG (vgextend)")
    return warnings + existing_lvs(spec, facts, sizes)


@keeps_facts
def plan_domu_create(facts: DomuFacts, spec: DomuSpec) -> Plan:
    """LVs, filesystems, /etc/xen/NAME.cfg, start, check: only the steps still missing.

    Replacing an existing config (this domU's, or another file at its path) is a
    destructive step naming the file and what changes; the plan is then confirmed with
    the domU's name. A domU defined in another file, or an LV another domU's config names,
    is refused (``validate_spec``).
    """
    su, tool = facts.sudo, facts.tool
    path = spec.config_path
    check_name_free(facts, spec)
    warnings = validate_spec(spec, facts)
    steps: list[Step] = []
    sizes = {spec.root_lv: _bytes(spec.root_size), spec.swap_lv: _bytes(spec.swap_size)}
    for lv, size in sizes.items():
        if facts.lvm.lvm.lv(f"{spec.vg}/{lv}") is None:
            fs = spec.fs if lv == spec.root_lv else "swap"
            steps += plan_lv_create(facts.lvm, spec.vg, lv, f"{size}b", fs=fs).steps
    write, more = config_step(facts, spec)
    steps += [write] if write is not None else []
    warnings += more
    if facts.xen.domain(spec.name) is None:
        steps.append(_start_step(spec.name, path, tool, su))
    elif steps:
        warnings.append(f"{spec.name} is running: changes reach it at its next start")
    if steps:
        steps.append(_check_step(spec.name, tool, su))
    destroys = any(s.destroys for s in steps)
    return Plan(f"Create domU {spec.name}", steps, warnings,
                reason=f"{spec.name} already exists: LVs, config and domain are in place",
                replan=lambda h: plan_domu_create(_reread(facts)(h), spec),
                confirm_name=spec.name if destroys else None)


def _start_step(name: str, path: str, tool: str, su: bool) -> Step:
    return Step(f"Start {name} ({tool} create)", (tool, "create", path), sudo=su,
                needed=lambda h: Toolstack(h, tool, sudo=su).domain(name) is None)


def _check_step(name: str, tool: str, su: bool) -> Step:
    return Step(f"Check that {name} is listed as running", (tool, "list", name), sudo=su)


def _shutdown_step(name: str, tool: str, su: bool) -> Step:
    # `xl shutdown -w` can return while Xen still lists the domain as dying for a few
    # seconds (seen on the real lab); a create of the same name then fails, so the step
    # waits until the name has left the list.
    def gone(h: Host) -> bool:
        return Toolstack(h, tool, sudo=su).domain(name) is None
    return Step(f"Shut {name} down cleanly and wait until it is gone",
                (tool, "shutdown", "-w", name), timeout=300, sudo=su,
                needed=lambda h: not gone(h), settled=gone, if_stuck=(
                    f"{name} took the request but did not stop. Its OS may be hung, or may "
                    "have dropped the request: Linux drops one that comes while it is still "
                    f"booting. Look at its console (`{tool} console {name}`), then apply again "
                    f"to send a new request; if it is hung, `{tool} destroy {name}` pulls "
                    "the plug."))


def _read(host: Host, path: str) -> str | None:
    try:
        return host.read_file(path)
    except (OSError, FxkitError):
        return None


@keeps_facts
def plan_domu_remove(facts: DomuFacts, name: str, *, remove_disks: bool = True,
                     wipe: bool = False) -> Plan:
    """Shut the domU down, then (confirmed by name) delete its config and its LVs."""
    su, tool = facts.sudo, facts.tool
    found = facts.xen.config_for(name)
    path, config = found if found else (f"{CONFIG_DIR}/{name}.cfg", None)
    steps: list[Step] = []
    if facts.xen.domain(name) is not None:
        steps.append(_shutdown_step(name, tool, su))
    if config is not None:
        steps.append(Step(f"Delete {path}", ("rm", "-f", path), destroys=path, sudo=su))
    if remove_disks and config is not None:
        refs = dict.fromkeys(r for d in config.disks if (r := lv_ref_for_disk(d.path or "")))
        for ref in refs:
            if facts.lvm.lvm.lv(ref) is not None:
                # the steps above shut the domU down and delete its config first
                steps += plan_lv_remove(facts.lvm, ref.full_name, wipe=wipe,
                                        released_by=(config.name or name,)).steps
    return Plan(f"Remove domU {name}", steps, reason=f"{name} has no domain, config or disks",
                confirm_name=name,
                replan=lambda h: plan_domu_remove(_reread(facts)(h), name,
                                                  remove_disks=remove_disks, wipe=wipe))


@keeps_facts
def plan_domu_start(facts: DomuFacts, name: str) -> Plan:
    su, tool = facts.sudo, facts.tool
    if facts.xen.domain(name) is not None:
        return Plan(f"Start {name}", reason=f"{name} is already running")
    found = facts.xen.config_for(name)
    if found is None:
        raise PreconditionFailed(f"no config in {CONFIG_DIR} defines a domain named {name}; "
                                 f"write one first (plan_domu_create)")
    return Plan(f"Start {name}", [_start_step(name, found[0], tool, su),
                                  _check_step(name, tool, su)],
                replan=lambda h: plan_domu_start(_reread(facts)(h), name))


@keeps_facts
def plan_domu_shutdown(facts: DomuFacts, name: str) -> Plan:
    su, tool = facts.sudo, facts.tool
    if facts.xen.domain(name) is None:
        return Plan(f"Shut down {name}", reason=f"{name} is not running")
    return Plan(f"Shut down {name}", [_shutdown_step(name, tool, su)],
                replan=lambda h: plan_domu_shutdown(_reread(facts)(h), name))


@keeps_facts
def plan_domu_reboot(facts: DomuFacts, name: str) -> Plan:
    su, tool = facts.sudo, facts.tool
    before = facts.xen.domain(name)
    if before is None:
        raise PreconditionFailed(f"{name} is not running, so it cannot reboot; start it "
                                 "(plan_domu_start)")

    # `xl reboot` returns once the guest has taken the request. The old domain then shuts
    # down and leaves the list, and xl builds the guest again as a new domain (a new id),
    # paused until its devices are up: about 100 s on the real lab. The step waits for that.
    def rebooted(h: Host) -> bool:
        now = Toolstack(h, tool, sudo=su).domain(name)
        return now is not None and now.id != before.id and not now.paused

    def back(h: Host) -> Plan:     # verification: it must be listed again
        if Toolstack(h, tool, sudo=su).domain(name) is not None:
            return Plan(f"Reboot {name}")
        return Plan(f"Reboot {name}", [_check_step(name, tool, su)])
    return Plan(f"Reboot {name}",
                [Step(f"Reboot {name} and wait until it runs again as a new domain",
                      (tool, "reboot", name), sudo=su, settled=rebooted, settle_seconds=300)],
                replan=back)
