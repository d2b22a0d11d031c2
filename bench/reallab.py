"""Benchmark 4: the real Xen lab started from its snapshot against a cold boot + provisioning.

In one run, on two throw-away lab dirs: first ``start_real(restore=False)`` (boot Xen and
dom0 under QEMU, wait for SSH and ``xl list``, provision fx; it then saves the snapshot,
timed apart), then ``reps`` restores into a fresh lab dir each (``start_real()`` from fresh
disks). Each start is timed from the call until a new SSH connection's ``xl list`` shows
titanic running, which is what a trainee waits for. The image build is not timed (it is
cached, and both paths need it).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from bench.common import Report, Row, Target, progress

RESTORE_TARGET_RATIO = 10.0       # restore at least 10x faster than boot + provision
ANSWER_TARGET_SECONDS = 30.0      # SSH and `xl list` answering within 30 s of the command


def missing() -> str | None:
    """Why the real lab cannot run here (see tests/support/labs.py for the same checks)."""
    import os
    for tool in ("qemu-system-x86_64", "qemu-img", "debootstrap", "ssh"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if os.geteuid() != 0:
        return "building the real lab's image needs root"
    return None


def answered(lab: Path, started: float) -> float:
    """Seconds from ``started`` until a new SSH connection's `xl list` shows titanic."""
    from fxkit.lab.real import real_host
    from fxkit.lab.real.provision import GUEST
    from fxkit.xen.domains import parse_list
    host = real_host(lab=lab)
    try:
        listing = host.run(["xl", "list"], timeout=120).stdout
    finally:
        host.close()
    if GUEST not in {d.name for d in parse_list(listing)}:
        raise RuntimeError(f"the started real lab does not run {GUEST}: {listing!r}")
    return time.perf_counter() - started


def run(reps: int = 3, quick: bool = False) -> Report:
    from fxkit.lab.real import build_image, reset_real, start_real
    rep = Report("Real Xen lab: start from the snapshot vs cold boot + provisioning")
    if quick or (why := missing()):
        rep.skipped["real lab"] = "--quick (minutes of both cores)" if quick else why or ""
        return rep
    build_image(progress=lambda message: None)
    said: list[str] = []
    labs = [Path(tempfile.mkdtemp(prefix="fxkit-bench-reallab-")) for _ in range(1 + reps)]
    try:
        started = time.perf_counter()
        cold = start_real(restore=False, how="bench (cold)", lab=labs[0], progress=said.append)
        saved = time.perf_counter() - started - (cold.boot_seconds or 0.0) \
            - (cold.provision_seconds or 0.0)
        check = time.perf_counter()
        answered(labs[0], check)
        # start_real saved the snapshot after provisioning: that is not part of a cold
        # start, so the row is boot + provisioning + one fresh `xl list` over SSH.
        cold_s = (cold.boot_seconds or 0.0) + (cold.provision_seconds or 0.0) \
            + (time.perf_counter() - check)
        reset_real(start=False, lab=labs[0])
        rep.rows.append(progress(Row("cold: boot + provision, until xl list answers", 1,
                                     [cold_s], "start",
                                     note=f"boot {cold.boot_seconds} s, provision "
                                          f"{cold.provision_seconds} s; saving the snapshot "
                                          f"took about {saved:.0f} s more (not counted)")))
        times, inner = [], []
        for lab in labs[1:]:
            started = time.perf_counter()
            info = start_real(how="bench (restore)", lab=lab, progress=said.append)
            times.append(answered(lab, started))
            inner.append(info.boot_seconds)
            if not info.restored_from:
                raise RuntimeError("start_real did not restore the snapshot it had just saved")
            reset_real(start=False, lab=lab)
        rep.rows.append(progress(Row("restore from snapshot, until xl list answers", 1,
                                     times, "start",
                                     note="restored in start_real: " +
                                     ", ".join(f"{t:.1f} s" for t in inner))))
    finally:
        for lab in labs:
            reset_real(start=False, lab=lab)          # kills its QEMU, if one still runs
            shutil.rmtree(lab, ignore_errors=True)
    cold_row, restore_row = rep.rows
    ratio = cold_row.median / restore_row.median
    rep.ratios["cold start / restore"] = ratio
    rep.targets.append(Target("restore speed-up over boot + provision (x)", ratio,
                              RESTORE_TARGET_RATIO, at_least=True))
    rep.targets.append(Target("restore: SSH and xl list answering (s)", max(restore_row.times),
                              ANSWER_TARGET_SECONDS, note="slowest restore"))
    rep.notes.append("progress: " + " | ".join(m for m in said if "restor" in m)[:600])
    return rep

