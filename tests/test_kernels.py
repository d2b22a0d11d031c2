"""Warm kernels (fxkit.runbook.warm): a run in one is the run a cold kernel gives, and each
kernel serves one run only."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_notebook
from support.kernels import canonical

from fxkit.cli.runbook import run as run_cmd
from fxkit.runbook import pool as spares
from fxkit.runbook import warm
from fxkit.runbook.runner import run_runbook

pytestmark = pytest.mark.notebook

# What a kernel sees of its run: namespace, history, directory, environment, sys.path.
PROBE = '''\
import json, os, sys
ran = {"globals": sorted(n for n in globals() if not n.startswith("_")),
       "history": len(In), "cwd": os.getcwd(), "path": sys.path,
       "env": {k: v for k, v in os.environ.items() if not k.startswith("FXKIT_RUN_")},
       "run_vars": sorted(k for k in os.environ if k.startswith("FXKIT_RUN_")),
       "parent": os.environ.get("JPY_PARENT_PID")}
print(json.dumps(ran, sort_keys=True))
secret_of_this_run = 42
'''
LV_EXTEND = {"vg": "lvm", "lv": "secours-root", "size": "+1G", "resize_fs": "True"}


@pytest.fixture
def pool(tmp_path, monkeypatch):
    """A private pool for this test; every spare left in it is told to exit afterwards."""
    where = tmp_path / "pool"
    monkeypatch.setenv(spares.POOL_ENV, str(where))
    monkeypatch.setenv(spares.WARM_ENV, "1")
    yield where
    for spare in where.glob("*"):
        (spare / "expire").touch()
        about = spare / "spare.json"
        if about.exists():
            _wait_gone(int(json.loads(about.read_text())["pid"]))


@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> Path:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    params = new_code_cell('host = "local"\napply = False')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, new_code_cell(PROBE)]
    path = tmp_path_factory.mktemp("runbooks") / "probe.ipynb"
    nbformat.write(nb, path)
    return path


def _wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while warm.pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _seen(rec) -> dict:
    nb = nbformat.read(rec.notebook, as_version=4)
    assert rec.status == "succeeded", rec.error
    return json.loads(nb.cells[-1].outputs[0]["text"])


def test_a_warm_kernel_is_what_a_cold_kernel_is(probe, tmp_path, pool):
    cold = _seen(run_runbook(probe, {}, host="local", runs_dir=tmp_path / "cold"))
    own = warm.start()
    try:
        early = _seen(run_runbook(probe, {}, host="local", runs_dir=tmp_path / "early",
                                  kernel=own))
    finally:
        own.discard()
    spares.leave_spare()
    spare = _wait_claim()
    assert spare.process is None            # started by "another run": adopted by pid
    try:
        adopted = _seen(run_runbook(probe, {}, host="local", runs_dir=tmp_path / "spare",
                                    kernel=spare))
    finally:
        spare.discard()
    assert cold["globals"] == ["In", "Out", "apply", "exit", "get_ipython", "host", "json",
                               "open", "os", "quit", "sys"]
    assert cold["history"] == 4             # "", parameters, papermill's, this cell: no more
    assert cold["run_vars"] == ["FXKIT_RUN_EVENTS", "FXKIT_RUN_ID", "FXKIT_RUN_RECORD",
                                "FXKIT_RUN_STOP"]
    assert cold["parent"] == str(os.getpid())
    assert early == cold and adopted == cold


def _wait_claim(timeout: float = 30.0) -> warm.WarmKernel:
    deadline = time.monotonic() + timeout
    while (kernel := spares.claim()) is None:
        assert time.monotonic() < deadline, "the spare never became claimable"
        time.sleep(0.05)
    return kernel


def test_lv_extend_in_a_warm_kernel_gives_the_cold_notebook(tmp_path, pool):
    cold = run_runbook("lv-extend", LV_EXTEND, runs_dir=tmp_path / "cold")
    kernel = warm.start()
    try:
        hot = run_runbook("lv-extend", LV_EXTEND, runs_dir=tmp_path / "warm", kernel=kernel)
    finally:
        kernel.discard()
    assert cold.status == hot.status == "succeeded" and cold.outcome == hot.outcome
    assert cold.commands == hot.commands and cold.commands
    assert canonical(hot.notebook) == canonical(cold.notebook)


def test_a_spare_serves_one_run_then_dies(probe, tmp_path, pool):
    spares.leave_spare()
    spares.leave_spare()                       # one is ready already: no second one
    assert len(list(pool.glob("*/ready"))) == 1
    spare = _wait_claim()
    assert spares.claim() is None              # nobody else gets it
    first = run_runbook(probe, {}, host="local", runs_dir=tmp_path, kernel=spare)
    spare.discard()
    assert _wait_gone(spare.pid) and not spare.directory.exists()
    spares.leave_spare()
    other = _wait_claim()
    try:
        assert other.pid != spare.pid
        again = _seen(run_runbook(probe, {}, host="local", runs_dir=tmp_path, kernel=other))
    finally:
        other.discard()
    # nothing of the first run (the variable it set last) is in the second one's kernel
    assert first.status == "succeeded" and "secret_of_this_run" not in again["globals"]


def test_a_spare_is_for_the_same_environment_and_code_only(pool, monkeypatch):
    spares.leave_spare()
    mine = spares.fingerprint()
    monkeypatch.setenv("FXKIT_SOMETHING_ELSE", "1")
    assert spares.fingerprint() != mine
    assert spares.claim() is None              # another environment: not this spare
    monkeypatch.delenv("FXKIT_SOMETHING_ELSE")
    monkeypatch.setenv("PWD", "/elsewhere")  # what the shell changes per command does not count
    assert spares.fingerprint() == mine
    _wait_claim().discard()


def test_an_unclaimed_spare_exits_by_itself(pool, monkeypatch):
    monkeypatch.setenv(warm.IDLE_ENV, "1")
    spares.leave_spare()
    about = json.loads(next(pool.glob("*/spare.json")).read_text())
    assert _wait_gone(int(about["pid"]), timeout=60)
    assert not list(pool.glob("*"))


def test_no_pool_in_a_directory_others_can_enter(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    monkeypatch.setenv(spares.POOL_ENV, str(shared))
    assert spares.pool_dir() is None and spares.claim() is None


def test_fxkit_run_leaves_one_spare_and_the_next_run_uses_it(pool, tmp_path):
    runs = str(tmp_path / "runs")
    args = ["lv-extend", "--runs-dir", runs] + [x for kv in LV_EXTEND.items() for x in
                                                ("-p", *kv)]
    first = CliRunner().invoke(run_cmd, args)
    assert first.exit_code == 0, first.output
    ready = list(pool.glob("*/ready"))
    assert len(ready) == 1
    spare = json.loads((ready[0].parent / "spare.json").read_text())
    second = CliRunner().invoke(run_cmd, args)
    assert second.exit_code == 0, second.output
    assert _wait_gone(int(spare["pid"]))     # the second run used that spare, then killed it
    assert len(list(pool.glob("*/ready"))) == 1   # and left the next one
