"""The e2fsprogs tools on the lab's LVs: mkfs.ext4 (mke2fs), resize2fs, e2fsck, dumpe2fs.

They change only the LV's ``fs`` record; texts follow e2fsprogs 1.47.0 (Debian 12).
mkswap, blkid, dd and blkdiscard are in ``blockdev``.
"""

from __future__ import annotations

from typing import Any

from fxkit.lab.lvm.volumes import LogicalVolume
from fxkit.lab.shell.base import Call, Output

E2FS = "1.47.0 (5-Feb-2023)"
BLOCK = 4096


def target(call: Call, path: str) -> LogicalVolume | None:
    """The LV a device path names (``/dev/VG/LV``, ``/dev/mapper/...``), or None."""
    return call.state.lvm.resolve(path)


def in_use(call: Call, lv: LogicalVolume) -> bool:
    """Whether a running domain holds the LV open (the tools then refuse it)."""
    return lv.full_name in call.state.lvm.open_lvs()


def _journal_blocks(blocks: int) -> int:
    # e2fsprogs lib/ext2fs/mkjournal.c: ext2fs_default_journal_size
    for limit, size in ((32768, 1024), (256 * 1024, 4096), (512 * 1024, 8192),
                        (4096 * 1024, 16384), (8192 * 1024, 32768), (16384 * 1024, 65536),
                        (32768 * 1024, 131072)):
        if blocks < limit:
            return size
    return 262144


