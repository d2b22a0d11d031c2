"""start_real, stop_real, status_real, reset_real: the real lab's life, one VM per lab dir."""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fxkit.errors import FxkitError, LabError
from fxkit.lab.real import vm
from fxkit.lab.real.disks import make_array, make_overlay
from fxkit.lab.real.image import build_image, image_manifest
from fxkit.lab.real.paths import ImagePaths, StatePaths, state_paths
from fxkit.transports.ssh import SSHHost

ALIAS = "fxkit-real"
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

    def host(self) -> SSHHost:
        return real_host()


def _print(message: str) -> None:
    # the progress line image.py prints while building (its own helper is private)
    print(f"[fxkit real lab {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def real_host(connect_timeout: float = 90.0) -> SSHHost:
    """An SSHHost for the running real lab's dom0 (root, key only, known host key)."""
    from fxkit.transports.ssh_config import ssh_host
    host = ssh_host(ALIAS, ssh_config=str(state_paths().ssh_config), name="lab:real")
    host.connect_timeout = connect_timeout
    return host


def start_real(port: int | None = None, *, provision: bool = True, how: str = "start_real()",
               progress: Progress | None = None, timeout: float = BOOT_TIMEOUT) -> RealLabInfo:
    """Boot the real lab (building its image first if needed), wait for SSH, provision fx."""
    say = progress or _print
    image = build_image(progress=say)
    sp = state_paths()
    with _locked(sp):
        running = _running(sp)
        st = vm.VmState.load(sp.state)
        if running is not None and st is not None and st.pid == running:
            if st.boot_seconds is not None:
                say(f"the real lab already runs (pid {running}, port {st.port})")
                if provision and st.provision_seconds is None:
                    _provision(sp, st, real_host(), say)   # an earlier start was cut short
                return _info(sp, st)
            say(f"the real lab is still booting (pid {running}): waiting for it")
            started = time.monotonic() - (time.time() - st.started_at)
            return _finish_start(sp, st, started, timeout, provision, say)
        if running is not None:
            vm.kill(running)
        _clean_stale(sp, say)
        built_at = (image_manifest() or {}).get("built_at", "")
        previous = vm.VmState.load(sp.state)
        if sp.overlay.exists() and previous and previous.image_built_at != built_at:
            say("the image was rebuilt since this lab's disk was made: starting from a fresh disk")
            _discard(sp)
        sp.root.mkdir(parents=True, exist_ok=True)
        if not sp.overlay.exists():
            make_overlay(image.base, sp.overlay)
        if not sp.array.exists():
            make_array(sp.array)
        if port is None:
            port = vm.free_port()
        elif not vm.port_free(port):
            raise LabError(f"port {port} on 127.0.0.1 is in use: choose another with "
                           "--port, or leave it out to pick a free one")
        _write_ssh_files(sp, image, port)
        say(f"booting Xen 4.17 + Debian dom0 under QEMU (TCG), ssh on 127.0.0.1:{port}")
        started = time.monotonic()
        pid = vm.launch(image, sp, port)
        st = vm.VmState(pid=pid, port=port, how=how, started_at=time.time(),
                        image_built_at=built_at)
        st.save(sp.state)
        return _finish_start(sp, st, started, timeout, provision, say)


def _finish_start(sp: StatePaths, st: vm.VmState, started: float, timeout: float,
                  provision: bool, say: Progress) -> RealLabInfo:
    host = _wait_ssh(sp, st.pid, started, timeout)
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


def stop_real(timeout: float = 90.0, progress: Progress | None = None) -> bool:
    """Power dom0 off over SSH, wait for QEMU to exit, kill it after ``timeout``.

    Returns False when no real lab was running. The overlay (the lab's state) is kept.
    """
    sp = state_paths()
    with _locked(sp):
        pid = _running(sp)
        orphans = [p for p in vm.qemu_pids(sp.overlay) if p != pid]
        for p in orphans:
            vm.kill(p)
        if pid is None:
            sp.pidfile.unlink(missing_ok=True)
            return bool(orphans)
        try:
            host = real_host(connect_timeout=30.0)
            host.run(["systemctl", "--no-block", "poweroff"], check=False, timeout=60)
            host.close()
        except FxkitError:
            pass  # the connection may drop as dom0 goes down; the wait below decides
        if not vm.wait_gone(pid, timeout):
            if progress:
                progress(f"dom0 did not power off in {timeout:.0f} s: killing QEMU {pid}")
            vm.kill(pid)
        sp.pidfile.unlink(missing_ok=True)
        return True


def status_real() -> dict | None:
    """Which real lab runs and how it started; None if none runs or ever ran here."""
    sp = state_paths()
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
            "ssh_config": str(sp.ssh_config), "alias": ALIAS,
            "rss_mb": vm.rss_mb(pid) if pid else None, "overlay": str(sp.overlay)}
    return info


