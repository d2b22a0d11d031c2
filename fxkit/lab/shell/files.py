"""Reading the lab's file tree: cat, ls and test, and the views of the tree the other
commands share (``kind``, ``listing``, ``state_read``, /proc and /dev, ``split_options``).

Messages and exit statuses are GNU coreutils' in the C locale
(``cat: /x: No such file or directory``, exit 1; ``ls`` exits 2 when it cannot
access an operand). Relative paths start at root's home, ``/root``.
"""

from __future__ import annotations

import posixpath
import re

from fxkit.lab.shell.base import Call, Output, ToolExit, absolute, strftime
from fxkit.lab.shell.hardware import proc_file
from fxkit.lab.state import LabState

_PROC = ("/proc/cpuinfo", "/proc/meminfo", "/proc/version", "/proc/uptime")
_DEV_FIXED = {"/dev/null": ("char", 1, 3), "/dev/zero": ("char", 1, 5),
              "/dev/urandom": ("char", 1, 9)}


def virtual_file(state: LabState, path: str) -> str | None:
    """The text of a file computed from the state (``/proc/*``), or None."""
    return proc_file(state, path) if path in _PROC else None


def device_nodes(state: LabState) -> dict[str, tuple[str, int, int]]:
    """Device node -> (kind, major, minor): disks from the hardware, LVs from the LVM
    section (device-mapper's major 254), and the usual character devices."""
    nodes = dict(_DEV_FIXED)
    for i, disk in enumerate(state.hardware.get("disks", [])):
        major = 104 if "/cciss/" in disk["device"] else 8
        nodes[disk["device"]] = ("block", major, 16 * i)
        for part in disk.get("partitions", []):
            number = int(re.search(r"([0-9]+)\Z", part["device"]).group(1))  # type: ignore[union-attr]
            nodes[part["device"]] = ("block", major, 16 * i + number)
    try:  # the LVM section is another helper's model: read it defensively
        lvm = state.lvm
        for n, lv in enumerate(lv for vg in getattr(lvm, "vgs", []) for lv in vg.lvs):
            if getattr(lv, "active", True):
                node = ("block", 254, getattr(lv, "minor", 0) or n)
                nodes[lv.path] = nodes[lv.dm_path] = node
    except Exception:  # noqa: BLE001 - no LVM section yet, or one being written
        pass
    return nodes


def kind(state: LabState, path: str) -> str | None:
    """"file", "dir", "block", "char" or None (missing) for an absolute path."""
    if path in state.files or virtual_file(state, path) is not None:
        return "file"
    if state.is_dir(path) or path in ("/proc", "/dev"):
        return "dir"
    if path.startswith("/dev/"):
        nodes = device_nodes(state)
        if path in nodes:
            return nodes[path][0]
        if any(n.startswith(path + "/") for n in nodes):
            return "dir"
        try:
            if state.lvm.resolve(path) is not None:
                return "block"
        except Exception:  # noqa: BLE001 - the LVM section may be absent
            pass
    return None


def listing(state: LabState, directory: str) -> list[str]:
    """Names directly inside ``directory`` (files and directories), sorted."""
    prefix = "/" if directory == "/" else directory + "/"
    names = set()
    devices = device_nodes(state) if directory.startswith("/dev") else {}
    for p in [*state.files, *state.dirs, *(_PROC if directory == "/proc" else ()), *devices]:
        if p.startswith(prefix) and p != directory:
            names.add(p[len(prefix):].split("/", 1)[0])
    if directory == "/":
        names.update(("dev", "proc"))
    return sorted(names)  # byte order, as ls sorts in the C locale


def split_options(call: Call, allowed: str, tool: str, usage_status: int = 1
                  ) -> tuple[set[str], list[str]]:
    """Short options (bundled) and operands; an unknown option answers like coreutils
    (``ToolExit`` with ``usage_status``: 1 for most tools, 2 for ls)."""
    opts: set[str] = set()
    operands: list[str] = []
    ended = False
    for a in call.args:
        if not ended and a == "--":
            ended = True
        elif not ended and a.startswith("-") and a != "-" and not a.startswith("--"):
            for ch in a[1:]:
                if ch not in allowed:
                    raise ToolExit(usage_status, "", f"{tool}: invalid option -- '{ch}'\n"
                                   f"Try '{tool} --help' for more information.\n")
                opts.add(ch)
        elif not ended and a.startswith("--"):
            raise ToolExit(usage_status, "", f"{tool}: unrecognized option '{a}'\n"
                           f"Try '{tool} --help' for more information.\n")
        else:
            operands.append(a)
    return opts, operands


def cat(call: Call) -> Output:
    opts, names = split_options(call, "nAEsuv", "cat")
    out, err, status = [], [], 0
    for name in names or ["-"]:
        if name == "-":
            out.append(call.stdin)
            continue
        path = absolute(name)
        content = state_read(call.state, path)
        if content is not None:
            out.append(content)
            continue
        status = 1
        why = "Is a directory" if kind(call.state, path) == "dir" else "No such file or directory"
        err.append(f"cat: {name}: {why}\n")
    text = "".join(out)
    if "n" in opts:
        lines = text.splitlines(keepends=True)
        text = "".join(f"{i:6d}\t{line}" for i, line in enumerate(lines, 1))
    return status, text, "".join(err)


def state_read(state: LabState, path: str) -> str | None:
    """A file's text as ``cat`` reads it: stored, computed (/proc) or "" for a device."""
    content = state.read(path)
    if content is None:
        content = virtual_file(state, path)
    if content is None and kind(state, path) in ("char", "block"):
        return ""
    return content


