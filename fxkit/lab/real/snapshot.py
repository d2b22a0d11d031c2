"""The real lab saved as "fx, provisioned": QEMU's RAM and device state plus the disks.

Made once, right after a cold boot and provisioning from fresh disks; every later start
or reset restores it in seconds instead of minutes. It lives in the image cache
(``$FXKIT_CACHE_DIR/real/snapshot/``), shared by every lab dir, and is read-only once
made: a restore copies its two small disks into the lab dir and feeds its state file to
a new QEMU. It is stale (and ignored, then replaced) when anything it was made from
changes: the image (recipe and build), QEMU's version, the VM's hardware (memory, CPUs,
CPU model, Xen and dom0 command lines, NICs), or what provisioning applies::

    snap, why = usable(image)          # (SnapshotPaths, "") or (None, "why not")
    save(qmp, state, image)            # the VM must be stopped-able; it is left paused
    prepare(snap, state)               # the disks, before QEMU starts with incoming_fd
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from fxkit.errors import LabError
from fxkit.lab.real import provision, vm
from fxkit.lab.real.paths import ImagePaths, StatePaths, cache_root
from fxkit.lab.real.qmp import Qmp, wait_migration

FORMAT = 1                       # bump when what a snapshot holds or means changes
SAVE_TIMEOUT = 300.0
FD_NAME = "fxkit-snapshot"
# The VM is stopped while it is saved, so nothing is gained by throttling the stream
# (QEMU's default cap is 128 MiB/s).
SAVE_BANDWIDTH = 8 << 30


@dataclass(frozen=True)
class SnapshotPaths:
    """The saved VM: the migration stream, the two disks as they were, the manifest."""

    root: Path

    @property
    def state(self) -> Path: return self.root / "vmstate.bin"
    @property
    def root_disk(self) -> Path: return self.root / "root.qcow2"
    @property
    def array(self) -> Path: return self.root / "array.img"
    @property
    def manifest(self) -> Path: return self.root / "manifest.json"

    def complete(self) -> bool:
        return all(p.exists() for p in (self.state, self.root_disk, self.array, self.manifest))


def snapshot_paths() -> SnapshotPaths:
    return SnapshotPaths(cache_root() / "snapshot")


def qemu_version() -> str:
    """``qemu-system-x86_64 --version``'s first line: a saved state loads only into the
    QEMU (machine type and device models) that wrote it."""
    try:
        out = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True,
                             text=True, timeout=30, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.splitlines()[0].strip() if out else ""


def hardware(image: ImagePaths) -> str:
    """A digest of the VM's command line without what changes per lab (its dir, port)."""
    argv = vm.qemu_argv(image, StatePaths(Path("/LAB")), 0)
    return hashlib.sha256("\0".join(argv).encode()).hexdigest()[:16]


def provisioning() -> str:
    """A digest of what fx is, as provision.py defines it (VG, LVs, VLAN, bridges, titanic
    and its config). How the plans get there does not count: provisioning ends by checking
    that the lab is that fx (``plan_fx`` empty)."""
    fx = [provision.VG, provision.ARRAY_PV, provision.LVS, provision.VLAN, provision.BRIDGES,
          provision.GUEST, provision.GUEST_CFG, provision.TITANIC]
    return hashlib.sha256(json.dumps(fx).encode()).hexdigest()[:16]


def key(image: ImagePaths, image_manifest: dict) -> dict:
    """What a snapshot must have been made from to be restored now (see the docstring)."""
    return {"format": FORMAT, "image_recipe": image_manifest.get("recipe"),
            "image_built_at": image_manifest.get("built_at"), "qemu": qemu_version(),
            "hardware": hardware(image), "provisioning": provisioning()}


def stale_reason(saved: dict, wanted: dict) -> str:
    """Why a snapshot made with key ``saved`` cannot stand for ``wanted`` ("" if it can)."""
    what = {"format": "the snapshot format", "image_recipe": "the image recipe",
            "image_built_at": "the image (rebuilt)", "qemu": "QEMU's version",
            "hardware": "the VM's hardware (memory, CPUs, CPU model, command lines)",
            "provisioning": "what fx is (provision.py's VG, LVs, bridges, titanic)"}
    changed = [what[k] for k in wanted if saved.get(k) != wanted[k]]
    return "; ".join(f"{c} changed" for c in changed)


