"""start_real, stop_real, status_real, reset_real: the real lab's life, one VM per lab dir."""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fxkit.errors import FxkitError, LabError
from fxkit.lab.real import snapshot, vm
from fxkit.lab.real.access import ALIAS, real_host, wait_ssh, write_ssh_files
from fxkit.lab.real.disks import make_array, make_overlay
from fxkit.lab.real.image import build_image, image_manifest
from fxkit.lab.real.paths import ImagePaths, StatePaths, cache_root, image_paths, state_paths
from fxkit.lab.real.restore import restore_into, save_provisioned
from fxkit.transports.ssh import SSHHost

BOOT_TIMEOUT = float(os.environ.get("FXKIT_REAL_BOOT_TIMEOUT", "900"))  # 30-60 s when idle
Progress = Callable[[str], None]


@dataclass(frozen=True)
class RealLabInfo:
    """A running real lab: how to reach it and what its boot cost."""

    pid: int
    port: int
    ssh_config: str
    alias: str
    boot_seconds: float
    provision_seconds: float | None
    how: str
    rss_mb: int | None
    restored_from: str = ""        # when restored: the snapshot's save time
    lab: Path | None = None

    def host(self) -> SSHHost:
        return real_host(lab=self.lab)


def _print(message: str) -> None:
    # the progress line image.py prints while building (its own helper is private)
    print(f"[fxkit real lab {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def start_real(port: int | None = None, *, provision: bool = True, how: str = "start_real()",
               progress: Progress | None = None, timeout: float = BOOT_TIMEOUT,
               restore: bool = True, lab: Path | None = None) -> RealLabInfo:
    """Start the real lab in lab dir ``lab`` (default ``$FXKIT_LAB_DIR``), building its
    image first if needed.

    From fresh disks it restores the saved "fx, provisioned" snapshot (seconds) when one
    matches the image, QEMU and this fxkit; otherwise (or with ``restore=False``) it boots,
    waits for SSH, provisions fx and saves the snapshot for next time. Disks kept by an
    earlier ``stop_real`` are booted as they are and provisioned again.
    """
    say = progress or _print
    image = build_image(progress=say)
    manifest = image_manifest() or {}
    built_at = manifest.get("built_at", "")
    sp = state_paths(lab)
    with _locked(sp):
        running = _running(sp)
        st = vm.VmState.load(sp.state)
        if running is not None and st is not None and st.pid == running:
            if st.boot_seconds is not None:
                say(f"the real lab already runs (pid {running}, port {st.port})")
                if provision and st.provision_seconds is None:   # an earlier start was cut short
                    _provision(sp, st, real_host(lab=lab), say)
                return _info(sp, st)
            say(f"the real lab is still booting (pid {running}): waiting for it")
            started = time.monotonic() - (time.time() - st.started_at)
            return _finish_start(sp, st, started, timeout, provision, say)
        if running is not None:
            vm.kill(running)
        _clean_stale(sp, say)
        previous = vm.VmState.load(sp.state)
        if sp.overlay.exists() and previous and previous.image_built_at != built_at:
            say("the image was rebuilt since this lab's disk was made: starting from a fresh disk")
            _discard(sp)
        sp.root.mkdir(parents=True, exist_ok=True)
        port = _port(port)
        st = vm.VmState(pid=0, port=port, how=how, started_at=time.time(),
                        image_built_at=built_at)
        if sp.overlay.exists() or not provision:
            return _cold(sp, image, st, timeout, provision, say)
        _discard(sp)
        with _locked_snapshot():
            snap, why = snapshot.usable(image, manifest) if restore else (None, "--cold")
            if snap is not None:
                try:
                    return _info(sp, restore_into(sp, image, snap, port, st, timeout, say))
                except LabError as e:
                    # A lab is wanted either way: a snapshot this QEMU cannot load is
                    # replaced by a fresh one rather than blocking every start.
                    say(f"{e}: booting and provisioning instead")
                    _discard(sp)
                    why = "its restore failed"
            say(f"no snapshot to restore ({why}): booting and provisioning, then saving one")
            info = _cold(sp, image, st, timeout, provision, say)
            save_provisioned(sp, image, manifest, say)
            return info


