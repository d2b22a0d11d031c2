"""Benchmark 3: parsers on big reports, lab latency with many LVs, doctor with many domUs."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import Report, Row, Target, measure, progress, repeat
from bench.labgen import write_lab

SLOW_SECONDS = 15.0  # one call slower than this: keep that single sample, no more reps
MAX_PREDICTED = 60.0  # skip a size whose predicted time per command is above this
STORAGE_LVS = ["lvs", "--reportformat", "json", "--units", "b", "--nosuffix",
               "-o", "vg_name,lv_name,lv_size,lv_attr"]


def _lvm_lvs_argv() -> list[str]:
    try:
        from fxkit.lvm.state import LV_FIELDS, REPORT_ARGS
        return ["lvs", *REPORT_ARGS, LV_FIELDS]
    except ImportError:
        return STORAGE_LVS


def timed(name: str, fn: Callable[[], Any], *, n: int, reps: int, unit: str,
          note: str = "") -> Row:
    """Like ``measure``, but a call slower than SLOW_SECONDS is measured once only."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    if first > SLOW_SECONDS:
        return progress(Row(name, n, [first], unit, (note + "; " if note else "") +
                            f"one sample only: a call took {first:.0f}s (> {SLOW_SECONDS:.0f}s)"))
    return progress(Row(name, n, repeat(fn, reps, warmup=0), unit, note))


def run(n_lvs: int = 10_000, n_domains: int = 500, reps: int = 5, *,
        lab_sizes: tuple[int, ...] = (100, 1_000, 10_000)) -> Report:
    from fxkit.lab.transport import LabHost
    from fxkit.xen.domains import parse_list

    rep = Report(f"Scale: {n_lvs} LVs, {n_domains} domains")
    root = Path(tempfile.mkdtemp(prefix="fxkit-bench-scale-"))
    try:
        # Real report text, as the lab prints it, for the parsers.
        write_lab(root, n_lvs, n_domains)
        host = LabHost(name="lab", scenario="fx", root=str(root), audit=None)
        lvs_argv = _lvm_lvs_argv()
        lvm_text = host.run(lvs_argv).stdout
        storage_text = host.run(STORAGE_LVS).stdout
        xl_text = host.run(["xl", "list"]).stdout
        rep.notes.append(f"report sizes: lvs {len(lvm_text)} bytes, lvs (doctor's fields) "
                         f"{len(storage_text)} bytes, xl list {len(xl_text)} bytes")
        parsers = _parsers(lvm_text, storage_text, xl_text, parse_list)
        for name, fn, count in parsers:
            rep.rows.append(measure(name, fn, n=1, reps=max(reps, 7), unit="parse",
                                    note=f"{count} records"))
        main = rep.row("parse lvs JSON (fxkit.lvm.state)")
        if main is not None:
            rep.targets.append(Target(f"{n_lvs}-LV JSON parse, ms", main.per_op_ms, 100))
            parse_vs_json, parse_ms, json_ms = parse_pairs(lvm_text, max(reps, 15))
            rep.ratios["parse lvs JSON / json.loads (interleaved)"] = parse_vs_json
            rep.targets.append(Target(f"{n_lvs}-LV JSON parse / json.loads of the same text",
                                      parse_vs_json, 2.0, note="issue 21; median of "
                                      "interleaved pairs (CPU time), so load hits both alike",
                                      key="parse_10k_lvs", measured=parse_ms,
                                      baseline=json_ms, unit="ms (CPU)",
                                      baseline_name="json.loads of the same text, "
                                                    "interleaved"))

        # The lab's latency per command as the LV count grows.
        last: dict[str, tuple[int, float]] = {}
        for size in sorted({s for s in lab_sizes if s <= n_lvs} | {n_lvs}):
            if size == n_lvs:
                lab = host  # the big host above: n_lvs LVs and n_domains running domUs
            else:
                write_lab(root / f"lvs{size}", size, 0)
                lab = LabHost(name="lab", scenario="fx", root=str(root / f"lvs{size}"),
                              audit=None)
            for key, argv in (("true", ["true"]), ("lvs", STORAGE_LVS)):
                name = f"lab {key} @ {size} LVs"
                if key in last:  # grows as n^2 today: do not wait minutes for one sample
                    prev_size, prev = last[key]
                    guess = prev * (size / prev_size) ** 2
                    if guess > MAX_PREDICTED:
                        rep.skipped[name] = (f"predicted {guess:.0f}s per command (n^2 from "
                                             f"{prev:.2f}s at {prev_size} LVs)")
                        continue
                row = timed(name, lambda lab=lab, argv=argv: lab.run(argv), n=1, reps=reps,
                            unit="command")
                rep.rows.append(row)
                last[key] = (size, row.median)
        worst = rep.row(f"lab true @ {n_lvs} LVs")
        if worst is not None:
            small = rep.row(f"lab true @ {min(s for s in lab_sizes + (n_lvs,))} LVs")
            rep.targets.append(Target(f"lab command (true) at {n_lvs} LVs, ms",
                                      worst.per_op_ms, 5, key="lab_command_10k_lvs",
                                      measured=worst.per_op_ms,
                                      baseline=small.per_op_ms if small else None,
                                      baseline_name=small.name if small else "", unit="ms"))
        lvs_row = rep.row(f"lab lvs @ {n_lvs} LVs")
        if lvs_row is not None:
            rep.targets.append(Target(f"lab command (lvs) at {n_lvs} LVs, ms",
                                      lvs_row.per_op_ms, 5, note="same target, informative"))

        # doctor on a host with n_domains domUs (2 LVs each, every config readable).
        _doctor(rep, root / "doctor", n_domains, reps)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rep


