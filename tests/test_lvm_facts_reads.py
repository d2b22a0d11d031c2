"""How many commands reading LVM facts costs: constant in the LV count without sizes, one
dumpe2fs per ext size asked for, and a step check reads only what it tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from fxkit.lab.store import build_state
from fxkit.lvm.facts import read_facts
from fxkit.lvm.filesystems import FsInfo, parse_blkid_export_all
from fxkit.lvm.plans import plan_lv_extend
from fxkit.testing.labstate import StateHost
from fxkit.xen.storage import read_lvm_facts

FIXTURES = Path(__file__).parent / "fixtures" / "lvm"


def tools(host: StateHost) -> list[str]:
    return [argv[0] for argv in host.commands]


@pytest.fixture
def fx() -> StateHost:
    return StateHost(build_state("fx"))


def test_blkid_export_for_several_devices_parses_per_device() -> None:
    # real util-linux output for three loop devices, the third without a signature
    found = parse_blkid_export_all((FIXTURES / "blkid-export-three-loops.txt").read_text())
    assert list(found) == ["/dev/loop0", "/dev/loop1"]
    assert found["/dev/loop0"]["TYPE"] == "ext4" and found["/dev/loop0"]["LABEL"] == "one"
    assert found["/dev/loop1"] == {"DEVNAME": "/dev/loop1", "TYPE": "swap",
                                   "UUID": "88054c9f-67ad-4e49-84c4-7818a6f01444"}


def test_reading_facts_costs_the_same_whatever_the_lv_count(fx: StateHost) -> None:
    read_facts(fx, fs_sizes=False)
    before = tools(fx)
    assert before.count("blkid") == 1 and "dumpe2fs" not in before
    for i in range(6):
        fx.run(["lvcreate", "-n", f"extra{i}", "-L", "64m", "lvm"])
        fx.run(["mkfs.ext4", f"/dev/lvm/extra{i}"])
    fx.commands.clear()
    facts = read_facts(fx, fs_sizes=False)
    assert tools(fx) == before                      # same commands, six LVs more
    assert facts.fs(facts.lvm.lv("lvm/extra5")) == FsInfo("ext4")
    assert "dumpe2fs" not in tools(fx)              # the type alone needs no dumpe2fs


def test_an_ext_size_is_read_only_for_the_lv_asked(fx: StateHost) -> None:
    fx.commands.clear()
    facts = read_facts(fx, fs_sizes=["/dev/lvm/backup-root"])
    assert [c for c in fx.commands if c[0] == "dumpe2fs"] == [
        ("dumpe2fs", "-h", "/dev/lvm/backup-root")]
    assert facts.fs(facts.lvm.lv("lvm/backup-root")) == FsInfo("ext4", 8 * 1024 ** 3)
    assert facts.fs(facts.lvm.lv("lvm/web-root")).size_bytes is None   # not asked: not read


def test_by_default_every_ext_size_is_read_once(fx: StateHost) -> None:
    fx.commands.clear()
    facts = read_facts(fx)
    ext = sorted(lv.path for lv in facts.lvm.lvs
                 if (fs := facts.fs(lv)) is not None and fs.type.startswith("ext"))
    assert ext and sorted(c[2] for c in fx.commands if c[0] == "dumpe2fs") == ext
    assert all(facts.fs(lv).size_bytes for lv in facts.lvm.lvs if lv.path in ext)


def test_step_checks_read_only_what_they_test(fx: StateHost) -> None:
    plan = plan_lv_extend(read_lvm_facts(fx), "lvm/backup-root", "+1G")
    grow, check, resize = plan.steps
    fx.commands.clear()
    assert grow.needed(fx)
    assert tools(fx) == ["lvs"]                     # the LV's extents: no pvs, vgs, blkid, xl
    fx.commands.clear()
    assert check.needed(fx)
    assert fx.commands == [("blkid", "-o", "export", "/dev/lvm/backup-root"),
                           ("dumpe2fs", "-h", "/dev/lvm/backup-root")]


def test_lab_blkid_separates_devices_like_util_linux(fx: StateHost) -> None:
    out = fx.run(["blkid", "-o", "export", "/dev/lvm/web-root", "/dev/lvm/nope",
                  "/dev/lvm/web-swap"]).stdout
    assert "\n\nDEVNAME=/dev/lvm/web-swap\n" in out
    assert list(parse_blkid_export_all(out)) == ["/dev/lvm/web-root", "/dev/lvm/web-swap"]
