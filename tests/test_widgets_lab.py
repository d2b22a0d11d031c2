"""The widgets on the lab, headless: real facts and plans, clicks, and the lab's state after."""

from __future__ import annotations

import pytest

import fxkit
from fxkit import lab, seminar
from fxkit.topology import path_of
from fxkit.widgets._common import PNG_MAGIC
from fxkit.widgets.domu_builder import DomuBuilder
from fxkit.widgets.lv_planner import LvPlanner
from fxkit.widgets.net_explorer import ALL, NetExplorer
from fxkit.widgets.vg_usage import VgUsageViewer


@pytest.fixture
def fx():
    lab.reset("fx")
    return fxkit.connect("lab")


def test_vg_usage_reads_the_lab(fx):
    viewer = VgUsageViewer(fx)
    assert [v.name for v in viewer.vgs] == ["lvm"]
    assert "<td>lvm</td><td>10</td>" in viewer.table.value
    assert bytes(viewer.image.value).startswith(PNG_MAGIC)


def test_lv_planner_creates_an_lv_with_ext4_on_the_lab(fx):
    p = LvPlanner(fx, name="scratch")
    free_mib = p.vgs["lvm"].free_bytes // 2**20
    assert p.size.max == free_mib // 4 * 4 and p.size.step == 4
    p.size.value, p.filesystem.value = 1024, "ext4"
    p.plan_button.click()
    assert "lvcreate" in p.plan_view.value and "mkfs.ext4 /dev/lvm/scratch" in p.plan_view.value
    assert seminar.check_lv(fx, "lvm", "scratch").ok is False     # a plan runs nothing
    p.confirm.value = True
    p.apply_button.click()
    assert "2 step(s) applied" in p.result.value, p.result.value
    assert seminar.check_lv(fx, "lvm", "scratch", size="1G", fs="ext4").ok
    assert p.size.max == (free_mib - 1024) // 4 * 4               # refreshed after apply


def test_lv_planner_shows_refusals_and_empty_plans(fx):
    p = LvPlanner(fx, name="snapshot1")
    p.plan_button.click()
    assert "fxkit-error" in p.plan_view.value and "reserved" in p.plan_view.value
    assert p.apply_button.disabled and p.confirm.disabled
    # An LV of that name exists: the planner used to say "Nothing to do: already exists"
    # for a 1 GiB request on a 10 GiB LV, which reads as done.
    p.name.value = "web-root"
    p.plan_button.click()
    assert "fxkit-error" in p.plan_view.value and p.confirm.disabled
    assert ("lvm/web-root already exists (10.00 GiB; you asked for a new LV of 1.00 GiB): "
            "choose another name, or the extend mode to grow it") in p.plan_view.value


def test_domu_builder_offers_existing_bridges_and_builds_a_running_domu(fx):
    b = DomuBuilder(fx, name="mail")
    assert b.bridges.options == (("xenbr0 (Backbone)", "xenbr0"), ("xenbr1 (VLAN 42)", "xenbr1"),
                                 ("xenbr2 (FreeBox)", "xenbr2"))
    assert b.bridges.value == ("xenbr0",) and b.vg.value == "lvm"
    b.memory.value, b.vcpus.value, b.root_size.value = 192, 2, 2
    b.bridges.value = ("xenbr0", "xenbr2")
    b.plan_button.click()
    assert "/etc/xen/mail.cfg" in b.config_view.value
    assert "memory = 192" in b.config_view.value and "bridge=xenbr2" in b.config_view.value
    assert "xl create /etc/xen/mail.cfg" in b.plan_view.value
    b.confirm.value = True
    b.apply_button.click()
    assert "applied" in b.result.value, b.result.value
    check = seminar.check_domu(fx, "mail", memory=192, bridges=["xenbr0", "xenbr2"])
    assert check.ok, str(check)
    assert seminar.check_lv(fx, "lvm", "mail-root", size="2G", fs="ext4").ok


def test_domu_builder_needs_a_bridge(fx):
    b = DomuBuilder(fx)
    b.bridges.value = ()
    b.plan_button.click()
    assert "choose at least one bridge" in b.plan_view.value and b.plan is None


def test_net_explorer_answers_who_reaches_what(fx):
    e = NetExplorer(fx, domu="web")
    assert e.domu.options == (("(whole host)", ALL), ("ns", "ns"), ("titanic", "titanic"),
                              ("web", "web"))              # (label, value)
    assert "web reaches Backbone, FreeBox (through eth0, eth1 on dom0)" in e.answer.value
    png = bytes(e.image.value)
    assert png.startswith(PNG_MAGIC)
    e.domu.value = "ns"
    assert "ns reaches Backbone (through eth0 on dom0)" in e.answer.value
    assert bytes(e.image.value) != png
    e.domu.value = ALL
    assert e.answer.value.count("<li>") == 3 and "VLAN 42" in e.answer.value


