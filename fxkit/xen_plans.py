"""Plans for domUs: create one from nothing (LVs, filesystems, config, start), remove it, lifecycle.

Every plan is made from fresh facts and re-made after it is applied (the
verification must find nothing left to do)::

    >>> spec = DomuSpec("mail", memory=256, bridges=("xenbr0",))
    >>> plan = plan_domu_create(connect("lab"), spec)        # doctest: +SKIP
    >>> plan.apply(host)                                      # doctest: +SKIP
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fxkit.errors import FxkitError, InvalidRequest, PreconditionFailed
from fxkit.plan import FileWrite, Plan, Step
from fxkit.xen import CONFIG_DIR, Toolstack, XenFacts, read_xen
from fxkit.xen_config import Comment, DomainConfig
from fxkit.xen_macs import XEN_OUI, config_macs, normalize_mac, stable_mac
from fxkit.xen_storage import (
    StorageFacts,
    lv_create_step,
    lv_for_path,
    lv_remove_step,
    lv_wipe_step,
    parse_size,
    read_storage,
    round_to_extents,
)

if TYPE_CHECKING:
    from fxkit.host import Host

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
FX_KERNEL = "/boot/vmlinuz-2.6.18-5-xen-amd64"
FX_RAMDISK = "/boot/initrd.img-2.6.18-5-xen-amd64"


@dataclass(frozen=True)
class DomuSpec:
    """What a new domU should be: memory in MiB, sizes like ``4G``, one vif per bridge."""

    name: str
    memory: int = 128
    vcpus: int = 1
    root_size: str | int = "4G"
    swap_size: str | int = "512M"
    vg: str = "lvm"
    bridges: tuple[str, ...] = ("xenbr0",)
    macs: tuple[str, ...] | None = None
    mac_prefix: str = XEN_OUI
    kernel: str | None = FX_KERNEL
    ramdisk: str | None = FX_RAMDISK
    vdev: str = "xvda"
    fs: str = "ext4"
    extra: dict[str, str | int] = field(default_factory=dict, hash=False)

    @property
    def root_lv(self) -> str:
        return f"{self.name}-root"

    @property
    def swap_lv(self) -> str:
        return f"{self.name}-swap"

    @property
    def config_path(self) -> str:
        return f"{CONFIG_DIR}/{self.name}.cfg"

    def vif_macs(self) -> list[str]:
        if self.macs is not None:
            if len(self.macs) != len(self.bridges):
                raise InvalidRequest(f"domU {self.name}: {len(self.macs)} MACs for "
                                     f"{len(self.bridges)} bridges; give one MAC per bridge "
                                     "or none (stable ones are derived from the name)")
            return [normalize_mac(m) for m in self.macs]
        return [stable_mac(self.name, i, self.mac_prefix) for i in range(len(self.bridges))]

    def config(self) -> DomainConfig:
        """The domU's config file, xl syntax (which xm reads too)."""
        c = DomainConfig([Comment(f" {self.name}: domU config written by fxkit")])
        if self.kernel:
            c.set("kernel", self.kernel)
            if self.ramdisk:
                c.set("ramdisk", self.ramdisk)
        else:
            c.set("bootloader", "pygrub")
        c.set("memory", self.memory)
        c.set("vcpus", self.vcpus)
        c.set("name", self.name)
        c.set("root", f"/dev/{self.vdev}1 ro")
        pairs = zip(self.vif_macs(), self.bridges, strict=True)
        c.set("vif", [f"mac={m}, bridge={b}" for m, b in pairs])
        c.set("disk", [f"phy:/dev/{self.vg}/{self.root_lv},{self.vdev}1,w",
                       f"phy:/dev/{self.vg}/{self.swap_lv},{self.vdev}2,w"])
        for key, value in self.extra.items():
            c.set(key, value)
        return c


@dataclass
class DomuFacts:
    """What the domU plans look at: Xen (domains, configs, info), LVM, bridge names.

    ``lvm`` holds ``fxkit.lvm_facts.LvmFacts`` when that module is installed: the LV
    steps then come from ``fxkit.lvm_plans.plan_lv_create``.
    """

    xen: XenFacts
    storage: StorageFacts
    bridges: frozenset[str]
    lvm: Any = None
    sudo: bool = False


def read_bridges(host: Host) -> frozenset[str]:
    try:
        from fxkit.net import read_net
        return frozenset(b.name for b in read_net(host).bridges)
    except ImportError:       # pragma: no cover - fxkit.net ships with fxkit
        return frozenset()


