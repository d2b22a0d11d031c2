"""Restoring the real lab from its snapshot, and saving the snapshot after a cold start.

A restore is: copy the snapshot's two small disks into the lab dir, start QEMU with the
saved state as its incoming migration, ``cont`` once loaded, wait for SSH and ``xl list``
(titanic must be in it), then set dom0's clock and reseed its random generator
(freshen.py). Seconds, against minutes for a boot and provisioning.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from fxkit.errors import LabError
from fxkit.lab.real import snapshot, vm
from fxkit.lab.real.access import real_host, wait_ssh, write_ssh_files
from fxkit.lab.real.freshen import freshen
from fxkit.lab.real.guests import wait_booted
from fxkit.lab.real.paths import ImagePaths, StatePaths
from fxkit.lab.real.provision import GUEST
from fxkit.lab.real.qmp import Qmp
from fxkit.transports.ssh import SSHHost
from fxkit.xen.domains import parse_list

Progress = Callable[[str], None]
LOAD_TIMEOUT = 300.0
# After provisioning, titanic is still booting; a snapshot taken then would make every
# restore finish that boot again. Its front-ends connect once its init has loaded them,
# just before it idles (initrd.py, guests.py).
SETTLE_SECONDS = 90.0


def restore_into(sp: StatePaths, image: ImagePaths, snap: snapshot.SnapshotPaths, port: int,
                 st: vm.VmState, timeout: float, say: Progress) -> vm.VmState:
    """Start the lab in ``sp`` from ``snap``; ``st`` (how, image) is filled in and saved."""
    started = time.monotonic()
    snapshot.prepare(snap, sp)
    write_ssh_files(sp, image, port)
    saved = snapshot_saved_at(snap)
    say(f"restoring the provisioned fx saved {saved} (ssh on 127.0.0.1:{port})")
    with open(snap.state, "rb") as state:
        st.pid = vm.launch(image, sp, port, incoming_fd=state.fileno())
    st.port, st.started_at, st.restored_from = port, time.time(), saved
    st.save(sp.state)
    try:
        with Qmp.connect(sp.qmp) as qmp:
            loaded = snapshot.resume(qmp, LOAD_TIMEOUT)
        host, listing = wait_ssh(sp, st.pid, started, timeout, patience=5.0)
        try:
            check_guest(listing)
            fresh = freshen(host)
        finally:
            host.close()
    except LabError as e:
        vm.kill(st.pid)
        raise LabError(f"restoring the real lab from its snapshot failed: {e}") from None
    st.boot_seconds = round(time.monotonic() - started, 1)
    st.restore_seconds = round(loaded, 1)
    st.provision_seconds = 0.0                       # the provisioned state was restored
    st.save(sp.state)
    say(f"dom0 answers SSH and `xl list` (titanic running) {st.boot_seconds:.1f} s after the "
        f"command (state loaded in {loaded:.1f} s); its clock was {fresh.behind_seconds:.0f} s "
        "behind and is set, its random generator "
        + ("reseeded" if fresh.reseeded else "fed (this kernel cannot force a reseed)"))
    return st


def check_guest(listing: str) -> None:
    names = {d.name: d for d in parse_list(listing)}
    if GUEST not in names:
        raise LabError(f"the restored dom0 does not run {GUEST}: `xl list` shows "
                       f"{', '.join(names) or 'nothing'}")


def snapshot_saved_at(snap: snapshot.SnapshotPaths) -> str:
    try:
        return str(json.loads(snap.manifest.read_text()).get("saved_at", "?"))
    except (OSError, ValueError):
        return "?"


def settle(host: SSHHost, say: Progress, timeout: float = SETTLE_SECONDS) -> bool:
    """Wait (bounded) until titanic's disks and NICs are connected: the VM is then quiet."""
    if wait_booted(host, GUEST, timeout):
        time.sleep(3)                  # init brings the NICs up and reaches its idle loop
        return True
    say(f"{GUEST}'s devices were not all connected within {timeout:.0f} s: saving anyway")
    return False


def save_provisioned(sp: StatePaths, image: ImagePaths, image_manifest: dict,
                     say: Progress) -> dict:
    """Save the just-provisioned lab as the snapshot, then let it run on (clock set)."""
    host = real_host(lab=sp.root.parent)
    try:
        settle(host, say)
    finally:
        host.close()                         # no SSH session inside the saved state
    with Qmp.connect(sp.qmp) as qmp:
        try:
            manifest = snapshot.save(qmp, sp, image, image_manifest)
        finally:
            qmp.execute("cont")
    host = real_host(lab=sp.root.parent)
    try:
        freshen(host)                        # it was stopped while saving
    finally:
        host.close()
    say(f"saved the provisioned fx as the real lab's snapshot: "
        f"{manifest['state_bytes'] >> 20} MiB of state in {manifest['save_seconds']} s; "
        "the next start or reset restores it")
    return manifest


__all__ = ["restore_into", "save_provisioned", "settle", "check_guest", "LOAD_TIMEOUT"]
