"""The LVM widgets headless: construct, set values, click, read what they show."""

from __future__ import annotations

import pytest

from fxkit.plan import Plan, Step
from fxkit.widgets._backend import VgView
from fxkit.widgets._common import GIB, MIB, PNG_MAGIC
from fxkit.widgets.lv_planner import LvPlanner
from fxkit.widgets.vg_usage import VgUsageViewer, usage_table

VGS = [VgView("lvm", 60 * GIB, 20 * GIB, 4 * MIB, 4), VgView("data", 8 * GIB, 1 * GIB, 32 * MIB, 1)]


class FakeLvm:
    """Facts and a planner that behave like fxkit.lvm.state on a tiny host."""

    def __init__(self):
        self.vgs = list(VGS)
        self.applied: list[str] = []

    def read(self, host):
        return list(self.vgs)

    def plan(self, host, vg, name, size, fs):
        argv = ["lvcreate", "-L", f"{size}b", "-n", name, vg]
        applied = self.applied

        class Recording(Step):
            def run(self, host):
                applied.append(" ".join(self.argv))
                return None

        steps = [Recording(f"Create LV {vg}/{name}", tuple(argv))]
        if fs:
            steps.append(Recording(f"Make {fs} on {vg}/{name}", (f"mk{fs}", f"/dev/{vg}/{name}")))
        return Plan(f"Create {vg}/{name}", steps)


@pytest.fixture
def lvm():
    return FakeLvm()


def test_vg_usage_viewer_draws_and_tabulates(lvm):
    viewer = VgUsageViewer(None, read=lvm.read)
    assert bytes(viewer.image.value).startswith(PNG_MAGIC)
    assert "<td>lvm</td><td>4</td><td>60.00 GiB</td><td>40.00 GiB</td><td>20.00 GiB</td>" \
        "<td>67%</td>" in viewer.table.value
    lvm.vgs = lvm.vgs[:1]
    viewer.refresh_button.click()
    assert "data" not in viewer.table.value


def test_usage_table_handles_an_empty_vg():
    assert "<td>0%</td>" in usage_table([VgView("e", 0, 0, 4 * MIB, 0)])


def test_lv_planner_bounds_the_slider_by_free_space(lvm):
    p = LvPlanner(None, read=lvm.read, planner=lvm.plan)
    assert p.vg.options == ("lvm", "data") and p.vg.value == "lvm"
    assert (p.size.min, p.size.step, p.size.max) == (4, 4, 20 * 1024)
    assert p.size.value == 1024                       # 1 GiB to start with
    p.vg.value = "data"
    assert (p.size.min, p.size.step, p.size.max) == (32, 32, 1024)
    assert "1.00 GiB free of 8.00 GiB in data" in p.free.value
    lvm.vgs = [VgView("tiny", 64 * MIB, 40 * MIB, 32 * MIB, 0)]
    p.refresh()
    assert (p.vg.value, p.size.min, p.size.max, p.size.value) == ("tiny", 32, 32, 32)


def test_lv_planner_plan_then_confirm_then_apply(lvm):
    p = LvPlanner(None, read=lvm.read, planner=lvm.plan)
    p.name.value, p.size.value, p.filesystem.value = "web", 512, "ext4"
    assert p.apply_button.disabled and p.confirm.disabled
    p.plan_button.click()
    assert "fxkit-plan" in p.plan_view.value and "Create LV lvm/web" in p.plan_view.value
    assert "mkext4 /dev/lvm/web" in p.plan_view.value
    assert p.apply_button.disabled and not p.confirm.disabled
    p.confirm.value = True
    assert not p.apply_button.disabled
    p.apply_button.click()
    assert lvm.applied == [f"lvcreate -L {512 * MIB}b -n web lvm", "mkext4 /dev/lvm/web"]
    assert "2 step(s) applied" in p.result.value
    assert p.apply_button.disabled and not p.confirm.value


def test_lv_planner_a_changed_request_invalidates_the_plan(lvm):
    p = LvPlanner(None, read=lvm.read, planner=lvm.plan)
    p.plan_button.click()
    p.confirm.value = True
    p.size.value = 8
    assert p.plan is None and p.plan_view.value == "" and p.apply_button.disabled
    p.apply_button.click()   # a disabled button in a browser; headless, it must still refuse
    assert lvm.applied == []


def test_lv_planner_shows_errors_instead_of_raising(lvm):
    from fxkit.errors import InvalidRequest

    def refuse(*a):
        raise InvalidRequest("LV name 'snapshot' is reserved by LVM: choose another name")

    p = LvPlanner(None, read=lvm.read, planner=refuse)
    p.plan_button.click()
    assert "fxkit-error" in p.plan_view.value and "reserved by LVM" in p.plan_view.value
