"""What-if measurements for fixes in code bench/ does not own (monkeypatched, never edited).

    .venv/bin/python bench/experiments.py [--lvs 10000]

Each experiment prints the time before and after a proposed change, so the
recommendations in bench/README.md carry a measured gain.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.labgen import write_lab  # noqa: E402
from bench.scale import STORAGE_LVS  # noqa: E402

_DIRS: list[Path] = []


def _tmp() -> Path:
    """A scratch directory, removed when the experiments end."""
    _DIRS.append(Path(tempfile.mkdtemp(prefix="fxkit-bench-exp-")))
    return _DIRS[-1]


def median_time(fn: Callable[[], Any], reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@contextmanager
def patched(obj: Any, name: str, value: Any):
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


@contextmanager
def lab_fixes():
    """Fixes 1 and 2 (the quadratic ``LvmModel._load_lv`` default and ``lv_attr``'s
    per-row scan for snapshots) are now in fxkit itself; this stays as a no-op so the
    benchmarks that wrap their setup in it keep running unchanged."""
    yield


@contextmanager
def cached_store():
    """Fix 3: keep the parsed LabState between commands while state.json is unchanged
    (same mtime_ns, size, inode under the lock), and save only when the logical clock
    moved (every state-changing command ticks it): a read-only command then costs a
    flock, a stat and the command itself, whatever the size of the lab."""
    import fcntl
    import os

    from fxkit.lab import store as store_mod

    cache: dict[str, tuple[tuple[int, int, int], Any]] = {}

    @contextmanager
    def transaction(self):
        with self.locked():
            try:
                st = os.stat(self.state_file)
                key = (st.st_mtime_ns, st.st_size, st.st_ino)
            except FileNotFoundError:
                key = None
            hit = cache.get(str(self.state_file))
            if key is not None and hit is not None and hit[0] == key:
                state = hit[1]
            else:
                text = self._read()
                state = (store_mod.LabState.from_dict(json.loads(text)) if text
                         else store_mod.build_state(self.scenario))
            clock = state.clock
            yield state
            if state.clock != clock or key is None:
                self._write(store_mod._dumps(state.to_dict()))
            st = os.stat(self.state_file)
            cache[str(self.state_file)] = ((st.st_mtime_ns, st.st_size, st.st_ino), state)
    del fcntl
    with patched(store_mod.LabStore, "transaction", transaction):
        yield


def lab_experiment(n_lvs: int, reps: int) -> None:
    from fxkit.lab.state import LabState
    from fxkit.lab.store import LabStore
    from fxkit.lab.transport import LabHost

    root = _tmp()
    write_lab(root, n_lvs, 0)
    host = LabHost(name="lab", scenario="fx", root=str(root), audit=None)
    print(f"lab with {n_lvs} LVs (median of {reps}):")
    text = LabStore("fx", root).state_file.read_text()
    data = json.loads(text)
    loads = median_time(lambda: json.loads(text), reps)
    print(f"  state.json {len(text)} bytes; json.loads {loads * 1000:.1f} ms")
    host.run(["true"])  # warm whatever cache the store has
    before_true = median_time(lambda: host.run(["true"]), reps)
    with lab_fixes():
        state = LabState.from_dict(data)
        load = median_time(lambda: LabState.from_dict(data), reps)
        dump = median_time(state.to_dict, reps)
        print(f"  with fix 1: LabState.from_dict {load * 1000:.1f} ms, "
              f"to_dict {dump * 1000:.1f} ms")
        host.run(["true"])
        fixed_true = median_time(lambda: host.run(["true"]), reps)
        fixed_lvs = median_time(lambda: host.run(STORAGE_LVS), reps)
        with cached_store():
            host.run(["true"])
            cached_true = median_time(lambda: host.run(["true"]), reps)
            cached_lvs = median_time(lambda: host.run(STORAGE_LVS), reps)
    print(f"  true: {before_true * 1000:.1f} ms now -> {fixed_true * 1000:.1f} ms with fix 1 "
          f"-> {cached_true * 1000:.2f} ms with fixes 1+3")
    print(f"  lvs : (now: see the scale benchmark) -> {fixed_lvs * 1000:.0f} ms with fixes 1+2 "
          f"-> {cached_lvs * 1000:.0f} ms with fixes 1+2+3")


def papermill_import_experiment(reps: int) -> None:
    py = sys.executable
    plain = ["-c", "import papermill"]
    blocked = ["-c", "import sys; sys.modules['rfc3987_syntax'] = None; import papermill"]
    for label, args in (("import papermill", plain),
                        ("import papermill, rfc3987_syntax blocked", blocked)):
        t = median_time(lambda args=args: subprocess.run([py, *args], check=True), reps)
        print(f"  {label}: {t:.2f} s")


def runbook_timeline(reps: int, immediate: bool = False) -> None:
    """Where an in-process run_runbook spends its time: kernel start, cells, cleanup."""
    import os

    import nbclient.client as nbc
    import papermill
    import papermill.execute as pm_execute

    import fxkit.runbook.runner as runbook_mod
    from bench.runbook_overhead import pick_runbook
    from fxkit.runbook.runner import run_runbook

    spans: dict[str, list[float]] = {}

    def timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **kw: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                spans.setdefault(label, []).append(time.perf_counter() - start)
        return wrapper

    names = {"start_new_kernel": "kernel process start",
             "start_new_kernel_client": "kernel ready (client connected)",
             "execute_cell": "cells (sum)", "_cleanup_kernel": "kernel shutdown"}
    name, params, _ = pick_runbook()
    work = _tmp()
    os.environ["FXKIT_LAB_DIR"] = str(work / "lab")
    os.environ["FXKIT_AUDIT_LOG"] = str(work / "audit.jsonl")
    originals = {attr: getattr(nbc.NotebookClient, attr) for attr in names}
    real_execute = papermill.execute_notebook
    pm_saved = {a: getattr(pm_execute, a) for a in ("load_notebook_node",
                                                    "parameterize_notebook", "write_ipynb")}
    try:
        for attr, label in names.items():
            setattr(nbc.NotebookClient, attr, timed(label, originals[attr]))
        def execute(*a: Any, **kw: Any) -> Any:
            if immediate:  # NotebookClient.shutdown_kernel: do not wait for a clean exit
                kw["shutdown_kernel"] = "immediate"
            return real_execute(*a, **kw)
        papermill.execute_notebook = timed("papermill.execute_notebook (all of it)", execute)
        for attr in ("load_notebook_node", "parameterize_notebook", "write_ipynb"):
            setattr(pm_execute, attr, timed(f"papermill {attr}", getattr(pm_execute, attr)))
        runbook_mod.git_revision = timed("git log/status (runbook revision)",
                                         runbook_mod.git_revision)
        totals = []
        for _ in range(reps):
            start = time.perf_counter()
            run_runbook(name, params, host="lab", runs_dir=work / "runs")
            totals.append(time.perf_counter() - start)
    finally:
        for attr, fn in originals.items():
            setattr(nbc.NotebookClient, attr, fn)
        papermill.execute_notebook = real_execute
        for attr, fn in pm_saved.items():
            setattr(pm_execute, attr, fn)
    print(f"run_runbook({name!r}) in-process{' (kernel shutdown immediate)' if immediate else ''}"
          f", median of {reps}: "
          f"{statistics.median(totals):.2f} s")
    for label, values in spans.items():
        per_run = sum(values) / reps
        print(f"  {label}: {per_run:.2f} s per run")


def doctor_experiment(n_domains: int, reps: int) -> None:
    """Fix 4: read every domU config in one command instead of one read_file each."""
    from fxkit.lab.transport import LabHost
    from fxkit.xen.facts import list_config_paths, read_configs

    root = _tmp()
    write_lab(root, 2 * n_domains, n_domains)
    host = LabHost(name="lab", scenario="fx", root=str(root), audit=None)
    paths = list_config_paths(host)
    one = median_time(lambda: host.run(["cat", "--", *paths]), reps)
    each = median_time(lambda: read_configs(host), 1)
    print(f"doctor's config reads, {len(paths)} configs on the lab: read_configs (one read_file "
          f"each) {each:.2f} s; one `cat` of them all {one * 1000:.0f} ms")


def parser_experiment(n_lvs: int, reps: int) -> None:
    """Where fxkit.lvm.state.parse_lvs_json spends its time, on the lab's text for n_lvs LVs."""
    from fxkit.lab.transport import LabHost
    from fxkit.lvm.state import (
        LV_FIELDS,
        REPORT_ARGS,
        LogicalVolume,
        LvAttr,
        Segment,
        parse_lvs_json,
    )

    root = _tmp()
    write_lab(root, n_lvs, 0)
    host = LabHost(name="lab", scenario="fx", root=str(root), audit=None)
    with lab_fixes():
        text = host.run(["lvs", *REPORT_ARGS, LV_FIELDS]).stdout

    def rows():
        return json.loads(text)["report"][0]["lv"]

    def plain_tuples():  # the same reading, no dataclass: what the loop itself costs
        return [(r["lv_name"], r["vg_name"], r["lv_attr"], int(r["lv_size"]), r["devices"])
                for r in rows()]

    def one_pass():  # no intermediate dict; merge only when a row repeats an LV
        out: list[LogicalVolume] = []
        for r in rows():
            dev = r.get("devices", "")
            pv, _, pe = dev.rstrip(")").rpartition("(")
            seg = (Segment(pv, int(pe)),) if "(" in dev else ()
            if out and out[-1].name == r["lv_name"] and out[-1].vg == r["vg_name"]:
                prev = out[-1]
                out[-1] = LogicalVolume(prev.name, prev.vg, prev.attr, prev.size_bytes,
                                        prev.uuid, prev.path, prev.dm_path, prev.origin,
                                        prev.data_percent, prev.segments + seg)
                continue
            out.append(LogicalVolume(r["lv_name"], r["vg_name"], LvAttr(r["lv_attr"]),
                                     int(r["lv_size"] or 0), r["lv_uuid"], r["lv_path"],
                                     r["lv_dm_path"], r["origin"], r["data_percent"], seg))
        return out

    assert one_pass() == parse_lvs_json(text)
    print(f"parse of {n_lvs} LVs ({len(text)} bytes), median of {reps}:")
    for label, fn in (("json.loads alone", lambda: json.loads(text)),
                      ("json.loads + plain tuples", plain_tuples),
                      ("fxkit.lvm.state.parse_lvs_json", lambda: parse_lvs_json(text)),
                      ("one pass, same dataclasses", one_pass)):
        print(f"  {label}: {median_time(fn, reps) * 1000:.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lvs", type=int, default=10_000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--domains", type=int, default=500)
    args = ap.parse_args()
    try:
        _all(args)
    finally:
        for d in _DIRS:
            shutil.rmtree(d, ignore_errors=True)


def _all(args: argparse.Namespace) -> None:
    print("papermill import (what `fxkit run` pays before any kernel):")
    papermill_import_experiment(args.reps)
    parser_experiment(args.lvs, args.reps)
    runbook_timeline(args.reps)
    runbook_timeline(args.reps, immediate=True)
    lab_experiment(args.lvs, args.reps)
    doctor_experiment(args.domains, args.reps)


if __name__ == "__main__":
    main()