def _port(port: int | None) -> int:
    if port is None:
        return vm.free_port()
    if not vm.port_free(port):
        raise LabError(f"port {port} on 127.0.0.1 is in use: choose another with "
                       "--port, or leave it out to pick a free one")
    return port


def _cold(sp: StatePaths, image: ImagePaths, st: vm.VmState, timeout: float, provision: bool,
          say: Progress) -> RealLabInfo:
    """Boot the lab's disks (new ones on the image if none are kept), then provision."""
    if not sp.overlay.exists():
        make_overlay(image.base, sp.overlay)
    if not sp.array.exists():
        make_array(sp.array)
    write_ssh_files(sp, image, st.port)
    say(f"booting Xen 4.17 + Debian dom0 under QEMU (TCG), ssh on 127.0.0.1:{st.port}")
    started = time.monotonic()
    st.pid = vm.launch(image, sp, st.port)
    st.started_at = time.time()
    st.save(sp.state)
    return _finish_start(sp, st, started, timeout, provision, say)


def _finish_start(sp: StatePaths, st: vm.VmState, started: float, timeout: float,
                  provision: bool, say: Progress) -> RealLabInfo:
    host, _ = wait_ssh(sp, st.pid, started, timeout)
    st.boot_seconds = round(time.monotonic() - started, 1)
    st.save(sp.state)
    say(f"dom0 answers over SSH after {st.boot_seconds:.0f} s")
    if provision:
        _provision(sp, st, host, say)
    host.close()
    return _info(sp, st)


def _provision(sp: StatePaths, st: vm.VmState, host: SSHHost, say: Progress) -> None:
    from fxkit.lab.real.provision import provision
    t = time.monotonic()
    provision(host, say)
    st.provision_seconds = round(time.monotonic() - t, 1)
    st.save(sp.state)


def stop_real(timeout: float = 90.0, progress: Progress | None = None,
              lab: Path | None = None) -> bool:
    """Power dom0 off over SSH, wait for QEMU to exit, kill it after ``timeout``.

    Returns False when no real lab was running. The overlay (the lab's state) is kept.
    """
    sp = state_paths(lab)
    with _locked(sp):
        pid = _running(sp)
        orphans = [p for p in vm.qemu_pids(sp.overlay) if p != pid]
        for p in orphans:
            vm.kill(p)
        if pid is None:
            sp.pidfile.unlink(missing_ok=True)
            return bool(orphans)
        try:
            host = real_host(connect_timeout=30.0, lab=lab)
            host.run(["systemctl", "--no-block", "poweroff"], check=False, timeout=60)
            host.close()
        except FxkitError:
            pass  # the connection may drop as dom0 goes down; the wait below decides
        if not vm.wait_gone(pid, timeout):
            if progress:
                progress(f"dom0 did not power off in {timeout:.0f} s: killing QEMU {pid}")
            vm.kill(pid)
        sp.pidfile.unlink(missing_ok=True)
        sp.qmp.unlink(missing_ok=True)
        return True


def status_real(lab: Path | None = None) -> dict | None:
    """Which real lab runs and how it started; None if none runs or ever ran here."""
    sp = state_paths(lab)
    st = vm.VmState.load(sp.state)
    pid = _running(sp)
    if st is None and pid is None:
        return None
    stale = pid is None and sp.pidfile.exists()
    if pid is None and not stale:
        return {"lab": "real", "running": False, "stale": False,
                "overlay": str(sp.overlay) if sp.overlay.exists() else None}
    info = {"lab": "real", "running": pid is not None, "stale": stale, "pid": pid,
            "port": st.port if st else None, "how": st.how if st else "?",
            "started_at": st.started_at if st else None,
            "boot_seconds": st.boot_seconds if st else None,
            "provision_seconds": st.provision_seconds if st else None,
            "restored_from": st.restored_from if st else "",
            "restore_seconds": st.restore_seconds if st else None,
            "ssh_config": str(sp.ssh_config), "alias": ALIAS,
            "rss_mb": vm.rss_mb(pid) if pid else None, "overlay": str(sp.overlay)}
    return info


