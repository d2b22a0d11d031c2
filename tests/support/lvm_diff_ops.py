"""Random LVM operation sequences (create, extend, rename, remove; valid and invalid).

Deterministic for a seed. Names come from a small pool so duplicates, renames onto
existing names and removes of missing LVs happen often; each op is aimed at the
state the ones before it leave (followed on a scratch lab, so "dup" and
"onto-existing" really meet an existing LV). An op's ``variant`` says what it was
drawn to exercise; the answers are what the differential run compares::

    >>> [str(op) for op in random_sequences(7, 1)[0].ops][:1]     # doctest: +SKIP
    ['lvcreate -y -L 5M -n a fxdiff']
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from fxkit.lab.shell.interpreter import execute
from fxkit.lab.state import LabState

VG = "fxdiff"
MiB = 1024 ** 2
POOL = ("a", "b", "c", "lvol1")
# Refused names: lvm2 lib/misc/lvm-string.c (_validate_name, reserved prefixes and
# component strings) and the VG/LV length limit seen in tools/lvcreate.c.
BAD_NAMES = ("snapshot", "snapshot0", "pvmove1", "-x", "a/b", "x_mlog", "y_rimage_0", ".", "..",
             "a b", "x" * 128, "y" * 119, "z" * 125, "a*", "nov/a", "", "é")
ODD_NAMES = ("a.b", "a+b", "_x", "A", "a-b", "lvol", "lvol7", ".a")
CREATE_SIZES = ("-L 4M", "-L 5M", "-L 10m", "-L 1.5M", "-L 8192k", "-L 3s", "-L 0.01g",
                "-L 12M", "-L 40M", "-L 1G", "-L 0", "-l 1", "-l 3", "-l 7", "-l 16", "-l 30",
                "-l 0", "-l 100%FREE", "-l 50%FREE", "-l 30%VG", "-l 100%VG", "-l 10%PVS",
                "-l 10%LV", "-L 700b", "-L 1024b", "-L 4.0001M", "-L -4M")
EXTEND_SIZES = ("-L +4M", "-L +5M", "-L +1k", "-L +40M", "-L +1G", "-L 16M", "-L 30M",
                "-L 4M", "-L 100M", "-l +1", "-l +4", "-l +20", "-l 6", "-l 2", "-l 100%FREE",
                "-l +100%FREE", "-l +50%FREE", "-l 60%VG", "-l +0", "-l 100%VG", "-l +10%LV",
                "-L 1.5M", "-L -4M", "-l 0", "-L +0.5m", "-l +100%VG", "-l +30%LV", "-l 10%ORIGIN",
                "-l +50%F", "-L 4.5m")


@dataclass(frozen=True)
class Op:
    """One command as drawn: ``kind`` (the tool), ``variant`` (what it exercises), argv."""

    kind: str
    variant: str
    argv: tuple[str, ...]

    def for_profile(self, create_extra: tuple[str, ...]) -> tuple[str, ...]:
        """The argv with a profile's lvcreate options (e.g. ``-an -Zn``) before the VG."""
        if self.kind != "lvcreate" or not create_extra:
            return self.argv
        return (*self.argv[:-1], *create_extra, self.argv[-1])

    def __str__(self) -> str:
        return " ".join(self.argv)


@dataclass(frozen=True)
class Sequence:
    """Up to six ops run in order from the start state (VG ``fxdiff``, no LVs)."""

    index: int
    ops: tuple[Op, ...]

    def without(self, i: int) -> Sequence:
        return Sequence(self.index, self.ops[:i] + self.ops[i + 1:])

    def __str__(self) -> str:
        return "\n".join(str(op) for op in self.ops)


