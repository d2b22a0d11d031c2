"""LVM plans applied on the in-process lab (scenario fx): preconditions, steps, re-plans."""

from __future__ import annotations

import pytest

from fxkit.errors import ConfirmationRequired, InvalidRequest, PreconditionFailed
from fxkit.lab.store import build_state
from fxkit.lvm.facts import LvmFacts
from fxkit.lvm.plans import plan_lv_create, plan_lv_extend
from fxkit.lvm.plans_shrink import (
    plan_lv_reduce,
    plan_lv_remove,
    plan_snapshot_create,
    plan_snapshot_remove,
)
from fxkit.lvm.plans_vg import plan_vg_create, plan_vg_extend
from fxkit.lvm.state import LvAttr
from fxkit.testing.labstate import StateHost
from fxkit.xen.storage import read_lvm_facts as read_facts

GiB = 1024 ** 3


@pytest.fixture
def fx() -> StateHost:
    state = build_state("fx")
    state.lvm.devices.update({"/dev/sdb": 20 * GiB, "/dev/sdc": 10 * GiB})
    return StateHost(state)


def lab_lv(host: StateHost, full: str):  # the lab's own record, to check effects
    return host.state.lvm.resolve(full)


def test_facts_see_lab_lvs_filesystems_and_domu_references(fx: StateHost) -> None:
    facts = read_facts(fx)
    root = facts.lvm.lv("/dev/mapper/lvm-secours--root")
    assert root is not None and root.attr.open and root.attr.active
    assert facts.fs(root).type == "ext4" and facts.fs(root).size_bytes == 6 * GiB
    assert facts.referenced_by["lvm/secours-root"] == ("titanic",)
    assert facts.referenced_by["lvm/backup-root"] == ("backup",)     # stopped, still counted
    assert "lvm/backup-root" not in facts.running_users
    assert facts.running_users["lvm/web-swap"] == ("web",)


def test_create_with_wipe_and_ext4_then_replan_is_empty(fx: StateHost) -> None:
    plan = plan_lv_create(read_facts(fx), "lvm", "mail-root", "5G", fs="ext4", wipe=64)
    assert [s.argv[0] for s in plan.steps] == ["lvcreate", "dd", "mkfs.ext4"]
    assert plan.steps[1].argv == ("dd", "if=/dev/zero", "of=/dev/lvm/mail-root", "bs=1M",
                                  "count=64", "conv=fsync")
    outcome = plan.apply(fx)     # apply verifies with replan: raises unless it is empty
    assert outcome.changed and len(outcome.ran) == 3
    lv = lab_lv(fx, "lvm/mail-root")
    assert lv.size_bytes == 5 * GiB and lv.fs["type"] == "ext4"
    assert lv.wipes[0]["bytes"] == 64 * 2**20
    assert plan.replan(fx).empty
    again = plan.apply(fx)      # the same plan again: every step re-checked and skipped
    assert not again.ran and len(again.skipped) == 3


def test_sizes_round_up_to_extents_and_say_so(fx: StateHost) -> None:
    plan = plan_lv_create(read_facts(fx), "lvm", "odd", "10.1G")
    assert plan.steps[0].argv[:6] == ("lvcreate", "--yes", "-n", "odd", "-l", "2586")
    assert any("rounded up to 2586 extents" in w for w in plan.warnings)


@pytest.mark.parametrize("name, words", [("snapshot1", "reserved"), ("-x", "hyphen"),
                                         ("a_mlog", "_mlog"), ("bad name", "' '")])
def test_bad_names_are_refused_before_anything_runs(fx: StateHost, name: str, words: str) -> None:
    with pytest.raises(InvalidRequest, match=words):
        plan_lv_create(read_facts(fx), "lvm", name, "1G")
    assert not any(c[0] == "lvcreate" for c in fx.commands)


def test_not_enough_space_names_the_numbers(fx: StateHost) -> None:
    with pytest.raises(PreconditionFailed, match=r"VG lvm has 6909 free extents .*needs 128000"):
        plan_lv_create(read_facts(fx), "lvm", "huge", "500G")