def read_lvm_facts(host: Host, sudo: bool = False) -> Any:
    try:
        from fxkit.lvm_facts import read_facts
    except ImportError:
        return None
    return read_facts(host, filesystems=False, xen=False, sudo=sudo)


def read_domu_facts(host: Host, tool: str = "xl", *, sudo: bool = False) -> DomuFacts:
    """The facts for the domU plans; ``sudo=True`` runs the tools (and steps) via sudo."""
    return DomuFacts(read_xen(host, tool, sudo=sudo), read_storage(host, sudo=sudo),
                     read_bridges(host), read_lvm_facts(host, sudo), sudo)


def lv_steps(facts: DomuFacts, vg: str, lv: str, size: int, fs: str) -> list[Step]:
    """Create ``vg/lv`` and its filesystem (``fs``: ext4 or swap): the LVM module's plan when
    available, else our own two steps."""
    if facts.lvm is not None:
        from fxkit.lvm_plans import plan_lv_create
        return list(plan_lv_create(facts.lvm, vg, lv, f"{size // 1024**2}m", fs=fs).steps)
    dev, su = f"/dev/{vg}/{lv}", facts.sudo
    mkfs = (Step(f"Make {vg}/{lv} a swap area", ("mkswap", dev), sudo=su) if fs == "swap" else
            Step(f"Make an {fs} filesystem on {vg}/{lv}", (f"mkfs.{fs}", dev), sudo=su))
    return [lv_create_step(vg, lv, size, sudo=su), mkfs]


def _facts(target: Host | DomuFacts, tool: str, sudo: bool) -> DomuFacts:
    return target if isinstance(target, DomuFacts) else read_domu_facts(target, tool, sudo=sudo)


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
    root, swap = parse_size(spec.root_size), parse_size(spec.swap_size)
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
    vg = facts.storage.vg(spec.vg)
    if vg is None:
        known = ", ".join(v.name for v in facts.storage.vgs) or "none"
        raise PreconditionFailed(f"domU {spec.name}: volume group {spec.vg} does not exist; "
                                 f"existing: {known}")
    need = sum(round_to_extents(size, vg.extent_size)
               for lv, size in ((spec.root_lv, root), (spec.swap_lv, swap))
               if facts.storage.lv(spec.vg, lv) is None)
    if need > vg.free:
        raise PreconditionFailed(f"domU {spec.name}: its LVs need {need // 1024**2} MiB but VG "
                                 f"{spec.vg} has {vg.free // 1024**2} MiB free; shrink the sizes, "
                                 "free space or extend the VG (vgextend)")
    for lv, size in ((spec.root_lv, root), (spec.swap_lv, swap)):
        have = facts.storage.lv(spec.vg, lv)
        if have is not None and have.size < size:
            warnings.append(f"{spec.vg}/{lv} exists with {have.size // 1024**2} MiB (asked "
                            f"{size // 1024**2} MiB); kept as is: grow it with an LV plan")
    return warnings


def plan_domu_create(target: Host | DomuFacts, spec: DomuSpec, *, tool: str = "xl",
        sudo: bool = False) -> Plan:
    """LVs, filesystems, /etc/xen/NAME.cfg, start, check: only the steps still missing."""
    facts = _facts(target, tool, sudo)
    su = facts.sudo
    warnings = validate_spec(spec, facts)
    steps: list[Step] = []
    sizes = {spec.root_lv: parse_size(spec.root_size), spec.swap_lv: parse_size(spec.swap_size)}
    for lv, size in sizes.items():
        if facts.storage.lv(spec.vg, lv) is None:
            steps += lv_steps(facts, spec.vg, lv, size, spec.fs if lv == spec.root_lv else "swap")
    text = spec.config().render("xl")
    path = spec.config_path
    current = facts.xen.configs.get(path)
    if current is None or current.render("xl") != text:
        steps.append(Step(f"Write {path}", write=FileWrite(path, text, 0o644),
                          needed=lambda h: _read(h, path) != text))
        if current is not None:
            warnings.append(f"{path} exists and differs; it will be replaced")
    if facts.xen.domain(spec.name) is None:
        steps.append(_start_step(spec.name, path, tool, su))
    elif steps:
        warnings.append(f"{spec.name} is running: changes reach it at its next start")
    if steps:
        steps.append(_check_step(spec.name, tool, su))
    return Plan(f"Create domU {spec.name}", steps, warnings,
                reason=f"{spec.name} already exists: LVs, config and domain are in place",
                replan=lambda h: plan_domu_create(h, spec, tool=tool, sudo=su))


