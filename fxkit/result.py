"""Result: what one command did on a host, as one frozen value."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from fxkit.secrets import mask_argv


@dataclass(frozen=True)
class Result:
    """What one command did: its argv, exit status, output, duration and host."""

    argv: tuple[str, ...]
    exit_status: int
    stdout: str
    stderr: str
    seconds: float
    host: str

    @property
    def ok(self) -> bool:
        return self.exit_status == 0

    @property
    def command_line(self) -> str:
        """The command as a shell would read it, with secrets masked."""
        return shlex.join(mask_argv(self.argv))
