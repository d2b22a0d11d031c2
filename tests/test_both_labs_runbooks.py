"""The same runbooks on both labs: the simulated fx and the real Xen 4.17 lab under QEMU.

Each test takes ``anylab`` (tests/conftest.py), so it runs once on ``lab`` and once on
``lab:real``, and checks the result with the plain OpenSSH client. On the real lab the
LVs really activate, filesystems really grow and domUs really boot. Every test puts back
what it changed (with the runbooks: that is part of what is tested); after a failure the
real lab is restored from its snapshot instead (tests/conftest.py). Tests marked
``xen_hotplug`` start domUs: no other real lab starts one meanwhile.
"""

from __future__ import annotations

import pytest
from support.kernels import run_warm
from support.labs import Lab
from support.labs import notebook_text as outputs

from fxkit.polling import wait_until

# The first test on the real lab also builds its image and boots it: minutes, not seconds.
pytestmark = [pytest.mark.notebook, pytest.mark.timeout(2400)]
MiB = 1024 ** 2
# The real lab's guest is a tiny Debian kernel with a busybox initrd (fxkit/lab/real);
# the simulated fx boots anything its configs name.
REAL_GUEST = {"kernel": "/boot/guest/vmlinuz", "ramdisk": "/boot/guest/initrd.gz"}


def assert_booted_on_its_disks(lab: Lab, name: str) -> None:
    """Wait until the real guest has booted and its console names its two disks. The wait
    is also what makes a shutdown right after safe: Linux drops one sent while it frees
    its init memory (fxkit/lab/real/guests.py)."""
    from fxkit.lab.real import real_host
    from fxkit.lab.real.guests import console_tail, wait_booted
    dom0 = real_host(lab=lab.root)
    try:
        assert wait_booted(dom0, name, 300), console_tail(dom0, name)
        up = "fxkit-guest: up, disks: xvda1 xvda2"
        assert wait_until(lambda: up in console_tail(dom0, name), 60), console_tail(dom0, name)
    finally:
        dom0.close()


def run(lab: Lab, tmp_path, name: str, apply: bool = False, confirm: str | None = None,
        **params):
    rec = run_warm(name, {"host": lab.target, **params}, apply=apply, confirm=confirm,
                   runs_dir=tmp_path / "runs")
    assert rec.host == lab.target
    return rec


def lv_bytes(lab: Lab, vg: str = "lvm") -> dict[str, int]:
    out = lab.ssh("lvs", "--noheadings", "--units", "b", "--nosuffix", "-o", "lv_name,lv_size", vg)
    return {n: int(s) for n, s in (ln.split() for ln in out.splitlines() if ln.strip())}


def fs_bytes(lab: Lab, dev: str) -> int:
    out = lab.ssh("dumpe2fs", "-h", dev)
    fields = dict(ln.split(":", 1) for ln in out.splitlines() if ":" in ln)
    return int(fields["Block count"]) * int(fields["Block size"])


def test_host_inventory_reads_both_labs_and_changes_nothing(anylab: Lab, tmp_path) -> None:
    before = lab_snapshot(anylab)
    rec = run(anylab, tmp_path, "host-inventory")
    assert rec.status == "succeeded" and not rec.changed, rec.error
    assert rec.outcome["domains"] >= 2 and rec.outcome["bridges"] >= 3
    assert all(not c.startswith(("lvcreate", "xl create", "rm", "ip link add"))
               for c in rec.commands)
    assert lab_snapshot(anylab) == before


def lab_snapshot(lab: Lab) -> tuple:
    return (lab.xl_names(), sorted(lv_bytes(lab).items()), lab.ssh("cat", "/etc/xen/titanic.cfg"))