def usable(image: ImagePaths, image_manifest: dict) -> tuple[SnapshotPaths | None, str]:
    """The cached snapshot if it can be restored now, else (None, why not)."""
    snap = snapshot_paths()
    if not snap.complete():
        return None, "no snapshot saved yet"
    try:
        saved = json.loads(snap.manifest.read_text()).get("key", {})
    except (OSError, ValueError, AttributeError):
        return None, "the snapshot's manifest is unreadable"
    why = stale_reason(saved, key(image, image_manifest))
    return (None, why) if why else (snap, "")


def save(qmp: Qmp, sp: StatePaths, image: ImagePaths, image_manifest: dict) -> dict:
    """Stop the VM, write its state and copies of its disks as the snapshot (atomically,
    replacing a stale one). The VM is left stopped: ``cont`` resumes it."""
    snap = snapshot_paths()
    work = snap.root.with_name(f"snapshot.tmp-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    tmp = SnapshotPaths(work)
    started = time.monotonic()
    try:
        qmp.execute("stop")
        qmp.execute("migrate-set-parameters", {"max-bandwidth": SAVE_BANDWIDTH})
        with open(tmp.state, "wb") as f:
            # fd: rather than exec:, so no shell ever sees a path (QEMU 7.2 has no file:).
            qmp.execute("getfd", {"fdname": FD_NAME}, fds=[f.fileno()])
            qmp.execute("migrate", {"uri": f"fd:{FD_NAME}"})
            info = wait_migration(qmp, SAVE_TIMEOUT)
        # Stopped means flushed: QEMU drains and flushes every disk when the VM stops.
        copy_sparse(sp.overlay, tmp.root_disk)
        copy_sparse(sp.array, tmp.array)
        manifest = {"key": key(image, image_manifest),
                    "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "saved_epoch": time.time(),
                    "save_seconds": round(time.monotonic() - started, 2),
                    "state_bytes": tmp.state.stat().st_size,
                    "migration_ms": info.get("total-time")}
        tmp.manifest.write_text(json.dumps(manifest, indent=1) + "\n")
        old = snap.root.with_name(f"snapshot.old-{os.getpid()}")
        if snap.root.exists():
            snap.root.rename(old)
        work.rename(snap.root)
        shutil.rmtree(old, ignore_errors=True)
        return manifest
    finally:
        shutil.rmtree(work, ignore_errors=True)


def prepare(snap: SnapshotPaths, sp: StatePaths) -> None:
    """The lab dir's disks as the snapshot's (copies: the snapshot itself stays read-only)."""
    sp.root.mkdir(parents=True, exist_ok=True)
    copy_sparse(snap.root_disk, sp.overlay)
    copy_sparse(snap.array, sp.array)


def copy_sparse(src: Path, dst: Path) -> None:
    """Copy a disk image keeping its holes (the array is 4 GB of which a few MB are used)."""
    tmp = dst.with_name(dst.name + ".part")
    r = subprocess.run(["cp", "--sparse=always", "--reflink=auto", "--", str(src), str(tmp)],
                       capture_output=True, text=True, check=False)
    if r.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise LabError(f"copying the real lab's disk {src} to {dst} failed: {r.stderr.strip()}")
    tmp.rename(dst)


def resume(qmp: Qmp, timeout: float) -> float:
    """Wait until an incoming QEMU has loaded the saved state, then run the VM; returns the
    seconds the load took. The VM was saved stopped, so it arrives paused."""
    started = time.monotonic()
    while True:
        status = qmp.execute("query-status").get("status")
        if status == "paused":
            break
        if status == "running":
            return time.monotonic() - started
        migrate = qmp.execute("query-migrate")
        if migrate.get("status") == "failed":
            raise LabError("QEMU could not load the real lab's snapshot: "
                           f"{migrate.get('error-desc', 'no reason given')}")
        if time.monotonic() - started > timeout:
            raise LabError(f"QEMU did not load the real lab's snapshot within {timeout:.0f} s "
                           f"(status {status!r})")
        time.sleep(0.05)
    loaded = time.monotonic() - started
    qmp.execute("cont")
    return loaded


__all__ = ["SnapshotPaths", "snapshot_paths", "key", "stale_reason", "usable", "save",
           "prepare", "resume", "copy_sparse", "qemu_version", "FORMAT"]
