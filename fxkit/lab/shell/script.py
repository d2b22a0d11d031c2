"""Running a command line of the lab's shell subset (parsed by ``cmdline``): lists with
``;``, ``&&`` and ``||``, pipelines, redirections to and from the lab's file tree,
shell variables and globs expanded against the tree.

Each simple command goes to an ``execute`` the caller passes (the interpreter's):
this module does not import the interpreter, which imports it.
"""

from __future__ import annotations

import contextvars
import fnmatch
import posixpath
from collections.abc import Callable

from fxkit.lab.shell.base import CWD, Output, absolute
from fxkit.lab.shell.cmdline import ShellSyntaxError, Simple, expand, initial_vars, parse
from fxkit.lab.state import LabState
from fxkit.transports.argv import decode_command_line

# How a simple command is run: (state, argv, stdin, env) -> Output.
Executor = Callable[[LabState, list[str], str, "dict[str, str] | None"], Output]


def run_line(state: LabState, line: str, stdin: str = "", *, execute: Executor,
             keep_cwd: bool = False) -> Output:
    """Run a command line the way bash -c would (within ``cmdline``'s subset), each simple
    command with ``execute`` (what ``fxkit.lab.shell.interpreter.run_script`` passes).

    A ``cd`` in it lasts until its end, unless ``keep_cwd`` (an interactive session).
    """
    if not keep_cwd:
        return contextvars.copy_context().run(run_line, state, line, stdin, execute=execute,
                                              keep_cwd=True)
    if (argv := decode_command_line(line)) is not None:
        # fxkit's SSH transport: `exec /bin/sh -c 'eval "exec $(printf "$1")"' fxkit WORD`
        # runs exactly this argv on a real host (fxkit.transports.argv)
        return execute(state, argv, stdin, None)
    try:
        program = parse(line)
    except ShellSyntaxError as e:
        return 2, "", f"bash: -c: line 1: {e}\n"
    status, out, err = 0, [], []
    shell_vars = initial_vars(state)
    for connector, pipeline in program:
        if (connector == "&&" and status != 0) or (connector == "||" and status == 0):
            continue
        data = stdin
        for k, cmd in enumerate(pipeline):
            status, stdout, stderr = _run_simple(state, cmd, data, shell_vars, execute)
            shell_vars["?"] = str(status)
            err.append(stderr)
            if k < len(pipeline) - 1:
                data = stdout
            else:
                out.append(stdout)
            stdin = ""  # only the first command reads the request's stdin
    return status, "".join(out), "".join(err)


def glob_paths(state: LabState, pattern: str) -> list[str]:
    """Lab paths matching an absolute or /root-relative glob, sorted like bash."""
    is_abs = pattern.startswith("/")
    full = absolute(pattern)
    candidates = set(state.files) | set(state.dirs)
    for p in list(candidates):
        while p not in ("/", ""):
            p = posixpath.dirname(p)
            candidates.add(p)
    depth = full.count("/")
    hits = sorted(p for p in candidates
                  if p.count("/") == depth and fnmatch.fnmatchcase(p, full)
                  and not posixpath.basename(p).startswith("."))
    if is_abs:
        return hits
    return [posixpath.relpath(p, CWD.get()) for p in hits]


def _run_simple(state: LabState, cmd: Simple, stdin: str, shell_vars: dict[str, str],
                execute: Executor) -> Output:
    argv: list[str] = []
    for raw, globbable in zip(cmd.argv, cmd.globs, strict=True):
        for word in expand(raw, shell_vars):
            argv.extend((glob_paths(state, word) or [word]) if globbable else [word])
    env = {name: " ".join(expand(v, shell_vars)) for name, v in cmd.env.items()}
    if not argv or argv[0] == "export":
        # `VG=lvm` alone sets a shell variable; `export VG=lvm` too (one script's life)
        shell_vars.update(env)
        shell_vars.update(a.split("=", 1) for a in argv[1:] if "=" in a)  # type: ignore[misc]
        if not cmd.redirects:
            return 0, "", ""
    redirects = [(op, " ".join(expand(t, shell_vars)) if t else t) for op, t in cmd.redirects]
    for op, target in redirects:
        if op == "<":
            path = absolute(target)
            content = state.read(path)
            if content is None:
                why = "Is a directory" if state.is_dir(path) else "No such file or directory"
                return 1, "", f"bash: {target}: {why}\n"
            stdin = content
    status, out, err = (execute(state, argv, stdin, env)
                        if argv and argv[0] != "export" else (0, "", ""))
    for op, target in redirects:
        if op == "2>&1":
            out, err = out + err, ""
        elif op in (">", ">>", "2>", "2>>"):
            data = err if op.startswith("2") else out
            if op.startswith("2"):
                err = ""
            else:
                out = ""
            if target == "/dev/null":
                continue
            problem = _write(state, absolute(target), data, append=op.endswith(">>"))
            if problem:
                return 1, out, err + f"bash: {target}: {problem}\n"
    return status, out, err


def _write(state: LabState, path: str, data: str, *, append: bool) -> str | None:
    if state.is_dir(path):
        return "Is a directory"
    if not state.is_dir(posixpath.dirname(path)):
        return "No such file or directory"
    state.write(path, (state.read(path) or "") + data if append else data)
    state.tick()
    return None
