"""The LVM plans applied with the real lvm2 on loop devices, and on the lab, side by side.

This kernel has no device-mapper: LVs exist in metadata only (created ``-an -Zn``,
``lv_attr`` reads ``-wi-XX----``), so no step touches an LV's data here. The
filesystem, wipe and snapshot steps are covered on the lab
(tests/test_lvm_plans_lab.py); here lvm2 itself shows that snapshots need
device-mapper.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest
from support.lvm2 import Lvm2Sandbox, lvm2_missing_reason

from fxkit import connect
from fxkit.errors import ApplyFailed
from fxkit.host import Host
from fxkit.lab.shell.interpreter import execute
from fxkit.lab.state import LabState
from fxkit.lvm.facts import DiskUsers, read_facts
from fxkit.lvm.plans import plan_lv_create, plan_lv_extend
from fxkit.lvm.plans_shrink import plan_lv_reduce, plan_lv_remove, plan_snapshot_create
from fxkit.lvm.plans_vg import plan_vg_create, plan_vg_extend
from fxkit.lvm.state import read_lvm
from fxkit.testing.labstate import StateHost

pytestmark = pytest.mark.lvm2
MiB = 1024 ** 2
SIZES = [64, 64, 32]


@pytest.fixture
def lvm2(tmp_path, monkeypatch) -> Iterator[tuple[Host, list[str]]]:
    reason = lvm2_missing_reason()
    if reason:
        pytest.skip(reason)
    with Lvm2Sandbox.start(tmp_path, SIZES) as box:
        for key, value in box.env.items():
            monkeypatch.setenv(key, value)
        yield connect("local"), list(box.loops)
    assert not box.loops            # detached


def lab_with(devices: list[str]) -> StateHost:
    state = LabState(hostname="lab")
    state.lvm.devices.update({d: s * MiB for d, s in zip(devices, SIZES, strict=True)})
    return StateHost(state)


def run_sequence(host: Host, devs: list[str], *, real: bool) -> list[tuple]:
    """The same plans, in order; returns the LVM layout after each one."""
    def facts():
        return read_facts(host, users=DiskUsers())
    no_dm = {"activate": False, "zero": False} if real else {}
    layouts = []

    def snapshot() -> None:
        state = read_lvm(host)
        layouts.append((tuple((v.name, v.extent_count, v.free_count) for v in state.vgs),
                        tuple((lv.full_name, lv.size_bytes, lv.segments) for lv in state.lvs)))
    plan_vg_create(facts(), "vgt", devs[:2]).apply(host, confirm=devs[:2])
    snapshot()
    plan_lv_create(facts(), "vgt", "root", "40M", **no_dm).apply(host)
    plan_lv_create(facts(), "vgt", "swap", "-l 3", **no_dm).apply(host)
    snapshot()
    plan_lv_extend(facts(), "vgt/root", "+50M").apply(host)        # 50M rounds up to 52M
    snapshot()
    plan_lv_extend(facts(), "vgt/swap", "100%FREE").apply(host)
    snapshot()
    plan_vg_extend(facts(), "vgt", devs[2]).apply(host, confirm=devs[2])
    plan_lv_reduce(facts(), "vgt/root", "-l 5").apply(host, confirm="vgt/root")
    snapshot()
    plan_lv_remove(facts(), "vgt/swap").apply(host, confirm="vgt/swap")
    snapshot()
    return layouts


def test_plans_work_on_real_lvm2_and_match_the_lab(lvm2: tuple[Host, list[str]]) -> None:
    host, devs = lvm2
    real = run_sequence(host, devs, real=True)
    lab = run_sequence(lab_with(devs), devs, real=False)
    assert real == lab
    final = read_lvm(host)
    assert [lv.full_name for lv in final.lvs] == ["vgt/root"]
    assert final.lv("vgt/root").size_bytes == 5 * 4 * MiB      # "-l 5": absolute
    assert not final.lv("vgt/root").attr.state_known          # no device-mapper here


def test_replans_are_empty_on_real_lvm2(lvm2: tuple[Host, list[str]]) -> None:
    host, devs = lvm2
    facts = read_facts(host, users=DiskUsers())
    plan = plan_vg_create(facts, "vgt", devs[:1])
    plan.apply(host, confirm=devs[0])
    assert plan.replan(host).empty
    create = plan_lv_create(read_facts(host, users=DiskUsers()), "vgt", "data", "8M",
                            activate=False, zero=False)
    create.apply(host)
    assert create.replan(host).empty
    again = create.apply(host)
    assert not again.ran and again.skipped                     # lvcreate re-checked, skipped


def test_real_lvm2_refuses_snapshots_without_device_mapper(lvm2) -> None:
    host, devs = lvm2
    plan_vg_create(read_facts(host, users=DiskUsers()), "vgt", devs[:1]).apply(
        host, confirm=devs[0])
    plan_lv_create(read_facts(host, users=DiskUsers()), "vgt", "data", "8M", activate=False,
                   zero=False).apply(host)
    plan = plan_snapshot_create(read_facts(host, users=DiskUsers()), "vgt/data", "data-snap", "4M")
    with pytest.raises(ApplyFailed, match="without using device-mapper"):
        plan.apply(host)
    assert os.environ["LVM_SYSTEM_DIR"].endswith("etc")


# Commands typed against real lvm2 and the lab from the same empty start; reports leave
# out lv_attr/lv_active (XX without device-mapper) and random UUIDs.
SESSION = [
    "vgcreate vgx {a}", "pvcreate {b}", "pvcreate {b}", "vgextend vgx {b}", "vgextend vgx {b}",
    "lvcreate -an -L 4M -n x vgx", "lvcreate -an -Zn -L 5M -n y vgx",
    "lvcreate -an -Zn -l 100%FREE -n z vgx", "lvcreate -an -Zn -L 1G -n big vgx",
    "lvcreate -an -Zn -L 4M -n x vgx", "lvcreate -an -Zn -L 4M -n _mlogx vgx",
    "pvs", "vgs", "lvs -o lv_name,vg_name,lv_size,seg_count,devices --units b",
    "vgreduce vgx {b}", "lvremove -f vgx/z", "vgreduce vgx {b}", "pvremove {b}",
    "pvremove {c}", "lvrename vgx y y2", "lvrename vgx/y2 vgx/y3", "lvrename vgx nope z",
    "lvextend -l +1 vgx/y3", "lvextend -L 12M vgx/y3", "lvextend -L 4M vgx/y3",
    "lvreduce -f -L 4M vgx/y3", "lvresize -L 8M vgx/y3", "lvextend -L +1G vgx/y3",
    "lvs --reportformat json -o lv_name,lv_size,lv_path,lv_dm_path",
    "vgs --noheadings --separator : --units m", "pvdisplay -c", "vgdisplay vgx",
    "vgremove -f vgx", "vgs", "pvs",
]


def test_the_lab_answers_like_real_lvm2(lvm2) -> None:
    host, devs = lvm2
    state = LabState(hostname="lab")
    state.lvm.devices.update({d: s * MiB for d, s in zip(devs, SIZES, strict=True)})
    names = dict(zip("abc", devs, strict=True))
    noise = "  WARNING: Activation disabled. No device-mapper interaction will be attempted.\n"
    for line in SESSION:
        argv = line.format(**names).split()
        r = subprocess.run(["lvm", *argv], capture_output=True, text=True, env=dict(os.environ))
        real = (r.returncode, r.stdout, r.stderr.replace(noise, ""))
        lab = execute(state, argv)
        if argv[0] == "vgdisplay":   # UUIDs are random on the real side
            real = (real[0], real[1].rsplit("VG UUID", 1)[0], real[2])
            lab = (lab[0], lab[1].rsplit("VG UUID", 1)[0], lab[2])
        if argv[:2] == ["pvdisplay", "-c"]:
            real = (real[0], "".join(x.rsplit(":", 1)[0] for x in real[1].splitlines()), real[2])
            lab = (lab[0], "".join(x.rsplit(":", 1)[0] for x in lab[1].splitlines()), lab[2])
        assert lab == real, f"`{line}` differs"


def test_blkid_export_takes_several_devices_in_one_call(lvm2) -> None:
    # fxkit.lvm.facts.read_filesystems asks blkid about every active LV at once
    from fxkit.lvm.filesystems import parse_blkid_export_all
    host, loops = lvm2
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "fxroot", loops[0]], check=True)
    subprocess.run(["mkswap", loops[2]], check=True, capture_output=True)
    r = host.run(["blkid", "-o", "export", *loops], check=False, read_only=True)
    assert r.exit_status == 0
    found = parse_blkid_export_all(r.stdout)
    assert list(found) == [loops[0], loops[2]]        # loops[1] holds nothing: left out
    assert (found[loops[0]]["TYPE"], found[loops[0]]["LABEL"]) == ("ext4", "fxroot")
    assert found[loops[2]]["TYPE"] == "swap"
    none = host.run(["blkid", "-o", "export", loops[1]], check=False, read_only=True)
    assert none.exit_status == 2 and parse_blkid_export_all(none.stdout) == {}