def test_lv_create_extend_snapshot_remove(anylab: Lab, tmp_path) -> None:
    lab = anylab
    assert "scratch" not in lv_bytes(lab)
    dry = run(lab, tmp_path, "lv-create", lv="scratch", size="64M")
    assert dry.status == "succeeded" and dry.outcome["status"] == "dry-run"
    assert "scratch" not in lv_bytes(lab)
    made = run(lab, tmp_path, "lv-create", apply=True, lv="scratch", size="64M")
    assert made.status == "succeeded" and made.changed, made.error
    assert lv_bytes(lab)["scratch"] == 64 * MiB
    assert fs_bytes(lab, "/dev/lvm/scratch") == 64 * MiB
    again = run(lab, tmp_path, "lv-create", apply=True, lv="scratch", size="64M")
    assert again.status == "succeeded" and not again.changed

    grown = run(lab, tmp_path, "lv-extend", apply=True, lv="scratch", size="+32M")
    assert grown.status == "succeeded" and grown.changed, grown.error
    assert lv_bytes(lab)["scratch"] == 96 * MiB
    assert fs_bytes(lab, "/dev/lvm/scratch") == 96 * MiB          # resize2fs really ran
    if lab.real:                                                   # and the LV is active
        assert lab.ssh("lvs", "--noheadings", "-o", "lv_attr", "lvm/scratch").split()[0][4] == "a"

    snap = run(lab, tmp_path, "lv-snapshot", apply=True, lv="scratch", size="32M")
    assert snap.status == "succeeded" and snap.changed, snap.error
    origin = lab.ssh("lvs", "--noheadings", "-o", "origin", "lvm/scratch-snap").strip()
    assert origin == "scratch"

    for name in ("scratch-snap", "scratch"):
        refused = run(lab, tmp_path, "lv-remove", apply=True, lv=name)
        assert refused.error["ename"] == "ConfirmationRequired" and name in lv_bytes(lab)
        gone = run(lab, tmp_path, "lv-remove", apply=True, confirm=f"lvm/{name}", lv=name)
        assert gone.status == "succeeded" and gone.changed, gone.error
        assert name not in lv_bytes(lab)


def test_lv_remove_refuses_an_lv_titanic_uses(anylab: Lab, tmp_path) -> None:
    lv = "secours-root"            # titanic's root disk on fx and on the real lab alike
    assert "lvm-secours--root" in anylab.ssh("cat", "/etc/xen/titanic.cfg")
    rec = run(anylab, tmp_path, "lv-remove", apply=True, confirm=f"lvm/{lv}", lv=lv)
    assert rec.status == "failed" and rec.error["ename"] == "PreconditionFailed"
    assert "titanic" in rec.error["evalue"]
    assert lv in lv_bytes(anylab)
    assert not any(c.startswith("lvremove") for c in rec.commands)


@pytest.mark.xen_hotplug
def test_domu_shutdown_and_start_titanic(anylab: Lab, tmp_path) -> None:
    lab = anylab
    assert "titanic" in lab.xl_names()
    down = run(lab, tmp_path, "domu-lifecycle", apply=True, domu="titanic", action="shutdown")
    assert down.status == "succeeded" and down.changed, down.error
    assert "titanic" not in lab.xl_names()
    again = run(lab, tmp_path, "domu-lifecycle", apply=True, domu="titanic", action="shutdown")
    assert again.status == "succeeded" and not again.changed
    up = run(lab, tmp_path, "domu-lifecycle", apply=True, domu="titanic", action="start")
    assert up.status == "succeeded" and up.changed, up.error
    assert "titanic" in lab.xl_names()
    domid = lab.ssh("xl", "domid", "titanic").strip()
    assert "xenbr0" in lab.ssh("brctl", "show", "xenbr0") and f"vif{domid}.0" in \
        lab.ssh("brctl", "show", "xenbr0")


@pytest.mark.xen_hotplug
def test_domu_reboot_titanic(anylab: Lab, tmp_path) -> None:
    # The runbook's default action. On the real lab `xl reboot` returns at once and the
    # guest comes back as a new domain about 100 s later; the plan waits for that.
    lab = anylab
    before = int(lab.ssh("xl", "domid", "titanic"))
    rec = run(lab, tmp_path, "domu-lifecycle", apply=True, domu="titanic", action="reboot")
    assert rec.status == "succeeded" and rec.changed, rec.error
    after = int(lab.ssh("xl", "domid", "titanic"))
    assert after != before
    row = next(ln.split() for ln in lab.ssh("xl", "list").splitlines() if ln.startswith("titanic"))
    assert row[1] == str(after) and "p" not in row[4]             # running, not still building
    assert f"running as domain {after}" in outputs(rec)
    assert f"vif{after}.0" in lab.ssh("brctl", "show", "xenbr0")


