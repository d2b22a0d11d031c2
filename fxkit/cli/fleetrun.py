"""The CLI's many-hosts path: live per-host lines, the recap, ``--json`` and the exit code.

``fxkit inventory``, ``fxkit doctor`` and ``fxkit run`` come here when given an inventory
(``-i``), a ``--limit`` or several hosts. Progress lines go to standard error, so
``--json`` keeps standard output to one document (``fxkit.fleet/1``, docs/json.md).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from fxkit.cli import exits, jsonout
from fxkit.cli.hostopts import FleetOptions, HostOptions
from fxkit.connect import prepare
from fxkit.errors import ConnectionFailed, FxkitError
from fxkit.fleet import FleetHost, HostResult, recap, run_fleet, summary

_COLOURS = {"ok": "green", "changed": "yellow", "failed": "red", "unreachable": "magenta"}


def wants_fleet(hosts: tuple[str, ...], conn: HostOptions, fleet: FleetOptions) -> bool:
    return bool(conn.inventory or fleet.limit or len(hosts) > 1)


def run_on_fleet(hosts: tuple[str, ...], conn: HostOptions, fleet: FleetOptions,
                 job: Callable[[FleetHost], tuple[bool, Any]], *, quiet: bool = False
                 ) -> list[HostResult]:
    """Run ``job`` on the selected hosts, ``fleet.forks`` at once, with live lines."""
    selected = conn.fleet_hosts(list(hosts), fleet.limit)
    if not selected:
        raise click.UsageError("no host selected: check the inventory and --limit")
    start = time.monotonic()
    width = max(len(h.name) for h in selected)

    def show(kind: str, what: Any) -> None:
        if quiet:
            return
        at = f"[{time.monotonic() - start:6.1f}s]"
        if kind == "start":
            click.echo(f"{at} {what.name.ljust(width)}  started", err=True)
        else:
            line = f"{at} {what.name.ljust(width)}  {what.status}"
            if what.message:
                line += f": {what.message.splitlines()[0]}"
            click.secho(line, fg=_COLOURS.get(what.status), err=True)
    if not quiet:
        click.echo(f"{len(selected)} host(s), {min(fleet.forks, len(selected))} at once", err=True)
    prepare(h.target for h in selected)
    return run_fleet(selected, job, forks=fleet.forks, on_event=show)


def exit_code(results: list[HostResult]) -> int:
    """0 if every host succeeded; 1 if any failed; else 4 if any was unreachable."""
    counts = summary(results)
    if counts["failed"]:
        return exits.FAILED
    if counts["unreachable"]:
        return exits.UNREACHABLE
    return exits.OK


def fleet_doc(command: str, results: list[HostResult],
              per_host: Callable[[HostResult], Any]) -> dict[str, Any]:
    """``fxkit.fleet/1``: one entry per host (status, seconds, message, its own document)."""
    return jsonout.document(
        "fleet", command=command, summary=summary(results),
        ok=exit_code(results) == exits.OK,
        hosts=[{"name": r.name, "target": r.host.target, "status": r.status,
                "seconds": round(r.seconds, 3), "message": r.message or None,
                "error": r.error or None,
                "result": per_host(r) if r.data is not None else None}
               for r in results])


def finish(command: str, results: list[HostResult], as_json: bool,
           per_host: Callable[[HostResult], Any], tables: list[Any]) -> None:
    """Print the tables and the recap (or the JSON document), then exit with the code."""
    if as_json:
        jsonout.echo(fleet_doc(command, results, per_host))
    else:
        for table in tables:
            click.echo(str(table))
            click.echo()
        click.echo(recap(results))
    sys.exit(exit_code(results))


def run_runbook_fleet(runbook: str, given: dict[str, str], pattern: str | None, apply: bool,
                      confirm: str | None, conn: HostOptions, fleet: FleetOptions,
                      runs_dir: str, as_json: bool) -> None:
    """``fxkit run RUNBOOK -i INV``: one recorded run per host, ``fleet.forks`` at once.

    Each host's run is an ``fxkit run --json`` in a worker process (``RunWorkers``), not
    a thread: papermill changes the working directory of the process that runs it."""
    from fxkit.display import Table
    from fxkit.runbook.catalog import find_runbook

    book = str(find_runbook(runbook).resolve())
    runs = str(Path(runs_dir).absolute())
    workers = RunWorkers()

    def job(h: FleetHost) -> tuple[bool, Any]:
        args = ["run", book, "--json", "-q", "--host", h.target, "--runs-dir", runs]
        args += [w for name, value in given.items() for w in ("-p", name, value)]
        args += ["--apply"] if apply else []
        args += ["--confirm", confirm] if confirm else []
        args += ["--sudo"] if h.sudo else []
        args += ["-F", h.ssh_config] if h.ssh_config else []
        args += ["--accept-new-host-key"] if h.accept_new_host_key else []
        code, out, err = workers.run(args)
        try:
            doc = json.loads(out)
        except ValueError:
            tail = (err.strip().splitlines() or ["no output"])[-1]
            raise FxkitError(f"fxkit run exited {code}: {tail}") from None
        if code == exits.OK:
            return bool(doc.get("changed")), doc
        why = (doc.get("outcome") or {}).get("reason") or (doc.get("error") or {}).get("evalue") \
            or doc.get("status")
        cls = ConnectionFailed if code == exits.UNREACHABLE else FxkitError
        e = cls(f"{doc.get('status')} (exit {code}): "
                f"{str(why).splitlines()[0] if why else ''}; fxkit runs show {doc.get('id')}")
        e.fleet_data = doc  # type: ignore[attr-defined]
        raise e
    targets = (pattern,) if pattern else ()
    try:
        results = run_on_fleet(targets, conn, fleet, job, quiet=as_json)
    finally:
        workers.close()
    rows = [[r.name, r.status, "changed" if r.data and r.data.get("changed") else "-",
             r.data.get("id", "") if r.data else ""] for r in results]
    finish("run", results, as_json, lambda r: r.data,
           [Table(rows, ["host", "status", "changed", "run"], f"{Path(book).stem} per host")])


class RunWorkers:
    """``fxkit run`` worker processes, started as needed (at most one per fork) and each
    given one host's run at a time: the next host's run pays no interpreter start and no
    import of papermill and fxkit (about 0.7 s of CPU each). Every run still has its own
    kernel, connection, record, lock and audit lines."""

    def __init__(self) -> None:
        self._idle: queue.SimpleQueue[subprocess.Popen[str]] = queue.SimpleQueue()
        self._all: list[subprocess.Popen[str]] = []
        self._lock = threading.Lock()

    def run(self, args: list[str]) -> tuple[int, str, str]:
        """``fxkit ARGS`` in a worker: its exit status, standard output and error."""
        try:
            worker = self._idle.get_nowait()
        except queue.Empty:
            worker = subprocess.Popen([sys.executable, "-c", _WORKER], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                      text=True)
            with self._lock:
                self._all.append(worker)
        assert worker.stdin is not None and worker.stdout is not None
        try:
            worker.stdin.write(json.dumps(args) + "\n")
            worker.stdin.flush()
            line = worker.stdout.readline()
        except OSError:
            line = ""
        if not line:
            worker.kill()
            raise FxkitError(f"the fxkit run worker process died (exit {worker.wait()})")
        self._idle.put(worker)
        reply = json.loads(line)
        return int(reply["code"]), reply["stdout"], reply["stderr"]

    def close(self) -> None:
        """End every worker (end of input ends its loop); kill one that does not end."""
        for worker in self._all:
            with contextlib.suppress(OSError):
                worker.stdin.close()  # type: ignore[union-attr]
        for worker in self._all:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def serve_runs(main: Callable[[], None]) -> None:
    """A worker's loop: read ``fxkit`` arguments (a JSON list per line), run ``main`` on
    them, answer one JSON line (code, stdout, stderr). Its file descriptor 1 points at
    standard error meanwhile, so nothing else (a kernel) can write into the answers."""
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    for line in sys.stdin:
        sys.argv = ["fxkit", *json.loads(line)]
        out, err = io.StringIO(), io.StringIO()
        code: Any = 0
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as e:
                code = e.code or 0
        code = code if isinstance(code, int) else exits.FAILED
        answers.write(json.dumps({"code": code, "stdout": out.getvalue(),
                                  "stderr": err.getvalue()}) + "\n")
        answers.flush()


_WORKER = ("import sys; sys.argv[0] = 'fxkit'; from fxkit.cli import main; "
           "from fxkit.cli.fleetrun import serve_runs; serve_runs(main)")