def _start_step(name: str, path: str, tool: str, su: bool) -> Step:
    return Step(f"Start {name} ({tool} create)", (tool, "create", path), sudo=su,
                needed=lambda h: Toolstack(h, tool, sudo=su).domain(name) is None)


def _check_step(name: str, tool: str, su: bool) -> Step:
    return Step(f"Check that {name} is listed as running", (tool, "list", name), sudo=su)


def _shutdown_step(name: str, tool: str, su: bool) -> Step:
    return Step(f"Shut {name} down cleanly and wait until it is gone",
                (tool, "shutdown", "-w", name), timeout=300, sudo=su,
                needed=lambda h: Toolstack(h, tool, sudo=su).domain(name) is not None)


def _read(host: Host, path: str) -> str | None:
    try:
        return host.read_file(path)
    except (OSError, FxkitError):
        return None


def plan_domu_remove(target: Host | DomuFacts, name: str, *, remove_disks: bool = True,
                     wipe: bool = False, tool: str = "xl", sudo: bool = False) -> Plan:
    """Shut the domU down, then (confirmed by name) delete its config and its LVs."""
    facts = _facts(target, tool, sudo)
    su = facts.sudo
    found = facts.xen.config_for(name)
    path, config = found if found else (f"{CONFIG_DIR}/{name}.cfg", None)
    steps: list[Step] = []
    if facts.xen.domain(name) is not None:
        steps.append(_shutdown_step(name, tool, su))
    if config is not None:
        steps.append(Step(f"Delete {path}", ("rm", "-f", path), destroys=path, sudo=su))
    if remove_disks and config is not None:
        for disk in config.disks:
            ref = lv_for_path(disk.path or "")
            if ref is None or facts.storage.lv(*ref) is None:
                continue
            users = [p for p, c in facts.xen.configs.items() if p != path
                     and any(lv_for_path(d.path or "") == ref for d in c.disks)]
            if users:
                raise PreconditionFailed(f"{ref[0]}/{ref[1]} is also used by {', '.join(users)};"
                                         f" removing {name} would break it. Remove with "
                                         "remove_disks=False or fix that config first")
            if wipe:
                steps.append(lv_wipe_step(*ref, sudo=su))
            steps.append(lv_remove_step(*ref, sudo=su))
    return Plan(f"Remove domU {name}", steps, reason=f"{name} has no domain, config or disks",
                replan=lambda h: plan_domu_remove(h, name, remove_disks=remove_disks,
                                                  wipe=wipe, tool=tool, sudo=su))


def plan_domu_start(target: Host | DomuFacts, name: str, *, tool: str = "xl",
                    sudo: bool = False) -> Plan:
    facts = _facts(target, tool, sudo)
    su = facts.sudo
    if facts.xen.domain(name) is not None:
        return Plan(f"Start {name}", reason=f"{name} is already running")
    found = facts.xen.config_for(name)
    if found is None:
        raise PreconditionFailed(f"no config in {CONFIG_DIR} defines a domain named {name}; "
                                 f"write one first (plan_domu_create)")
    return Plan(f"Start {name}", [_start_step(name, found[0], tool, su),
                                  _check_step(name, tool, su)],
                replan=lambda h: plan_domu_start(h, name, tool=tool, sudo=su))


def plan_domu_shutdown(target: Host | DomuFacts, name: str, *, tool: str = "xl",
                       sudo: bool = False) -> Plan:
    facts = _facts(target, tool, sudo)
    su = facts.sudo
    if facts.xen.domain(name) is None:
        return Plan(f"Shut down {name}", reason=f"{name} is not running")
    return Plan(f"Shut down {name}", [_shutdown_step(name, tool, su)],
                replan=lambda h: plan_domu_shutdown(h, name, tool=tool, sudo=su))


def plan_domu_reboot(target: Host | DomuFacts, name: str, *, tool: str = "xl",
                     sudo: bool = False) -> Plan:
    facts = _facts(target, tool, sudo)
    su = facts.sudo
    if facts.xen.domain(name) is None:
        raise PreconditionFailed(f"{name} is not running, so it cannot reboot; start it "
                                 "(plan_domu_start)")

    def back(h: Host) -> Plan:     # verification: it must be listed again
        if Toolstack(h, tool, sudo=su).domain(name) is not None:
            return Plan(f"Reboot {name}")
        return Plan(f"Reboot {name}", [_check_step(name, tool, su)])
    return Plan(f"Reboot {name}", [Step(f"Reboot {name}", (tool, "reboot", name), sudo=su)],
                replan=back)
