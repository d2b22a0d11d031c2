"""Lab fixes: mkfs.ext4 takes -L and -q as mke2fs does; scenario disk sizes agree with LVM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fxkit.lab.store import build_state
from fxkit.lvm.filesystems import parse_blkid_export_all
from fxkit.testing.labstate import StateHost

SCENARIOS = Path(__file__).parents[1] / "fxkit" / "lab" / "scenarios"


@pytest.fixture
def fx() -> StateHost:
    host = StateHost(build_state("fx"))
    host.run(["lvcreate", "-n", "data", "-L", "64m", "lvm"])
    return host


def test_mkfs_takes_a_label_and_records_it(fx: StateHost) -> None:
    r = fx.run(["mkfs.ext4", "-q", "-L", "fxdata", "/dev/lvm/data"])
    assert (r.exit_status, r.stdout) == (0, "")                    # -q: quiet, like mke2fs
    assert fx.state.lvm.resolve("lvm/data").fs["label"] == "fxdata"
    tags = parse_blkid_export_all(fx.run(["blkid", "-o", "export", "/dev/lvm/data"]).stdout)
    assert tags["/dev/lvm/data"]["LABEL"] == "fxdata"
    assert 'LABEL="fxdata"' in fx.run(["blkid", "/dev/lvm/data"]).stdout
    assert "Filesystem volume name:   fxdata" in fx.run(["dumpe2fs", "-h",
                                                        "/dev/lvm/data"]).stdout


def test_mkfs_option_forms(fx: StateHost) -> None:
    r = fx.run(["mkfs.ext4", "-F", "-Lbackup", "-m", "1", "-t", "ext3", "/dev/lvm/data"])
    assert r.exit_status == 0 and "Creating filesystem" in r.stdout
    fs = fx.state.lvm.resolve("lvm/data").fs
    assert (fs["type"], fs["label"]) == ("ext3", "backup")
    long = fx.run(["mkfs.ext4", "-qF", "-L", "a-label-of-twenty-chars", "/dev/lvm/data"])
    assert long.exit_status == 0
    assert fx.state.lvm.resolve("lvm/data").fs["label"] == "a-label-of-twent"
    plain = fx.run(["mkfs.ext4", "-F", "/dev/lvm/data"])
    assert plain.exit_status == 0 and "label" not in fx.state.lvm.resolve("lvm/data").fs


@pytest.mark.parametrize("scenario", ["fx", "fourier"])
def test_host_disks_and_lvm_devices_agree(scenario: str) -> None:
    host = json.loads((SCENARIOS / scenario / "host.json").read_text())
    lvm = json.loads((SCENARIOS / scenario / "lvm.json").read_text())
    sizes = {p["device"]: p["size_bytes"] for d in host["hardware"]["disks"]
             for p in [d, *d.get("partitions", [])]}
    assert {dev: sizes.get(dev) for dev in lvm["devices"]} == lvm["devices"]


def test_fourier_pv_shows_the_seed_numbers() -> None:
    out = StateHost(build_state("fourier")).run(["pvdisplay", "/dev/sda5"]).stdout
    assert "PV Size               47.68 GiB / not usable 4.12 MiB" in out
