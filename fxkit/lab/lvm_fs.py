"""Filesystem and wipe tools on the lab's block devices: mkfs.ext4, mkswap, resize2fs,
e2fsck, blkid, dd and blkdiscard. They change only the LV's ``fs`` record (and record
wipes); texts follow e2fsprogs 1.47.0, util-linux 2.38.1 and coreutils 9.1 (Debian 12).
"""

from __future__ import annotations

from typing import Any

from fxkit.lab.lvm_model import LogicalVolume
from fxkit.lab.shell import Call, Output, command

E2FS = "1.47.0 (5-Feb-2023)"
BLOCK = 4096


def _target(call: Call, path: str) -> LogicalVolume | None:
    return call.state.lvm.resolve(path)


def _in_use(call: Call, lv: LogicalVolume) -> bool:
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


def _device_args(argv: list[str]) -> tuple[list[str], list[str]]:
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


@command("mkfs.ext4", "mkfs.ext3", "mke2fs")
def mkfs(call: Call) -> Output:
    values, flags, rest = _mke2fs_args(call.args)
    kind = values.get("-t") or ("ext3" if call.argv[0] == "mkfs.ext3" else "ext4")
    label = values.get("-L", "")
    if not rest:
        return 1, "", "Usage: mke2fs [-c|-l filename] [-b block-size] ... device\n"
    dev = rest[0]
    head = f"mke2fs {E2FS}\n"
    lv = _target(call, dev)
    if lv is None:
        return 1, "", head + f"The file {dev} does not exist and no size was specified.\n"
    if _in_use(call, lv):
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


def _human(n: int) -> str:
    # util-linux lib/strutils.c size_to_human_string, one decimal, trailing .0 dropped
    units = ["B", "KiB", "MiB", "GiB", "TiB"]
    value, i = float(n), 0
    while value >= 1024 and i < len(units) - 1:
        value /= 1024
        i += 1
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text} {units[i]}"


@command("mkswap")
def mkswap(call: Call) -> Output:
    _, rest = _device_args(call.args)
    if not rest:
        return 1, "", "mkswap: no device specified\nTry 'mkswap --help' for more information.\n"
    dev = rest[0]
    lv = _target(call, dev)
    if lv is None:
        return 1, "", f"mkswap: cannot open {dev}: No such file or directory\n"
    if _in_use(call, lv):
        return 1, "", f"mkswap: error: {dev} is mounted; will not make swapspace\n"
    uuid = call.state.uuid("swap", lv.full_name, call.state.clock)
    lv.fs = {"type": "swap", "size_bytes": lv.size_bytes, "uuid": uuid}
    call.state.tick()
    size = lv.size_bytes - BLOCK
    return 0, (f"Setting up swapspace version 1, size = {_human(size)} ({size} bytes)\n"
               f"no label, UUID={uuid}\n"), ""


def resize_fs_messages(lv: LogicalVolume, new_bytes: int) -> str:
    blocks = new_bytes // BLOCK
    return (f"Resizing the filesystem on {lv.dm_path} to {blocks} (4k) blocks.\n"
            f"The filesystem on {lv.dm_path} is now {blocks} (4k) blocks long.\n\n")


def _corrupt(fs: dict[str, Any], lv: LogicalVolume) -> str:
    return (f"The filesystem size (according to the superblock) is {fs['size_bytes'] // BLOCK} "
            f"blocks\nThe physical size of the device is {lv.size_bytes // BLOCK} blocks\n"
            "Either the superblock or the partition table is likely to be corrupt!\n")


@command("resize2fs")
def resize2fs(call: Call) -> Output:
    flags, rest = _device_args(call.args)
    head = f"resize2fs {E2FS}\n"
    if not rest:
        return 1, "", head + "Usage: resize2fs [-d debug_flags] [-f] [-F] [-M] [-P] [-p] " \
                             "device [-b|-s|new_size] [-z undo_file]\n\n"
    dev = rest[0]
    lv = _target(call, dev)
    if lv is None:
        return 1, "", head + f"open: No such file or directory while opening {dev}\n"
    if _in_use(call, lv):
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


