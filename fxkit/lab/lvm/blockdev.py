"""util-linux and coreutils on the lab's LVs: mkswap, blkid, dd and blkdiscard.

They change only the LV's ``fs`` record and record wipes; texts follow util-linux
2.38.1 and coreutils 9.1 (Debian 12).
"""

from __future__ import annotations

from fxkit.lab.lvm.fs import BLOCK, device_args, in_use, target
from fxkit.lab.shell.base import Call, Output


def _human(n: int) -> str:
    # util-linux lib/strutils.c size_to_human_string, one decimal, trailing .0 dropped
    units = ["B", "KiB", "MiB", "GiB", "TiB"]
    value, i = float(n), 0
    while value >= 1024 and i < len(units) - 1:
        value /= 1024
        i += 1
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text} {units[i]}"


def mkswap(call: Call) -> Output:
    _, rest = device_args(call.args)
    if not rest:
        return 1, "", "mkswap: no device specified\nTry 'mkswap --help' for more information.\n"
    dev = rest[0]
    lv = target(call, dev)
    if lv is None:
        return 1, "", f"mkswap: cannot open {dev}: No such file or directory\n"
    if in_use(call, lv):
        return 1, "", f"mkswap: error: {dev} is mounted; will not make swapspace\n"
    uuid = call.state.uuid("swap", lv.full_name, call.state.clock)
    lv.fs = {"type": "swap", "size_bytes": lv.size_bytes, "uuid": uuid}
    call.state.tick()
    size = lv.size_bytes - BLOCK
    return 0, (f"Setting up swapspace version 1, size = {_human(size)} ({size} bytes)\n"
               f"no label, UUID={uuid}\n"), ""


def blkid(call: Call) -> Output:
    export = "-o" in call.args and call.args[call.args.index("-o") + 1:][:1] == ["export"]
    rest = [a for i, a in enumerate(call.args)
            if not a.startswith("-") and not (i and call.args[i - 1] in ("-o", "-s"))]
    out = ""
    for dev in rest:
        lv = target(call, dev)
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


def _bytes(text: str) -> int:
    mult = {"": 1, "c": 1, "w": 2, "b": 512, "k": 1024, "K": 1024, "M": 1024 ** 2,
            "G": 1024 ** 3, "kB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3}
    num = text.rstrip("cwbkKMGB")
    return int(num) * mult[text[len(num):]]


def dd(call: Call) -> Output:
    ops = dict(a.split("=", 1) for a in call.args if "=" in a)
    src, dst = ops.get("if", "-"), ops.get("of", "-")
    if src not in ("/dev/zero", "/dev/urandom"):
        return 1, "", f"dd: failed to open '{src}': Permission denied\n"
    lv = target(call, dst)
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


def blkdiscard(call: Call) -> Output:
    flags, rest = device_args(call.args)
    if not rest:
        return 1, "", "blkdiscard: no device specified\n"
    dev = rest[0]
    lv = target(call, dev)
    if lv is None:
        return 1, "", f"blkdiscard: cannot open {dev}: No such file or directory\n"
    if in_use(call, lv):
        return 1, "", f"blkdiscard: cannot open {dev}: Device or resource busy\n"
    if not ({"-z", "--zeroout"} & set(flags)):
        # the Smart Array RAID under the VG does not support discard
        return 1, "", f"blkdiscard: {dev}: BLKDISCARD ioctl failed: Operation not supported\n"
    call.state.lvm.wiped(lv, lv.size_bytes, "blkdiscard -z")
    call.state.tick()
    return 0, "", ""
