"""Plans exported to the engines teams already run: an Ansible playbook or a POSIX sh script.

    >>> print(plan.to_ansible())     # doctest: +SKIP
    >>> print(plan.to_shell())       # doctest: +SKIP

Both run the plan's argv verbatim, each step after its re-check (``probes``), and are
idempotent: a second run changes nothing. ``export(plan, "ansible"|"sh")`` picks one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fxkit.errors import InvalidRequest
from fxkit.export.ansible import playbook, to_ansible
from fxkit.export.probes import Probe, probe
from fxkit.export.shell import to_shell

if TYPE_CHECKING:
    from fxkit.export.shapes import PlanShape

FORMATS = ("ansible", "sh")
__all__ = ["FORMATS", "Probe", "export", "playbook", "probe", "to_ansible", "to_shell"]


def export(plan: PlanShape, fmt: str) -> str:
    if fmt == "ansible":
        return to_ansible(plan)
    if fmt == "sh":
        return to_shell(plan)
    raise InvalidRequest(f"export format {fmt!r}: choose one of {', '.join(FORMATS)}")