@command("e2fsck", "fsck.ext4", "fsck.ext3")
def e2fsck(call: Call) -> Output:
    _, rest = _device_args(call.args)
    head = f"e2fsck {E2FS}\n"
    if not rest:
        return 16, "", "Usage: e2fsck [-panyrcdfktvDFV] [-b superblock] [-B blocksize] device\n"
    dev = rest[0]
    lv = _target(call, dev)
    if lv is None:
        return 8, "", head + f"e2fsck: No such file or directory while trying to open {dev}\n"
    if _in_use(call, lv):
        return 8, "", head + (f"e2fsck: Device or resource busy while trying to open {dev}\n"
                              "Filesystem mounted or opened exclusively by another program?\n")
    fs = lv.fs
    if not fs or fs.get("type") not in ("ext2", "ext3", "ext4"):
        return 8, "", head + (f"ext2fs_open2: Bad magic number in super-block\ne2fsck: "
                              f"Superblock invalid, trying backup blocks....\ne2fsck: Bad magic "
                              f"number in super-block while trying to open {dev}\n")
    if fs.get("corrupt") or fs["size_bytes"] > lv.size_bytes:
        return 8, _corrupt(fs, lv) + "Abort? yes\n\n", head
    fs.pop("needs_check", None)
    blocks = fs["size_bytes"] // BLOCK
    inodes = fs["size_bytes"] // 16384
    used = min(blocks, max(blocks // 36, 1024))
    return 0, ("Pass 1: Checking inodes, blocks, and sizes\nPass 2: Checking directory "
               "structure\nPass 3: Checking directory connectivity\nPass 4: Checking reference "
               "counts\nPass 5: Checking group summary information\n"
               f"{dev}: 11/{inodes} files (0.0% non-contiguous), {used}/{blocks} blocks\n"), head


@command("blkid")
def blkid(call: Call) -> Output:
    export = "-o" in call.args and call.args[call.args.index("-o") + 1:][:1] == ["export"]
    rest = [a for i, a in enumerate(call.args)
            if not a.startswith("-") and not (i and call.args[i - 1] in ("-o", "-s"))]
    out = ""
    for dev in rest:
        lv = _target(call, dev)
        if not (lv and lv.fs):
            continue
        fs = lv.fs
        if export:     # util-linux separates the devices' blocks with an empty line
            out += "\n" if out else ""
            out += f"DEVNAME={dev}\n" + (f"LABEL={fs['label']}\n" if fs.get("label") else "")
            out += f"UUID={fs.get('uuid', '')}\n"
            out += "BLOCK_SIZE=4096\n" if fs["type"] != "swap" else ""
            out += f"TYPE={fs['type']}\n"
        else:
            extra = ' BLOCK_SIZE="4096"' if fs["type"] != "swap" else ""
            label = f'LABEL="{fs["label"]}" ' if fs.get("label") else ""
            out += f'{dev}: {label}UUID="{fs.get("uuid", "")}"{extra} TYPE="{fs["type"]}"\n'
    return (0 if out else 2), out, ""


@command("dumpe2fs")
def dumpe2fs(call: Call) -> Output:
    _, rest = _device_args(call.args)
    head = f"dumpe2fs {E2FS}\n"
    lv = _target(call, rest[0]) if rest else None
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


def _bytes(text: str) -> int:
    mult = {"": 1, "c": 1, "w": 2, "b": 512, "k": 1024, "K": 1024, "M": 1024 ** 2,
            "G": 1024 ** 3, "kB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3}
    num = text.rstrip("cwbkKMGB")
    return int(num) * mult[text[len(num):]]


@command("dd")
def dd(call: Call) -> Output:
    ops = dict(a.split("=", 1) for a in call.args if "=" in a)
    src, dst = ops.get("if", "-"), ops.get("of", "-")
    if src not in ("/dev/zero", "/dev/urandom"):
        return 1, "", f"dd: failed to open '{src}': Permission denied\n"
    lv = _target(call, dst)
    if lv is None:
        return 1, "", f"dd: failed to open '{dst}': No such file or directory\n"
    bs = _bytes(ops.get("bs", "512"))
    records = int(ops["count"]) if "count" in ops else -(-lv.size_bytes // bs)
    want = records * bs
    written = min(want, lv.size_bytes)
    full, part = divmod(written, bs)
    rec = f"{full}+{1 if part else 0} records"
    err = ""
    status = 0
    if want > lv.size_bytes:
        err = f"dd: error writing '{dst}': No space left on device\n"
        status = 1
    call.state.lvm.wiped(lv, written, "dd")
    call.state.tick()
    secs = max(written / 250e6, 0.001)
    err += (f"{rec} in\n{rec} out\n{written} bytes ({_si(written)}, {_human(written)}) copied, "
            f"{secs:.4g} s, {_si(written / secs)}/s\n")
    return status, "", err


def _si(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000:
            return f"{n:.3g} {unit}"
        n /= 1000
    return f"{n:.3g} PB"


@command("blkdiscard")
def blkdiscard(call: Call) -> Output:
    flags, rest = _device_args(call.args)
    if not rest:
        return 1, "", "blkdiscard: no device specified\n"
    dev = rest[0]
    lv = _target(call, dev)
    if lv is None:
        return 1, "", f"blkdiscard: cannot open {dev}: No such file or directory\n"
    if _in_use(call, lv):
        return 1, "", f"blkdiscard: cannot open {dev}: Device or resource busy\n"
    if not ({"-z", "--zeroout"} & set(flags)):
        # the Smart Array RAID under the VG does not support discard
        return 1, "", f"blkdiscard: {dev}: BLKDISCARD ioctl failed: Operation not supported\n"
    call.state.lvm.wiped(lv, lv.size_bytes, "blkdiscard -z")
    call.state.tick()
    return 0, "", ""
