"""The tiny PV guest's initramfs: busybox, the Xen front-end modules and an /init, as newc cpio."""

from __future__ import annotations

import gzip
import io
import stat
from dataclasses import dataclass
from pathlib import Path

# The guest's PID 1. Busybox's `poweroff` (typed in the guest) signals init with USR2, and
# PID 1 ignores signals it does not trap, so the trap comes first (README.md, recipe 2). It
# idles in `wait` on one long sleep: a trapped signal interrupts `wait` at once, and no
# process starts every second (a `sleep 1` loop kept a tenth of a host core busy per guest).
GUEST_INIT = """#!/bin/busybox sh
trap '/bin/busybox poweroff -f' USR2 TERM
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in /lib/modules/*.ko; do insmod "$m"; done
ip link set lo up
for i in 1 2 3 4 5; do ip link show eth0 >/dev/null 2>&1 && break; sleep 1; done
for n in /sys/class/net/eth*; do [ -e "$n" ] && ip link set "${n##*/}" up; done
echo "fxkit-guest: up, disks: $(ls /sys/block | tr '\\n' ' ')"
while true; do sleep 2147483647 & wait $!; done
"""

# What the guest kernel runs on `xl shutdown` (orderly_poweroff in kernel/reboot.c runs
# /sbin/poweroff). It powers off at once rather than signal init: a request that came while
# init was still loading modules, before its trap was set, was lost and `xl shutdown -w` hung
# (seen in CI; reproduced with a shutdown 7 to 9 s after `xl create` returned).
GUEST_POWEROFF = """#!/bin/busybox sh
exec /bin/busybox poweroff -f
"""


@dataclass(frozen=True)
class Entry:
    """One cpio member: a regular file, a directory, a symlink or a device node."""

    name: str
    mode: int
    data: bytes = b""
    rdev: tuple[int, int] = (0, 0)


def newc(entries: list[Entry]) -> bytes:
    """A newc ("070701") cpio archive, the format the kernel unpacks (init/initramfs.c)."""
    out = io.BytesIO()
    for ino, e in enumerate([*entries, Entry("TRAILER!!!", 0)], 1):
        name = e.name.encode() + b"\0"
        fields = [ino, e.mode, 0, 0, 1, 0, len(e.data), 0, 0, e.rdev[0], e.rdev[1],
                  len(name), 0]
        out.write(b"070701" + b"".join(b"%08X" % f for f in fields) + name)
        out.write(b"\0" * (-(110 + len(name)) % 4))
        out.write(e.data)
        out.write(b"\0" * (-len(e.data) % 4))
    return out.getvalue()


def guest_entries(busybox: bytes, libs: dict[str, bytes], modules: dict[str, bytes]) -> list[Entry]:
    """The members of the guest initrd; ``libs`` maps absolute paths to contents."""
    dirs = {"bin", "sbin", "dev", "proc", "sys", "tmp", "lib", "lib/modules", "etc"}
    for path in libs:
        parts = path.strip("/").split("/")[:-1]
        dirs.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    entries = [Entry(d, stat.S_IFDIR | 0o755) for d in sorted(dirs)]
    entries.append(Entry("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1)))
    entries.append(Entry("bin/busybox", stat.S_IFREG | 0o755, busybox))
    entries.append(Entry("bin/sh", stat.S_IFLNK | 0o777, b"busybox"))
    entries.append(Entry("sbin/poweroff", stat.S_IFREG | 0o755, GUEST_POWEROFF.encode()))
    entries += [Entry(p.strip("/"), stat.S_IFREG | 0o755, d) for p, d in sorted(libs.items())]
    entries += [Entry(f"lib/modules/{n}", stat.S_IFREG | 0o644, d)
                for n, d in sorted(modules.items())]
    entries.append(Entry("init", stat.S_IFREG | 0o755, GUEST_INIT.encode()))
    return entries


def write_guest_initrd(rootfs: Path, kver: str, busybox: Path, libs: dict[str, Path],
                       target: Path) -> int:
    """Write the gzip'd guest initrd from the dom0 rootfs; returns its size in bytes.

    ``libs`` maps the paths busybox loads (``ldd`` in the rootfs) to the files to copy.
    """
    kdir = rootfs / "lib" / "modules" / kver / "kernel" / "drivers"
    modules = {}
    for rel in ("block/xen-blkfront.ko", "net/xen-netfront.ko"):
        found = list(kdir.glob(rel + "*"))
        if not found:
            raise FileNotFoundError(f"guest kernel module {rel} missing under {kdir}")
        if found[0].suffix != ".ko":
            raise ValueError(f"{found[0]} is compressed; insmod in busybox needs a plain .ko")
        modules[found[0].name] = found[0].read_bytes()
    lib_data = {p: f.read_bytes() for p, f in libs.items()}
    data = newc(guest_entries(busybox.read_bytes(), lib_data, modules))
    packed = gzip.compress(data, compresslevel=6, mtime=0)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(packed)
    return len(packed)
