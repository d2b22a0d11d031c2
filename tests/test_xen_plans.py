"""domU plans on the lab: nothing -> running -> nothing through one plan each; refusals."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from support.xen import XlSequenceHost, fx_lab, run, xl_list_row

from fxkit.errors import ApplyFailed, ConfirmationRequired, InvalidRequest, PreconditionFailed
from fxkit.lab import faults
from fxkit.lvm.state import read_lvm
from fxkit.xen.facts import read_xen
from fxkit.xen.plans import (
    DomuSpec,
    plan_domu_create,
    plan_domu_reboot,
    plan_domu_remove,
    plan_domu_shutdown,
    plan_domu_start,
    read_domu_facts,
)
from fxkit.xen.storage import lv_for_path
from fxkit.xen.toolstack import Toolstack


def test_domu_from_nothing_to_running_and_back(tmp_path: Path) -> None:
    lab = fx_lab(tmp_path)
    spec = DomuSpec("mail", memory=256, vcpus=2, root_size="2G", swap_size="256M",
                    bridges=("xenbr0", "xenbr2"))
    plan = plan_domu_create(read_domu_facts(lab), spec)
    assert [s.argv[0] if s.argv else "write" for s in plan.steps] == [
        "lvcreate", "mkfs.ext4", "lvcreate", "mkswap", "write", "xl", "xl"]
    assert plan.destroys() == []
    outcome = plan.apply(lab)            # its replan must come back empty (verification)
    assert outcome.changed and len(outcome.ran) == 7
    mail = Toolstack(lab).domain("mail")
    assert mail is not None and (mail.memory, mail.vcpus) == (256, 2) and mail.alive
    assert read_lvm(lab).lv("lvm/mail-root").size_bytes == 2 * 1024**3
    config = read_xen(lab).config_for("mail")[1]
    assert [v.bridge for v in config.vifs] == ["xenbr0", "xenbr2"]
    assert [lv_for_path(d.path) for d in config.disks] == [("lvm", "mail-root"),
                                                           ("lvm", "mail-swap")]
    assert plan_domu_create(read_domu_facts(lab), spec).empty                       # idempotent

    remove = plan_domu_remove(read_domu_facts(lab), "mail", wipe=True)
    with pytest.raises(ConfirmationRequired):
        remove.apply(lab)
    assert Toolstack(lab).domain("mail") is not None                # nothing ran
    remove.apply(lab, confirm=["/etc/xen/mail.cfg", "lvm/mail-root", "lvm/mail-swap"])
    assert Toolstack(lab).domain("mail") is None
    assert read_lvm(lab).lv("lvm/mail-root") is None
    assert "mail.cfg" not in run(lab, "ls", "/etc/xen")
    assert plan_domu_remove(read_domu_facts(lab), "mail").empty


def test_create_over_an_existing_domu_is_destructive_and_keeps_its_lvs(tmp_path: Path) -> None:
    # Before issue 19 this plan rewrote backup.cfg with a mere warning and no confirmation
    # (the test checked for that warning); now the rewrite is a step that DESTROYS the
    # file, says what changes, and needs the domU's name.
    lab = fx_lab(tmp_path)
    before = lab.read_file("/etc/xen/backup.cfg")
    plan = plan_domu_create(read_domu_facts(lab), DomuSpec("backup", memory=128))
    kinds = [s.argv[0] if s.argv else "write" for s in plan.steps]
    assert "lvcreate" not in kinds and "mkfs.ext4" not in kinds     # its LVs exist: kept
    assert kinds == ["write", "xl", "xl"]
    assert plan.destroys() == ["/etc/xen/backup.cfg"] and plan.confirmation() == "backup"
    replace = plan.steps[0].description
    for change in ("memory 256 -> 128 MiB", "guest devices hda1, hda2 -> xvda1, xvda2",
                   "bridges xenbr1 -> xenbr0", "MACs 00:16:3e:e6:b8:db -> "):
        assert change in replace, replace
    assert "DESTROYS /etc/xen/backup.cfg" in str(plan)
    with pytest.raises(ConfirmationRequired, match="confirm='backup'"):
        plan.apply(lab)
    assert lab.read_file("/etc/xen/backup.cfg") == before          # nothing ran
    plan.apply(lab, confirm="backup")
    assert Toolstack(lab).domain("backup") is not None
    assert "xenbr0" in lab.read_file("/etc/xen/backup.cfg")


def test_create_over_a_running_domu_would_swap_its_disks_and_says_so(tmp_path: Path) -> None:
    lab = fx_lab(tmp_path)
    plan = plan_domu_create(read_domu_facts(lab), DomuSpec("titanic", root_size="1G"))
    assert plan.destroys() == ["/etc/xen/titanic.cfg"]
    assert ("disks lvm/secours-root, lvm/secours-swap -> lvm/titanic-root, lvm/titanic-swap"
            in plan.steps[-2].description)
    assert any("lvm/secours-root, lvm/secours-swap: named by the old /etc/xen/titanic.cfg"
               in w for w in plan.warnings)
    with pytest.raises(ConfirmationRequired):
        plan.apply(lab)
    assert read_lvm(lab).lv("lvm/titanic-root") is None            # refused before step 1


def test_create_keeps_an_identical_config_without_asking(tmp_path: Path) -> None:
    lab = fx_lab(tmp_path)
    spec = DomuSpec("mail", root_size="1G", swap_size="128M")
    plan_domu_create(read_domu_facts(lab), spec).apply(lab)
    lab.run(["xl", "shutdown", "-w", "mail"])
    again = plan_domu_create(read_domu_facts(lab), spec)
    assert [s.argv for s in again.steps] == [("xl", "create", "/etc/xen/mail.cfg"),
                                             ("xl", "list", "mail")]
    assert again.destroys() == [] and again.confirm_name is None


def test_create_refuses_a_name_defined_elsewhere_and_disks_of_others(tmp_path: Path) -> None:
    lab = fx_lab(tmp_path)
    lab.write_file("/etc/xen/post.cfg", "name = 'mail'\nmemory = 64\n")
    with pytest.raises(PreconditionFailed, match="already defined by /etc/xen/post.cfg"):
        plan_domu_create(read_domu_facts(lab), DomuSpec("mail"))
    lab.run(["mv", "/etc/xen/post.cfg", "/etc/xen/mail.cfg"])
    lab.write_file("/etc/xen/mail.cfg", "name = 'post'\nmemory = 64\n")
    plan = plan_domu_create(read_domu_facts(lab), DomuSpec("mail"))
    assert plan.destroys() == ["/etc/xen/mail.cfg"]
    assert "the config of domU post" in plan.steps[-3].description
    lab.run(["rm", "/etc/xen/mail.cfg"])
    lab.run(["lvcreate", "-L", "1G", "-n", "mail-root", "lvm"])
    lab.write_file("/etc/xen/clone.cfg", "name = 'clone'\nmemory = 64\n"
                   "disk = [ 'phy:/dev/lvm/mail-root,xvda1,w' ]\n")
    with pytest.raises(PreconditionFailed, match="config of domU clone names it"):
        plan_domu_create(read_domu_facts(lab), DomuSpec("mail", root_size="1G"))


def test_create_adopts_an_unnamed_lv_only_of_the_asked_size(tmp_path: Path) -> None:
    # An interrupted create leaves LVs of exactly the asked size: running it again finishes
    # the job. Any other LV under the domU's name may be someone's: refused.
    lab = fx_lab(tmp_path)
    lab.run(["lvcreate", "-L", "10G", "-n", "mail-root", "lvm"])
    with pytest.raises(PreconditionFailed, match=r"lvm/mail-root exists already \(10240 MiB, "
                       r"4096 MiB asked\) and no domU config names it"):
        plan_domu_create(read_domu_facts(lab), DomuSpec("mail"))
    lab.run(["lvremove", "-f", "lvm/mail-root"])
    lab.run(["lvcreate", "-L", "4G", "-n", "mail-root", "lvm"])
    plan = plan_domu_create(read_domu_facts(lab), DomuSpec("mail"))
    assert [s.argv[0] for s in plan.steps if s.argv][:2] == ["lvcreate", "mkswap"]
    assert any("becomes mail's disk as it is, not formatted" in w for w in plan.warnings)
    assert plan.destroys() == []


@pytest.mark.parametrize("spec,error,match", [
    (DomuSpec("Mail"), InvalidRequest, "lower-case"),
    (DomuSpec("mail", memory=16), InvalidRequest, "memory 16"),
    (DomuSpec("mail", vcpus=64), InvalidRequest, "64 vcpus"),
    (DomuSpec("mail", root_size="10M"), InvalidRequest, "too small"),
    (DomuSpec("mail", bridges=("xenbr7",)), PreconditionFailed, "xenbr7 do not exist"),
    (DomuSpec("mail", macs=("aa:73:65:63:6f:75",)), PreconditionFailed, "titanic.cfg"),
    (DomuSpec("mail", macs=("aa:73:65:63:6f:75", "x")), InvalidRequest, "2 MACs for 1"),
    (DomuSpec("mail", memory=4000), PreconditionFailed, "MiB free"),
    (DomuSpec("mail", root_size="500G"), PreconditionFailed, "VG lvm has"),
    (DomuSpec("mail", vg="nope"), PreconditionFailed, "volume group nope"),
])
def test_create_refusals_before_anything_runs(tmp_path: Path, spec: DomuSpec,
                                              error: type, match: str) -> None:
    facts = read_domu_facts(fx_lab(tmp_path))
    with pytest.raises(error, match=match):
        plan_domu_create(facts, spec)


def test_remove_refuses_an_lv_another_domu_uses(tmp_path: Path) -> None:
    lab = fx_lab(tmp_path)
    lab.write_file("/etc/xen/clone.cfg", "name = 'clone'\nmemory = 64\n"
                   "disk = [ 'phy:/dev/lvm/ns-root,xvda1,w' ]\n")
    with pytest.raises(PreconditionFailed, match="config of domU clone"):
        plan_domu_remove(read_domu_facts(lab), "ns")
    keep = plan_domu_remove(read_domu_facts(lab), "ns", remove_disks=False)
    assert keep.destroys() == ["/etc/xen/ns.cfg"]


def test_removing_a_running_domu_with_its_disks_in_one_plan(tmp_path: Path) -> None:
    # the LV steps are fxkit.lvm.plans' plan_lv_remove, told that ns's config goes first
    lab = fx_lab(tmp_path)
    assert read_lvm(lab).lv("lvm/ns-root").attr.open              # ns runs: its LVs are open
    plan = plan_domu_remove(read_domu_facts(lab), "ns", remove_disks=True)
    assert [s.argv for s in plan.steps] == [
        ("xl", "shutdown", "-w", "ns"), ("rm", "-f", "/etc/xen/ns.cfg"),
        ("lvremove", "-f", "lvm/ns-root"), ("lvremove", "-f", "lvm/ns-swap")]
    assert plan.destroys() == ["/etc/xen/ns.cfg", "lvm/ns-root", "lvm/ns-swap"]
    with pytest.raises(ConfirmationRequired):
        plan.apply(lab, confirm=["/etc/xen/ns.cfg"])
    assert Toolstack(lab).domain("ns") is not None                  # nothing ran
    plan.apply(lab, confirm=["/etc/xen/ns.cfg", "lvm/ns-root", "lvm/ns-swap"])
    assert Toolstack(lab).domain("ns") is None
    assert "ns.cfg" not in run(lab, "ls", "/etc/xen")
    state = read_lvm(lab)
    assert state.lv("lvm/ns-root") is None and state.lv("lvm/ns-swap") is None
    assert state.lv("lvm/web-root") is not None                    # the others stay


def test_remove_refuses_a_disk_another_running_domu_shares(tmp_path: Path) -> None:
    lab = fx_lab(tmp_path)
    web = run(lab, "cat", "/etc/xen/web.cfg")
    lab.write_file("/etc/xen/web.cfg", web.replace("web-swap", "ns-swap"))
    with pytest.raises(PreconditionFailed, match=r"lvm/ns-swap .*config of domU web"):
        plan_domu_remove(read_domu_facts(lab), "ns", remove_disks=True)
    assert Toolstack(lab).domain("ns") is not None


def test_lifecycle_plans(tmp_path: Path) -> None:
    lab = fx_lab(tmp_path)
    assert plan_domu_start(read_domu_facts(lab), "ns").empty
    with pytest.raises(PreconditionFailed, match="no config"):
        plan_domu_start(read_domu_facts(lab), "ghost")
    plan_domu_shutdown(read_domu_facts(lab), "ns").apply(lab)
    assert Toolstack(lab).domain("ns") is None
    assert plan_domu_shutdown(read_domu_facts(lab), "ns").empty
    with pytest.raises(PreconditionFailed, match="not running"):
        plan_domu_reboot(read_domu_facts(lab), "ns")
    plan_domu_start(read_domu_facts(lab), "ns").apply(lab)
    before = Toolstack(lab).domain("ns").id
    plan_domu_reboot(read_domu_facts(lab), "ns").apply(lab)
    assert Toolstack(lab).domain("ns").id > before


def test_a_shutdown_that_hangs_says_what_may_hold_it_and_what_to_do(tmp_path: Path) -> None:
    # Real Linux acknowledges a shutdown sent while it frees its init memory, then drops it,
    # and `xl shutdown -w` waits for ever (fxkit/lab/real/guests.py): here, a delay fault.
    lab = fx_lab(tmp_path)
    with lab.store.transaction() as state:
        faults.delay(state, "xl shutdown*", 5)
    plan = plan_domu_shutdown(read_domu_facts(lab), "ns")
    plan = dataclasses.replace(plan, steps=[dataclasses.replace(plan.steps[0], timeout=0.3)])
    with pytest.raises(ApplyFailed) as failed:
        plan.apply(lab)
    message = str(failed.value)
    assert "`xl shutdown -w ns` did not finish within" in message
    assert "ns took the request but did not stop" in message
    assert "`xl console ns`" in message and "`xl destroy ns` pulls the plug" in message
    # the advice holds: applied again, the plan sends a new request and ns stops
    plan_domu_shutdown(read_domu_facts(lab), "ns").apply(lab)
    assert Toolstack(lab).domain("ns") is None


def test_reboot_waits_until_the_domain_runs_again_under_a_new_id(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Real Xen: `xl reboot` returns at once; the old domain shuts down (--psr-), leaves the
    # list, and xl builds the guest again as a new domain, paused until its devices are up.
    facts = read_domu_facts(fx_lab(tmp_path))          # the plan is made on the lab's fx,
    # then applied to a dom0 that answers as Xen 4.17 did on the real lab:
    domid = facts.xen.domain("ns").id
    old, rebooting = xl_list_row("ns", domid), xl_list_row("ns", domid, "--psr-")
    building, new = xl_list_row("ns", domid + 6, "--p---"), xl_list_row("ns", domid + 6)
    host = XlSequenceHost([old, rebooting, rebooting, "", building, building, new])
    plan = plan_domu_reboot(facts, "ns")
    monkeypatch.setattr("fxkit.polling.time.sleep", lambda seconds: None)
    assert [s.argv for s in plan.steps] == [("xl", "reboot", "ns")]
    outcome = plan.apply(host)
    assert host.ran == [("xl", "reboot", "ns")] and outcome.changed
    assert host.polls >= 7                             # it waited for the running new domain


def test_xm_toolstack_plans(tmp_path: Path) -> None:
    lab = fx_lab(tmp_path)
    plan = plan_domu_shutdown(read_domu_facts(lab, "xm"), "web")
    assert plan.steps[0].argv == ("xm", "shutdown", "-w", "web")
    plan.apply(lab)
    assert "web" not in run(lab, "xm", "list")


def test_lv_steps_come_from_the_lvm_module(tmp_path: Path) -> None:
    facts = read_domu_facts(fx_lab(tmp_path))
    plan = plan_domu_create(facts, DomuSpec("mail"))
    assert plan.steps[0].argv == ("lvcreate", "--yes", "-n", "mail-root", "-l", "1024", "lvm")
    assert plan.steps[1].argv == ("mkfs.ext4", "/dev/lvm/mail-root")
    assert plan.steps[3].argv == ("mkswap", "/dev/lvm/mail-swap")
    assert facts.storage.lv("lvm/ns-root") is not None       # the LVM module's state
    assert facts.lvm.referenced_by["lvm/ns-root"] == ("ns",)   # references from Xen facts


def test_sudo_reaches_every_command_step(tmp_path: Path) -> None:
    lab = fx_lab(tmp_path)
    plan = plan_domu_remove(read_domu_facts(lab, sudo=True), "ns")
    assert all(s.sudo for s in plan.steps if s.argv)
    create = plan_domu_create(read_domu_facts(lab, sudo=True), DomuSpec("mail"))
    assert all(s.sudo for s in create.steps if s.argv)
    plan_domu_reboot(read_domu_facts(lab, sudo=True), "ns").apply(lab)  # the lab takes sudo -n --
    assert Toolstack(lab).domain("ns") is not None