def reset_real() -> None:
    """Stop the VM if it runs and discard its disks: the next start is a fresh fx."""
    stop_real()
    sp = state_paths()
    with _locked(sp):
        _discard(sp)


def _discard(sp: StatePaths) -> None:
    for p in (sp.overlay, sp.array, sp.state, sp.known_hosts, sp.pidfile):
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


def _write_ssh_files(sp: StatePaths, image: ImagePaths, port: int) -> None:
    # The host keys were generated into the image at build time, so they are known
    # before the first connection: nothing is ever accepted blindly.
    keys = [ln.split()[:2] for ln in image.host_keys.read_text().splitlines() if ln.strip()]
    sp.known_hosts.write_text("".join(f"[127.0.0.1]:{port} {t} {k}\n" for t, k in keys))
    sp.ssh_config.write_text(
        f"Host {ALIAS}\n  HostName 127.0.0.1\n  Port {port}\n  User root\n"
        f"  IdentityFile {image.key}\n  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {sp.known_hosts}\n  StrictHostKeyChecking yes\n")


def _wait_ssh(sp: StatePaths, pid: int, started: float, timeout: float) -> SSHHost:
    last = ""
    while time.monotonic() - started < timeout:
        if not vm.alive(pid):
            raise LabError(f"the real lab's QEMU exited during boot. Serial console tail:\n"
                           f"{vm.serial_tail(sp)}")
        port = (vm.VmState.load(sp.state) or vm.VmState(0, 0, "", 0.0)).port
        # sshd re-executes itself per connection: on a loaded TCG host the banner alone
        # took 24 s, so probe with patience rather than often.
        banner = vm.ssh_banner(port, timeout=90.0)
        if banner.startswith("SSH-"):
            host = real_host()
            try:
                # Ready means Xen's toolstack answers, not only sshd.
                r = host.run(["xl", "list"], timeout=120, check=False)
                if r.ok:
                    return host
                last = f"sshd answers, `xl list` not yet: {r.stderr.strip()[-200:]}"
            except FxkitError as e:
                last = str(e)
            host.close()
        else:
            last = banner or "no SSH banner yet"
        time.sleep(2)
    vm.kill(pid)
    raise LabError(f"the real lab's dom0 did not answer SSH within {timeout:.0f} s "
                   f"(last: {last}); QEMU was stopped. Serial console tail:\n{vm.serial_tail(sp)}")


def _info(sp: StatePaths, st: vm.VmState) -> RealLabInfo:
    return RealLabInfo(pid=st.pid, port=st.port, ssh_config=str(sp.ssh_config), alias=ALIAS,
                       boot_seconds=st.boot_seconds or 0.0,
                       provision_seconds=st.provision_seconds, how=st.how,
                       rss_mb=vm.rss_mb(st.pid))


@contextmanager
def _locked(sp: StatePaths) -> Iterator[None]:
    sp.root.mkdir(parents=True, exist_ok=True)
    with open(sp.root / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


__all__ = ["RealLabInfo", "real_host", "start_real", "stop_real", "status_real", "reset_real"]
