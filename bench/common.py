"""Shared benchmark plumbing: repeated timing, medians, tables, machine facts, results.json."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import issue21

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results.json"
MIN_REPS = 5


@dataclass
class Row:
    """One measured thing: the median of ``reps`` wall times of ``n`` operations."""

    name: str
    n: int
    times: list[float]
    unit: str = "command"
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def per_op_ms(self) -> float:
        return self.median / self.n * 1000

    @property
    def per_second(self) -> float:
        return self.n / self.median if self.median else float("inf")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "n": self.n, "unit": self.unit, "reps": len(self.times),
                "median_s": round(self.median, 6), "per_op_ms": round(self.per_op_ms, 4),
                "per_second": round(self.per_second, 2),
                "min_s": round(min(self.times), 6), "max_s": round(max(self.times), 6),
                "note": self.note}


@dataclass
class Target:
    """A goal (issues 10, 21): ``value`` must be <= ``limit`` (or >= when ``at_least``).

    ``measured`` and ``baseline`` (named ``baseline_name``, in ``unit``) are the two
    numbers behind it, from the same run; ``key`` names an issue-21 target (``issue21.TARGETS``).
    """

    name: str
    value: float
    limit: float
    at_least: bool = False
    note: str = ""
    key: str = ""
    measured: float | None = None
    baseline: float | None = None
    baseline_name: str = ""
    unit: str = ""

    @property
    def met(self) -> bool:
        return self.value >= self.limit if self.at_least else self.value <= self.limit

    @property
    def ratio(self) -> float | None:
        """measured / baseline, when both were measured."""
        if self.measured is None or not self.baseline:
            return None
        return self.measured / self.baseline

    def to_dict(self) -> dict[str, Any]:
        out = {**asdict(self), "value": round(self.value, 4), "met": self.met}
        for k in ("measured", "baseline"):
            out[k] = None if out[k] is None else round(out[k], 6)
        out["ratio"] = None if self.ratio is None else round(self.ratio, 4)
        return out


@dataclass
class Report:
    """What one benchmark module returns: rows, ratios, targets, notes."""

    title: str
    rows: list[Row] = field(default_factory=list)
    ratios: dict[str, float] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    load_average_end: list[float] = field(default_factory=list)
    measured: str = ""

    def row(self, name: str) -> Row | None:
        return next((r for r in self.rows if r.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "rows": [r.to_dict() for r in self.rows],
                "ratios": {k: round(v, 4) for k, v in self.ratios.items()},
                "targets": [t.to_dict() for t in self.targets], "notes": self.notes,
                "skipped": self.skipped}


def repeat(fn: Callable[[], Any], reps: int, warmup: int = 1) -> list[float]:
    """Wall times of ``reps`` calls of ``fn`` after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(max(reps, 1)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def interleaved(fns: dict[str, Callable[[], Any]], *, reps: int, unit: str = "run",
                warmup: int = 1, notes: dict[str, str] | None = None) -> list[Row]:
    """One row per function, timed in rounds (a, b, c, a, b, c, ...): on a shared machine
    the load then weighs on each alike, so their ratios hold even when it moves."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(max(reps, 1)):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return [progress(Row(name, 1, t, unit, (notes or {}).get(name, "") +
                         " (interleaved)")) for name, t in times.items()]


def measure(name: str, fn: Callable[[], Any], *, n: int, reps: int, unit: str = "command",
            warmup: int = 1, note: str = "") -> Row:
    return progress(Row(name, n, repeat(fn, reps, warmup), unit, note))


def progress(row: Row) -> Row:
    """Say what was just measured (a full run takes many minutes on a busy machine)."""
    print(f"bench:   {row.name}: {row.per_op_ms:.3f} ms per {row.unit} "
          f"(median of {len(row.times)})", file=sys.stderr, flush=True)
    return row


def ratio(report: Report, a: str, b: str) -> float | None:
    """Per-operation time of row ``a`` over row ``b`` (both measured), else None."""
    ra, rb = report.row(a), report.row(b)
    if ra is None or rb is None or rb.per_op_ms == 0:
        return None
    return ra.per_op_ms / rb.per_op_ms


def print_report(rep: Report, out: Any = None) -> None:
    out = out or sys.stdout
    print(f"\n== {rep.title}", file=out)
    width = max([len(r.name) for r in rep.rows] + [10])
    print(f"{'what':<{width}}  {'n':>6}  {'reps':>4}  {'median s':>9}  {'ms/op':>9}  "
          f"{'op/s':>9}", file=out)
    for r in rep.rows:
        print(f"{r.name:<{width}}  {r.n:>6}  {len(r.times):>4}  {r.median:>9.4f}  "
              f"{r.per_op_ms:>9.3f}  {r.per_second:>9.1f}", file=out)
    for k, v in rep.ratios.items():
        print(f"  ratio {k}: {v:.3f}", file=out)
    for t in rep.targets:
        sign = ">=" if t.at_least else "<="
        print(f"  target {t.name}: {t.value:.3f} {sign} {t.limit:g}  "
              f"{'MET' if t.met else 'MISSED'}{'  (' + t.note + ')' if t.note else ''}", file=out)
    for name, why in rep.skipped.items():
        print(f"  skipped {name}: {why}", file=out)
    for note in rep.notes:
        print(f"  note: {note}", file=out)


def _first(argv: Sequence[str]) -> str:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) \
        else ""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _mem_total_mib() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def _version(module: str) -> str:
    try:
        from importlib.metadata import version
        return version(module)
    except Exception:  # noqa: BLE001 - not installed
        return "not installed"


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    """What the numbers were measured on (they mean nothing without it)."""
    return {"cores": os.cpu_count(), "cpu": _cpu_model(), "memory_mib": _mem_total_mib(),
            "kernel": platform.release(), "python": platform.python_version(),
            "python_executable": sys.executable, "paramiko": _version("paramiko"),
            "fxkit": _version("fxkit"), "papermill": _version("papermill"),
            "openssh": _first(["ssh", "-V"]), "load_average_start": load_average()}


def write_results(reports: dict[str, Report], info: dict[str, Any], path: Path = RESULTS,
                  merge: bool = True) -> dict[str, Any]:
    """Write results.json; benchmarks not run this time keep their previous numbers."""
    data: dict[str, Any] = {}
    if merge and path.exists():
        try:
            data = json.loads(path.read_text())
        except ValueError:
            data = {}
    data.setdefault("benchmarks", {})
    data["machine"] = info
    data["generated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for name, rep in reports.items():
        if not rep.load_average_end:  # first write after the benchmark ended
            rep.load_average_end, rep.measured = load_average(), data["generated"]
        data["benchmarks"][name] = {**rep.to_dict(), "load_average_end": rep.load_average_end,
                                    "measured": rep.measured}
    data["issue21"] = issue21.summary(data["benchmarks"])
    path.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    return data
