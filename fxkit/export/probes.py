"""A step's re-check as a command: what lets an exported plan skip a step already done.

fxkit re-checks a step with Python (``Step.needed``). An exported playbook or script
needs the same question as a command: ``probe(step)`` reads the step's argv and returns
a ``Probe`` whose answer says "already done" (an LV that exists, a filesystem of that
type). A step re-checked in a way no probe covers is refused, never exported without
its check: the exported form must stay safe to run twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fxkit.errors import InvalidRequest

if TYPE_CHECKING:
    from fxkit.export.shapes import StepShape


@dataclass(frozen=True)
class Probe:
    """Run ``argv``: the step is already done when its exit status is 0 (``done_if_ok``)
    or not 0 (not ``done_if_ok``); with ``stdout``, when it printed exactly that; with
    ``contains`` (``lacks``), when its output holds (does not hold) that text."""

    argv: tuple[str, ...]
    done_if_ok: bool = True
    stdout: str | None = None
    contains: str | None = None
    lacks: str | None = None


# Steps that only read (a plan's closing check, e.g. `xl list NAME`): exported, they run
# every time but never count as a change, so a second run still reports changed=0.
_READS = {("xl", "list"), ("xm", "list")}


def reads_only(argv: tuple[str, ...]) -> bool:
    return tuple(argv[:2]) in _READS


def _after(argv: tuple[str, ...], flag: str) -> str | None:
    for i, word in enumerate(argv[:-1]):
        if word == flag:
            return argv[i + 1]
    return None


def _last_operand(argv: tuple[str, ...]) -> str:
    return argv[-1]


def probe(step: StepShape) -> Probe | None:
    """The probe for ``step``; None if it has no re-check (it always runs, as in fxkit)."""
    if step.needed is None:
        return None
    argv = step.argv or ()
    tool = argv[0].rsplit("/", 1)[-1] if argv else ""
    found = _PROBES.get(tool, lambda a: None)(argv) if argv else None
    if found is None:
        what = f"`{step.command}`"
        raise InvalidRequest(f"step {step.description!r} ({what}) is re-checked by fxkit "
                             "with Python code that has no exportable equivalent: export "
                             f"supports re-checks of {', '.join(sorted(_PROBES))}. Apply "
                             "this plan with fxkit instead")
    return found


def _lvcreate(argv: tuple[str, ...]) -> Probe | None:
    name = _after(argv, "-n") or _after(argv, "--name")
    return Probe(("lvs", f"{_last_operand(argv)}/{name}")) if name else None


def _mkfs(argv: tuple[str, ...]) -> Probe | None:
    tool = argv[0].rsplit("/", 1)[-1]
    fs = "swap" if tool == "mkswap" else tool.partition(".")[2]
    return Probe(("blkid", "-o", "value", "-s", "TYPE", _last_operand(argv)), stdout=fs) \
        if fs else None


def _ip(argv: tuple[str, ...]) -> Probe | None:
    """``ip link add|del|set`` in the forms fxkit's network plans write."""
    if argv[1:2] != ("link",) or len(argv) < 4:
        return None
    verb, rest = argv[2], argv[3:]
    # the device: after `name` (add) or `dev`, else the first word (`ip link del xenbr3`)
    dev = _after(rest, "name") if verb == "add" else _after(rest, "dev")
    dev = dev or (rest[0] if rest[0] not in ("link", "name", "dev") else None)
    if dev is None:
        return None
    show = ("ip", "-o", "link", "show", "dev", dev)
    if verb == "add":
        return Probe(show)
    if verb in ("del", "delete"):
        return Probe(show, done_if_ok=False)
    if verb != "set":
        return None
    up = (*show, "up")         # prints the device's line only while it is up
    if "master" in rest:
        return Probe(show, contains=f" master {_after(rest, 'master')} ")
    if "nomaster" in rest:
        return Probe(show, lacks=" master ")
    if rest[-1] == "up":
        return Probe(up, contains=f": {dev}")
    if rest[-1] == "down":
        return Probe(up, lacks=f": {dev}")
    return None


def _xl(argv: tuple[str, ...]) -> Probe | None:
    """``xl create /etc/xen/NAME.cfg`` (fxkit names a domU's config after it) and
    ``xl shutdown -w NAME``: done when ``xl list NAME`` finds (does not find) it."""
    if argv[1:2] == ("create",) and len(argv) == 3 and argv[2].endswith(".cfg"):
        name = argv[2].rsplit("/", 1)[-1].removesuffix(".cfg")
        return Probe((argv[0], "list", name))
    if argv[1:2] == ("shutdown",) and not argv[-1].startswith("-"):
        return Probe((argv[0], "list", argv[-1]), done_if_ok=False)
    return None


def _rm(argv: tuple[str, ...]) -> Probe | None:
    path = argv[-1]
    return Probe(("test", "-e", path), done_if_ok=False) if path.startswith("/") else None


_PROBES = {
    "lvcreate": _lvcreate,
    "lvremove": lambda a: Probe(("lvs", _last_operand(a)), done_if_ok=False),
    "vgcreate": lambda a: Probe(("vgs", next(w for w in a[1:] if not w.startswith("-")))),
    "vgremove": lambda a: Probe(("vgs", _last_operand(a)), done_if_ok=False),
    "pvcreate": lambda a: Probe(("pvs", _last_operand(a))),
    "mkfs.ext4": _mkfs, "mkfs.ext3": _mkfs, "mkfs.ext2": _mkfs, "mkswap": _mkfs,
    "ip": _ip, "xl": _xl, "xm": _xl, "rm": _rm,
}
