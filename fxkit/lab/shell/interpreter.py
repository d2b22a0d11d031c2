"""The lab's command interpreter: argv -> (exit status, stdout, stderr) on a LabState.

``execute`` looks the command up in the one explicit table, ``fxkit.lab.commands``,
and calls its handler with a ``Call`` (``fxkit.lab.shell.base``) that lends it
``run``/``run_script``/``commands`` for nested commands. A name not in the table
answers like bash: ``bash: foo: command not found`` with status 127. A handler
module that cannot be imported makes this module's import fail: the lab never
mistakes a broken module for an unknown command.

``run_script`` runs a whole command line (``cmdline``'s shell subset, run by
``script``), as ``bash -c`` and the SSH server do.
"""

from __future__ import annotations

import functools

from fxkit.lab.commands import COMMANDS
from fxkit.lab.shell import script
from fxkit.lab.shell.base import Call, Output, ToolExit, strip_sudo
from fxkit.lab.state import LabState

__all__ = ["COMMANDS", "Output", "execute", "run_script"]


def execute(state: LabState, argv: list[str], stdin: str = "",
            env: dict[str, str] | None = None) -> Output:
    """Run one command against ``state`` (the caller holds the lab lock)."""
    argv = strip_sudo(argv)
    if not argv:
        return 0, "", ""
    name = argv[0].rsplit("/", 1)[-1]
    handler = COMMANDS.get(name)
    if handler is None:
        return 127, "", f"bash: {argv[0]}: command not found\n"
    call = Call([name, *argv[1:]], state, stdin, env or {},
                run=functools.partial(execute, state),
                run_script=functools.partial(run_script, state),
                commands=COMMANDS)
    try:
        return handler(call)
    except ToolExit as done:
        return done.output


def run_script(state: LabState, line: str, stdin: str = "", *,
               keep_cwd: bool = False) -> Output:
    """Run a command line the way bash -c would (within ``cmdline``'s subset).

    A ``cd`` in it lasts until its end, unless ``keep_cwd`` (an interactive session).
    """
    return script.run_line(state, line, stdin, execute=execute, keep_cwd=keep_cwd)
