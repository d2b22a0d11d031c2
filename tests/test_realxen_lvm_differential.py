"""LVM on the simulated fx against real lvm2 with device-mapper, in the real lab's dom0.

The same random sequences as tests/test_lvm_differential.py (create, extend, rename,
remove; valid and refused), but with LVs really activated (profile ``dm``), on two loop
devices in dom0. fxkit's reads after each sequence, and the exit status and text of every
command, must match; the first disagreement is printed shrunk to a minimal sequence.

Every lvm2 command costs about a second of emulated CPU in dom0, so `make test` runs
``FXKIT_LVM_DIFF_REAL_COUNT`` sequences (default 40, about 300 commands); the issue's
200-sequence run is the same test with the count raised.
"""

from __future__ import annotations

import os
import time

import pytest
from support.lvm2 import sandbox_config
from support.lvm_diff import LabFactory
from support.lvm_diff_compare import first_disagreement
from support.lvm_diff_hosts import Lvm2Runner, attach_loops, detach_loops
from support.lvm_diff_ops import random_sequences

pytestmark = [pytest.mark.realxen, pytest.mark.slow, pytest.mark.timeout(5400)]
SEED = int(os.environ.get("FXKIT_LVM_DIFF_SEED", "20261126"))
COUNT = int(os.environ.get("FXKIT_LVM_DIFF_REAL_COUNT", "40"))
SANDBOX = "/run/fxdiff"
ENV = ("env", f"LVM_SYSTEM_DIR={SANDBOX}/etc")
# lvm2 in dom0 sees only the test's loop devices (so fx's own VG is never scanned or
# touched), keeps its locks and metadata backups on tmpfs, and creates the /dev nodes of
# the LVs it activates itself rather than waiting for udev, which is slow under emulation.
# Device-mapper activation itself is the real thing.
LVM_CONF = sandbox_config(SANDBOX, ["^/dev/loop[0-9]+$"], activation=True)


def test_sim_and_real_lvm2_with_device_mapper_agree(real_lab, monkeypatch, capsys) -> None:
    from fxkit.lab.real import real_host
    monkeypatch.setenv("FXKIT_LAB_DIR", str(real_lab.root))
    dom0 = real_host()
    dom0.run(["mkdir", "-p", *(f"{SANDBOX}/{d}" for d in ("etc", "lock", "backup", "archive"))])
    dom0.write_file(f"{SANDBOX}/etc/lvm.conf", LVM_CONF)
    loops = attach_loops(dom0, directory=SANDBOX)      # backing files on tmpfs: fast I/O
    started = time.monotonic()
    try:
        real = Lvm2Runner(dom0, loops, profile="dm", env={"LVM_SYSTEM_DIR": f"{SANDBOX}/etc"},
                          chunk=10, timeout=300, progress=lambda done, total: print(
                              f"  {done}/{total} sequences", flush=True))
        real.setup()
        found = first_disagreement(random_sequences(SEED, COUNT), LabFactory(), real)
        with capsys.disabled():
            print(f"\nLVM differential in the real dom0: seed {SEED}, {COUNT} sequences, "
                  f"{time.monotonic() - started:.0f} s, "
                  f"{'no disagreement' if found is None else 'DISAGREEMENT'}")
        assert found is None, str(found)
        # Activation was real: an LV created by the runner's profile is a dm device.
        dom0.run([*ENV, "lvcreate", "-y", "-L", "4M", "-n", "probe", "fxdiff"])
        assert dom0.run(["dmsetup", "info", "-c", "--noheadings", "-o", "name",
                         "fxdiff-probe"]).stdout.strip() == "fxdiff-probe"
    finally:
        dom0.run([*ENV, "vgremove", "-f", "fxdiff"], check=False)
        detach_loops(dom0, loops, directory=SANDBOX)
        dom0.run(["rm", "-rf", SANDBOX], check=False)
        dom0.close()
