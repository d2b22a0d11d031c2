"""Lab commands that change the file tree: mkdir tee cp mv rm touch mktemp.

GNU coreutils' messages in the C locale; every change ticks the logical clock.
"""

from __future__ import annotations

import posixpath
import string

from fxkit.lab.shell.base import Call, Output, absolute
from fxkit.lab.shell.files import kind, split_options, state_read
from fxkit.lab.state import LabState


def _usage(tool: str, what: str = "missing operand") -> Output:
    return 1, "", f"{tool}: {what}\nTry '{tool} --help' for more information.\n"


def _subtree(state: LabState, path: str) -> tuple[list[str], list[str]]:
    prefix = path + "/"
    return ([p for p in state.files if p.startswith(prefix)],
            [d for d in state.dirs if d == path or d.startswith(prefix)])


def mkdir(call: Call) -> Output:
    opts, names = split_options(call, "pv", "mkdir")
    if not names:
        return _usage("mkdir")
    state, status, err = call.state, 0, []
    for name in names:
        path = absolute(name)
        parent = posixpath.dirname(path)
        k = kind(state, path)
        if "p" in opts:
            ancestors = _ancestors(path)
            blocked = next((i for i, a in enumerate(ancestors)
                            if kind(state, a) not in (None, "dir")), None)
            if blocked is not None:
                status = 1
                shown = _as_given(name, ancestors, blocked)
                err.append(f"mkdir: cannot create directory '{shown}': Not a directory\n")
            elif k is None:
                state.dirs.update(a for a in _ancestors(path) if kind(state, a) is None)
                state.dirs.add(path)
            continue
        if k is not None:
            status = 1
            err.append(f"mkdir: cannot create directory '{name}': File exists\n")
        elif kind(state, parent) != "dir":
            status = 1
            why = "No such file or directory" if kind(state, parent) is None else "Not a directory"
            err.append(f"mkdir: cannot create directory '{name}': {why}\n")
        else:
            state.dirs.add(path)
    state.tick()
    return status, "", "".join(err)


def _as_given(name: str, ancestors: list[str], i: int) -> str:
    """Ancestor ``i`` of ``name`` spelt the way the user wrote ``name``."""
    parts = [p for p in name.split("/") if p]
    extra = len(parts) - 1 - len(ancestors)  # components above "/" the user did not write
    if ".." in parts or "." in parts or i + 1 + extra <= 0:
        return ancestors[i]
    return ("/" if name.startswith("/") else "") + "/".join(parts[:i + 1 + extra])


def _ancestors(path: str) -> list[str]:
    out = []
    while (path := posixpath.dirname(path)) != "/":
        out.append(path)
    return out[::-1]


def _writable(state: LabState, path: str) -> str | None:
    """Why ``path`` cannot be written as a regular file, or None."""
    if kind(state, path) == "dir":
        return "Is a directory"
    parent = kind(state, posixpath.dirname(path))
    if parent is None:
        return "No such file or directory"
    if parent != "dir":
        return "Not a directory"
    if path.startswith(("/proc/", "/dev/")) and kind(state, path) is not None:
        return "Permission denied"
    return None


def tee(call: Call) -> Output:
    opts, names = split_options(call, "ai", "tee")
    state, status, err = call.state, 0, []
    for name in names:
        path = absolute(name)
        if path == "/dev/null":
            continue
        if why := _writable(state, path):
            status = 1
            err.append(f"tee: {name}: {why}\n")
            continue
        old = state.read(path) or "" if "a" in opts else ""
        state.write(path, old + call.stdin)
    state.tick()
    return status, call.stdin, "".join(err)


def touch(call: Call) -> Output:
    _, names = split_options(call, "acm", "touch")
    if not names:
        return _usage("touch", "missing file operand")
    state, status, err = call.state, 0, []
    for name in names:
        path = absolute(name)
        if kind(state, path) is not None:
            continue
        if why := _writable(state, path):
            status = 1
            err.append(f"touch: cannot touch '{name}': {why}\n")
        else:
            state.write(path, "")
    state.tick()
    return status, "", "".join(err)


