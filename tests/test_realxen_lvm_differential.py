"""LVM on the simulated fx against real lvm2 with device-mapper, in the real lab's dom0.

The same random sequences as tests/test_lvm_differential.py (create, extend, rename,
remove; valid and refused), but with LVs really activated (profile ``dm``), on loop
devices in dom0. fxkit's reads after each sequence, and the exit status and text of every
command, must match; the first disagreement is printed shrunk to a minimal sequence.

It runs as a background job (tests/support/labs_real.py) on a second real lab restored from
the snapshot, while the runbook tests use the main one; the test waits for its outcome.
``FXKIT_LVM_DIFF_REAL_COUNT`` sequences (default 40; `make test-deep` runs 400) are sent in
batches, one round trip per ``CHUNK`` sequences (support/lvm_diff_real.py says where the
time goes and what makes it shorter).
"""

from __future__ import annotations

import os

import pytest
from support.lvm_diff_real import run_in_dom0

SEED = int(os.environ.get("FXKIT_LVM_DIFF_SEED", "20261126"))
COUNT = int(os.environ.get("FXKIT_LVM_DIFF_REAL_COUNT", "40"))
LIMIT = 1800 + 60 * COUNT           # seconds; the job may have to wait for the main lab
pytestmark = [pytest.mark.realxen, pytest.mark.slow, pytest.mark.timeout(LIMIT)]


def lvm_differential(lab, say):
    """The job: ``COUNT`` sequences from ``SEED`` on the background lab's dom0."""
    from fxkit.lab.real import real_host
    dom0 = real_host(lab=lab.root)
    try:
        return run_in_dom0(dom0, SEED, COUNT, say)
    finally:
        dom0.close()


# idle: it needs no domU, so it can yield the CPU to the tests that start domUs (their
# hotplug scripts must finish within libxl's 40 s).
@pytest.mark.real_job.with_args(lvm_differential, idle=True)
def test_sim_and_real_lvm2_with_device_mapper_agree(real_jobs, capsys) -> None:
    outcome = real_jobs.outcome(lvm_differential, timeout=LIMIT)
    result = outcome.get()
    with capsys.disabled():
        print(f"\nLVM differential in the real dom0: seed {SEED}, {COUNT} sequences, "
              f"{result.ops} ops, {result.commands} lvm2 commands in {result.round_trips} "
              f"round trips, {outcome.seconds:.0f} s (restore included), "
              f"{'no disagreement' if result.found is None else 'DISAGREEMENT'}\n  "
              + "\n  ".join(result.timing_lines()))
    assert result.found is None, str(result.found)
    assert result.sequences == COUNT and result.commands >= result.ops + 4 * COUNT
    # Activation was real: an LV created by the runner's profile is a dm device.
    assert result.probe == "fxdiff-probe"
