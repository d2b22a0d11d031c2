"""``fxkit runs resume RUN``: continue a failed, interrupted or dead run toward its target.

The new run executes the same runbook with the same parameters, except that each relative
size is replaced by the absolute target the first run's plan resolved (``target`` in its
record): ``+1G`` that became ``-l 2816`` stays ``-l 2816``, so a step that did happen is
skipped and nothing grows twice::

    >>> new = resume(find_run("runs", "041512-lv-extend"), apply=True)   # doctest: +SKIP
    >>> new.resumes                                                      # doctest: +SKIP
    '2026-11-26/041512-lv-extend-lab'

A run still marked "running" whose process is gone (kill -9) is finished first, as
"interrupted", and sealed; a host lock whose holder is gone is taken over. A holder
still alive, or on another machine (unless ``force``: the operator checked), is refused.
"""

from __future__ import annotations

import datetime as _dt
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fxkit.audit import AuditLog
from fxkit.errors import InvalidRequest
from fxkit.hostlock import LOCK_DIR, take_over
from fxkit.runbook import targets
from fxkit.runbook.records import RESUMABLE, RunRecord, seal, sha256_file
from fxkit.runbook.runner import read_outcome, run_runbook

Connect = Callable[[str], Any]


@dataclass
class Resumption:
    """What resuming a run will do: its parameters, and what was found on the way."""

    record: RunRecord
    parameters: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def prepare(rec: RunRecord, overrides: Mapping[str, Any] | None = None, *,
            force: bool = False) -> Resumption:
    """The parameters of the run continuing ``rec``; ``InvalidRequest`` if it cannot be."""
    state = rec.liveness() if rec.status == "running" else ""
    if rec.status == "succeeded":
        raise InvalidRequest(f"run {rec.id} succeeded: there is nothing to resume")
    if rec.status == "running" and state == "alive":
        raise InvalidRequest(f"run {rec.id} is still running (pid {rec.pid} on {rec.machine}):"
                             " wait for it, or stop it, before resuming it")
    if rec.status == "running" and state == "unknown" and not force:
        raise InvalidRequest(
            f"run {rec.id} is marked running, kept by pid {rec.pid or '?'} on {rec.machine}: "
            "fxkit cannot tell from here whether it still runs. Once you have checked that "
            f"it is gone: fxkit runs resume {rec.id} --force")
    if rec.status not in (*RESUMABLE, "running"):
        raise InvalidRequest(f"run {rec.id} has status {rec.status!r}: only a failed, "
                             "interrupted or dead run can be resumed")
    params = {k: v for k, v in rec.parameters.items() if k != "apply"}
    notes = []
    for name, value in (rec.target or {}).items():
        if name in params and value != params[name]:
            notes.append(f"{name}: {params[name]!r} was resolved to {value!r} when {rec.id} "
                         "planned it; resuming keeps that target")
            params[name] = value
    given = dict(overrides or {})
    missing = [n for n in targets.SIZES if targets.is_relative(params.get(n))
               and n not in given and rec.target is not None and n not in rec.target]
    if missing:
        raise InvalidRequest(
            f"run {rec.id} applied a plan but recorded no absolute target for "
            f"{', '.join(f'{n}={params[n]!r}' for n in missing)}; planning it again could "
            f"change something twice. Say the size you want: fxkit runs resume {rec.id} "
            f"-p {missing[0]} SIZE")
    params.update(given)
    if state == "dead":
        notes.append(f"run {rec.id} is marked running but its process (pid {rec.pid}) is "
                     "gone: resuming with --apply records it as interrupted first")
    return Resumption(rec, params, notes)


def resume(rec: RunRecord, overrides: Mapping[str, Any] | None = None, *, apply: bool = False,
           confirm: str | None = None, force: bool = False,
           runs_dir: str | Path | None = None, connect: Connect | None = None,
           **run_options: Any) -> RunRecord:
    """Run ``rec``'s runbook again toward its recorded target; returns the new run's record.

    A dry-run unless ``apply``. With ``apply``, a dead run's record is finished and a stale
    host lock taken over (``HostLocked`` if its holder may still run) before the new run.
    ``run_options`` go to ``run_runbook`` (observer, control, ssh_config...).
    """
    plan = prepare(rec, overrides, force=force)
    if apply:
        if rec.status == "running":
            finish_dead(rec)
        take_over_lock(rec, connect, force=force)
    params = dict(plan.parameters)
    host = str(params.pop("host", rec.host))
    sudo = bool(params.pop("sudo", False)) or bool(run_options.pop("sudo", False))
    recorded = params.pop("confirm", None)
    confirm = confirm or recorded or None
    source = Path(rec.runbook_path) if rec.runbook_path and Path(rec.runbook_path).exists() \
        else rec.runbook
    return run_runbook(source, params, host=host, apply=apply, confirm=confirm, sudo=sudo,
                       runs_dir=runs_dir, resumes=rec.id, **run_options)


def take_over_lock(rec: RunRecord, connect: Connect | None = None, *,
                   force: bool = False) -> str:
    """Free ``rec.host``'s lock if its holder is gone; says what was done ("" if free)."""
    if connect is None:
        from fxkit.connect import connect as connect_target
        connect = connect_target
    with connect(rec.host) as host:
        gone = take_over(host, force=force)   # HostLocked if the holder may still run
    return f"took over the host lock left by {gone.describe()}" if gone else ""


def finish_dead(rec: RunRecord) -> None:
    """Record a run whose process died (kill -9) as interrupted, with the commands the audit
    log has for its host since it started (a command logged as started but never ended:
    outcome unknown), and seal it."""
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")
    logged = [e for e in AuditLog(rec.audit_log or None).lines() if "run_id" not in e]
    lines = [e for e in logged if e.get("run") == rec.id] or [   # an older kernel: by time
        e for e in logged if e.get("host") == rec.host and "run" not in e
        and rec.start <= str(e.get("time", "")) <= now]
    unknown = [e for e in lines if e.get("phase") == "started" or
               (e.get("phase") == "ended" and e.get("exit_status") is None)]
    changes = [shlex.join(e.get("argv", [])) for e in lines if e.get("phase") == "ended"
               and e.get("exit_status") == 0 and LOCK_DIR not in e.get("argv", [])]
    notebook = Path(rec.notebook) if rec.notebook else None
    outcome = read_outcome(notebook) if notebook and notebook.exists() else {}
    why = (f"Its process (pid {rec.pid} on {rec.machine}) died while it ran (killed?); "
           f"`fxkit runs resume` recorded it at {now}.")
    rec.outcome = {**outcome, "status": "interrupted", "reason": why,
                   "changed": bool(changes or unknown or outcome.get("changed")),
                   "changes": [*(outcome.get("changes") or []), *changes]}
    if unknown:
        rec.outcome["unknown"] = {"command": shlex.join(unknown[-1].get("argv", [])),
                                  "reread": "its process died while it ran; not re-read "
                                            "(the resumed run re-checks each step first)",
                                  "step": "", "error": "the process died"}
    rec.status, rec.end, rec.changed = "interrupted", now, bool(rec.outcome["changed"])
    rec.error = {"cell": None, "ename": "ProcessDied", "evalue": why}
    rec.note = why
    rec.audit_lines = lines
    rec.commands = [shlex.join(e.get("argv", [])) for e in lines]
    if notebook and notebook.exists() and rec.started_by != "papermill":
        rec.notebook_sha256 = sha256_file(notebook)
    rec.save()
    seal(rec)
