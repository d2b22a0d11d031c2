"""The check every runbook makes right after its parameters cell, inside its own kernel.

The cell after ``parameters`` in every runbook::

    from fxkit.runbook import check_parameters

    check_parameters(globals(), runbook="lv-extend")

It applies ``fxkit run``'s rules (``params.validate``: types, switches, names, sizes,
confirmations, unknown parameters) to the values the kernel holds, so papermill run
directly refuses what ``fxkit run`` refuses, before any command reaches the host. The
values are replaced by their checked form (``"no"`` for a yes/no parameter becomes
False; ``apply`` and ``sudo`` must already be True or False). When papermill, not
``fxkit run``, runs the notebook, this also starts the run's record (``journal``). From
then on the kernel masks secrets in its own outputs (``redact.protect_kernel``).
"""

from __future__ import annotations

import ast
import os
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fxkit import audit
from fxkit.errors import RunbookError
from fxkit.runbook import journal
from fxkit.runbook.catalog import find_runbook
from fxkit.runbook.events import (
    RUN_ENV,
    RunInterrupted,
    emit,
    stop_requested,
    under_fxkit_run,
)
from fxkit.runbook.params import ParamSpec, read_specs, specs_of_cell, validate
from fxkit.runbook.redact import protect_kernel

INJECTED = "# Parameters"                     # papermill's first line of the cell it injects
# what `papermill --inject-paths` adds (input first, then output)
PATHS = ("PAPERMILL_INPUT_PATH", "PAPERMILL_OUTPUT_PATH")
# What a parameter's value can be once papermill has injected it (never a module or object)
LITERALS = (str, int, float, bool, type(None), list, dict)


@dataclass(frozen=True)
class Checked:
    """The checked parameters (shown by the check cell) and where the run is recorded."""

    runbook: str
    values: dict[str, Any]
    record: Path | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"{self.runbook}: parameters checked: {shown}"


def check_parameters(namespace: MutableMapping[str, Any], *, runbook: str) -> Checked:
    """Check the parameters in ``namespace`` (the notebook's ``globals()``), or raise
    ``InvalidRequest`` before anything runs; then start the record under plain papermill."""
    protect_kernel(namespace.get("get_ipython", lambda: None)())
    specs, given, exact = declared_and_given(namespace, runbook)
    paths = {n: str(namespace.get(n) or "") for n in PATHS if n in given}
    values = {n: namespace[n] for n in specs if n in namespace}
    values.update({n: namespace.get(n) for n in given if n not in specs and n not in PATHS})
    checked = validate(values, specs, runbook=runbook)
    if stop_requested():
        raise RunInterrupted(f"{runbook}: stopped by the operator before anything ran")
    namespace.update(checked)
    _LAST[:] = [Checked(runbook, checked)]
    record = None
    audit.CONTEXT.pop("run", None)
    if os.environ.get(RUN_ENV):
        audit.CONTEXT["run"] = os.environ[RUN_ENV]
    if not under_fxkit_run():
        told = {n: checked[n] for n in given if n in checked} if exact else dict(checked)
        told.setdefault("host", checked.get("host", ""))
        shell = namespace["get_ipython"]() if "get_ipython" in namespace else None
        record = journal.begin(runbook, told, host=str(checked.get("host", "")), shell=shell,
                               source=paths.get(PATHS[0], ""), output=paths.get(PATHS[1], ""))
        if (run := journal.active()) is not None:
            audit.CONTEXT["run"] = run.rec.id
    emit("checked", runbook=runbook, pid=os.getpid())
    return Checked(runbook, checked, record)


_LAST: list[Checked] = []   # the parameters this kernel checked last (its run's)


def last_checked() -> Checked | None:
    """The parameters the check cell of the runbook running in this kernel accepted."""
    return _LAST[0] if _LAST else None


def declared_and_given(namespace: MutableMapping[str, Any],
                       runbook: str) -> tuple[dict[str, ParamSpec], list[str], bool]:
    """The parameters the notebook declares, the names papermill injected, and whether
    those names are exact (else every plain value not declared counts as given).

    From IPython's input history when the kernel keeps one (papermill, Jupyter): the
    parameters cell itself, and papermill's injected cell after it. Without a history
    (nbval runs cells unrecorded): the names and types the parameters cell annotated,
    defaults from the runbook of that name, and any other plain value in the namespace
    counts as given, so an unknown one is still refused.
    """
    declared, injected = parameter_cells(list(namespace.get("In") or [])[:-1])
    if declared is not None:
        return specs_of_cell(declared), (assigned_names(injected) if injected else []), True
    annotated = dict(namespace.get("__annotations__") or {})
    if not {"host", "apply"} <= set(annotated):
        raise RunbookError(f"{runbook}: the parameters cell has not run in this kernel: run the "
                           "notebook from the top (papermill, `fxkit run` and Run All do)")
    try:
        known = read_specs(find_runbook(runbook))
    except RunbookError:
        known = {}
    specs = {n: ParamSpec(n, getattr(t, "__name__", str(t)),
                          known[n].default if n in known else "") for n, t in annotated.items()}
    hidden = set(getattr(namespace.get("get_ipython", lambda: None)(), "user_ns_hidden", ()))
    extra = [n for n, v in namespace.items() if not n.startswith("_") and n not in annotated
             and n not in hidden and isinstance(v, LITERALS)]
    return specs, extra, False


def parameter_cells(history: Sequence[str]) -> tuple[str | None, str | None]:
    """The latest ``parameters`` cell this kernel ran and papermill's injected cell after it
    (None if none), from IPython's input history (``In``), newest last."""
    injected = None
    for source in reversed(history):
        if source.lstrip().startswith(INJECTED) and injected is None and _literals(source):
            injected = source
        elif {"host", "apply"} <= set(_literals(source) or ()):
            return source, injected
    return None, None


def assigned_names(source: str) -> list[str]:
    return list(_literals(source) or ())


def _literals(source: str) -> list[str] | None:
    """The names a cell assigns, if it only assigns literals to plain names; else None."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    names = []
    for node in body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            target, value = node.target, node.value
        elif (isinstance(node, ast.Assign) and len(node.targets) == 1
              and isinstance(node.targets[0], ast.Name)):
            target, value = node.targets[0], node.value
        else:
            return None
        try:
            ast.literal_eval(value)
        except ValueError:
            return None
        names.append(target.id)
    return names or None