def test_extend_a_stopped_domus_lv_grows_its_filesystem_offline(fx: StateHost) -> None:
    plan = plan_lv_extend(read_facts(fx), "lvm/backup-root", "+2G")
    assert [s.argv[0] for s in plan.steps] == ["lvextend", "e2fsck", "resize2fs"]
    assert plan.steps[0].argv == ("lvextend", "-l", "2560", "lvm/backup-root")
    plan.apply(fx)
    lv = lab_lv(fx, "lvm/backup-root")
    assert lv.size_bytes == 10 * GiB and lv.fs["size_bytes"] == 10 * GiB
    assert plan_lv_extend(read_facts(fx), "lvm/backup-root", "10G").empty


def test_extend_a_running_domus_disk_leaves_its_filesystem_to_the_guest(fx: StateHost) -> None:
    plan = plan_lv_extend(read_facts(fx), "/dev/mapper/lvm-secours--root", "+1G")
    assert [s.argv[0] for s in plan.steps] == ["lvextend"]
    assert any("running domU titanic" in w and "resize2fs" in w for w in plan.warnings)
    plan.apply(fx)
    lv = lab_lv(fx, "lvm/secours-root")
    assert lv.size_bytes == 7 * GiB and lv.fs["size_bytes"] == 6 * GiB


def test_extend_refuses_to_shrink(fx: StateHost) -> None:
    with pytest.raises(InvalidRequest, match="plan_lv_reduce"):
        plan_lv_extend(read_facts(fx), "lvm/backup-root", "1G")


def test_reduce_shrinks_the_filesystem_first_and_needs_confirmation(fx: StateHost) -> None:
    plan = plan_lv_reduce(read_facts(fx), "lvm/backup-root", "6G")
    assert [s.argv[0] for s in plan.steps] == ["e2fsck", "resize2fs", "lvreduce"]
    assert plan.destroys() == ["lvm/backup-root"]
    with pytest.raises(ConfirmationRequired):
        plan.apply(fx)
    assert lab_lv(fx, "lvm/backup-root").size_bytes == 8 * GiB
    plan.apply(fx, confirm="lvm/backup-root")
    lv = lab_lv(fx, "lvm/backup-root")
    assert lv.size_bytes == 6 * GiB and lv.fs["size_bytes"] == 6 * GiB and not lv.fs.get("corrupt")


def test_reduce_refuses_a_running_domus_disk(fx: StateHost) -> None:
    with pytest.raises(PreconditionFailed, match="running domU web"):
        plan_lv_reduce(read_facts(fx), "lvm/web-root", "5G")


def test_remove_refuses_an_lv_named_in_a_stopped_domus_config(fx: StateHost) -> None:
    with pytest.raises(PreconditionFailed, match="config of domU backup"):
        plan_lv_remove(read_facts(fx), "lvm/backup-root")


def test_remove_honours_caller_given_references_then_removes(fx: StateHost) -> None:
    plan_lv_create(read_facts(fx), "lvm", "scratch", "1G").apply(fx)
    with pytest.raises(PreconditionFailed, match="domU mail"):
        plan_lv_remove(read_facts(fx), "lvm/scratch",
                       referenced_by={"/dev/mapper/lvm-scratch": ["mail"]})
    plan = plan_lv_remove(read_facts(fx), "lvm/scratch")
    with pytest.raises(ConfirmationRequired, match="confirm='lvm/scratch'"):
        plan.apply(fx)
    plan.apply(fx, confirm="lvm/scratch")
    assert lab_lv(fx, "lvm/scratch") is None
    assert plan_lv_remove(read_facts(fx), "lvm/scratch").empty


def test_remove_refuses_an_open_lv_and_one_with_snapshots(fx: StateHost) -> None:
    plan_lv_create(read_facts(fx), "lvm", "data", "2G", fs="ext4").apply(fx)
    snap = plan_snapshot_create(read_facts(fx), "lvm/data", "data-before", "512M")
    snap.apply(fx)
    assert lab_lv(fx, "lvm/data-before").origin == "data"
    assert plan_snapshot_create(read_facts(fx), "lvm/data", "data-before", "512M").empty
    with pytest.raises(PreconditionFailed, match="snapshots: data-before"):
        plan_lv_remove(read_facts(fx), "lvm/data")
    plan_snapshot_remove(read_facts(fx), "lvm/data-before").apply(fx, confirm="lvm/data-before")
    facts = read_facts(fx)
    lv = facts.lvm.lv("lvm/data")
    opened = lv._replace(attr=LvAttr("-wi-ao----"))
    lvm = type(facts.lvm)(facts.lvm.pvs, facts.lvm.vgs,
                          tuple(opened if x.full_name == "lvm/data" else x for x in facts.lvm.lvs))
    with pytest.raises(PreconditionFailed, match="it is open"):
        plan_lv_remove(LvmFacts(lvm, facts.filesystems, facts.users), "lvm/data")


