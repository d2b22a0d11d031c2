"""What a new domU may take over from the host: its name, its config file, its LVs.

``plan_domu_create`` must never silently replace what exists. A name another file already
defines is refused; a config at the domU's path that differs is replaced by a step that
DESTROYS it and says what changes (the plan is then confirmed with the domU's name); an LV
another domU's config names is refused; an LV under the domU's name that no config names
is taken only when it has the asked size (what an interrupted create leaves), and the plan
says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fxkit.errors import FxkitError, PreconditionFailed
from fxkit.lvm.sizes import parse_size, target_extents
from fxkit.plan import FileWrite, Step
from fxkit.xen.config_diff import config_changes, dropped_disks

if TYPE_CHECKING:
    from fxkit.host import Host
    from fxkit.xen.domu import DomuFacts, DomuSpec

MIB = 1024**2


def check_name_free(facts: DomuFacts, spec: DomuSpec) -> None:
    """Refuse a name that a config file other than the domU's own path defines."""
    defined = facts.xen.config_for(spec.name)
    if defined is not None and defined[0] != spec.config_path:
        raise PreconditionFailed(
            f"domU {spec.name} is already defined by {defined[0]}; fxkit would write a second "
            f"config, {spec.config_path}, for the same name. Edit {defined[0]}, or remove that "
            "domU first (plan_domu_remove), or choose another name")


def existing_lvs(spec: DomuSpec, facts: DomuFacts, sizes: tuple[tuple[str, int], ...]
                 ) -> list[str]:
    """Check the domU's LVs that exist already (see the module); return warnings."""
    state, warnings = facts.lvm.lvm, []
    vg = state.vg(spec.vg)
    for lv, size in sizes:
        have = state.lv(f"{spec.vg}/{lv}")
        if have is None or vg is None:
            continue
        ref = f"{spec.vg}/{lv}"
        users = facts.lvm.referenced_by.get(ref, ())
        others = [u for u in users if u != spec.name]
        mib = have.size_bytes // MIB
        if others:
            raise PreconditionFailed(
                f"domU {spec.name}: {ref} exists and the config of domU {', '.join(others)} "
                f"names it; a new domU must not share its disk. Choose another name, or "
                f"remove {', '.join(others)} first")
        wanted = target_extents(parse_size(f"{size}b"), extent_size=vg.extent_size).extents \
            * vg.extent_size
        if not users and have.size_bytes != wanted:
            raise PreconditionFailed(
                f"domU {spec.name}: {ref} exists already ({mib} MiB, {size // MIB} MiB asked) "
                f"and no domU config names it: it may hold someone's data. Look at it (lvs, "
                f"blkid /dev/{ref}); remove it (lvremove {ref}) if it is not needed, or "
                "choose another name")
        if not users:
            warnings.append(f"{ref} exists already ({mib} MiB) and no config names it: it "
                            f"becomes {spec.name}'s disk as it is, not formatted (left by an "
                            "interrupted create?)")
        elif have.size_bytes < size:
            warnings.append(f"{ref} exists with {mib} MiB (asked {size // MIB} MiB); kept as "
                            "is: grow it with an LV plan")
    return warnings


def config_step(facts: DomuFacts, spec: DomuSpec) -> tuple[Step | None, list[str]]:
    """The step writing the domU's config (None when it is already so), and warnings."""
    new = spec.config()
    text, path = new.render("xl"), spec.config_path
    current = facts.xen.configs.get(path)

    def needed(h: Host) -> bool:
        return _read(h, path) != text
    if current is None:
        return Step(f"Write {path}", write=FileWrite(path, text, 0o644), needed=needed), []
    if current.render("xl") == text:
        return None, []
    whose = ("its config" if current.name == spec.name
             else f"the config of domU {current.name or '(no name)'}")
    step = Step(f"Replace {path}, {whose} ({'; '.join(config_changes(current, new))})",
                write=FileWrite(path, text, 0o644), destroys=path, needed=needed)
    warnings = []
    if dropped := dropped_disks(current, new):
        warnings.append(f"{', '.join(dropped)}: named by the old {path} only; kept, but no "
                        "config names them any more")
    return step, warnings


def _read(host: Host, path: str) -> str | None:
    try:
        return host.read_file(path)
    except (OSError, FxkitError):
        return None