def reset_real(*, start: bool = True, progress: Progress | None = None,
               how: str = "reset_real()", lab: Path | None = None) -> RealLabInfo | None:
    """Discard the lab's disks (killing its QEMU: nothing on them is kept, so no clean
    poweroff is needed) and, with ``start``, start a fresh fx: from the snapshot when one
    is usable, in seconds. Returns the started lab, or None without ``start``."""
    sp = state_paths(lab)
    with _locked(sp):
        for pid in vm.qemu_pids(sp.overlay):
            vm.kill(pid)
        _discard(sp)
    if not start:
        return None
    return start_real(how=how, progress=progress, lab=lab)


def snapshot_status() -> dict:
    """The cached snapshot: whether a start would restore it, and if not, why."""
    manifest = image_manifest()
    root = snapshot.snapshot_paths().root
    if manifest is None:
        return {"usable": False, "why": "the image is not built yet", "path": str(root)}
    snap, why = snapshot.usable(image_paths(), manifest)
    info: dict = {"usable": snap is not None, "why": why, "path": str(root)}
    if snap is not None:
        saved = json.loads(snap.manifest.read_text())
        info.update(saved_at=saved.get("saved_at"), state_bytes=saved.get("state_bytes"))
    return info


def _discard(sp: StatePaths) -> None:
    for p in (sp.overlay, sp.array, sp.state, sp.known_hosts, sp.pidfile, sp.qmp):
        p.unlink(missing_ok=True)


def _running(sp: StatePaths) -> int | None:
    """The pid of this lab dir's QEMU if it really runs (pidfile checked against /proc)."""
    pid = vm.read_pid(sp.pidfile)
    if pid is not None and vm.alive(pid) and pid in vm.qemu_pids(sp.overlay):
        return pid
    return None


def _clean_stale(sp: StatePaths, say: Progress) -> None:
    """A pidfile without its QEMU (a crash) or a QEMU without a pidfile: clean both."""
    for pid in vm.qemu_pids(sp.overlay):
        say(f"killing a stale real-lab QEMU (pid {pid}) left from an earlier run")
        vm.kill(pid)
    if sp.pidfile.exists():
        say("cleaning a stale real-lab pidfile (the VM had crashed or was killed)")
        sp.pidfile.unlink()


def _info(sp: StatePaths, st: vm.VmState) -> RealLabInfo:
    return RealLabInfo(pid=st.pid, port=st.port, ssh_config=str(sp.ssh_config), alias=ALIAS,
                       boot_seconds=st.boot_seconds or 0.0,
                       provision_seconds=st.provision_seconds, how=st.how,
                       rss_mb=vm.rss_mb(st.pid), restored_from=st.restored_from,
                       lab=sp.root.parent)


@contextmanager
def _locked(sp: StatePaths) -> Iterator[None]:
    sp.root.mkdir(parents=True, exist_ok=True)
    with open(sp.root / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


@contextmanager
def _locked_snapshot() -> Iterator[None]:
    """One lab at a time checks, makes or replaces the shared snapshot: a second lab
    started meanwhile waits, then restores the first one's instead of booting too."""
    cache_root().mkdir(parents=True, exist_ok=True)
    with open(cache_root() / ".snapshot.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


__all__ = ["RealLabInfo", "real_host", "start_real", "stop_real", "status_real", "reset_real",
           "snapshot_status"]
