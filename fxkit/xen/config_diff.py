"""What replacing a domU's config would change, said in the words a reviewer checks.

``plan_domu_create`` uses it so that a plan that rewrites an existing config names, in its
destructive step, what the domU loses: its memory, its disks, its bridges (and so the
networks it reaches), its MAC addresses::

    >>> old = DomainConfig.parse("memory = 256\\nvif = [ 'bridge=xenbr1' ]\\n")
    >>> new = DomainConfig.parse("memory = 128\\nvif = [ 'bridge=xenbr0' ]\\n")
    >>> config_changes(old, new)
    ['memory 256 -> 128 MiB', 'bridges xenbr1 -> xenbr0']
"""

from __future__ import annotations

from fxkit.errors import ParseError
from fxkit.xen.config import DomainConfig
from fxkit.xen.storage import lv_ref_for_disk


def _disks(config: DomainConfig) -> tuple[list[str], list[str]]:
    """(what each disk is: an LV name or a path, the device the guest sees)."""
    try:
        disks = config.disks
    except ParseError:
        return ["(unreadable disk lines)"], []
    names = []
    for d in disks:
        ref = lv_ref_for_disk(d.path or "")
        names.append(ref.full_name if ref else (d.path or "(none)"))
    return names, [d.vdev or "?" for d in disks]


def _vifs(config: DomainConfig) -> tuple[list[str], list[str]]:
    try:
        vifs = config.vifs
    except ParseError:
        return ["(unreadable vif lines)"], []
    return [v.bridge_or_default for v in vifs], [v.mac_address or "random" for v in vifs]


def _show(items: list[str]) -> str:
    return ", ".join(items) or "none"


def config_changes(old: DomainConfig, new: DomainConfig) -> list[str]:
    """The differences that matter, old -> new; empty when only comments or layout differ."""
    out = []
    for label, a, b in (("memory", old.memory, new.memory), ("vcpus", old.vcpus, new.vcpus)):
        if a != b:
            out.append(f"{label} {a} -> {b}" + (" MiB" if label == "memory" else ""))
    (old_disks, old_vdevs), (new_disks, new_vdevs) = _disks(old), _disks(new)
    if old_disks != new_disks:
        out.append(f"disks {_show(old_disks)} -> {_show(new_disks)}")
    if old_vdevs != new_vdevs:
        out.append(f"guest devices {_show(old_vdevs)} -> {_show(new_vdevs)}")
    (old_br, old_macs), (new_br, new_macs) = _vifs(old), _vifs(new)
    if old_br != new_br:
        out.append(f"bridges {_show(old_br)} -> {_show(new_br)}")
    if old_macs != new_macs:
        out.append(f"MACs {_show(old_macs)} -> {_show(new_macs)}")
    if old.kernel != new.kernel:
        out.append(f"kernel {old.kernel or 'none'} -> {new.kernel or 'none'}")
    if not out and old.render("xl") != new.render("xl"):
        out.append("other settings or comments")
    return out


def dropped_disks(old: DomainConfig, new: DomainConfig) -> list[str]:
    """LVs the old config names and the new one does not (they stay, named by nothing)."""
    kept = set(_disks(new)[0])
    return [d for d in _disks(old)[0] if d not in kept and "/" in d and not d.startswith("/")]
