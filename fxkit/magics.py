"""IPython magics ``%fx``, ``%%fx`` and ``%fx_host``: run commands on a host like a terminal.

Load them in a notebook, then type commands as you would at fx's prompt::

    %load_ext fxkit.magics
    %fx lvs                       # on the lab (the default host)
    %fx_host ssh://admin@fx       # switch host
    %%fx                          # one command per line, stops at the first failure
    pvs
    vgs

The line is split with ``shlex`` into an argv and run with ``Host.run``: no shell is
involved. A pipeline (``%fx xl list | grep titanic``) runs each command in turn on the
host, the output of one as the input of the next, as a shell would (the status is the
last command's); redirections, ``;`` and ``&&`` are refused with a hint. A non-zero
exit raises ``CommandFailed`` (short traceback: the command's stderr is already on the
page above it), so a notebook run with nbclient or papermill stops at that cell
(papermill ignores failing ``!cmd``: papermill#539). The last Result is kept in the
notebook's namespace as ``_fx``.
"""

from __future__ import annotations

import re
import shlex
import sys
from typing import Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from fxkit.connect import connect
from fxkit.errors import CommandFailed, InvalidRequest
from fxkit.host import Host
from fxkit.result import Result
from fxkit.secrets import mask_argv

DEFAULT_TARGET = "lab"

_state: dict[str, Any] = {"host": None, "target": DEFAULT_TARGET}


class MagicCommandFailed(CommandFailed):
    """A ``%fx`` command exited non-zero; shown as one short message, no Python frames,
    and without the command's stderr, which ``run_and_show`` has printed already."""

    def __init__(self, result: Result, line: str | None = None) -> None:
        super().__init__(result, f"{result.host}: `{line or result.command_line}` exited with "
                                 f"status {result.exit_status}")

    def _render_traceback_(self) -> list[str]:
        return [f"CommandFailed: {self}"]


def use_host(host: Host | str) -> Host:
    """Make ``host`` (a Host or a target string for ``fxkit.connect``) the magics' host."""
    new = connect(host)
    old = _state["host"]
    if old is not None and old is not new and not isinstance(host, Host):
        old.close()
    _state["host"], _state["target"] = new, (host if isinstance(host, str) else new.name)
    return new


def current_host() -> Host:
    """The host ``%fx`` runs on, connecting to the default target on first use."""
    if _state["host"] is None:
        _state["host"] = connect(_state["target"])
    return _state["host"]


def split_command(line: str) -> list[str]:
    """The argv a user typed, split like a shell would split words (and nothing more)."""
    try:
        return shlex.split(line, comments=True)
    except ValueError as e:
        raise InvalidRequest(f"cannot split the command {line!r}: {e}; close the quote") from e


def _refuse(line: str, token: str) -> InvalidRequest:
    return InvalidRequest(
        f"%fx runs commands without a shell: {token!r} in {line!r} is not understood (a "
        "pipeline with | is). Run the command alone and work on its output in Python (the "
        "last result is `_fx`, e.g. `_fx.stdout.splitlines()`)")


def split_pipeline(line: str) -> list[list[str]]:
    """The argvs of a pipeline ``a | b | c`` (one argv when there is no ``|``). Quotes and
    backslashes work as in a shell: a ``|`` or ``>`` inside them is part of a word. Other
    shell syntax (``;``, ``&&``, ``||``, redirections) is refused with a hint."""
    parts, buf, quote, i = [], [], "", 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\" and quote == '"':
                buf.append(line[i:i + 2])
                i += 2
                continue
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "\\":
            buf.append(line[i:i + 2])
            i += 2
            continue
        elif c == "#" and (not buf or buf[-1].isspace()):
            break
        elif c in "|;&<>":
            token = re.match(r"[|;&<>]+\d?", line[i:]).group()  # type: ignore[union-attr]
            if token != "|":
                if buf and buf[-1].isdigit() and (len(buf) < 2 or buf[-2].isspace()):
                    token = buf[-1] + token               # 2>, 2>&1
                raise _refuse(line, token)
            parts.append("".join(buf))
            buf, i = [], i + 1
            continue
        buf.append(c)
        i += 1
    parts.append("".join(buf))
    stages = [split_command(p) for p in parts]
    if len(stages) > 1 and not all(stages):
        raise InvalidRequest(f"{line!r}: a pipeline needs a command on each side of every |")
    return stages


def run_and_show(argv: list[str] | list[list[str]], host: Host | None = None, *,
                 out: Any = None, err: Any = None) -> Result:
    """Run ``argv`` (or a pipeline: a list of argvs, each fed the previous one's output),
    print ``$ cmd``, stdout and stderr; raise if it exited non-zero."""
    host = host or current_host()
    out, err = out or sys.stdout, err or sys.stderr
    stages = argv if argv and isinstance(argv[0], list) else [argv]
    line = " | ".join(shlex.join(mask_argv(a)) for a in stages)  # type: ignore[arg-type]
    errors, data, result = "", None, None
    for stage in stages:
        result = host.run(stage, check=False, input=data)  # type: ignore[arg-type]
        errors += result.stderr
        data = result.stdout
    assert result is not None
    # One write per stream, stdout first: a notebook stores the same outputs every run.
    out.write(f"$ {line}\n" + _line_end(result.stdout))
    out.flush()
    if errors:
        err.write(_line_end(errors))
        err.flush()
    if not result.ok:
        raise MagicCommandFailed(result, line if len(stages) > 1 else None)
    return result


def _line_end(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


@magics_class
class FxMagics(Magics):
    """``%fx CMD``, ``%%fx`` (one command per line) and ``%fx_host [TARGET]``."""

    def _keep(self, result: Result) -> None:
        if self.shell is not None:
            self.shell.user_ns["_fx"] = result

    @line_magic
    def fx(self, line: str) -> None:
        """Run one command on the current host and print it like a terminal."""
        stages = split_pipeline(line)
        if not stages[0]:
            raise InvalidRequest("%fx needs a command, e.g. `%fx lvs`")
        self._keep(run_and_show(stages))

    @cell_magic("fx")  # type: ignore[arg-type]  # IPython's stubs type the name form badly
    def fx_cell(self, line: str, cell: str) -> None:
        """Run each line of the cell as a command; stop at the first that fails."""
        text = "\n".join(filter(None, (line, cell))).replace("\\\n", " ")
        for raw in text.splitlines():
            stages = split_pipeline(raw)
            if stages[0]:
                self._keep(run_and_show(stages))

    @line_magic
    def fx_host(self, line: str) -> None:
        """Show the current host, or switch to TARGET (``lab``, ``lab:fourier``, ``ssh://...``)."""
        target = line.strip()
        if target:
            use_host(target)
        host = current_host()
        print(f"%fx runs on {host.name}" + (f" ({_state['target']})"
                                           if _state["target"] != host.name else ""))


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext fxkit.magics``."""
    ipython.register_magics(FxMagics)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext fxkit.magics``: forget the host; magics stay until restart."""
    host = _state["host"]
    if host is not None:
        host.close()
    _state["host"], _state["target"] = None, DEFAULT_TARGET