@pytest.mark.xen_hotplug
def test_domu_create_then_remove_a_second_domu(anylab: Lab, tmp_path) -> None:
    lab = anylab
    boot = REAL_GUEST if lab.real else {}
    params = {"domu": "mail", "memory": 128, "root_size": "128M", "swap_size": "32M",
              "bridge": "xenbr1", **boot}
    made = run(lab, tmp_path, "domu-create", apply=True, **params)
    assert made.status == "succeeded" and made.changed, made.error
    assert "mail" in lab.xl_names() and "titanic" in lab.xl_names()
    assert {"mail-root", "mail-swap"} <= set(lv_bytes(lab))
    domid = lab.ssh("xl", "domid", "mail").strip()
    assert f"vif{domid}.0" in lab.ssh("brctl", "show", "xenbr1")
    if lab.real:   # the guest's own console says it booted on its disks
        assert '"name": "mail"' in lab.ssh("xl", "list", "-l", "mail")
        assert_booted_on_its_disks(lab, "mail")
    again = run(lab, tmp_path, "domu-create", apply=True, **params)
    assert again.status == "succeeded" and not again.changed

    down = run(lab, tmp_path, "domu-lifecycle", apply=True, domu="mail", action="shutdown")
    assert down.status == "succeeded" and "mail" not in lab.xl_names(), down.error
    refused = run(lab, tmp_path, "domu-remove", apply=True, domu="mail")
    assert refused.error["ename"] == "ConfirmationRequired"
    gone = run(lab, tmp_path, "domu-remove", apply=True, confirm="mail", domu="mail")
    assert gone.status == "succeeded" and gone.changed, gone.error
    assert not {"mail-root", "mail-swap"} & set(lv_bytes(lab))
    assert "mail.cfg" not in lab.ssh("ls", "/etc/xen")


def test_bridge_add_on_a_vlan_then_it_persists(anylab: Lab, tmp_path) -> None:
    lab = anylab
    trunk = "eth1" if lab.real else "eth0"
    uplink = f"{trunk}.43"
    dry = run(lab, tmp_path, "bridge-add", bridge="xenbr3", uplink=uplink)
    assert dry.outcome["status"] == "dry-run" and "xenbr3" not in lab.ssh("brctl", "show")
    done = run(lab, tmp_path, "bridge-add", apply=True, bridge="xenbr3", uplink=uplink)
    assert done.status == "succeeded" and done.changed, done.error
    assert uplink in lab.ssh("brctl", "show", "xenbr3")
    vlan = lab.ssh("ip", "-d", "link", "show", uplink)
    assert "vlan protocol 802.1Q id 43" in vlan
    if lab.real:    # dom0 has no ifupdown: fxkit says the bridge will not persist
        assert "ifupdown is not installed" in outputs(done)
        assert lab.ssh("ls", "/etc/network/interfaces.d/xenbr3", check=False) == ""
    else:
        assert f"bridge_ports {uplink}" in lab.ssh("cat", "/etc/network/interfaces.d/xenbr3")
    again = run(lab, tmp_path, "bridge-add", apply=True, bridge="xenbr3", uplink=uplink)
    assert again.status == "succeeded" and not again.changed
    if lab.real:    # put the real lab back as it was (the simulated one is reset per test)
        for argv in (["ip", "link", "del", "xenbr3"], ["ip", "link", "del", uplink]):
            lab.ssh(*argv)


def test_fx_doctor_runs_on_both_labs(anylab: Lab, tmp_path) -> None:
    rec = run(anylab, tmp_path, "fx-doctor")
    assert rec.status == "succeeded" and not rec.changed, rec.error
    # findings read "SEVERITY CODE: message"
    assert [f for f in rec.outcome["findings"] if f.startswith("error")] == []
    if anylab.real:     # titanic boots from the secours LVs, as in the seed's config
        assert any(f.startswith("warning orphan-lv: lvm/titanic-root") for f in
                   rec.outcome["findings"])