def test_path_of_keeps_only_the_domus_way_out(fx):
    from fxkit.topology import read_topology

    sub = path_of(read_topology(fx), "web")
    labels = {n.label for n in sub.nodes.values()}
    assert {"web", "vif3.0", "vif3.1", "xenbr0", "xenbr2", "eth0", "eth1",
            "Backbone", "FreeBox"} <= labels
    assert not labels & {"titanic", "xenbr1", "eth0.42", "VLAN 42", "vif1.0"}


def test_net_explorer_refresh_sees_a_started_domu(fx):
    e = NetExplorer(fx)
    assert "backup" not in dict(e.domu.options).values()
    fx.run(["xl", "create", "/etc/xen/backup.cfg"])
    e.refresh_button.click()
    assert ("backup", "backup") in e.domu.options
    e.domu.value = "backup"
    assert "backup reaches VLAN 42" in e.answer.value


def test_domu_builder_does_not_silently_overwrite_an_existing_domu(fx):
    # The trainer's case: name="backup", Plan, tick, Apply rewrote backup.cfg (xenbr1 became
    # xenbr0, so VLAN 42 was lost; hda1 became xvda1; MAC and memory changed).
    before = fx.read_file("/etc/xen/backup.cfg")
    b = DomuBuilder(fx, name="backup")
    b.plan_button.click()
    assert "DESTROYS /etc/xen/backup.cfg" in b.plan_view.value
    assert "bridges xenbr1 -&gt; xenbr0" in b.plan_view.value
    assert "This plan destroys /etc/xen/backup.cfg" in b.confirm_note.value
    b.confirm.value = True
    assert b.apply_button.disabled                     # ticking is not naming it
    b.apply_button.click()                             # headless, a disabled button still fires
    assert "type backup in the confirm field" in b.result.value
    assert fx.read_file("/etc/xen/backup.cfg") == before
    b.confirm_name.value = "backpu"
    assert b.apply_button.disabled
    b.confirm_name.value = "backup"
    assert not b.apply_button.disabled
    b.apply_button.click()
    assert "applied" in b.result.value, b.result.value
    assert "xenbr0" in fx.read_file("/etc/xen/backup.cfg")


def test_domu_builder_bounds_memory_by_what_xen_has_free(fx):
    assert DomuBuilder(fx).memory.max == 3072          # 4096 - dom0 512 - 512 for domUs
    fx.run(["xl", "create", "/etc/xen/backup.cfg"])   # 256 MiB more in use
    b = DomuBuilder(fx)
    assert b.memory.max == 2816 and "Xen can still give 2816 MiB" in b.memory_note.value


def test_lv_planner_extends_an_lv_with_its_filesystem(fx):
    fx.run(["lvcreate", "-L", "1G", "-n", "scratch", "lvm"])
    fx.run(["mkfs.ext4", "/dev/lvm/scratch"])
    p = LvPlanner(fx)
    p.mode.value = "extend"
    assert p.name.layout.display == "none" and p.lv.layout.display is None
    assert ("scratch (1.00 GiB)", "scratch") in p.lv.options
    p.lv.value, p.size.value = "scratch", 512
    p.plan_button.click()
    assert "lvextend" in p.plan_view.value and "resize2fs" in p.plan_view.value
    p.confirm.value = True
    p.apply_button.click()
    assert "applied" in p.result.value, p.result.value
    assert seminar.check_lv(fx, "lvm", "scratch", size="1536M", fs="ext4")


def test_lv_planner_removes_an_lv_only_by_its_name_and_never_a_domus(fx):
    fx.run(["lvcreate", "-L", "1G", "-n", "odd", "lvm"])
    p = LvPlanner(fx)
    p.mode.value = "remove"
    assert p.size.layout.display == "none"
    p.lv.value = "backup-root"                         # a stopped domU's disk: refused
    p.plan_button.click()
    assert "fxkit-error" in p.plan_view.value and "backup" in p.plan_view.value
    p.lv.value = "odd"
    p.plan_button.click()
    assert "DESTROYS lvm/odd" in p.plan_view.value
    p.confirm.value = True
    assert p.apply_button.disabled
    p.confirm_name.value = "lvm/odd"
    p.apply_button.click()
    assert "applied" in p.result.value and not seminar.check_lv(fx, "lvm", "odd")
