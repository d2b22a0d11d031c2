"""Compare lab and real observations; shrink a disagreeing sequence to a minimal one.

    d = first_disagreement(random_sequences(1, 200), LabFactory(), real)   # real: Lvm2Runner
    if d:
        print(d)      # the minimal sequence as argv lines, then both sides' answers
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence as Seq
from dataclasses import dataclass

from fxkit.host import Host
from support.lvm_diff import Observation, Profile, SimRunner
from support.lvm_diff_ops import Op, Sequence

Runner = Callable[[Seq[Sequence]], list[Observation]]
STATE = ("pvs", "vgs", "lvs")
_STATE_HEADS = {"pvs": "name, vg, pe_count, alloc, size, free, pe_start",
                "vgs": "name, extent_size, extents, free, size, free_bytes, pvs, lvs",
                "lvs": "full_name, size, attr, path, segments"}


@dataclass(frozen=True)
class Disagreement:
    """Where the lab and real lvm2 differ: at op ``step`` (or None: the state read at the end)."""

    sequence: Sequence
    profile: Profile
    step: int | None
    sim: Observation
    real: Observation

    @property
    def op(self) -> Op | None:
        return self.sequence.ops[self.step] if self.step is not None else None

    def __str__(self) -> str:
        lines = [f"LVM lab vs real lvm2 (profile {self.profile.name}), sequence "
                 f"#{self.sequence.index}, {len(self.sequence.ops)} op(s), from VG fxdiff "
                 "with no LVs:"]
        lines += [f"  {i}: {' '.join(op.for_profile(self.profile.create_extra))}"
                  for i, op in enumerate(self.sequence.ops)]
        if self.step is not None:
            lines.append(f"differs at op {self.step}:")
            for side, obs in (("lab ", self.sim), ("real", self.real)):
                s = obs.steps[self.step]
                lines.append(f"  {side}: exit {s.exit_status}")
                lines += [f"  {side} stdout| {x}" for x in s.stdout.splitlines()]
                lines += [f"  {side} stderr| {x}" for x in s.stderr.splitlines()]
        else:
            lines.append("every op answered alike; what fxkit reads afterwards differs:")
            for part in STATE:
                a, b = getattr(self.sim, part), getattr(self.real, part)
                if a != b:
                    lines.append(f"  {part} ({_STATE_HEADS[part]}):")
                    lines += [f"    lab : {row}" for row in a] or ["    lab : (none)"]
                    lines += [f"    real: {row}" for row in b] or ["    real: (none)"]
        return "\n".join(lines)


def compare(seq: Sequence, profile: Profile, sim: Observation,
            real: Observation) -> Disagreement | None:
    """The first op whose answer differs, else the end state if it differs, else None."""
    for i, (a, b) in enumerate(zip(sim.steps, real.steps, strict=True)):
        if a != b:
            return Disagreement(seq, profile, i, sim, real)
    if any(getattr(sim, p) != getattr(real, p) for p in STATE):
        return Disagreement(seq, profile, None, sim, real)
    return None


def _same_fault(a: Disagreement, b: Disagreement) -> bool:
    return a.op == b.op if a.step is not None and b.step is not None else a.step == b.step


def shrink(found: Disagreement, sim: Runner, real: Runner) -> Disagreement:
    """Drop ops while the same disagreement persists (the same op, or the end state).

    Each round runs every one-op-shorter candidate in one call per side (one batch
    on a slow remote) and keeps the first that still disagrees; it stops when no
    op can go, so every op left is needed.
    """
    best = found
    while len(best.sequence.ops) > 1:
        cands = [best.sequence.without(i) for i in range(len(best.sequence.ops))]
        for cand, s, r in zip(cands, sim(cands), real(cands), strict=True):
            d = compare(cand, best.profile, s, r)
            if d is not None and _same_fault(d, best):
                best = d
                break
        else:
            break
    return best


def first_disagreement(sequences: Seq[Sequence], sim_factory: Callable[[], Host],
                       real_runner: Runner, *, minimise: bool = True) -> Disagreement | None:
    """Run ``sequences`` on both sides; the first disagreement (shrunk), or None.

    ``real_runner`` takes a list of sequences and returns their observations (an
    ``Lvm2Runner``); its ``profile`` is used on the lab side too.
    """
    profile = getattr(real_runner, "profile", "no_dm")
    sim = SimRunner(sim_factory, profile)
    reals = real_runner(sequences)
    for seq, r in zip(sequences, reals, strict=True):
        d = compare(seq, sim.profile, sim([seq])[0], r)
        if d is not None:
            return shrink(d, sim, real_runner) if minimise else d
    return None
