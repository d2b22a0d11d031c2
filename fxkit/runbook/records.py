"""Run records: the JSON beside each executed runbook, and listing and verifying them.

A run lives in ``runs/DATE/TIME-RUNBOOK-HOST.ipynb`` with its record in the
``.json`` of the same name; its id is ``DATE/TIME-RUNBOOK-HOST``::

    >>> rec = find_run("runs", "041512-lv-create")     # doctest: +SKIP
    >>> verify_run(rec)                                 # doctest: +SKIP
    []

A record also says which process keeps it (a "running" record whose process is gone is
stale: ``liveness``), the absolute target its plan resolved (``target``, for ``fxkit runs
resume``), and the audit log's head when sealed (``audit_head``: an anchor of the chain).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import os
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fxkit import audit
from fxkit.audit import AuditLog, Head, line_hash
from fxkit.errors import RunbookError
from fxkit.hostlock import process_alive


@dataclass
class RunRecord:
    """What one runbook run did, written as JSON beside its output notebook."""

    id: str
    runbook: str
    runbook_path: str
    runbook_revision: str  # git commit of the runbook file, "+dirty" if it has local edits
    runbook_sha256: str
    parameters: dict[str, Any]
    host: str
    operator: str
    machine: str
    start: str
    end: str = ""
    status: str = "running"  # running | succeeded | failed | interrupted
    changed: bool = False
    outcome: dict[str, Any] = field(default_factory=dict)  # what the runbook reported
    error: dict[str, Any] | None = None  # {cell, ename, evalue} on failure
    commands: list[str] = field(default_factory=list)
    audit_lines: list[dict[str, Any]] = field(default_factory=list)
    audit_log: str = ""  # the audit log the commands were recorded in
    notebook: str = ""  # path of the output notebook ("" if papermill did not tell)
    notebook_sha256: str = ""
    # "fxkit run" (the runner: `fxkit run`, run_runbook, the launcher) or "papermill"
    # (the runbook's own kernel, when papermill or Jupyter ran the notebook directly)
    started_by: str = "fxkit run"
    record_file: str = ""  # where this record is, when not beside the notebook
    pid: int = 0           # the process keeping this record (the runner, or the kernel)
    pid_start: int = 0     # ...its start time (clock ticks since boot), against pid reuse
    boot_id: str = ""      # ...and its machine's boot: a "running" record outlives neither
    # absolute values of the relative parameters, as the plan resolved them when made
    # (``targets``); None: the run never reached its apply
    target: dict[str, str] | None = None
    resumes: str = ""      # the id of the failed or interrupted run this one continues
    audit_head: dict[str, Any] = field(default_factory=dict)  # {lines, sha256} at the seal
    note: str = ""         # e.g. who finished a run whose process died

    @property
    def record_path(self) -> Path:
        return Path(self.record_file) if self.record_file else \
            Path(self.notebook).with_suffix(".json")

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def save(self) -> Path:
        path = self.record_path
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")
        os.replace(tmp, path)   # a reader (or a kill -9) never sees half a record
        return path

    def liveness(self) -> str:
        """For a "running" record: "alive", "dead" (its process is gone: stale) or "unknown"
        (kept on another machine, or by an fxkit that did not record its pid)."""
        if self.machine != socket.gethostname() or not self.pid:
            return "unknown"
        return "alive" if process_alive(self.pid, self.pid_start, self.boot_id) else "dead"

    @property
    def shown_status(self) -> str:
        """The status, with "stale" for a running record whose process is gone."""
        if self.status == "running" and self.liveness() == "dead":
            return "running (stale: its process is gone)"
        return self.status

    @classmethod
    def load(cls, path: str | Path) -> RunRecord:
        data = json.loads(Path(path).read_text())
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def summary(self, all_commands: bool = False) -> str:
        """A few lines a reviewer reads first (``fxkit runs show``)."""
        params = " ".join(f"{k}={v!r}" for k, v in sorted(self.parameters.items()))
        lines = [
            f"run      {self.id}    started by {self.started_by}",
            f"runbook  {self.runbook} @ {self.runbook_revision[:12] or 'unknown revision'}",
            f"host     {self.host}    operator {self.operator}@{self.machine}",
            f"when     {self.start} -> {self.end}",
            f"params   {params}",
            f"status   {self.shown_status}    changed {'yes' if self.changed else 'no'}",
        ]
        if self.resumes:
            lines.append(f"resumes  {self.resumes}")
        if self.target:
            lines.append("target   " + " ".join(f"{k}={v!r}" for k, v in
                                                sorted(self.target.items()))
                         + " (resolved when planned; `fxkit runs resume` keeps it)")
        if self.note:
            lines.append(f"note     {self.note}")
        if reason := self.outcome.get("reason"):
            lines.append(f"outcome  {reason}")
        if self.error:
            first = (str(self.error.get("evalue") or "").splitlines() or [""])[0]
            lines.append(f"error    cell {self.error.get('cell')}: "
                         f"{self.error.get('ename')}: {first}")
        if unknown := self.outcome.get("unknown"):
            lines.append(f"unknown  `{unknown.get('command')}`: outcome unknown; "
                         f"{unknown.get('reread')}")
        if self.status in RESUMABLE or self.shown_status != self.status:
            lines.append(f"resume   fxkit runs resume {self.id}    (dry-run; then --apply)")
        changes = self.outcome.get("changes") or []
        lines.append(f"changes  {len(changes)} command(s) changed the host")
        lines += [f"  $ {c}" for c in changes]
        lines.append(f"commands {len(self.commands)} run in all (reads included)"
                     + ("" if all_commands else "; --all lists them"))
        if all_commands:
            lines += [f"  $ {c}" for c in self.commands]
        if self.started_by != "papermill" or self.notebook_sha256:
            lines += [f"notebook {self.notebook}", f"sha256   {self.notebook_sha256}"]
        else:
            lines.append(f"notebook {self.notebook or '(papermill did not tell the kernel)'}"
                         " (written by papermill after the run: no checksum recorded)")
        lines.append(f"record   {self.record_path}")
        return "\n".join(lines)


def sha256_file(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def list_runs(runs_dir: str | Path = "runs", *, host: str | None = None,
              runbook: str | None = None, status: str | None = None) -> list[RunRecord]:
    """Every record under ``runs_dir``, oldest first, filtered."""
    root = Path(runs_dir)
    records = []
    for path in sorted(root.glob("*/*.json")):
        try:
            rec = RunRecord.load(path)
        except (ValueError, TypeError, KeyError):
            continue  # not a run record
        if host and rec.host != host:
            continue
        if runbook and rec.runbook != runbook:
            continue
        if status and rec.status != status:
            continue
        records.append(rec)
    return records


def find_run(runs_dir: str | Path, run_id: str) -> RunRecord:
    """The run whose id, file stem or path is ``run_id`` (a unique prefix of the stem works)."""
    path = Path(run_id)
    if path.suffix in (".json", ".ipynb") and path.exists():
        return RunRecord.load(path.with_suffix(".json"))
    runs = list_runs(runs_dir)
    exact = [r for r in runs if run_id in (r.id, r.record_path.stem)]
    matches = exact or [r for r in runs if r.record_path.stem.startswith(run_id)
                        or r.id.startswith(run_id)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise RunbookError(f"no run {run_id!r} under {runs_dir}/: list them with `fxkit runs`")
    ids = ", ".join(r.id for r in matches[:5])
    raise RunbookError(f"{run_id!r} matches {len(matches)} runs ({ids}...): give more of the id")


def verify_run(rec: RunRecord, audit_path: str | Path | None = None, *,
               heads: Iterable[Head] = ()) -> list[str]:
    """Problems with a run's evidence; empty when the notebook, record and audit lines are intact.

    Checks the output notebook against its recorded sha256; the record against the
    sha256 and status sealed in the audit log when the run ended (``seal``); that every
    audit line the record copied is still in the log unchanged; and the hash chain from
    the run's first line on, against the anchor file, the head this record keeps and
    ``heads`` (other records'): truncating, rewriting or appending to the log shows.
    """
    problems = []
    nb = Path(rec.notebook)
    if rec.started_by == "papermill" and not rec.notebook_sha256:
        pass  # papermill writes the notebook after the kernel exits: no checksum to compare
    elif not nb.exists():
        problems.append(f"output notebook {nb} is missing")
    elif (digest := sha256_file(nb)) != rec.notebook_sha256:
        problems.append(f"output notebook {nb} was modified: sha256 {digest} "
                        f"!= recorded {rec.notebook_sha256}")
    log = Path(audit_path or rec.audit_log or audit.default_path())
    raws = audit.read_lines(log) if log.exists() else []
    entries = [e for _, e, wrong in raws if not wrong]
    seals = [e for e in entries if e.get("run_id") == rec.id]
    if not seals:
        problems.append(f"no audit log line seals run {rec.id} (looked in {log}): the record "
                        "cannot be checked")
    elif rec.record_path.exists() and \
            (digest := sha256_file(rec.record_path)) != seals[-1].get("record_sha256"):
        problems.append(f"record {rec.record_path} was modified after the run: sha256 {digest}"
                        f" != sealed {seals[-1].get('record_sha256')}")
    if seals and seals[-1].get("status") not in (None, rec.status):
        problems.append(f"the record says {rec.status!r} but its seal in the audit log says "
                        f"{seals[-1].get('status')!r}")
    present = {_entry_hash(e): n for n, (_, e, wrong) in enumerate(raws, 1) if not wrong}
    if rec.audit_lines:
        missing = [e for e in rec.audit_lines if _entry_hash(e) not in present]
        if missing:
            problems.append(f"{len(missing)} recorded audit line(s) are no longer in the audit "
                            f"log unchanged, first: {' '.join(missing[0].get('argv', []))}")
    if raws:
        mine = [present[h] for h in map(_entry_hash, [*rec.audit_lines, *seals[-1:]])
                if h in present]
        first = min(mine, default=1)
        own = Head.of(rec.audit_head, f"record of run {rec.id}")
        checks = [*heads, own] if own is not None else list(heads)
        problems += [f"audit log {log}: {p}" for p in audit.verify(log, checks)
                     if p.line >= first or p.line == 0]
    return problems


def heads_of(records: Iterable[RunRecord], audit_log: str | Path) -> list[Head]:
    """The audit log heads kept by ``records`` that were sealed in ``audit_log``."""
    where = Path(audit_log).resolve()
    heads = [Head.of(r.audit_head, f"record of run {r.id}") for r in records
             if r.audit_log and Path(r.audit_log).resolve() == where]
    return [h for h in heads if h is not None]


def seal(rec: RunRecord, seconds: float = 0.0) -> dict[str, Any]:
    """Chain the finished record into the audit log: one line naming the run, its exit
    status and the sha256 of its record and notebook, so editing either shows. The
    record first keeps the log's head (its line count and last hash) as an anchor."""
    log = AuditLog(rec.audit_log or None)
    rec.audit_head = log.head().to_dict()
    rec.save()
    params = [f"{k}={v}" for k, v in sorted(rec.parameters.items())]
    starter = ["fxkit", "run"] if rec.started_by == "fxkit run" else [rec.started_by]
    status = {"succeeded": 0, "interrupted": 130}.get(rec.status, 1)
    said = rec.outcome.get("reason", "") if rec.status == "interrupted" else ""
    return log.append({
        "time": rec.end, "host": rec.host, "user": rec.operator,
        "argv": [*starter, rec.runbook, *params], "exit_status": status,
        "seconds": round(seconds, 3), "stdout_tail": said, "stderr_tail": "",
        "run_id": rec.id, "status": rec.status, "started_by": rec.started_by,
        "record_sha256": sha256_file(rec.record_path), "notebook_sha256": rec.notebook_sha256})


RESUMABLE = ("failed", "interrupted")


def _entry_hash(entry: dict[str, Any]) -> str:
    return line_hash(json.dumps(entry, sort_keys=True))


def claim_record(runs: Path, when: _dt.datetime, runbook: str, host: str) -> Path:
    """A new ``runs/DATE/TIME-RUNBOOK-HOST.json``, claimed atomically: two runs in the same
    second get ``-2``, ``-3``... The output notebook, if any, goes beside it (``.ipynb``)."""
    folder = runs / when.strftime("%Y-%m-%d")
    folder.mkdir(parents=True, exist_ok=True)
    stem = run_stem(when.strftime("%H%M%S"), runbook, host)
    candidate, n = folder / f"{stem}.json", 1
    while True:
        try:
            with open(candidate, "x"):
                return candidate
        except FileExistsError:
            n += 1
            candidate = folder / f"{stem}-{n}.json"


def run_stem(when_time: str, runbook: str, host: str) -> str:
    """``TIME-RUNBOOK-HOST`` with the host made safe for a file name."""
    safe_host = re.sub(r"[^A-Za-z0-9_.-]+", "_", host.replace("ssh://", "")).strip("_")
    return f"{when_time}-{runbook}-{safe_host or 'host'}"