def ls(call: Call) -> Output:
    opts, names = split_options(call, "laA1dhF", "ls", usage_status=2)
    state = call.state
    status, err = 0, []
    files: list[tuple[str, str]] = []
    dirs: list[tuple[str, str]] = []
    for name in names or ["."]:
        path = absolute(name)
        k = kind(state, path)
        if k is None:
            err.append(f"ls: cannot access '{name}': No such file or directory\n")
            status = 2
        elif k == "dir" and "d" not in opts:
            dirs.append((name, path))
        else:
            files.append((name, path))
    blocks: list[str] = []
    if files:
        blocks.append(_format(state, files, opts, total=False))
    for name, path in dirs:
        entries = listing(state, path)
        if "a" in opts:
            entries = [".", "..", *entries]
        elif "A" not in opts:
            entries = [e for e in entries if not e.startswith(".")]
        pairs = [(e, absolute(posixpath.join(path, e))) for e in entries]
        body = _format(state, pairs, opts, total=True)
        header = f"{name}:\n" if len(names) > 1 or files else ""
        blocks.append(header + body)
    return status, "\n".join(blocks), "".join(err)


def _format(state: LabState, entries: list[tuple[str, str]], opts: set[str],
            total: bool) -> str:
    if "l" not in opts:
        return "".join(f"{name}\n" for name, _ in entries)
    rows = []
    blocks = 0
    devices = device_nodes(state) if any(p.startswith("/dev/") for _, p in entries) else {}
    for name, path in entries:
        k = kind(state, path) or "file"
        content = state.read(path)
        group, size = "root", ""
        if k == "dir":
            mode, size, links = "drwxr-xr-x", "4096", 2 + sum(
                1 for e in listing(state, path) if kind(state, posixpath.join(path, e)) == "dir")
            blocks += 4
        elif k in ("block", "char"):
            _, major, minor = devices.get(path, (k, 0, 0))
            mode, links = ("brw-rw----" if k == "block" else "crw-rw-rw-"), 1
            group, size = ("disk" if k == "block" else "root"), f"{major}, {minor}"
        else:
            f = state.files.get(path)
            mode = "-" + _rwx(f.mode if f else 0o444)
            n = len((content if content is not None else virtual_file(state, path) or "")
                    .encode())
            size, links = str(n), 1
            blocks += -(-n // 4096) * 4
        rows.append((mode, str(links), group, size, name))
    when = strftime(state.now(), "%b %e %H:%M")
    wl = max(len(r[1]) for r in rows)
    wg = max(len(r[2]) for r in rows)
    # coreutils aligns "major, minor" on the comma, and sizes with the minors' column
    wmaj = max((len(r[3].split(",")[0]) for r in rows if "," in r[3]), default=0)
    wmin = max((len(r[3].split(", ")[1]) for r in rows if "," in r[3]), default=0)
    ws = max([len(r[3]) for r in rows if "," not in r[3]] + [wmaj + 2 + wmin if wmaj else 0])
    lines = []
    for m, n, g, s, name in rows:
        if "," in s:
            major, minor = s.split(", ")
            s = f"{major:>{ws - wmin - 2}}, {minor:>{wmin}}"
        lines.append(f"{m} {n:>{wl}} root {g:<{wg}} {s:>{ws}} {when} {name}\n")
    return (f"total {blocks}\n" if total else "") + "".join(lines)


def _rwx(mode: int) -> str:
    return "".join(c if mode & (1 << (8 - i)) else "-" for i, c in enumerate("rwxrwxrwx"))


def test(call: Call) -> Output:
    args = call.args
    if call.argv[0] == "[":
        if not args or args[-1] != "]":
            return 2, "", "bash: [: missing `]'\n"
        args = args[:-1]
    negate = False
    while args and args[0] == "!":
        negate, args = not negate, args[1:]
    try:
        result = _evaluate(call.state, args)
    except ValueError as e:
        return 2, "", f"bash: {call.argv[0]}: {e}\n"
    return (0 if result != negate else 1), "", ""


def _evaluate(state: LabState, args: list[str]) -> bool:
    if not args:
        return False
    if len(args) == 1:
        return args[0] != ""
    if len(args) == 2:
        op, operand = args
        if op == "-z":
            return operand == ""
        if op == "-n":
            return operand != ""
        path = absolute(operand)
        k = kind(state, path)
        checks = {"-e": k is not None, "-f": k == "file", "-d": k == "dir", "-b": k == "block",
                  "-c": k == "char", "-r": k is not None, "-w": k is not None,
                  "-x": k == "dir" or bool(state.files.get(path) and
                                           state.files[path].mode & 0o111),
                  "-s": bool(state_read(state, path)) or k == "dir",
                  "-L": False, "-h": False}
        if op not in checks:
            raise ValueError(f"{op}: unary operator expected")
        return checks[op]
    if len(args) == 3:
        a, op, b = args
        if op in ("=", "=="):
            return a == b
        if op == "!=":
            return a != b
        ints = {"-eq": int.__eq__, "-ne": int.__ne__, "-lt": int.__lt__, "-le": int.__le__,
                "-gt": int.__gt__, "-ge": int.__ge__}
        if op in ints:
            try:
                return ints[op](int(a), int(b))
            except ValueError:
                bad = a if not a.lstrip("-").isdigit() else b
                raise ValueError(f"{bad}: integer expression expected") from None
        raise ValueError(f"{op}: binary operator expected")
    raise ValueError("too many arguments")
