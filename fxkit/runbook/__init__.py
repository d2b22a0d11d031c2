"""Runbooks: parameterized notebooks that Papermill executes as auditable maintenance runs.

Inside a runbook::

    >>> from fxkit.runbook import apply_plan
    >>> outcome = apply_plan(fx, plan, apply=apply, runbook="lv-extend")   # doctest: +SKIP

From Python (what ``fxkit run`` does)::

    >>> params = {"lv": "web-root", "size": "+1G"}
    >>> rec = fxkit.runbook.run_runbook("lv-extend", params)       # doctest: +SKIP

``runner`` checks the parameters (``params``) and executes the notebook into ``runs/``;
``records`` holds the JSON record beside each run; ``apply`` is the dry-run, lock, apply
and report tail every runbook ends with; ``check`` is the cell after every runbook's
parameters (the same checks inside the kernel, and the record under plain papermill:
``journal``); ``events`` and ``live`` carry live progress out and a stop request in;
``catalog`` finds runbooks and says what each one does; ``targets`` resolves a relative
size once, into the absolute target a run records, and ``resume`` continues a failed,
interrupted or killed run toward it; ``redact`` masks secrets inside the runbook's kernel.
The host lock itself is ``fxkit.hostlock`` (``Plan.apply`` takes it); the tables and
pictures a runbook shows are ``fxkit.display``'s, re-exported here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The face is lazy: ``fxkit run`` imports fxkit.runbook.runner in the CLI process, which
# must not pay for what only a runbook's kernel uses (apply, check, journal, figures).
_WHERE = {
    "Picture": "fxkit.display",
    "Table": "fxkit.display",
    "picture": "fxkit.display",
    "table": "fxkit.display",
    "vg_usage_chart": "fxkit.display",
    "HostLock": "fxkit.hostlock",
    "LockOwner": "fxkit.hostlock",
    "break_lock": "fxkit.hostlock",
    "current_owner": "fxkit.hostlock",
    "OUTCOME_MIME": "fxkit.runbook.apply",
    "apply_plan": "fxkit.runbook.apply",
    "facts_after": "fxkit.runbook.apply",
    "Reported": "fxkit.runbook.apply",
    "progress": "fxkit.runbook.apply",
    "report_outcome": "fxkit.runbook.apply",
    "RunbookInfo": "fxkit.runbook.catalog",
    "available_runbooks": "fxkit.runbook.catalog",
    "describe": "fxkit.runbook.catalog",
    "find_runbook": "fxkit.runbook.catalog",
    "runbooks_dirs": "fxkit.runbook.catalog",
    "check_parameters": "fxkit.runbook.check",
    "RunInterrupted": "fxkit.runbook.events",
    "topology_picture": "fxkit.runbook.figures",
    "kernel_name": "fxkit.runbook.kernels",
    "RunControl": "fxkit.runbook.live",
    "ParamSpec": "fxkit.runbook.params",
    "read_specs": "fxkit.runbook.params",
    "validate": "fxkit.runbook.params",
    "RunRecord": "fxkit.runbook.records",
    "find_run": "fxkit.runbook.records",
    "list_runs": "fxkit.runbook.records",
    "run_stem": "fxkit.runbook.records",
    "seal": "fxkit.runbook.records",
    "sha256_file": "fxkit.runbook.records",
    "verify_run": "fxkit.runbook.records",
    "failed_cell": "fxkit.runbook.runner",
    "read_outcome": "fxkit.runbook.runner",
    "run_runbook": "fxkit.runbook.runner",
}

if TYPE_CHECKING:
    from fxkit.display import Picture, Table, picture, table, vg_usage_chart
    from fxkit.hostlock import HostLock, LockOwner, break_lock, current_owner
    from fxkit.runbook.apply import (
        OUTCOME_MIME,
        Reported,
        apply_plan,
        facts_after,
        progress,
        report_outcome,
    )
    from fxkit.runbook.catalog import (
        RunbookInfo,
        available_runbooks,
        describe,
        find_runbook,
        runbooks_dirs,
    )
    from fxkit.runbook.check import check_parameters
    from fxkit.runbook.events import RunInterrupted
    from fxkit.runbook.figures import topology_picture
    from fxkit.runbook.kernels import kernel_name
    from fxkit.runbook.live import RunControl
    from fxkit.runbook.params import ParamSpec, read_specs, validate
    from fxkit.runbook.records import (
        RunRecord,
        find_run,
        list_runs,
        run_stem,
        seal,
        sha256_file,
        verify_run,
    )
    from fxkit.runbook.runner import failed_cell, read_outcome, run_runbook


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'fxkit.runbook' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


__all__ = [
    "OUTCOME_MIME", "HostLock", "LockOwner", "ParamSpec", "Picture", "RunControl",
    "Reported", "RunInterrupted", "RunRecord", "RunbookInfo", "Table",
    "apply_plan", "facts_after", "check_parameters", "describe", "picture", "table",
    "topology_picture",
    "vg_usage_chart", "available_runbooks", "break_lock", "current_owner", "failed_cell",
    "find_run", "find_runbook", "kernel_name", "list_runs", "progress", "read_outcome",
    "read_specs", "report_outcome", "run_runbook", "run_stem", "runbooks_dirs", "seal",
    "sha256_file", "validate", "verify_run",
]
