"""The real lab end to end: Xen 4.17 + Debian dom0 under QEMU, provisioned as fx by fxkit.

One VM for the whole session (the `real_lab` fixture in tests/conftest.py), shared with
the tests that run on both labs. The image is built once into the persistent cache
(~/.cache/fxkit/real or $FXKIT_CACHE_DIR) and reused across runs, and so is the snapshot of
the provisioned lab that later sessions restore.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from fxkit.host import Host
from fxkit.lab.real.guests import console_tail

pytestmark = [pytest.mark.realxen, pytest.mark.slow, pytest.mark.timeout(2400)]


@pytest.fixture(scope="module")
def real(real_lab) -> Iterator[Host]:
    """dom0 of the session's real lab (tests/support/labs.py boots it once)."""
    from fxkit.lab.real import real_host
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FXKIT_LAB_DIR", str(real_lab.root))
        host = real_host(lab=real_lab.root)
        try:
            yield host
        finally:
            host.close()


def test_status_says_how_it_started(real: Host) -> None:
    from fxkit.lab.real import status_real
    st = status_real()
    assert st is not None and st["running"] and not st["stale"]
    # (a failed runbook test on the real lab restores the snapshot: its own "how")
    assert st["how"] in ("pytest (the real-lab tier)", "start_real()",
                         "pytest (restored after a failed test)")
    assert st["boot_seconds"] > 0 and st["provision_seconds"] is not None
    # restored from the snapshot, or booted and provisioned (and the snapshot then saved)
    assert bool(st["restored_from"]) == (st["provision_seconds"] == 0.0)
    assert st["rss_mb"] is not None and st["rss_mb"] < 1800


def test_xl_list_shows_domain0_and_titanic(real: Host) -> None:
    out = real.run(["xl", "list"]).stdout
    names = [line.split()[0] for line in out.splitlines()[1:]]
    assert names[0] == "Domain-0" and "titanic" in names
    assert real.run(["cat", "/proc/xen/capabilities"]).stdout.strip() == "control_d"


def test_dom0_maps_programs_at_fixed_addresses_so_qemu_reuses_their_translation(
        real: Host) -> None:
    """`norandmaps` (fxkit/lab/real/README.md): with randomisation QEMU translated every
    exec's code again, the largest CPU cost of the real tier."""
    assert real.run(["cat", "/proc/sys/kernel/randomize_va_space"]).stdout == "0\n"
    maps = [real.run(["grep", "-m1", "libc", "/proc/self/maps"]).stdout for _ in range(2)]
    assert maps[0] and maps[0].split()[0] == maps[1].split()[0]


def test_titanic_runs_on_lvs_and_bridges(real: Host) -> None:
    blocks = real.run(["xl", "block-list", "titanic"]).stdout.splitlines()
    assert len(blocks) == 3                                       # header + 2 disks
    assert all(line.split()[3] == "4" for line in blocks[1:])     # XenbusStateConnected
    nets = real.run(["xl", "network-list", "titanic"]).stdout.splitlines()
    assert len(nets) == 4 and all(line.split()[4] == "4" for line in nets[1:])
    domid = real.run(["xl", "domid", "titanic"]).stdout.strip()
    for devid, bridge in enumerate(("xenbr0", "xenbr1", "xenbr2")):
        link = json.loads(real.run(["ip", "-j", "link", "show", f"vif{domid}.{devid}"]).stdout)
        assert link[0]["master"] == bridge
    # xenconsoled logs each guest's console (the image creates its log dir): titanic's init
    # reached its idle loop.
    assert "fxkit-guest: up" in console_tail(real, "titanic")


def test_lvs_are_really_active_and_open(real: Host) -> None:
    report = json.loads(real.run(["lvs", "--reportformat", "json", "-o",
                                  "lv_name,vg_name,lv_attr,lv_size", "lvm"]).stdout)
    lvs = {lv["lv_name"]: lv for lv in report["report"][0]["lv"]}
    assert set(lvs) >= {"secours-root", "secours-swap", "titanic-root", "titanic-swap"}
    assert all(lv["lv_attr"][4] == "a" for lv in lvs.values())
    assert lvs["secours-root"]["lv_attr"][5] == "o"               # open: titanic uses it
    assert real.run(["test", "-b", "/dev/mapper/lvm-titanic--root"]).ok
    pv = real.run(["pvs", "--noheadings", "-o", "pv_name,vg_name"]).stdout.split()
    assert pv == ["/dev/vdb2", "lvm"]


def test_a_filesystem_really_grows(real: Host) -> None:
    real.run(["lvextend", "-L", "+64M", "lvm/titanic-root"])
    real.run(["resize2fs", "/dev/lvm/titanic-root"])
    out = real.run(["dumpe2fs", "-h", "/dev/lvm/titanic-root"]).stdout
    fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    size = int(fields["Block count"]) * int(fields["Block size"])
    assert size == 320 * 1024 * 1024


def test_vlan_sub_interface_exists_on_xenbr1(real: Host) -> None:
    link = json.loads(real.run(["ip", "-d", "-j", "link", "show", "eth1.10"]).stdout)[0]
    assert link["linkinfo"]["info_kind"] == "vlan"
    assert link["linkinfo"]["info_data"]["id"] == 10
    assert link["master"] == "xenbr1" and "UP" in link["flags"]


def test_provisioning_is_idempotent(real: Host) -> None:
    from fxkit.lab.real.provision import plan_fx
    assert plan_fx(real).empty


# dom0 corrupting its own memory under TCG showed as segfaults and oopses on the serial
# console, sometimes only at poweroff (fxkit/lab/real/README.md): the log must be clean.
CORRUPTION = ("segfault", "general protection", "Oops", "BUG:", "Kernel panic", "bad page")


@pytest.mark.stops_real_lab
def test_stop_leaves_no_qemu_and_a_clean_console(real: Host) -> None:
    from fxkit.lab.real import status_real, stop_real, vm
    from fxkit.lab.real.lifecycle import state_paths
    from fxkit.lab.real.vm import qemu_pids
    pid = status_real()["pid"]
    real.close()
    assert stop_real() is True
    assert qemu_pids(state_paths().overlay) == []
    assert not vm.alive(pid)              # exited (a zombie until PID 1 reaps it counts)
    assert status_real()["running"] is False
    assert state_paths().overlay.exists()                         # stop keeps the lab's disk
    console = state_paths().serial.read_text(errors="replace")
    assert "reboot: Power down" in console or "Power down" in console, console[-2000:]
    bad = [ln for ln in console.splitlines() if any(w in ln for w in CORRUPTION)]
    assert not bad, "dom0 shows memory corruption on its console:\n" + "\n".join(bad[:20])


@pytest.mark.stops_real_lab
def test_the_background_lab_stopped_with_a_clean_console(real_jobs) -> None:
    console = real_jobs.background_console_text()
    if console is None:
        pytest.skip("no background job ran in this session (none was selected)")
    assert "Power down" in console, console[-2000:]
    bad = [ln for ln in console.splitlines() if any(w in ln for w in CORRUPTION)]
    assert not bad, "the background lab's dom0 shows memory corruption:\n" + "\n".join(bad)