def copy_or_move(call: Call) -> Output:
    tool = call.argv[0]
    opts, names = split_options(call, "rRafpiv" if tool == "cp" else "fiv", tool)
    if not names:
        return _usage(tool, "missing file operand")
    if len(names) == 1:
        return _usage(tool, f"missing destination file operand after '{names[0]}'")
    state = call.state
    *sources, target = names
    target_path = absolute(target)
    into = kind(state, target_path) == "dir"
    if len(sources) > 1 and not into:
        why = "Not a directory" if kind(state, target_path) else "No such file or directory"
        return 1, "", f"{tool}: target '{target}': {why}\n"
    recursive = tool == "mv" or bool(opts & {"r", "R", "a"})
    status, err = 0, []
    for src in sources:
        src_path = absolute(src)
        dst_path = absolute(posixpath.join(target_path, posixpath.basename(src_path))
                            if into else target_path)
        problem = _transfer(state, tool, src_path, dst_path, recursive)
        if problem:
            status = 1
            shown = (posixpath.join(target, posixpath.basename(src_path)) if into else target)
            err.append(problem.format(src=src, dst=shown))
    state.tick()
    return status, "", "".join(err)


def _transfer(state: LabState, tool: str, src: str, dst: str, recursive: bool) -> str | None:
    k = kind(state, src)
    if k is None:
        return f"{tool}: cannot stat '{{src}}': No such file or directory\n"
    if src == dst:
        return f"{tool}: '{{src}}' and '{{dst}}' are the same file\n"
    if k == "dir":
        if not recursive:
            return "cp: -r not specified; omitting directory '{src}'\n"
        if dst.startswith(src + "/"):
            if tool == "mv":
                return "mv: cannot move '{src}' to a subdirectory of itself, '{dst}'\n"
            return "cp: cannot copy a directory, '{src}', into itself, '{dst}'\n"
        if kind(state, posixpath.dirname(dst)) != "dir" or kind(state, dst) == "file":
            if tool == "cp":
                return "cp: cannot create directory '{dst}': No such file or directory\n"
            return "mv: cannot move '{src}' to '{dst}': No such file or directory\n"
        files, dirs = _subtree(state, src)
        for p in files:
            state.files[dst + p[len(src):]] = state.files[p]
        state.dirs.update(dst + d[len(src):] for d in dirs)
        state.dirs.add(dst)
        if tool == "mv":
            for p in files:
                del state.files[p]
            state.dirs.difference_update(dirs)
        return None
    if why := _writable(state, dst):
        if tool == "mv":
            return f"mv: cannot move '{{src}}' to '{{dst}}': {why}\n"
        return f"cp: cannot create regular file '{{dst}}': {why}\n"
    content = state_read(state, src) or ""
    old = state.files.get(src)
    state.write(dst, content, old.mode if old else None)
    if tool == "mv":
        state.files.pop(src, None)
    return None


def rm(call: Call) -> Output:
    opts, names = split_options(call, "rRfiv", "rm")
    if not names and "f" not in opts:
        return _usage("rm")
    state, status, err = call.state, 0, []
    recursive = bool(opts & {"r", "R"})
    for name in names:
        path = absolute(name)
        k = kind(state, path)
        if path == "/" and recursive:
            status = 1
            err.append("rm: it is dangerous to operate recursively on '/'\n"
                       "rm: use --no-preserve-root to override this failsafe\n")
        elif k is None:
            if "f" not in opts:
                status = 1
                err.append(f"rm: cannot remove '{name}': No such file or directory\n")
        elif k == "dir" and not recursive:
            status = 1
            err.append(f"rm: cannot remove '{name}': Is a directory\n")
        elif path.startswith(("/proc", "/dev")) or path in ("/proc", "/dev"):
            status = 1
            err.append(f"rm: cannot remove '{name}': Permission denied\n")
        elif k == "dir":
            files, dirs = _subtree(state, path)
            for p in files:
                del state.files[p]
            state.dirs.difference_update(dirs)
        else:
            del state.files[path]
    state.tick()
    return status, "", "".join(err)


def mktemp(call: Call) -> Output:
    opts, names = split_options(call, "dqu", "mktemp")
    template = names[0] if names else "/tmp/tmp.XXXXXXXXXX"
    if "/" not in template:
        template = "/tmp/" + template
    stem = template.rstrip("X")
    count = len(template) - len(stem)
    if count < 3:
        return 1, "", f"mktemp: too few X's in template '{template}'\n"
    state = call.state
    alphabet = string.ascii_letters + string.digits
    n = state.next_counter("mktemp")
    token = state.token("mktemp", n)
    path = absolute(stem + "".join(alphabet[b % len(alphabet)] for b in token[:count]))
    if kind(state, posixpath.dirname(path)) != "dir":
        return 1, "", (f"mktemp: failed to create {'directory' if 'd' in opts else 'file'} "
                       f"via template '{template}': No such file or directory\n")
    if "d" in opts:
        state.dirs.add(path)
    else:
        state.write(path, "", 0o600)
    state.tick()
    return 0, path + "\n", ""