def parse_ratio(text: str, reps: int = 15) -> float:
    """Median over ``reps`` interleaved pairs of parse_lvs_json(text) / json.loads(text), in
    CPU time: each pair runs back to back (in alternating order) and other processes'
    load is not counted, so a busy shared machine moves the ratio little."""
    return parse_pairs(text, reps)[0]


def parse_pairs(text: str, reps: int = 15) -> tuple[float, float, float]:
    """``parse_ratio``, and the median CPU ms of each side of those same pairs."""
    from fxkit.lvm.state import parse_lvs_json

    parse_lvs_json(text)
    ratios, parse_ms, json_ms = [], [], []
    for i in range(reps):
        times = {}
        for name, fn in (("json", json.loads), ("parse", parse_lvs_json))[::1 if i % 2 else -1]:
            start = time.process_time()
            result = fn(text)
            times[name] = time.process_time() - start
            del result                  # freed outside the timing, for both alike
        ratios.append(times["parse"] / max(times["json"], 1e-9))
        parse_ms.append(times["parse"] * 1000)
        json_ms.append(times["json"] * 1000)
    mid = len(ratios) // 2
    return sorted(ratios)[mid], sorted(parse_ms)[mid], sorted(json_ms)[mid]


def _parsers(lvm_text: str, storage_text: str, xl_text: str, parse_list) -> list:
    out = []
    try:
        from fxkit.lvm.state import parse_lvs_json
        count = len(parse_lvs_json(lvm_text))
        out.append(("parse lvs JSON (fxkit.lvm.state)", lambda: parse_lvs_json(lvm_text), count))
    except ImportError:
        pass
    out.append(("parse xl list", lambda: parse_list(xl_text), len(parse_list(xl_text))))
    out.append(("json.loads alone (floor, fxkit.lvm.state's text)", lambda: json.loads(lvm_text),
                len(lvm_text)))
    return out


def _doctor(rep: Report, root: Path, n_domains: int, reps: int) -> None:
    from fxkit.doctor import run_doctor
    from fxkit.lab.transport import LabHost

    write_lab(root, 2 * n_domains, n_domains)
    lab = LabHost(name="lab", scenario="fx", root=str(root), audit=None)
    counted = LabHost(name="lab", scenario="fx", root=str(root), audit=None)
    calls = {"run": 0, "read_file": 0}
    orig_exec, orig_read = counted._exec, counted.read_file

    def count_exec(*a: Any, **kw: Any):
        calls["run"] += 1
        return orig_exec(*a, **kw)

    def count_read(path: str) -> str:
        calls["read_file"] += 1
        return orig_read(path)

    counted._exec, counted.read_file = count_exec, count_read  # type: ignore[method-assign]
    findings = run_doctor(counted)
    row = timed(f"doctor @ {n_domains} domains (lab)", lambda: run_doctor(lab), n=1,
                reps=reps, unit="run",
                note=f"{calls['run']} commands + {calls['read_file']} file reads, "
                     f"{len(findings)} findings")
    rep.rows.append(row)
    # the baseline: the same doctor on a lab of a few domUs, in the same run
    few = max(min(n_domains // 50, 10), 1)
    write_lab(root.with_name(root.name + "-small"), 2 * few, few)
    small = LabHost(name="lab", scenario="fx", root=str(root.with_name(root.name + "-small")),
                    audit=None)
    base = timed(f"doctor @ {few} domains (lab)", lambda: run_doctor(small), n=1, reps=reps,
                 unit="run", note="the baseline of the doctor target")
    rep.rows.append(base)
    rep.targets.append(Target(f"doctor @ {n_domains} domUs and {2 * n_domains} LVs (lab), s",
                              row.median, 2.0, note="issue 21", key="doctor_500_domus",
                              measured=row.median, baseline=base.median,
                              baseline_name=base.name, unit="s"))


def targets(n_lvs: int = 10_000, n_domains: int = 500, reps: int = 5) -> Report:
    """Only issue 21's two targets (the parse ratio, doctor on the lab), in a minute:
    ``.venv/bin/python -m bench.scale``."""
    rep = Report(f"Scale targets: {n_lvs} LVs parsed, doctor on {n_domains} domUs")
    root = Path(tempfile.mkdtemp(prefix="fxkit-bench-scale-"))
    try:
        from fxkit.lab.transport import LabHost
        write_lab(root, n_lvs, 0)
        host = LabHost(name="lab", scenario="fx", root=str(root), audit=None)
        text = host.run(_lvm_lvs_argv()).stdout
        value = parse_ratio(text, max(reps, 15))
        rep.ratios["parse lvs JSON / json.loads (interleaved)"] = value
        rep.targets.append(Target(f"{n_lvs}-LV JSON parse / json.loads of the same text",
                                  value, 2.0, key="parse_10k_lvs"))
        _doctor(rep, root / "doctor", n_domains, reps)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rep


if __name__ == "__main__":
    from bench.common import print_report
    print_report(targets())
