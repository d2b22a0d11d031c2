"""Differential LVM test: the same op sequences on the simulated lab and on real lvm2.

Each sequence starts from VG ``fxdiff`` (4 MiB extents, no LVs); per op the exit
status, stdout and stderr are recorded, and at the end what ``fxkit.lvm.state.read_lvm``
reads. The real side (``support.lvm_diff_hosts``) resets the VG between sequences and
can send everything in one ``python3`` batch::

    loops = attach_loops(dom0)                              # 64 + 32 MiB loop devices
    real = Lvm2Runner(dom0, loops, profile="dm")            # batch=True by default
    real.setup()                                            # vgcreate fxdiff
    d = first_disagreement(random_sequences(1, 200), LabFactory(), real)
    print(d or "no disagreement")                           # d is already shrunk
    detach_loops(dom0, loops)

Observations are compared after device names become ``<pv0>``, ``<pv1>`` (loop
numbers differ from run to run and between the two sides).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from collections.abc import Sequence as Seq
from dataclasses import dataclass, field

from fxkit.errors import LabError
from fxkit.host import Host
from fxkit.lab.shell.interpreter import execute
from fxkit.lab.state import LabState
from fxkit.lvm.state import LV_FIELDS, PV_FIELDS, REPORT_ARGS, VG_FIELDS, read_lvm
from fxkit.testing.labstate import StateHost
from support.argv_batch import BatchResult, ReplayHost
from support.lvm_diff_ops import VG, Op, Sequence, random_sequences

MiB = 1024 ** 2
SIZES_MIB = (64, 32)
EXTENT = "4M"
READS = tuple((tool, *REPORT_ARGS, fields) for tool, fields in
              (("pvs", PV_FIELDS), ("vgs", VG_FIELDS), ("lvs", LV_FIELDS)))
RESET = ("lvremove", "-f", VG)


@dataclass(frozen=True)
class Profile:
    """How LVs are activated: ``no_dm`` (no device-mapper: ``-an -Zn``) or ``dm``."""

    name: str
    create_extra: tuple[str, ...]
    # stderr lines one side prints for reasons outside the model (see PROFILES)
    noise: tuple[str, ...] = ()
    # lv_attr characters 5-6 (active, open) are "XX" when lvm2 cannot ask device-mapper
    mask_state: bool = False


PROFILES = {
    # The sandbox's lvm.conf says activation = 0, so real lvm2 warns on every command;
    # the lab answers as a host with device-mapper and never prints that line.
    "no_dm": Profile("no_dm", ("-an", "-Zn"), noise=(
        "  WARNING: Activation disabled. No device-mapper interaction will be attempted.\n",),
        mask_state=True),
    "dm": Profile("dm", ()),
}


@dataclass(frozen=True)
class Step:
    argv: tuple[str, ...]
    exit_status: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Observation:
    """What one sequence did (per op) and what fxkit read at the end."""

    steps: tuple[Step, ...]
    pvs: tuple[tuple[object, ...], ...]
    vgs: tuple[tuple[object, ...], ...]
    lvs: tuple[tuple[object, ...], ...]
    lv_names: tuple[str, ...] = field(default=(), compare=False)


def sequence_commands(seq: Sequence, profile: Profile, *, reset: bool) -> list[tuple[str, ...]]:
    """The argvs for one sequence: [reset], its ops, then fxkit's three LVM reports."""
    ops = [op.for_profile(profile.create_extra) for op in seq.ops]
    return [*([RESET] if reset else []), *ops, *READS]


def device_normaliser(devices: Seq[str]) -> Callable[[str], str]:
    # Loop device numbers are whatever was free on the machine: name them by position.
    order = sorted(enumerate(devices), key=lambda t: -len(t[1]))

    def norm(text: str) -> str:
        for i, dev in order:
            text = text.replace(dev, f"<pv{i}>")
        return text
    return norm