class _Gen:
    """Draws ops, each aimed at the state the previous ones left (run on a scratch lab)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.state = LabState(hostname="gen")
        self.state.lvm.devices.update({"/dev/gen0": 64 * MiB, "/dev/gen1": 32 * MiB})
        execute(self.state, ["vgcreate", "-s", "4M", VG, "/dev/gen0", "/dev/gen1"])

    @property
    def names(self) -> list[str]:
        vg = self.state.lvm.vg(VG)
        return [lv.name for lv in vg.lvs] if vg else []

    def draw(self, kind: str) -> Op:
        op: Op = getattr(self, kind)()
        execute(self.state, list(op.argv))
        return op

    def some_name(self, existing: bool, other_than: str = "") -> str:
        names = [n for n in self.names if n != other_than]
        if existing and names:
            return self.rng.choice(names)
        free = [n for n in POOL if n not in self.names]
        return self.rng.choice(free or list(POOL))

    def ref(self, name: str) -> str:
        mapper = f"/dev/mapper/{VG}-{name.replace('-', '--')}"
        return self.rng.choice((f"{VG}/{name}", f"{VG}/{name}", f"/dev/{VG}/{name}", mapper))

    def lvcreate(self) -> Op:
        r = self.rng
        size = r.choice(CREATE_SIZES).split()
        variant = r.choice(("ok", "ok", "ok", "plan", "dup", "bad-name", "noname"))
        if variant == "bad-name":
            name = r.choice(BAD_NAMES)
        elif variant == "ok" and r.random() < 0.15:
            name = r.choice(ODD_NAMES)      # valid, if unusual
        else:
            name = self.some_name(existing=variant == "dup")
        argv: tuple[str, ...]
        if variant == "plan":   # fxkit.lvm.plans.plan_lv_create's form
            argv = ("lvcreate", "--yes", "-n", name, "-l", str(r.randint(1, 8)), VG)
        elif variant == "noname":
            argv = ("lvcreate", "-y", *size, VG)
        else:       # the VG and the name in the spellings lvcreate accepts (and one it refuses)
            vg = r.choice((VG, VG, VG, f"/dev/{VG}", f"{VG}/"))
            named = r.choice((name, name, name, f"{VG}/{name}", f"/dev/{VG}/{name}"))
            argv = ("lvcreate", "-y", *size, "-n", named, vg)
        return Op("lvcreate", variant, argv)

    def lvextend(self) -> Op:
        r = self.rng
        variant = r.choice(("ok", "ok", "plan", "missing"))
        name = self.some_name(existing=variant != "missing") if variant != "missing" else \
            r.choice(("nope", *POOL))
        if variant == "plan":   # plan_lv_extend's form: an absolute extent count
            return Op("lvextend", variant, ("lvextend", "-l", str(r.randint(1, 12)),
                                            f"{VG}/{name}"))
        return Op("lvextend", variant, ("lvextend", "-y", *r.choice(EXTEND_SIZES).split(),
                                        self.ref(name)))

    def lvrename(self) -> Op:
        r = self.rng
        variant = r.choice(("ok", "ok", "onto-existing", "onto-existing", "bad-name", "missing"))
        old = self.some_name(existing=variant != "missing") if variant != "missing" else "nope"
        if variant == "bad-name":
            new = r.choice(BAD_NAMES)
        else:
            new = self.some_name(existing=variant == "onto-existing", other_than=old)
        form = r.randrange(3)
        argv: tuple[str, ...]
        if form == 0:
            argv = ("lvrename", "-y", r.choice((VG, f"/dev/{VG}")), old, new)
        elif form == 1:
            argv = ("lvrename", "-y", f"{VG}/{old}", f"{VG}/{new}")
        else:
            argv = ("lvrename", "-y", f"{VG}/{old}", new)
        return Op("lvrename", variant, argv)

    def lvremove(self) -> Op:
        r = self.rng
        variant = r.choice(("ok", "ok", "missing"))
        name = self.some_name(existing=True) if variant == "ok" else r.choice(("nope", *POOL))
        flag = r.choice(("-y", "-f"))            # plan_lv_remove uses -f
        refs = [self.ref(name)]
        if r.random() < 0.25:                    # several at once, some maybe missing
            refs.append(self.ref(r.choice(("nope", *POOL))))
        return Op("lvremove", variant, ("lvremove", flag, *refs))


KINDS = ("lvcreate", "lvcreate", "lvcreate", "lvextend", "lvextend", "lvrename", "lvrename",
         "lvremove")


def random_sequences(seed: int, count: int) -> list[Sequence]:
    """``count`` sequences of 1 to 6 ops, the same for the same ``seed``."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        gen = _Gen(rng)
        ops = []
        for _ in range(rng.randint(1, 6)):
            kind = rng.choice(KINDS)
            if kind != "lvcreate" and not gen.names and rng.random() < 0.75:
                kind = "lvcreate"       # mostly act on LVs that exist, sometimes on none
            ops.append(gen.draw(kind))
        out.append(Sequence(i, tuple(ops)))
    return out
