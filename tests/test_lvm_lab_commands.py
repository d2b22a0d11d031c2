"""The lab's LVM side where no fixture exists: a host with device-mapper and running domUs."""

from __future__ import annotations

import pytest

from fxkit.lab.shell.interpreter import execute
from fxkit.lab.store import build_state


@pytest.fixture
def fx():
    state = build_state("fx")
    state.lvm.devices["/dev/sdb"] = 2 * 1024 ** 3

    def run(line: str, stdin: str = "") -> tuple[int, str, str]:
        return execute(state, line.split(), stdin)
    run.state = state  # type: ignore[attr-defined]
    return run


def test_running_domus_hold_their_lvs_open(fx) -> None:
    status, out, err = fx("lvs --noheadings -o lv_name,lv_attr lvm")
    rows = dict(line.split() for line in out.splitlines())
    assert rows["secours-root"] == "-wi-ao----" and rows["backup-root"] == "-wi-a-----"
    assert (status, err) == (0, "")
    status, _, err = fx("lvremove -f lvm/secours-root")
    assert status == 5
    assert err == "  Logical volume lvm/secours-root contains a filesystem in use.\n"


def test_lvdisplay_shows_the_device_mapper_lines(fx) -> None:
    _, out, _ = fx("lvdisplay lvm/secours-root")
    assert "  LV Status              available\n  # open                 1\n" in out
    assert "  Block device           254:2\n" in out  # after dom0's root and swap
    _, out, _ = fx("lvdisplay -c lvm/backup-root")
    assert out.startswith("  /dev/lvm/backup-root:lvm:3:1:-1:0:16777216:2048:-1:0:-1:254:")


def test_the_fourier_scenario_matches_the_seeds_pvdisplay() -> None:
    state = build_state("fourier")
    _, out, _ = execute(state, ["pvdisplay"])
    assert "  PV Size               47.68 GiB / not usable 4.12 MiB\n" in out
    assert "  Total PE              12206\n  Free PE               5294\n" \
           "  Allocated PE          6912\n" in out


def test_pvcreate_refuses_boot_and_the_partitioned_disk(fx) -> None:
    status, out, err = fx("pvcreate /dev/cciss/c0d0p1")
    assert status == 5 and "ext3 signature detected" in out and "Aborting pvcreate" in err
    assert fx("pvcreate /dev/cciss/c0d0")[2] == \
        "  Cannot use /dev/cciss/c0d0: device is partitioned\n"
    assert fx("pvcreate /dev/sdz9") == (5, "", "  No device found for /dev/sdz9.\n")


def test_active_lv_removal_and_reduction_ask_first(fx) -> None:
    fx("lvcreate -L 64M -n tmp lvm")
    status, out, err = fx("lvremove lvm/tmp")
    assert status == 5 and "Do you really want to remove active logical volume lvm/tmp?" in out
    status, out, err = fx("lvreduce -L 32M lvm/tmp")
    assert status == 5 and "THIS MAY DESTROY YOUR DATA" in err and "NOT reduced" in err
    assert fx("lvreduce -L 32M lvm/tmp", stdin="y\n")[0] == 0
    removed = fx("lvremove lvm/tmp", stdin="y\n")[1]
    assert removed == '  Logical volume "tmp" successfully removed.\n'


def test_filesystem_tools_follow_the_lv(fx) -> None:
    assert fx("lvcreate -L 1G -n data lvm")[0] == 0
    status, out, err = fx("mkfs.ext4 /dev/lvm/data")
    assert status == 0 and "Creating filesystem with 262144 4k blocks and 65536 inodes" in out
    assert fx("lvextend -L +1G lvm/data")[0] == 0
    status, out, _ = fx("resize2fs /dev/lvm/data")
    assert status == 0 and "is now 524288 (4k) blocks long" in out
    assert fx("lvreduce -f -L 1G lvm/data")[0] == 0          # below the filesystem: damage
    status, out, _ = fx("e2fsck -f -y /dev/lvm/data")
    assert status == 8 and "likely to be corrupt" in out
    assert fx("resize2fs /dev/lvm/web-root")[0] == 1           # held by the running domU web
    assert "Device or resource busy" in fx("e2fsck -f /dev/lvm/web-root")[2]


def test_lvextend_resizefs_runs_fsadm_like_steps(fx) -> None:
    fx("lvcreate -L 1G -n data lvm")
    fx("mkfs.ext4 /dev/lvm/data")
    status, out, _ = fx("lvextend -r -L 2G lvm/data")
    assert status == 0 and "The filesystem on /dev/mapper/lvm-data is now 524288" in out
    assert fx.state.lvm.resolve("/dev/lvm/data").fs["size_bytes"] == 2 * 1024 ** 3


def test_scan_commands(fx) -> None:
    fx("pvcreate /dev/sdb")
    _, out, _ = fx("pvscan")
    assert out.splitlines()[-1] == ("  Total: 2 [<68.74 GiB] / in use: 1 [<66.74 GiB] / "
                                    "in no VG: 1 [2.00 GiB]")
    assert fx("vgscan")[1] == '  Found volume group "lvm" using metadata type lvm2\n'
    assert "  ACTIVE            '/dev/lvm/secours-root' [6.00 GiB] inherit\n" in fx("lvscan")[1]


def test_dd_wipes_are_recorded_and_bounded(fx) -> None:
    fx("lvcreate -L 8M -n w lvm")
    status, _, err = fx("dd if=/dev/zero of=/dev/lvm/w bs=1M count=4 conv=fsync")
    assert status == 0 and err.startswith("4+0 records in\n4+0 records out\n4194304 bytes")
    status, _, err = fx("dd if=/dev/zero of=/dev/lvm/w bs=1M count=16")
    assert status == 1 and "No space left on device" in err
    assert [w["bytes"] for w in fx.state.lvm.resolve("lvm/w").wipes] == [4194304, 8388608]


def test_lvm_version_is_a_dm_host(fx) -> None:
    status, out, err = fx("lvm version")
    assert out.splitlines()[2] == "  Driver version:  4.47.0" and err == "" and status == 0
