"""Runbooks as stored (no outputs, one parameters cell, no shell escapes) and goldens in sync."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from fxkit.runbook.params import read_specs

ROOT = Path(__file__).resolve().parent.parent
RUNBOOKS = sorted((ROOT / "runbooks").glob("*.ipynb"))
EXPECTED = {"host-inventory", "lv-create", "lv-extend", "lv-snapshot", "lv-remove",
            "domu-create", "domu-lifecycle", "domu-remove", "bridge-add", "fx-doctor"}
SHELL = re.compile(r"^\s*(!|%%?(sx|system|bash|sh|script)\b)|\bos\.system\(|\bsubprocess\b",
                   re.MULTILINE)


def test_every_runbook_is_there():
    assert EXPECTED <= {p.stem for p in RUNBOOKS}


@pytest.mark.parametrize("path", RUNBOOKS, ids=lambda p: p.stem)
def test_runbook_is_stored_clean_and_parameterized(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "stored with outputs"
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    specs = read_specs(path)
    assert specs["host"].default == '"lab"' and specs["apply"].default == "False"
    assert specs["apply"].type == "bool" and specs["sudo"].default == "False"
    # typed, so `papermill --help-notebook` shows each type (never "Unknown type")
    assert all(line.split("=")[0].count(":") == 1 for line in tagged[0].source.splitlines())
    assert all(s.type in ("str", "bool", "int", "float") for s in specs.values())
    # the very next cell checks the parameters as `fxkit run` does, before any command
    check = code[code.index(tagged[0]) + 1].source
    assert f'check_parameters(globals(), runbook="{path.stem}")' in check
    assert "fxkit.connect(host, sudo=sudo)" in "".join(c.source for c in code)
    for cell in code:
        assert not SHELL.search(cell.source), f"shell escape in {path.name}: {cell.source!r}"
    if path.stem.endswith("-remove"):  # destructive: confirm by name, empty by default
        assert "confirm" in specs and specs["confirm"].default == '""'
    assert nb.cells[0].cell_type == "markdown" and "What it changes" in nb.cells[0].source


@pytest.mark.parametrize("path", RUNBOOKS, ids=lambda p: p.stem)
def test_golden_run_matches_the_runbook_source(path):
    golden = ROOT / "tests" / "golden" / path.name
    assert golden.exists(), f"no golden run: python tests/golden/regenerate.py {path.stem}"
    ran = nbformat.read(golden, as_version=4)
    cells = [c for c in ran.cells if not ({"golden-setup", "injected-parameters"}
                                          & set(c.metadata.get("tags", [])))]
    source = nbformat.read(path, as_version=4).cells
    assert [c.source for c in cells] == [c.source for c in source], (
        f"{path.name} changed since its golden run: python tests/golden/regenerate.py "
        f"{path.stem}, then review `git diff tests/golden`")
    assert not any(o.get("output_type") == "error" for c in ran.cells for o in c.get("outputs", []))


@pytest.mark.notebook
def test_golden_runs_replay_identically_under_nbval(tmp_path):
    """`pytest --nbval tests/golden`, so that `make test` checks the goldens too.

    The goldens make their lab dirs with ``tempfile.mkdtemp``: TMPDIR puts them under
    ``tmp_path``, which pytest removes, instead of leaving one per golden in /tmp.
    """
    import os
    import subprocess
    import sys
    golden = ROOT / "tests" / "golden"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", str(golden),
         "--nbval-sanitize-with", str(golden / "sanitize.cfg")],
        capture_output=True, text=True, timeout=900, cwd=ROOT, check=False,
        env={**os.environ, "TMPDIR": str(tmp_path)})
    tail = "\n".join(done.stdout.splitlines()[-40:])
    assert done.returncode == 0, f"golden runs differ (regenerate and review):\n{tail}"
    assert " passed" in done.stdout and "failed" not in done.stdout.splitlines()[-1]