def _backups(blocks: int) -> list[int]:
    groups = -(-blocks // 32768)
    found = {1}
    for base in (3, 5, 7):
        g = base
        while g < groups:
            found.add(g)
            g *= base
    return [g * 32768 for g in sorted(found) if g < groups]


def device_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """(options, operands) of a simple tool's command line: options start with "-"."""
    flags = [a for a in argv if a.startswith("-")]
    return flags, [a for a in argv if not a.startswith("-")]


# mke2fs options that take a value (e2fsprogs misc/mke2fs.c, PRS's getopt string)
_MKE2FS_VALUED = frozenset("-b -C -d -E -e -g -G -i -I -J -l -L -m -M -N -o -O -r -t -T -U -z"
                           .split())


def _mke2fs_args(args: list[str]) -> tuple[dict[str, str], set[str], list[str]]:
    """(options with their value, flags, positional arguments) of an mke2fs command line."""
    values: dict[str, str] = {}
    flags: set[str] = set()
    rest: list[str] = []
    it = iter(args)
    for a in it:
        if a in _MKE2FS_VALUED:
            values[a] = next(it, "")
        elif a.startswith("-") and len(a) > 2 and a[:2] in _MKE2FS_VALUED:
            values[a[:2]] = a[2:]                          # -Lname
        elif a.startswith("-"):
            flags.update(f"-{c}" for c in a[1:])           # -qF
        else:
            rest.append(a)
    return values, flags, rest


def mkfs(call: Call) -> Output:
    values, flags, rest = _mke2fs_args(call.args)
    kind = values.get("-t") or ("ext3" if call.argv[0] == "mkfs.ext3" else "ext4")
    label = values.get("-L", "")
    if not rest:
        return 1, "", "Usage: mke2fs [-c|-l filename] [-b block-size] ... device\n"
    dev = rest[0]
    head = f"mke2fs {E2FS}\n"
    lv = target(call, dev)
    if lv is None:
        return 1, "", head + f"The file {dev} does not exist and no size was specified.\n"
    if in_use(call, lv):
        return 1, "", head + f"{dev} is apparently in use by the system; will not make a " \
                             "filesystem here!\n"
    if lv.fs and "-F" not in flags and not call.stdin.strip().lower().startswith("y"):
        return 1, f"{dev} contains a {lv.fs['type']} file system\nProceed anyway? (y,N) ", head
    blocks = lv.size_bytes // BLOCK
    inodes = lv.size_bytes // 16384
    uuid = call.state.uuid("fs", lv.full_name, call.state.clock)
    lv.fs = {"type": kind, "size_bytes": blocks * BLOCK, "uuid": uuid}
    if label:
        if len(label) > 16:                 # ext labels hold 16 bytes; mke2fs cuts longer ones
            head += f"Warning: label too long; will be truncated to '{label[:16]}'\n\n"
        lv.fs["label"] = label[:16]
    call.state.tick()
    if "-q" in flags:
        return 0, "", ""
    out = (f"Creating filesystem with {blocks} 4k blocks and {inodes} inodes\n"
           f"Filesystem UUID: {uuid}\n")
    backups = _backups(blocks)
    if backups:
        out += "Superblock backups stored on blocks: \n\t" + ", ".join(map(str, backups)) + "\n"
    out += ("\nAllocating group tables: done                            \n"
            "Writing inode tables: done                            \n")
    if kind != "ext2":
        out += f"Creating journal ({_journal_blocks(blocks)} blocks): done\n"
    out += "Writing superblocks and filesystem accounting information: done\n\n"
    return 0, out, head


def resize_fs_messages(lv: LogicalVolume, new_bytes: int) -> str:
    blocks = new_bytes // BLOCK
    return (f"Resizing the filesystem on {lv.dm_path} to {blocks} (4k) blocks.\n"
            f"The filesystem on {lv.dm_path} is now {blocks} (4k) blocks long.\n\n")


def _corrupt(fs: dict[str, Any], lv: LogicalVolume) -> str:
    return (f"The filesystem size (according to the superblock) is {fs['size_bytes'] // BLOCK} "
            f"blocks\nThe physical size of the device is {lv.size_bytes // BLOCK} blocks\n"
            "Either the superblock or the partition table is likely to be corrupt!\n")


def resize2fs(call: Call) -> Output:
    flags, rest = device_args(call.args)
    head = f"resize2fs {E2FS}\n"
    if not rest:
        return 1, "", head + "Usage: resize2fs [-d debug_flags] [-f] [-F] [-M] [-P] [-p] " \
                             "device [-b|-s|new_size] [-z undo_file]\n\n"
    dev = rest[0]
    lv = target(call, dev)
    if lv is None:
        return 1, "", head + f"open: No such file or directory while opening {dev}\n"
    if in_use(call, lv):
        return 1, "", head + (f"resize2fs: Device or resource busy while trying to open {dev}\n"
                              "Couldn't find valid filesystem superblock.\n")
    fs = lv.fs
    if not fs or fs.get("type") not in ("ext2", "ext3", "ext4"):
        return 1, "", head + (f"resize2fs: Bad magic number in super-block while trying to "
                              f"open {dev}\nCouldn't find valid filesystem superblock.\n")
    if fs.get("corrupt") or fs.get("size_bytes", 0) > lv.size_bytes:
        return 1, "", head + _corrupt(fs, lv)
    if fs.get("needs_check") and "-f" not in flags:
        return 1, f"Please run 'e2fsck -f {dev}' first.\n\n", head
    new = lv.size_bytes
    if len(rest) > 1:
        arg = rest[1]
        units = {"s": 512, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}
        new = int(arg[:-1]) * units[arg[-1]] if arg[-1:] in units else int(arg) * BLOCK
    new = new // BLOCK * BLOCK
    if new == fs["size_bytes"]:
        return 0, (f"The filesystem is already {new // BLOCK} (4k) blocks long.  "
                   "Nothing to do!\n\n"), head
    if new < fs.get("min_bytes", 0):
        return 1, "", head + f"resize2fs: New size smaller than minimum " \
                             f"({fs['min_bytes'] // BLOCK})\n\n"
    fs["size_bytes"] = new
    call.state.tick()
    return 0, resize_fs_messages(lv, new).replace(lv.dm_path, dev), head


def e2fsck(call: Call) -> Output:
    _, rest = device_args(call.args)
    head = f"e2fsck {E2FS}\n"
    if not rest:
        return 16, "", "Usage: e2fsck [-panyrcdfktvDFV] [-b superblock] [-B blocksize] device\n"
    dev = rest[0]
    lv = target(call, dev)
    if lv is None:
        return 8, "", head + f"e2fsck: No such file or directory while trying to open {dev}\n"
    if in_use(call, lv):
        return 8, "", head + (f"e2fsck: Device or resource busy while trying to open {dev}\n"
                              "Filesystem mounted or opened exclusively by another program?\n")
    fs = lv.fs
    if not fs or fs.get("type") not in ("ext2", "ext3", "ext4"):
        return 8, "", head + (f"ext2fs_open2: Bad magic number in super-block\ne2fsck: "
                              f"Superblock invalid, trying backup blocks....\ne2fsck: Bad magic "
                              f"number in super-block while trying to open {dev}\n")
    if fs.get("corrupt") or fs["size_bytes"] > lv.size_bytes:
        return 8, _corrupt(fs, lv) + "Abort? yes\n\n", head
    if fs.pop("needs_check", None) is not None:
        call.state.touch()  # a change to save (the clock does not move: nothing to see)
    blocks = fs["size_bytes"] // BLOCK
    inodes = fs["size_bytes"] // 16384
    used = min(blocks, max(blocks // 36, 1024))
    return 0, ("Pass 1: Checking inodes, blocks, and sizes\nPass 2: Checking directory "
               "structure\nPass 3: Checking directory connectivity\nPass 4: Checking reference "
               "counts\nPass 5: Checking group summary information\n"
               f"{dev}: 11/{inodes} files (0.0% non-contiguous), {used}/{blocks} blocks\n"), head


def dumpe2fs(call: Call) -> Output:
    _, rest = device_args(call.args)
    head = f"dumpe2fs {E2FS}\n"
    lv = target(call, rest[0]) if rest else None
    if lv is None:
        name = rest[0] if rest else ""
        return 1, "", head + (f"dumpe2fs: No such file or directory while trying to open "
                              f"{name}\nCouldn't find valid filesystem superblock.\n")
    fs = lv.fs
    if not fs or fs.get("type") not in ("ext2", "ext3", "ext4"):
        return 1, "", head + (f"dumpe2fs: Bad magic number in super-block while trying to open "
                              f"{rest[0]}\nCouldn't find valid filesystem superblock.\n")
    blocks = fs["size_bytes"] // BLOCK
    state = "not clean" if fs.get("corrupt") else "clean"
    return 0, (f"Filesystem volume name:   {fs.get('label') or '<none>'}\n"
               "Last mounted on:          /\n"
               f"Filesystem UUID:          {fs.get('uuid', '')}\n"
               "Filesystem magic number:  0xEF53\nFilesystem revision #:    1 (dynamic)\n"
               f"Filesystem state:         {state}\n"
               f"Inode count:              {fs['size_bytes'] // 16384}\n"
               f"Block count:              {blocks}\nBlock size:               {BLOCK}\n"), head
