"""The runbook runner: check parameters, execute a runbook with papermill, write its record.

    >>> rec = run_runbook("lv-create", {"lv": "scratch", "size": "1G"})  # doctest: +SKIP
    >>> rec.status, rec.notebook                                         # doctest: +SKIP
    ('succeeded', 'runs/2026-11-26/041512-lv-create-lab.ipynb')

Inside a runbook, ``fxkit.runbook.apply_plan`` takes the host lock, applies and
reports the outcome (``report_outcome``), which the runner reads back from the
executed notebook. Secrets are never parameters; the output notebook is scrubbed
of any known secret before its sha256 is taken.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fxkit import audit
from fxkit.errors import RunbookError
from fxkit.runbook.apply import OUTCOME_MIME
from fxkit.runbook.params import import_papermill, read_specs, validate
from fxkit.runbook.records import RunRecord, run_stem, seal, sha256_file
from fxkit.secrets import mask

KERNEL = "python3"
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----",
                          re.DOTALL)


def runbooks_dirs() -> list[Path]:
    """Where runbooks are looked up: $FXKIT_RUNBOOKS, ./runbooks, the source tree's runbooks/."""
    dirs = [Path(p) for p in os.environ.get("FXKIT_RUNBOOKS", "").split(os.pathsep) if p]
    dirs += [Path("runbooks"), Path(__file__).resolve().parents[2] / "runbooks"]
    return [d for d in dirs if d.is_dir()]


def available_runbooks() -> list[str]:
    return sorted({p.stem for d in runbooks_dirs() for p in d.glob("*.ipynb")})


def find_runbook(name_or_path: str | Path) -> Path:
    """The notebook for a runbook name (``lv-create``) or path; ``RunbookError`` if none."""
    path = Path(name_or_path)
    if path.suffix == ".ipynb" and path.is_file():
        return path
    name = str(name_or_path)
    if re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        for d in runbooks_dirs():
            if (d / f"{name}.ipynb").is_file():
                return d / f"{name}.ipynb"
    raise RunbookError(f"no runbook {name!r}. Available: {', '.join(available_runbooks())} "
                       "(or give a path to an .ipynb)")


def run_runbook(name_or_path: str | Path, parameters: Mapping[str, Any] | None = None, *,
                host: str = "lab", apply: bool = False, confirm: str | None = None,
                runs_dir: str | Path = "runs") -> RunRecord:
    """Run a runbook and return its record (also written to disk); never raises on a cell error.

    Parameters are checked before a kernel starts (``InvalidRequest`` if bad).
    A failed run still has its output notebook and a record with status "failed".
    """
    path = find_runbook(name_or_path)
    runbook = path.stem
    specs = read_specs(path)
    given = dict(parameters or {})
    given.setdefault("host", host)
    if apply:
        given["apply"] = True
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
    out = _output_path(Path(runs_dir), start, runbook, str(params["host"]))
    rec = RunRecord(
        id=f"{out.parent.name}/{out.stem}", runbook=runbook, runbook_path=str(path),
        runbook_revision=git_revision(path), runbook_sha256=sha256_file(path),
        parameters=params, host=str(params["host"]), operator=_operator(),
        machine=socket.gethostname(), start=_iso(start), notebook=str(out),
        audit_log=str(audit.default_path()))
    rec.save()  # a record exists even if the runner itself dies
    log = audit.AuditLog()
    offset = len(log.lines())
    rec.error = _execute(path, out, params)
    end = _dt.datetime.now(_dt.UTC)
    rec.end = _iso(end)
    scrub_notebook(out)
    if rec.error is not None:
        rec.error["cell"] = failed_cell(out)
    rec.outcome = read_outcome(out)
    rec.changed = bool(rec.outcome.get("changed"))
    failed = rec.error is not None or rec.outcome.get("status") == "failed"
    rec.status = "failed" if failed else "succeeded"
    # fxkit.connect names a Host after its target, so the host parameter is its name.
    hosts = {rec.host, *(rec.outcome.get("host_names") or [])}
    rec.audit_lines = [e for e in log.lines()[offset:]
                       if e.get("host") in hosts and rec.start <= e.get("time", "")
                       and "run_id" not in e]  # not another run's seal
    rec.commands = [shlex.join(e.get("argv", [])) for e in rec.audit_lines]
    rec.notebook_sha256 = sha256_file(out)
    rec.save()
    seal(rec, (end - start).total_seconds())
    return rec


