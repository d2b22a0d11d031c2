"""The runbook runner: check parameters, execute a runbook with papermill, write its record.

    >>> rec = run_runbook("lv-create", {"lv": "scratch", "size": "1G"})  # doctest: +SKIP
    >>> rec.status, rec.notebook                                         # doctest: +SKIP
    ('succeeded', 'runs/2026-11-26/041512-lv-create-lab.ipynb')

Inside a runbook, ``fxkit.runbook.apply_plan`` takes the host lock, applies and
reports the outcome (``report_outcome``), which the runner reads back from the
executed notebook. ``observer`` sees the run live (``live.Watcher``) and ``control``
stops it cleanly (``live.RunControl``). Secrets are never parameters; the output
notebook is scrubbed of any known secret before its sha256 is taken.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import json
import os
import shlex
import shutil
import socket
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from fxkit import audit
from fxkit.connect import ACCEPT_NEW_ENV, SSH_CONFIG_ENV
from fxkit.errors import RunbookError
from fxkit.runbook.apply import OUTCOME_MIME
from fxkit.runbook.catalog import available_runbooks, find_runbook, git_revision
from fxkit.runbook.engine import register as register_engine
from fxkit.runbook.events import Channel
from fxkit.runbook.journal import final_status
from fxkit.runbook.journal import runs_dir as default_runs_dir
from fxkit.runbook.kernels import ipc_kernel_manager, kernel_name, warm_kernel_manager
from fxkit.runbook.live import Observer, RunControl, Watcher
from fxkit.runbook.notes import adopt_kernel_notes, this_process
from fxkit.runbook.params import import_papermill, read_specs, validate
from fxkit.runbook.records import RunRecord, claim_record, seal, sha256_file
from fxkit.runbook.redact import scrub_notebook
from fxkit.runbook.warm import WarmKernel
from fxkit.secrets import mask

__all__ = ["available_runbooks", "failed_cell", "find_runbook", "kernel_name", "read_outcome",
           "run_runbook", "scrub_notebook"]

def run_runbook(name_or_path: str | Path, parameters: Mapping[str, Any] | None = None, *,
                host: str = "lab", apply: bool = False, confirm: str | None = None,
                sudo: bool = False, runs_dir: str | Path | None = None,
                observer: Observer | None = None,
                control: RunControl | None = None, ssh_config: str | Path | None = None,
                accept_new_host_key: bool = False, resumes: str = "",
                kernel: WarmKernel | None = None) -> RunRecord:
    """Run a runbook and return its record (also written to disk); never raises on a cell error.

    Parameters are checked before a kernel starts (``InvalidRequest`` if bad). A failed
    run still has its output notebook and a record with status "failed"; a run stopped
    through ``control`` has status "interrupted". ``runs_dir``: ``$FXKIT_RUNS_DIR`` or
    ``runs`` when not given. ``ssh_config`` and ``accept_new_host_key`` reach the
    runbook's own ``fxkit.connect`` through its kernel's environment (``connect_env``).
    ``resumes``: the id of the run this one continues (``fxkit runs resume``).
    ``kernel``: a kernel started for this run beforehand and used by no other
    (``fxkit.runbook.warm``); the caller disposes of it. Without it, one is started here.
    """
    path = find_runbook(name_or_path)
    runbook = path.stem
    # git runs while papermill is imported (read_specs): two processes, no waiting
    revision = ThreadPoolExecutor(1).submit(git_revision, path)
    specs = read_specs(path)
    given = dict(parameters or {})
    given.setdefault("host", host)
    if apply:
        given["apply"] = True
    if sudo:
        given["sudo"] = True
    if confirm:
        given["confirm"] = confirm
    for common in ("host", "apply"):
        if common not in specs:
            raise RunbookError(f"{path}: its parameters cell has no {common!r}; every runbook "
                               "declares host and apply")
    if "confirm" in given and "confirm" not in specs and not given["confirm"]:
        given.pop("confirm")
    params = validate(given, specs, runbook=runbook)

    start = _dt.datetime.now(_dt.UTC)
    runs = Path(runs_dir) if runs_dir is not None else default_runs_dir()
    record = claim_record(runs, start, runbook, str(params["host"]))
    out = record.with_suffix(".ipynb")
    rec = RunRecord(
        id=f"{out.parent.name}/{out.stem}", runbook=runbook, runbook_path=str(path),
        runbook_revision=revision.result(), runbook_sha256=sha256_file(path),
        parameters=params, host=str(params["host"]), operator=_operator(),
        machine=socket.gethostname(), start=_iso(start), notebook=str(out),
        audit_log=str(audit.default_path()), resumes=resumes, **this_process())
    rec.save()  # a record exists even if the runner itself dies
    log = audit.AuditLog()
    offset = len(log.lines())
    rec.error = _execute(path, out, params, rec, control or RunControl(), observer,
                         connect_env(ssh_config, accept_new_host_key), kernel)
    end = _dt.datetime.now(_dt.UTC)
    rec.end = _iso(end)
    scrub_notebook(out)
    if rec.error is not None:
        rec.error["cell"] = failed_cell(out)
    rec.outcome = read_outcome(out)
    rec.changed = bool(rec.outcome.get("changed"))
    rec.status = final_status(rec.error, rec.outcome)
    if control is not None and control.stopping and rec.status == "failed":
        rec.status = "interrupted"  # the kernel was stopped or killed on the operator's word
    # fxkit.connect names a Host after its target, so the host parameter is its name.
    hosts = {rec.host, *(rec.outcome.get("host_names") or [])}
    rec.audit_lines = [e for e in log.lines()[offset:]
                       if e.get("host") in hosts and rec.start <= e.get("time", "")
                       and "run_id" not in e]  # not another run's seal
    rec.commands = [shlex.join(e.get("argv", [])) for e in rec.audit_lines]
    rec.notebook_sha256 = sha256_file(out)
    adopt_kernel_notes(rec)   # the target its plan resolved, noted by the kernel
    rec.save()
    seal(rec, (end - start).total_seconds())
    return rec


def connect_env(ssh_config: str | Path | None = None,
                accept_new_host_key: bool = False) -> dict[str, str]:
    """The kernel's environment that makes the runbook's ``fxkit.connect(host)`` read
    ``ssh_config`` (``$FXKIT_SSH_CONFIG``, made absolute: the kernel runs in the runbook's
    directory) and accept a new host key (``$FXKIT_ACCEPT_NEW_HOST_KEY``)."""
    env = {SSH_CONFIG_ENV: str(Path(ssh_config).expanduser().absolute())} if ssh_config else {}
    if accept_new_host_key:
        env[ACCEPT_NEW_ENV] = "1"
    return env


def _execute(path: Path, out: Path, params: dict[str, Any], rec: RunRecord,
             control: RunControl, observer: Observer | None,
             env: dict[str, str], kernel: WarmKernel | None = None) -> dict[str, Any] | None:
    papermill = import_papermill()
    from papermill.exceptions import PapermillExecutionError
    sockets = tempfile.mkdtemp(prefix="fxkit-kernel-")
    channel = Channel(sockets)
    control.channel = channel

    def started(pid: int | None) -> None:
        control.kernel_pid = pid
    run_env = {**channel.env(rec.id, rec.record_path), **env}
    cwd = str(path.parent.absolute())
    manager = ipc_kernel_manager(sockets, run_env, started) if kernel is None else \
        warm_kernel_manager(kernel, sockets, run_env, cwd, started)
    watcher = Watcher(channel, observer or (lambda e: None), audit_path=Path(rec.audit_log),
                      hosts={rec.host})
    try:
        with watcher:
            papermill.execute_notebook(
                str(path), str(out), parameters=params, kernel_name=kernel_name(),
                progress_bar=False, log_output=False, cwd=cwd,
                kernel_manager_class=manager, on_cell_start=watcher.cell_started,
                engine_name=register_engine(),
                # the host lock is released by the runbook's own cell, so nothing is lost
                # by not waiting 1-2 s for a polite kernel shutdown
                shutdown_kernel="immediate")
    except PapermillExecutionError as e:
        return {"cell": e.cell_index, "execution_count": e.exec_count, "ename": e.ename,
                "evalue": mask(str(e.evalue)), "source": mask(e.source)}
    except Exception as e:  # kernel died, could not start...: still a failed run with a record
        if not out.exists():
            out.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                       "nbformat_minor": 5}))
        return {"cell": None, "ename": type(e).__name__, "evalue": mask(str(e))}
    finally:
        control.kernel_pid = None
        shutil.rmtree(sockets, ignore_errors=True)
    return None


def read_outcome(notebook: str | Path) -> dict[str, Any]:
    """The last outcome a runbook reported (``report_outcome``), from its executed notebook."""
    nb = json.loads(Path(notebook).read_text())
    found: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if OUTCOME_MIME in data:
                found = data[OUTCOME_MIME]
    return found


def failed_cell(notebook: str | Path) -> int | None:
    """Index, in the executed notebook, of the cell that raised (papermill adds cells)."""
    nb = json.loads(Path(notebook).read_text())
    for n, cell in enumerate(nb.get("cells", [])):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return n
    return None


def _operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers)
        return str(os.getuid())


def _iso(when: _dt.datetime) -> str:
    return when.isoformat(timespec="milliseconds")
