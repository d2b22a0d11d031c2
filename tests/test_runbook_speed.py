"""`make bench`'s issue-21 summary in bench/results.json: every target with its baseline
from the same run, or "not run" and why. No timing is asserted (benchmarks, not tests)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common, issue21, run  # noqa: E402


def _report(*targets: common.Target, skipped: dict[str, str] | None = None) -> common.Report:
    return common.Report("t", [common.Row("r", 1, [0.1])], targets=list(targets),
                         skipped=skipped or {})


def test_every_issue21_target_is_listed_with_its_baseline(tmp_path: Path) -> None:
    runbook = _report(
        common.Target("overhead", 0.4, 1.0, key="runbook_overhead", measured=1.4,
                      baseline=1.0, baseline_name="plain", unit="s"),
        common.Target("vs ansible", 0.7, 0.5, key="runbook_vs_ansible", measured=1.4,
                      baseline=2.0, baseline_name="ansible", unit="s"))
    reallab = _report(skipped={"real lab": "qemu-system-x86_64 is not installed"})
    out = tmp_path / "results.json"
    data = common.write_results({"runbook": runbook, "reallab": reallab}, common.machine(), out)
    assert json.loads(out.read_text())["issue21"] == data["issue21"]
    entries = {e["key"]: e for e in data["issue21"]}
    assert set(entries) == set(issue21.TARGETS)
    over, ans = entries["runbook_overhead"], entries["runbook_vs_ansible"]
    assert over["status"] == "met" and over["baseline"] == 1.0 and over["ratio"] == 1.4
    assert ans["status"] == "missed" and ans["ratio"] == 0.7 and ans["limit"] == 0.5
    assert entries["reallab_restore_speedup"]["status"] == "not run"
    assert "qemu-system-x86_64" in entries["reallab_restore_speedup"]["reason"]
    assert "has not run" in entries["doctor_500_domus"]["reason"]


def test_reallab_rows_give_measured_and_baseline() -> None:
    rep = common.Report("real", [common.Row("cold", 1, [400.0], "start"),
                                 common.Row("restore", 1, [20.0, 22.0, 24.0], "start")])
    rep.targets = [common.Target("restore speed-up over boot + provision (x)", 18.2, 10,
                                 at_least=True),
                   common.Target("restore: SSH and xl list answering (s)", 24.0, 30)]
    entries = {e["key"]: e for e in issue21.summary({"reallab": rep.to_dict()})}
    speed, answer = entries["reallab_restore_speedup"], entries["reallab_answering"]
    assert speed["status"] == "met" and speed["baseline"] == 400.0
    assert speed["measured"] == 22.0 and answer["measured"] == 24.0


def test_make_bench_prints_the_summary_and_quick_skips_the_real_lab(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results.json"
    assert run.main(["reallab", "--quick", "--results", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Issue 21 targets" in printed and "NOT RUN" in printed
    entry = next(e for e in json.loads(out.read_text())["issue21"]
                 if e["key"] == "reallab_restore_speedup")
    assert entry["status"] == "not run" and "--quick" in entry["reason"]
