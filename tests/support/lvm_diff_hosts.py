"""The real side of the LVM differential test: lvm2 on a host, reset between sequences.

``Lvm2Runner`` drives VG ``fxdiff`` on given devices (a local ``Lvm2Sandbox``, or
loop devices in a remote dom0 from ``attach_loops``), in one ``python3`` batch per
call or per ``chunk``; ``ParallelRunner`` spreads a call over several sandboxes::

    real = Lvm2Runner(dom0, attach_loops(dom0), profile="dm", chunk=20,
                      progress=lambda done, total: print(done, "/", total))
    real.setup()
    d = first_disagreement(random_sequences(7, 200), LabFactory(), real)
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence as Seq
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from fxkit.errors import LabError
from fxkit.host import Host
from fxkit.lvm.state import read_lvm
from support.argv_batch import BatchResult, ReplayHost, run_batch
from support.lvm_diff import (
    EXTENT,
    PROFILES,
    READS,
    RESET,
    SIZES_MIB,
    Observation,
    Profile,
    check_reset,
    observe,
    run_direct,
    sequence_commands,
)
from support.lvm_diff_ops import VG, Sequence


@dataclass
class Lvm2Runner:
    """Real lvm2 on ``host``: VG ``fxdiff`` on ``devices``, reset between sequences.

    ``batch=True`` sends all of a call's commands in one ``python3`` round trip
    (``support.argv_batch``), or ``chunk`` sequences per round trip if set (a
    slow remote then reports progress to ``progress(done, total)``); ``env`` is added
    to the commands' environment (e.g. ``Lvm2Sandbox.env``); ``sudo`` runs them with
    ``sudo -n``.
    """

    host: Host
    devices: Seq[str]
    profile: Profile | str = "no_dm"
    env: dict[str, str] = field(default_factory=dict)
    sudo: bool = False
    batch: bool = True
    timeout: float = 120.0
    chunk: int = 0
    progress: Callable[[int, int], None] | None = None
    # sees every round trip's results (each with its own duration on the host)
    on_results: Callable[[list[BatchResult]], None] | None = None
    last_lvs: tuple[str, ...] | None = None     # what the last read showed (None: unknown)

    def __post_init__(self) -> None:
        if isinstance(self.profile, str):
            self.profile = PROFILES[self.profile]

    def _run(self, argvs: list[tuple[str, ...]]) -> list[BatchResult]:
        if self.batch:
            results = run_batch(self.host, argvs, env=self.env, sudo=self.sudo,
                                timeout=self.timeout)
        elif self.env:
            raise LabError("env needs batch=True (Host.run has no env); or export it first")
        else:
            results = run_direct(self.host, argvs, self.sudo)
        if self.on_results is not None:
            self.on_results(results)
        return results

    def setup(self) -> None:
        """Create VG ``fxdiff`` (4 MiB extents) on the devices; they must be unused."""
        r = self._run([("vgcreate", "-s", EXTENT, VG, *self.devices)])[0]
        if r.exit_status != 0:
            raise LabError(f"vgcreate {VG} on {', '.join(self.devices)} failed: {r.stderr}")
        self.last_lvs = ()

    def __call__(self, seqs: Seq[Sequence]) -> list[Observation]:
        size = self.chunk if self.chunk > 0 else max(1, len(seqs))
        out: list[Observation] = []
        for start in range(0, len(seqs), size):
            out += self._call(seqs[start:start + size])
            if self.progress is not None:
                self.progress(len(out), len(seqs))
        return out

    def _call(self, seqs: Seq[Sequence]) -> list[Observation]:
        prof = self.profile
        assert isinstance(prof, Profile)
        argvs: list[tuple[str, ...]] = []
        check_start = self.last_lvs is None
        for i, seq in enumerate(seqs):
            argvs += [RESET, *([*READS] if check_start and i == 0 else [])]
            argvs += sequence_commands(seq, prof, reset=False)
        results = self._run(argvs)
        out, pos = [], 0
        for i, seq in enumerate(seqs):
            check_reset(results[pos], self.last_lvs)
            pos += 1
            if check_start and i == 0:
                start = read_lvm(ReplayHost("start", results[pos:pos + len(READS)]))
                vg = start.vg(VG)
                if vg is None or vg.lv_count or vg.free_count != vg.extent_count:
                    raise LabError(f"after reset, {VG} is not empty: {vg}")
                pos += len(READS)
            n = len(seq.ops) + len(READS)
            obs = observe(seq, prof, results[pos:pos + n], self.devices)
            pos += n
            self.last_lvs = obs.lv_names
            out.append(obs)
        return out


class ParallelRunner:
    """Splits each call's sequences over several runners (e.g. one per lvm2 sandbox).

    Real lvm2 spends most of a command's time waiting (AIO teardown), not computing,
    so a few sandboxes side by side finish a batch several times sooner.
    """

    def __init__(self, runners: Seq[Lvm2Runner]) -> None:
        self.runners = list(runners)
        self.profile = self.runners[0].profile

    def __call__(self, seqs: Seq[Sequence]) -> list[Observation]:
        n = len(self.runners)
        size = -(-len(seqs) // n) if seqs else 0
        chunks = [list(seqs[i * size:(i + 1) * size]) for i in range(n)]
        with ThreadPoolExecutor(n) as pool:
            parts = list(pool.map(lambda rc: rc[0](rc[1]) if rc[1] else [],
                                  zip(self.runners, chunks, strict=True)))
        return [obs for part in parts for obs in part]


def attach_loops(host: Host, sizes_mib: Seq[int] = SIZES_MIB, directory: str = "/var/tmp",
                 *, sudo: bool = False) -> list[str]:
    """Sparse files in ``directory`` on ``host`` attached as loop devices, in one round trip
    (for a remote dom0; here ``Lvm2Sandbox`` does it with its own lvm.conf)."""
    images = [f"{directory}/fxdiff-pv{i}.img" for i in range(len(sizes_mib))]
    cmds: list[Seq[str]] = []
    for image, size in zip(images, sizes_mib, strict=True):
        cmds += [("truncate", "-s", f"{size}M", image), ("losetup", "--find", "--show", image)]
    results = run_batch(host, cmds, sudo=sudo)
    bad = [r for r in results if r.exit_status != 0]
    if bad:
        raise LabError(f"{host.name}: `{' '.join(bad[0].argv)}` failed: {bad[0].stderr.strip()}")
    return [r.stdout.strip() for r in results[1::2]]


def detach_loops(host: Host, loops: Seq[str], directory: str = "/var/tmp", *,
                 sudo: bool = False) -> None:
    """Remove VG ``fxdiff`` and its PVs, detach ``loops`` and delete their files."""
    cmds: list[Seq[str]] = [("vgremove", "-f", "-y", VG), ("pvremove", "-f", "-y", *loops)]
    cmds += [("losetup", "-d", loop) for loop in loops]
    cmds += [("rm", "-f", f"{directory}/fxdiff-pv{i}.img") for i in range(len(loops))]
    run_batch(host, cmds, sudo=sudo)
