"""The LVM differential in a real dom0: sandboxed lvm2 with device-mapper, timed per tool.

``run_in_dom0(dom0, seed, count, say)`` sets up an lvm2 sandbox on loop devices in dom0
(its own lvm.conf: only the loops are scanned, locks and backups on tmpfs), runs the
sequences against the simulated lab with ``first_disagreement``, and returns a
``DiffRun``: the disagreement (shrunk) or None, the counts, and where the time went per
lvm2 tool (each batch result carries its command's own duration, measured in dom0).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from fxkit.host import Host
from support.argv_batch import BatchResult
from support.lvm2 import sandbox_config
from support.lvm_diff import LabFactory
from support.lvm_diff_compare import Disagreement, first_disagreement
from support.lvm_diff_hosts import Lvm2Runner, attach_loops, detach_loops
from support.lvm_diff_ops import VG, random_sequences

SANDBOX = "/run/fxdiff"
# Sequences per round trip: each batch reports progress, and a failure loses one batch.
CHUNK = 10


def sandbox_lvm_conf() -> str:
    """lvm2 in dom0 sees only the test's loop devices (fx's own VG is never scanned or
    touched), keeps its locks and metadata backups on tmpfs, and creates the /dev nodes of
    the LVs it activates itself rather than waiting for udev, which is slow under
    emulation. Device-mapper activation itself is the real thing."""
    return sandbox_config(SANDBOX, ["^/dev/loop[0-9]+$"], activation=True)


@dataclass
class DiffRun:
    """What one differential run did and found."""

    found: Disagreement | None = None
    sequences: int = 0
    ops: int = 0
    commands: int = 0
    round_trips: int = 0
    probe: str = ""
    seconds: float = 0.0
    by_tool: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def record(self, results: list[BatchResult]) -> None:
        self.round_trips += 1
        self.commands += len(results)
        for r in results:
            self.by_tool[r.argv[0]].append(r.seconds)

    def timing_lines(self) -> list[str]:
        """Per tool: commands, seconds in dom0, mean; then the round trips' share."""
        inside = sum(sum(v) for v in self.by_tool.values())
        lines = [f"{tool:<9} {len(v):>4} x {sum(v) / len(v):5.2f} s = {sum(v):6.1f} s"
                 for tool, v in sorted(self.by_tool.items(), key=lambda kv: -sum(kv[1]))]
        lines.append(f"in dom0 {inside:.0f} s of {self.seconds:.0f} s "
                     f"({self.round_trips} round trips)")
        return lines


def run_in_dom0(dom0: Host, seed: int, count: int,
                say: Callable[[str], None] = lambda message: None) -> DiffRun:
    """Run ``count`` sequences from ``seed`` in ``dom0`` against the lab; see the docstring."""
    run = DiffRun()
    env = {"LVM_SYSTEM_DIR": f"{SANDBOX}/etc"}
    dom0.run(["mkdir", "-p", *(f"{SANDBOX}/{d}" for d in ("etc", "lock", "backup", "archive"))])
    dom0.write_file(f"{SANDBOX}/etc/lvm.conf", sandbox_lvm_conf())
    loops = attach_loops(dom0, directory=SANDBOX)      # backing files on tmpfs: fast I/O
    started = time.monotonic()
    try:
        real = Lvm2Runner(dom0, loops, profile="dm", env=env, chunk=CHUNK, timeout=300,
                          progress=lambda done, total: say(f"  {done}/{total} sequences"),
                          on_results=run.record)
        real.setup()
        seqs = random_sequences(seed, count)
        run.sequences, run.ops = len(seqs), sum(len(s.ops) for s in seqs)
        run.found = first_disagreement(seqs, LabFactory(), real)
        run.seconds = time.monotonic() - started
        dom0.run(["env", f"LVM_SYSTEM_DIR={SANDBOX}/etc", "lvcreate", "-y", "-L", "4M", "-n",
                  "probe", VG])
        run.probe = dom0.run(["dmsetup", "info", "-c", "--noheadings", "-o", "name",
                              f"{VG}-probe"]).stdout.strip()
        return run
    finally:
        dom0.run(["env", f"LVM_SYSTEM_DIR={SANDBOX}/etc", "vgremove", "-f", VG], check=False)
        detach_loops(dom0, loops, directory=SANDBOX)
        dom0.run(["rm", "-rf", SANDBOX], check=False)
