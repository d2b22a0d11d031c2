"""Issue 21's targets in bench/results.json, each beside its baseline from the same run."""

from __future__ import annotations

import sys
from typing import Any

# Issue 21's "Done when": key -> (benchmark, what, unit of measured/baseline).
TARGETS = {
    "reallab_restore_speedup": ("reallab", "real lab: restore from snapshot vs cold boot + "
                                "provision (speed-up, x)", "s"),
    "reallab_answering": ("reallab", "real lab: SSH and xl list answering after a restore, s",
                          "s"),
    "runbook_vs_ansible": ("runbook", "fxkit run lv-extend / ansible-playbook lvol --check",
                           "s"),
    "runbook_overhead": ("runbook", "fxkit run lv-extend: overhead over plain Python, s", "s"),
    "parse_10k_lvs": ("scale", "10,000-LV lvs JSON parse / json.loads of the same text",
                      "ms"),
    "lab_command_10k_lvs": ("scale", "lab command (true) at 10,000 LVs, ms", "ms"),
    "doctor_500_domus": ("scale", "doctor on 500 domUs, 1,000 LVs (in-process lab), s", "s"),
}


def summary(benchmarks: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per issue-21 target: value, measured, baseline, ratio, limit, met; or
    status "not run" and why (the benchmark was skipped, or not run yet)."""
    out = []
    for key, (bench, what, unit) in TARGETS.items():
        rep = benchmarks.get(bench) or {}
        found = next((t for t in rep.get("targets", []) if t.get("key") == key), None)
        if found is None and bench == "reallab":
            found = _reallab_target(rep, key)
        if found is None:
            why = "; ".join(f"{k}: {v}" for k, v in rep.get("skipped", {}).items()) or (
                f"the {bench} benchmark has not run (make bench)" if not rep else
                "not measured in this run")
            out.append({"key": key, "what": what, "benchmark": bench, "status": "not run",
                        "reason": why})
            continue
        out.append({"key": key, "what": what, "benchmark": bench, "name": found["name"],
                    "status": "met" if found["met"] else "missed",
                    **{k: found.get(k) for k in ("value", "limit", "at_least", "measured",
                                                  "baseline", "baseline_name", "ratio")},
                    "unit": found.get("unit") or unit, "measured_at": rep.get("measured", ""),
                    "note": found.get("note", "")})
    return out


def _reallab_target(rep: dict[str, Any], key: str) -> dict[str, Any] | None:
    """bench/reallab.py's targets, with its two rows as measured and baseline."""
    prefix = "restore speed-up" if key == "reallab_restore_speedup" else "restore: SSH"
    target = next((t for t in rep.get("targets", []) if t["name"].startswith(prefix)), None)
    rows = rep.get("rows", [])
    if target is None or len(rows) < 2:
        return None
    cold, restore = rows[0], rows[1]
    measured = restore["median_s"] if key == "reallab_restore_speedup" else restore["max_s"]
    return {**target, "measured": measured, "baseline": cold["median_s"],
            "baseline_name": cold["name"], "unit": "s",
            "ratio": round(measured / cold["median_s"], 4) if cold["median_s"] else None}


def print_summary(entries: list[dict[str, Any]], out: Any = None) -> None:
    """The table `make bench` ends with: each target, its baseline from the same run."""
    out = out or sys.stdout
    print("\n== Issue 21 targets (measured vs baseline of the same run)", file=out)
    for e in entries:
        if e["status"] == "not run":
            print(f"  NOT RUN  {e['what']}: {e['reason']}", file=out)
            continue
        sign = ">=" if e["at_least"] else "<="
        base = (f"; {_num(e['measured'])} {e['unit']} vs {_num(e['baseline'])} {e['unit']} "
                f"({e['baseline_name']}), ratio {_num(e['ratio'])}"
                if e.get("baseline") is not None else "")
        print(f"  {e['status'].upper():<7}  {e['what']}: {_num(e['value'])} {sign} "
              f"{e['limit']:g}{base}", file=out)


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.3g}" if abs(x) < 100 else f"{x:.0f}"
