"""The run record a runbook's kernel keeps itself when papermill (or Jupyter) runs it directly.

``fxkit run`` writes the record of the runs it starts. A runbook executed by plain
papermill (cron, Airflow's PapermillOperator, jupyter-scheduler) writes the same record
from inside its kernel: the check cell starts it, the outcome updates it, and it is
finished and sealed in the audit log when a cell fails or the kernel exits::

    $FXKIT_RUNS_DIR/DATE/TIME-RUNBOOK-HOST.json   (else runs/ in the kernel's directory)

The record says ``started_by: "papermill"``. Papermill writes the output notebook after
the kernel has exited, so that record has no notebook checksum; its path is known when
papermill is given ``--inject-paths``.
"""

from __future__ import annotations

import atexit
import datetime as _dt
import getpass
import os
import shlex
import socket
import time
from pathlib import Path
from typing import Any

from fxkit import audit
from fxkit.runbook.catalog import git_revision
from fxkit.runbook.notes import this_process
from fxkit.runbook.records import RunRecord, claim_record, seal, sha256_file
from fxkit.secrets import mask

RUNS_ENV = "FXKIT_RUNS_DIR"
INTERRUPTED = ("RunInterrupted", "KeyboardInterrupt")


def runs_dir() -> Path:
    """Where runs are recorded: ``$FXKIT_RUNS_DIR``, else ``runs`` (relative to the cwd)."""
    return Path(os.environ.get(RUNS_ENV) or "runs")


def final_status(error: dict[str, Any] | None, outcome: dict[str, Any]) -> str:
    """succeeded, failed or interrupted, from a run's error (if any) and its outcome."""
    if (error and error.get("ename") in INTERRUPTED) or outcome.get("status") == "interrupted":
        return "interrupted"
    return "failed" if error is not None or outcome.get("status") == "failed" else "succeeded"


class Journal:
    """One run's record, kept by the kernel that runs it."""

    def __init__(self, runbook: str, parameters: dict[str, Any], *, host: str,
                 source: str = "", output: str = "") -> None:
        start = _dt.datetime.now(_dt.UTC)
        path = claim_record(runs_dir().resolve(), start, runbook, host)
        src = Path(source) if source else None
        self.rec = RunRecord(
            id=f"{path.parent.name}/{path.stem}", runbook=runbook,
            runbook_path=str(src.resolve()) if src else "",
            runbook_revision=_revision(src), runbook_sha256=sha256_file(src)
            if src and src.is_file() else "", parameters=parameters, host=host,
            operator=_operator(), machine=socket.gethostname(), start=_iso(start),
            notebook=str(Path(output).resolve()) if output else "",
            audit_log=str(audit.default_path()), started_by="papermill",
            record_file=str(path), **this_process())
        self._offset = len(audit.AuditLog(self.rec.audit_log).lines())
        self._clock = time.monotonic()
        self._cell_running = False
        self._shell: Any = None
        self.finished = False
        self.rec.save()

    @property
    def path(self) -> Path:
        return self.rec.record_path

    def attach(self, shell: Any) -> None:
        """Follow the kernel: a failing cell or the kernel's exit finishes the record."""
        self._shell = shell
        if shell is not None:
            shell.events.register("pre_run_cell", self._pre_run_cell)
            shell.events.register("post_run_cell", self._post_run_cell)
        atexit.register(self.finish)

    def note_target(self, target: dict[str, str]) -> None:
        """The absolute target the run's plan resolved, saved before its first step."""
        self.rec.target = dict(target)
        self.rec.save()

    def outcome(self, outcome: dict[str, Any]) -> None:
        self.rec.outcome = outcome
        self.rec.changed = bool(outcome.get("changed"))
        self.rec.save()

    def _pre_run_cell(self, info: Any = None) -> None:
        self._cell_running = True

    def _post_run_cell(self, result: Any) -> None:
        self._cell_running = False
        error = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec",
                                                                  None)
        if error is not None:  # papermill stops at the first failing cell
            self.finish(error, getattr(result, "execution_count", None))

    def finish(self, error: BaseException | None = None, count: int | None = None) -> None:
        """End the record (once): status, commands from the audit log, then the seal."""
        if self.finished:
            return
        self.finished = True
        if self._shell is not None:
            for name, hook in (("pre_run_cell", self._pre_run_cell),
                               ("post_run_cell", self._post_run_cell)):
                try:
                    self._shell.events.unregister(name, hook)
                except ValueError:
                    pass
        rec = self.rec
        rec.end = _iso(_dt.datetime.now(_dt.UTC))
        if error is not None:
            rec.error = {"cell": None, "execution_count": count,
                         "ename": type(error).__name__, "evalue": mask(str(error))}
        elif self._cell_running:  # the kernel was shut down in the middle of a cell
            rec.error = {"cell": None, "ename": "KeyboardInterrupt",
                         "evalue": "the kernel was stopped while a cell was running"}
        rec.status = final_status(rec.error, rec.outcome)
        hosts = {rec.host, *(rec.outcome.get("host_names") or [])}
        lines = audit.AuditLog(rec.audit_log).lines()[self._offset:]
        rec.audit_lines = [e for e in lines if e.get("host") in hosts
                           and rec.start <= e.get("time", "") and "run_id" not in e]
        rec.commands = [shlex.join(e.get("argv", [])) for e in rec.audit_lines]
        rec.save()
        seal(rec, time.monotonic() - self._clock)


def _revision(source: Path | None) -> str:
    if source is None or not source.is_file():
        return "unknown"  # papermill tells the kernel its input only with --inject-paths
    return git_revision(source)


def _operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers)
        return str(os.getuid())


def _iso(when: _dt.datetime) -> str:
    return when.isoformat(timespec="milliseconds")


_ACTIVE: list[Journal] = []   # the run this kernel is recording (one at a time)


def begin(runbook: str, parameters: dict[str, Any], *, host: str, shell: Any = None,
          source: str = "", output: str = "") -> Path:
    """Start recording a run in this kernel (a previous one is finished first)."""
    for previous in _ACTIVE:
        previous.finish()
    _ACTIVE.clear()
    run = Journal(runbook, parameters, host=host, source=source, output=output)
    run.attach(shell)
    _ACTIVE.append(run)
    return run.path


def active() -> Journal | None:
    """The run this kernel records, if papermill (not `fxkit run`) started it."""
    return next((j for j in _ACTIVE if not j.finished), None)
