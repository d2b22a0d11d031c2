"""The wheel, installed alone in a fresh venv, works outside the checkout.

Built as a release is (an sdist of a clean copy of the tree, then `pip wheel` of that
sdist, so MANIFEST.in is tested too), installed with pip (dependencies from the package
index, through the pip cache) into a new `python -m venv`, and run from an empty
directory: it lists the runbooks, runs one against the lab, runs the demo and copies the
seminar, all from the installed package data. The base install has no JupyterLab,
widgets or matplotlib: host-inventory then shows its figures as text.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.notebook]
ROOT = Path(__file__).resolve().parent.parent


def run(argv: list[str], **kw) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                          timeout=kw.pop("timeout", 900), **kw)
    assert done.returncode == 0, f"{argv}: {done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


JUNK = shutil.ignore_patterns(".git", ".venv", "build", "dist", "runs", "*.egg-info",
                              "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis",
                              "artifacts", ".venv-*")


def test_wheel_in_a_fresh_venv_runs_runbooks_and_the_demo(tmp_path):
    tree, dist = tmp_path / "tree", tmp_path / "dist"
    shutil.copytree(ROOT, tree, ignore=JUNK)
    run([sys.executable, "setup.py", "-q", "sdist", "-d", dist], cwd=tree)
    [sdist] = dist.glob("fxkit-*.tar.gz")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, sdist])
    [wheel] = dist.glob("fxkit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    runbooks = {p.stem for p in (ROOT / "runbooks").glob("*.ipynb")}
    assert {f"fxkit/runbooks/{r}.ipynb" for r in runbooks} <= names
    seminar = {str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("**/[0-9][0-9]-*.ipynb")}
    assert {f"fxkit/{n}" for n in seminar} <= names and seminar

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv])
    py, fxkit = venv / "bin" / "python", venv / "bin" / "fxkit"
    run([py, "-m", "pip", "install", "-q", wheel])
    work = tmp_path / "work"                      # an empty directory, far from the checkout
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "FXKIT_RUNBOOKS", "VIRTUAL_ENV", "FXKIT_RUNS_DIR")}
    env.update(FXKIT_LAB_DIR=str(tmp_path / "lab"), FXKIT_AUDIT_LOG=str(tmp_path / "audit"),
               PATH=f"{venv / 'bin'}:{env['PATH']}")
    where = run([py, "-c", "import fxkit; print(fxkit.__file__)"], cwd=work, env=env)
    assert where.stdout.startswith(str(venv))
    base = run([py, "-c", "import importlib.util as u; print([m for m in ('jupyterlab', "
                "'ipywidgets', 'matplotlib') if u.find_spec(m)])"], cwd=work, env=env)
    assert base.stdout.strip() == "[]", "the base install pulled the seminar's packages"
    try:
        listed = run([fxkit, "runbooks"], cwd=work, env=env)
        assert sorted(ln.split()[0] for ln in listed.stdout.splitlines()) == sorted(runbooks)
        inventory = run([fxkit, "run", "host-inventory", "--host", "lab"], cwd=work, env=env)
        assert "succeeded: host-inventory on lab" in inventory.stdout
        [executed] = (work / "runs").glob("*/*-host-inventory-lab.ipynb")
        text = executed.read_text()
        assert "titanic reaches" in text and "pip install 'fxkit[seminar]'" in text
        demo = run([fxkit, "demo"], cwd=work, env=env)
        assert "apply    succeeded  changed=yes" in demo.stdout
        assert "audit log intact" in demo.stdout
        copied = run([fxkit, "seminar", "copy", work / "course"], cwd=work, env=env)
        assert "notebooks copied" in copied.stdout
        assert sorted(str(p.relative_to(work / "course")) for p in
                      (work / "course").glob("**/*.ipynb")) == \
            sorted(str(Path(n).relative_to("notebooks")) for n in seminar)
    finally:
        subprocess.run([fxkit, "lab", "stop"], cwd=work, env=env, capture_output=True,
                       timeout=60)