def test_plans_that_could_harm_a_guest_disk_refuse_facts_without_domu_users(fx: StateHost
                                                                           ) -> None:
    from fxkit.lvm import DiskUsers
    from fxkit.lvm.facts import read_facts as read_lvm_only

    bare = read_lvm_only(fx)                     # LVM alone: nothing says who uses what
    for plan in (lambda: plan_lv_remove(bare, "lvm/backup-root"),
                 lambda: plan_lv_reduce(bare, "lvm/backup-root", "6G"),
                 lambda: plan_lv_extend(bare, "lvm/backup-root", "+1G")):
        with pytest.raises(PreconditionFailed, match="do not say which domUs use it"):
            plan()
    assert not plan_lv_create(bare, "lvm", "new", "1G").empty     # a new LV harms no one
    told = read_lvm_only(fx, users=DiskUsers())  # "no domU uses any LV", said explicitly
    assert plan_lv_remove(told, "lvm/backup-root").destroys() == ["lvm/backup-root"]


def test_wiping_before_removal_keeps_old_data_from_the_next_lv(fx: StateHost) -> None:
    plan_lv_create(read_facts(fx), "lvm", "old", "1G", fs="ext4").apply(fx)
    plan_lv_remove(read_facts(fx), "lvm/old").apply(fx, confirm="lvm/old")
    plan_lv_create(read_facts(fx), "lvm", "new", "1G").apply(fx)
    assert lab_lv(fx, "lvm/new").stale_from == ["lvm/old"]   # the leak xen-tools #39 is about
    plan_lv_remove(read_facts(fx), "lvm/new", wipe=True).apply(fx, confirm="lvm/new")
    plan_lv_create(read_facts(fx), "lvm", "newer", "1G").apply(fx)
    assert lab_lv(fx, "lvm/newer").stale_from == []            # the wipe zeroed those extents
    plan = plan_lv_create(read_facts(fx), "lvm", "clean", "1G", wipe="all")
    assert plan.steps[1].argv[-2] == "count=1024"


def test_vg_extend_and_create_need_the_device_confirmed(fx: StateHost) -> None:
    plan = plan_vg_extend(read_facts(fx), "lvm", "/dev/sdb")
    assert [s.argv[0] for s in plan.steps] == ["pvcreate", "vgextend"]
    with pytest.raises(ConfirmationRequired):
        plan.apply(fx)
    plan.apply(fx, confirm="/dev/sdb")
    assert "/dev/sdb" in fx.state.lvm.vg("lvm").pvs
    plan_vg_create(read_facts(fx), "vg1", ["/dev/sdc"]).apply(fx, confirm="/dev/sdc")
    assert fx.state.lvm.vg("vg1").pvs == ["/dev/sdc"]
    with pytest.raises(PreconditionFailed, match="already belongs to VG vg1"):
        plan_vg_extend(read_facts(fx), "lvm", "/dev/sdc")


def test_extend_can_grow_a_running_guests_filesystem_over_ssh(fx: StateHost) -> None:
    facts = read_facts(fx)
    assert facts.guest_devices["lvm/secours-root"] == {"titanic": "hda1"}
    plan = plan_lv_extend(facts, "lvm/secours-root", "+1G",
                          guest_ssh={"titanic": "root@titanic"})
    assert [s.argv for s in plan.steps] == [
        ("lvextend", "-l", "1792", "lvm/secours-root"),
        ("ssh", "-o", "BatchMode=yes", "--", "root@titanic", "resize2fs", "/dev/hda1")]
    assert any("inside the guest over SSH" in w for w in plan.warnings)