def _ipc_kernel_manager(socket_dir: str) -> type:
    """A kernel manager talking to its kernel over Unix sockets in ``socket_dir``.

    TCP on loopback would work too, but each kernel then prints an "unencrypted TCP"
    warning, and under load a freshly picked port can be taken before the kernel binds it.
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum, default

    class IpcKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc")

        @default("ip")
        def _ip_default(self) -> str:
            return os.path.join(socket_dir, "kernel")

    return IpcKernelManager


def _execute(path: Path, out: Path, params: dict[str, Any]) -> dict[str, Any] | None:
    papermill = import_papermill()
    from papermill.exceptions import PapermillExecutionError
    sockets = tempfile.mkdtemp(prefix="fxkit-kernel-")
    try:
        papermill.execute_notebook(
            str(path), str(out), parameters=params, kernel_name=kernel_name(),
            progress_bar=False, log_output=False, cwd=str(path.parent),
            kernel_manager_class=_ipc_kernel_manager(sockets),
            # the host lock is released by the runbook's own cell, so nothing is lost by
            # not waiting 1-2 s for a polite kernel shutdown
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
        shutil.rmtree(sockets, ignore_errors=True)
    return None


def kernel_name() -> str:
    """A kernel running this Python (the project's venv), installing a kernelspec if needed.

    The usual ``python3`` spec says ``python``, which jupyter_client replaces by
    ``sys.executable``; a spec naming another interpreter would run the runbook
    without this fxkit, so then a ``fxkit`` spec for this interpreter is installed
    into ``sys.prefix`` and used.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    specs = KernelSpecManager()
    try:
        argv0 = specs.get_kernel_spec(KERNEL).argv[0]
    except NoSuchKernel:
        argv0 = ""
    if argv0 in ("python", "python3") or (argv0 and Path(argv0).resolve()
                                          == Path(sys.executable).resolve()):
        return KERNEL
    try:
        if Path(specs.get_kernel_spec("fxkit").argv[0]).resolve() == \
                Path(sys.executable).resolve():
            return "fxkit"
    except NoSuchKernel:
        pass
    from ipykernel.kernelspec import install
    install(kernel_name="fxkit", display_name="Python (fxkit)", prefix=sys.prefix)
    return "fxkit"


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


def scrub_notebook(path: str | Path) -> None:
    """Mask known secrets and private keys anywhere in the notebook, metadata included.

    papermill keeps injected parameters in the notebook and its metadata
    (papermill #706); parameters are never secrets, but a runbook could print one.
    """
    p = Path(path)
    text = p.read_text()
    clean = _PRIVATE_KEY.sub("******", mask(text))
    if clean != text:
        p.write_text(clean)


def git_revision(path: Path) -> str:
    """The last commit touching ``path``, with ``+dirty`` if it has uncommitted edits."""
    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", "-C", str(path.parent.resolve()), *args],
                                  capture_output=True, text=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""
    rev = git("log", "-1", "--format=%H", "--", path.name)
    if not rev:
        return "untracked"
    return rev + ("+dirty" if git("status", "--porcelain", "--", path.name) else "")


def _output_path(runs: Path, when: _dt.datetime, runbook: str, host: str) -> Path:
    folder = runs / when.strftime("%Y-%m-%d")
    folder.mkdir(parents=True, exist_ok=True)
    stem = run_stem(when.strftime("%H%M%S"), runbook, host)
    candidate, n = folder / f"{stem}.ipynb", 1
    while True:
        try:  # claim the name atomically: two runs in the same second get -2, -3, ...
            with open(candidate.with_suffix(".json"), "x"):
                return candidate
        except FileExistsError:
            n += 1
            candidate = folder / f"{stem}-{n}.ipynb"


def _operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers)
        return str(os.getuid())


def _iso(when: _dt.datetime) -> str:
    return when.isoformat(timespec="milliseconds")