def observe(seq: Sequence, profile: Profile, results: Seq[BatchResult],
            devices: Seq[str]) -> Observation:
    """Build an Observation from a sequence's op and report results (no reset)."""
    n = len(seq.ops)
    if len(results) != n + len(READS):
        raise LabError(f"sequence {seq.index}: {len(results)} results for {n} ops + reads")
    norm = device_normaliser(devices)

    def clean(text: str) -> str:
        for line in profile.noise:
            text = text.replace(line, "")
        return norm(text)
    steps = tuple(Step(tuple(norm(a) for a in r.argv), r.exit_status, clean(r.stdout),
                       clean(r.stderr)) for r in results[:n])
    state = read_lvm(ReplayHost("observed", results[n:]))
    pvs = tuple((norm(p.name), p.vg, p.pe_count, p.pe_alloc_count, p.size_bytes, p.free_bytes,
                 p.pe_start) for p in state.pvs if p.name in devices)
    vgs = tuple((v.name, v.extent_size, v.extent_count, v.free_count, v.size_bytes, v.free_bytes,
                 v.pv_count, v.lv_count) for v in state.vgs if v.name == VG)
    lvs = []
    for lv in state.lvs:
        if lv.vg != VG:
            continue
        attr = lv.attr.raw[:4] + ".." + lv.attr.raw[6:] if profile.mask_state else lv.attr.raw
        lvs.append((lv.full_name, lv.size_bytes, attr, norm(lv.path),
                    tuple((norm(s.pv), s.pe) for s in lv.segments)))
    return Observation(steps, pvs, vgs, tuple(lvs),
                       tuple(lv.name for lv in state.lvs if lv.vg == VG))


def run_direct(host: Host, argvs: Iterable[tuple[str, ...]], sudo: bool) -> list[BatchResult]:
    out = []
    for argv in argvs:
        r = host.run(argv, check=False, sudo=sudo)
        out.append(BatchResult(tuple(argv), r.exit_status, r.stdout, r.stderr, r.seconds))
    return out


def run_sequence(host: Host, seq: Sequence, profile: str | Profile = "no_dm", *,
                 devices: Seq[str], reset: bool = True, sudo: bool = False) -> Observation:
    """Run one sequence command by command on ``host`` (reset first unless told not to)."""
    prof = PROFILES[profile] if isinstance(profile, str) else profile
    results = run_direct(host, sequence_commands(seq, prof, reset=reset), sudo)
    if reset:
        check_reset(results[0], None)
    return observe(seq, prof, results[1:] if reset else results, devices)


def check_reset(r: BatchResult, expected: Seq[str] | None) -> None:
    if r.exit_status != 0:
        raise LabError(f"reset `{' '.join(r.argv)}` failed ({r.exit_status}): {r.stderr}")
    removed = sorted(line.split('"')[1] for line in r.stdout.splitlines()
                     if "successfully removed" in line)
    if expected is not None and removed != sorted(expected):
        raise LabError(f"reset removed {removed}, but the last read showed {sorted(expected)}: "
                       f"{VG} is not back to its start state")


# -- the two sides ----------------------------------------------------------------------

@dataclass(frozen=True)
class LabFactory:
    """Makes fresh lab hosts holding VG ``fxdiff`` on ``devices`` (sized like the real ones)."""

    sizes_mib: Seq[int] = SIZES_MIB
    devices: Seq[str] = ("/dev/loop0", "/dev/loop1")

    def __call__(self) -> Host:
        state = LabState(hostname="lab")
        state.lvm.devices.update({d: s * MiB for d, s in zip(self.devices, self.sizes_mib,
                                                              strict=True)})
        status, _, err = execute(state, ["vgcreate", "-s", EXTENT, VG, *self.devices])
        if status != 0:
            raise LabError(f"lab vgcreate {VG} failed: {err}")
        return StateHost(state)


lab_factory = LabFactory


class SimRunner:
    """Runs each sequence on a fresh lab host from ``factory``."""

    def __init__(self, factory: Callable[[], Host], profile: str | Profile = "no_dm") -> None:
        self.factory = factory
        self.profile = PROFILES[profile] if isinstance(profile, str) else profile

    def __call__(self, seqs: Seq[Sequence]) -> list[Observation]:
        out = []
        for seq in seqs:
            host = self.factory()
            out.append(observe(seq, self.profile, run_direct(
                host, sequence_commands(seq, self.profile, reset=False), False),
                getattr(self.factory, "devices", ())))
        return out


__all__ = ["PROFILES", "READS", "RESET", "LabFactory", "Observation", "Op", "Profile",
           "Sequence", "SimRunner", "lab_factory", "observe", "random_sequences", "run_sequence",
           "sequence_commands", "check_reset", "run_direct", "device_normaliser"]
