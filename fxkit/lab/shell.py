"""The lab's command interpreter: argv -> (exit status, stdout, stderr) on a LabState.

Resource modules register handlers with ``@command``::

    @command("lvs")
    def lvs(call: Call) -> Output:
        return 0, "...", ""

A handler reads and changes ``call.state`` and returns the real tool's exit
status, stdout and stderr. Anything not registered answers like bash:
``bash: foo: command not found`` with status 127.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from fxkit.lab.state import LabState

Output = tuple[int, str, str]


@dataclass
class Call:
    argv: list[str]
    state: LabState
    stdin: str = ""
    env: dict[str, str] = field(default_factory=dict)

    @property
    def args(self) -> list[str]:
        return self.argv[1:]


class ToolExit(Exception):
    """Raised by a handler (or its argument parser) to answer at once, e.g. a usage error."""

    def __init__(self, status: int, stdout: str = "", stderr: str = "") -> None:
        super().__init__(stderr)
        self.output: Output = (status, stdout, stderr)


Handler = Callable[[Call], Output]
COMMANDS: dict[str, Handler] = {}

# Modules holding @command handlers, imported on first use.
HANDLER_MODULES = (
    "fxkit.lab.cmd_system",
    "fxkit.lab.cmd_files",
    "fxkit.lab.cmd_edit",
    "fxkit.lab.cmd_text",
    "fxkit.lab.lvm_commands",
    "fxkit.lab.xen_commands",
    "fxkit.lab.net_commands",
)
_loaded = False
# module -> why it could not be imported (a broken section must not take the lab down)
LOAD_ERRORS: dict[str, str] = {}


def command(*names: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for name in names:
            COMMANDS[name] = fn
        return fn
    return register


def load_handlers() -> None:
    global _loaded
    if _loaded:
        return
    for module in HANDLER_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:
                LOAD_ERRORS[module] = f"{type(e).__name__}: {e}"
        except Exception as e:  # noqa: BLE001 - reported by unknown commands, see execute
            LOAD_ERRORS[module] = f"{type(e).__name__}: {e}"
    _loaded = True


def strip_sudo(argv: list[str]) -> list[str]:
    """``sudo -n [--] CMD ...`` -> ``CMD ...``: the lab's user is root already."""
    argv = list(argv)
    if argv[:1] == ["sudo"]:
        argv = argv[1:]
        while argv and argv[0].startswith("-"):
            if argv.pop(0) == "--":
                break
    return argv


def execute(state: LabState, argv: list[str], stdin: str = "",
            env: dict[str, str] | None = None) -> Output:
    """Run one command against ``state`` (the caller holds the lab lock)."""
    load_handlers()
    argv = strip_sudo(argv)
    if not argv:
        return 0, "", ""
    name = argv[0].rsplit("/", 1)[-1]
    handler = COMMANDS.get(name)
    if handler is None:
        hint = "".join(f"fxkit lab: {m} failed to load ({why})\n"
                       for m, why in sorted(LOAD_ERRORS.items()))
        return 127, "", f"bash: {argv[0]}: command not found\n" + hint
    try:
        return handler(Call([name, *argv[1:]], state, stdin, env or {}))
    except ToolExit as done:
        return done.output
