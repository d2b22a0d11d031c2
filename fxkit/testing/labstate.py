"""``StateHost``: a Host answering from one in-memory LabState (no store, lock or disk).

Fast for unit tests of plans; ``fxkit.lab.transport.LabHost`` is the persisted lab::

    host = StateHost(build_state("fx"))
    host.run(["lvs"]).stdout
"""

from __future__ import annotations

from fxkit.host import Exec, Host
from fxkit.lab.shell.interpreter import execute
from fxkit.lab.state import LabState


class StateHost(Host):
    """Runs every command with ``fxkit.lab.shell.interpreter.execute`` on ``state``; keeps a log."""

    def __init__(self, state: LabState, name: str = "lab-memory") -> None:
        super().__init__(name, audit=None)
        self.state = state
        self.commands: list[tuple[str, ...]] = []

    def _exec(self, argv: tuple[str, ...], *, timeout: float | None, input: str | None,
              read_only: bool) -> Exec:
        self.commands.append(argv)
        return Exec(*execute(self.state, list(argv), input or ""))

    def read_file(self, path: str) -> str:
        content = self.state.read(path)
        if content is None:
            raise FileNotFoundError(path)
        return content

    def write_file(self, path: str, content: str, mode: int | None = None) -> None:
        self.state.write(path, content, mode)
