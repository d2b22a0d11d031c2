"""What an exporter reads of a plan and its steps (``fxkit.plan.Plan`` and ``Step`` have it).

The exporters sit below ``fxkit.plan``, which calls them from ``Plan.to_ansible()`` and
``Plan.to_shell()``: so they name these shapes instead of importing the classes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol


class StepShape(Protocol):
    description: str
    argv: tuple[str, ...] | None
    needed: Callable[[Any], bool] | None
    sudo: bool

    @property
    def command(self) -> str: ...


class PlanShape(Protocol):
    title: str

    @property
    def steps(self) -> Sequence[StepShape]: ...

    def destroys(self) -> list[str]: ...

    def confirmation(self) -> str | None: ...
