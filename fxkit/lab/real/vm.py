"""Boot, find, and stop the real lab's QEMU VM (Xen 4.17 + Debian dom0, TCG only)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from fxkit.errors import LabError
from fxkit.lab.real.paths import ImagePaths, StatePaths

MEMORY_MB = int(os.environ.get("FXKIT_REAL_MEMORY_MB", "2048"))
DOM0_MB = 1024
# Two vCPUs: QEMU then runs one TCG thread per vCPU (MTTCG), boots ~40% faster, and dom0
# did not corrupt its memory after `xl create` as it sometimes did with one (README.md).
SMP = int(os.environ.get("FXKIT_REAL_SMP", "2"))
# Experiment knobs (see fxkit/lab/real/README.md): QEMU -cpu model, -accel tcg options,
# and extra words for Xen's command line.
# Nehalem, not max: with -cpu max (XSAVE, AVX...) dom0's processes got corrupted as soon
# as a domU ran beside it (heap corruption in xl, sshd refusing keys, systemd segfaulting);
# with Nehalem's plain FXSAVE CPU they did not (README.md, experiments E1-E2).
CPU = os.environ.get("FXKIT_REAL_CPU", "Nehalem")
ACCEL = os.environ.get("FXKIT_REAL_ACCEL", "tcg,tb-size=256")
XEN_EXTRA = os.environ.get("FXKIT_REAL_XEN_ARGS", "")
# smap=0: TCG and Xen's PV entry path disagree on SMAP; bootscrub=0: don't touch every page
# (keeps QEMU's RSS near 1 GB); noreboot: dom0 poweroff ends QEMU (README.md).
# xpti=false pv-l1tf=false spec-ctrl=no: Xen takes the emulated Nehalem for a CPU open to
# Meltdown and L1TF, so it gave every PV guest its own page tables per kernel entry (XPTI)
# and shadow paging (domUs), each a TLB flush or a trap that TCG emulates slowly. The
# "hardware" here is an emulator on the developer's machine: those mitigations protect
# nothing, and without them dom0's commands run 2-3 times faster (README.md).
XEN_CMDLINE = (f"console=com1 com1=115200,8n1 dom0_mem={DOM0_MB}M,max:{DOM0_MB}M smap=0 "
               "bootscrub=0 noreboot loglvl=warning guest_loglvl=warning "
               "xpti=false pv-l1tf=false spec-ctrl=no"
               + (" " + XEN_EXTRA if XEN_EXTRA else ""))
# mitigations=off: the same reasoning for dom0's own kernel. norandmaps: QEMU keys the code
# it translates by the guest's virtual address, so with address space randomisation every
# exec in dom0 mapped its binary and libraries at new addresses and had them translated
# again (~3,500 blocks for one /bin/true); without it, they are translated once and reused:
# 40-45% less QEMU CPU for fact reads and `lvs`, the code cache no longer flushed (README.md).
DOM0_CMDLINE = ("root=/dev/vda rw console=hvc0 earlyprintk=xen net.ifnames=0 quiet "
                "systemd.show_status=1 mitigations=off norandmaps")
UPLINKS = 2                       # eth1, eth2: physical ports for the bridges


def qemu_argv(image: ImagePaths, state: StatePaths, port: int,
              incoming_fd: int | None = None) -> list[str]:
    """The QEMU command line; KVM is not used (this host's KVM cannot run Xen).

    QMP on a unix socket in the lab dir is how the lab saves and resumes the VM
    (snapshot.py); ``incoming_fd`` (an open saved state) makes QEMU load it instead of
    booting. Everything else must stay identical between a save and its restores.
    """
    def module(path: Path, args: str = "") -> str:
        return (str(path) + (" " + args if args else "")).replace(",", ",,")
    argv = ["qemu-system-x86_64", "-name", "fxkit-real", "-accel", ACCEL,
            "-cpu", CPU, "-m", str(MEMORY_MB), "-smp", str(SMP), "-no-reboot",
            "-nodefaults", "-display", "none", "-vga", "none",
            "-qmp", f"unix:{state.qmp},server=on,wait=off",
            "-serial", f"file:{state.serial}", "-daemonize", "-pidfile", str(state.pidfile),
            "-kernel", str(image.xen), "-append", XEN_CMDLINE,
            "-initrd", module(image.vmlinuz, DOM0_CMDLINE) + "," + module(image.initrd),
            "-drive", f"file={state.overlay},if=virtio,format=qcow2",
            "-drive", f"file={state.array},if=virtio,format=raw",
            "-nic", f"user,model=virtio-net-pci,mac=52:54:00:f0:00:00,restrict=on,"
                    f"hostfwd=tcp:127.0.0.1:{port}-:22"]
    for n in range(1, UPLINKS + 1):
        argv += ["-nic", f"user,model=virtio-net-pci,mac=52:54:00:f0:00:0{n},restrict=on"]
    if incoming_fd is not None:
        argv += ["-incoming", f"fd:{incoming_fd}"]
    return argv


@dataclass
class VmState:
    """What start wrote down: enough for status, stop and stale detection."""

    pid: int
    port: int
    how: str
    started_at: float
    boot_seconds: float | None = None
    provision_seconds: float | None = None
    image_built_at: str = ""
    restored_from: str = ""          # the snapshot's save time, when restored from one
    restore_seconds: float | None = None

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> VmState | None:
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            return None


def launch(image: ImagePaths, state: StatePaths, port: int,
           incoming_fd: int | None = None) -> int:
    """Start QEMU daemonized; returns its pid (from QEMU's own pidfile). With
    ``incoming_fd`` (an open saved state, inherited by QEMU) it loads that state paused."""
    if shutil.which("qemu-system-x86_64") is None:
        raise LabError("the real lab needs qemu-system-x86_64: install the Debian package "
                       "qemu-system-x86")
    state.pidfile.unlink(missing_ok=True)
    state.qmp.unlink(missing_ok=True)
    state.serial.write_text("")
    fds = () if incoming_fd is None else (incoming_fd,)
    r = subprocess.run(qemu_argv(image, state, port, incoming_fd), capture_output=True,
                       text=True, check=False, timeout=60, pass_fds=fds)
    if r.returncode != 0:
        raise LabError(f"QEMU did not start ({r.returncode}): {r.stderr.strip()[-600:]}")
    return read_pid(state.pidfile) or 0


def read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def qemu_pids(overlay: Path) -> list[int]:
    """QEMU processes booting this lab dir's overlay (ours, whatever the pidfile says)."""
    pids = []
    needle = f"file={overlay},".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"qemu-system" in cmdline.split(b"\0")[0] and needle in cmdline:
            pids.append(int(entry.name))
    return sorted(pids)


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.25)
    return not alive(pid)


def kill(pid: int, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds; only for QEMUs this lab started."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        if wait_gone(pid, wait):
            return


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def ssh_banner(port: int, timeout: float = 3.0) -> str:
    """The first line sshd sends on 127.0.0.1:port, or "" (QEMU's forward accepts and
    closes while nothing listens in the guest; probing by hand keeps Paramiko's
    tracebacks out of the log)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            return s.recv(256).decode("ascii", "replace").strip()
    except OSError:
        return ""


def rss_mb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def serial_tail(state: StatePaths, lines: int = 25) -> str:
    try:
        text = state.serial.read_text(errors="replace")
    except OSError:
        return "(no serial log)"
    return "\n".join(text.splitlines()[-lines:])
