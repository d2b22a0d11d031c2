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

from fxkit.display import Picture, Table, picture, table, vg_usage_chart
from fxkit.hostlock import HostLock, LockOwner, break_lock, current_owner
from fxkit.runbook.apply import OUTCOME_MIME, apply_plan, progress, report_outcome
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

__all__ = [
    "OUTCOME_MIME", "HostLock", "LockOwner", "ParamSpec", "Picture", "RunControl",
    "RunInterrupted", "RunRecord", "RunbookInfo", "Table",
    "apply_plan", "check_parameters", "describe", "picture", "table", "topology_picture",
    "vg_usage_chart", "available_runbooks", "break_lock", "current_owner", "failed_cell",
    "find_run", "find_runbook", "kernel_name", "list_runs", "progress", "read_outcome",
    "read_specs", "report_outcome", "run_runbook", "run_stem", "runbooks_dirs", "seal",
    "sha256_file", "validate", "verify_run",
]
