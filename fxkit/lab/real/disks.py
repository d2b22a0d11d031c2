"""The VM's disks: a copy-on-write overlay on the cached root image, and fx's RAID1 array."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

from fxkit.errors import LabError

MiB = 1 << 20
ARRAY_SIZE = 4096 * MiB      # sparse; fx's array is 67 GB, the lab keeps its shape, not its size
BOOT_SIZE = 128 * MiB        # fx has an 855 MB /boot partition in front of the LVM partition
SECTOR = 512


def mbr(disk_bytes: int, parts: list[tuple[int, int, int, bool]]) -> bytes:
    """A DOS partition table: parts are (start_sector, sectors, type, bootable).

    Layout from the MBR format fdisk writes (util-linux libfdisk/src/dos.c): four 16-byte
    entries at offset 446, signature 55 AA; CHS fields set to the LBA-only marker.
    """
    if len(parts) > 4:
        raise ValueError("a DOS partition table holds four primary partitions")
    table = b""
    for start, count, ptype, boot in parts:
        if start + count > disk_bytes // SECTOR:
            raise ValueError(f"partition at {start} (+{count}) runs past the disk end")
        chs = b"\xfe\xff\xff"
        table += struct.pack("<B3sB3sII", 0x80 if boot else 0, chs, ptype, chs, start, count)
    table = table.ljust(64, b"\0")
    disk_id = struct.pack("<I", 0xf0f0_2007)
    return b"\0" * 440 + disk_id + b"\0\0" + table + b"\x55\xaa"


def make_array(path: Path, size: int = ARRAY_SIZE) -> None:
    """A sparse disk image shaped like fx's array: /boot (type 83) then LVM (type 8e)."""
    boot_start = MiB // SECTOR                      # 1 MiB aligned, as fdisk does
    boot_sectors = BOOT_SIZE // SECTOR
    lvm_start = boot_start + boot_sectors
    lvm_sectors = size // SECTOR - lvm_start
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.truncate(size)
        f.write(mbr(size, [(boot_start, boot_sectors, 0x83, True),
                           (lvm_start, lvm_sectors, 0x8E, False)]))


def make_overlay(base: Path, overlay: Path) -> None:
    """A qcow2 overlay whose backing file is the cached raw root image (base stays untouched)."""
    tool = shutil.which("qemu-img")
    if tool is None:
        raise LabError("the real lab needs `qemu-img` for its copy-on-write root disk: "
                       "install the Debian package qemu-utils")
    overlay.parent.mkdir(parents=True, exist_ok=True)
    r = subprocess.run([tool, "create", "-q", "-f", "qcow2", "-b", str(base), "-F", "raw",
                        str(overlay)], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise LabError(f"qemu-img create {overlay} failed: {r.stderr.strip()}")
