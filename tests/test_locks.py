"""One lock for every writer (issue 16, findings 2 and 8).

`Plan.apply` takes the host lock, so the CLI's plan commands, runbooks, widgets and the
Python API all do; a second writer waits up to $FXKIT_LOCK_WAIT or is refused (exit 3)
naming the holder; a lock whose holder died is reported as stale and taken over safely.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import fxkit
from fxkit.errors import HostLocked
from fxkit.host import Exec
from fxkit.hostlock import (
    LOCK_DIR,
    OWNER,
    HostLock,
    LockOwner,
    current_owner,
    process_start,
    take_over,
)
from fxkit.lab import reset
from fxkit.lab.transport import LabHost
from fxkit.lvm import plan_lv_extend
from fxkit.testing import FunctionHost
from fxkit.xen import read_lvm_facts

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def lab(tmp_path, monkeypatch):
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path / "lab"))
    monkeypatch.delenv("FXKIT_LOCK_WAIT", raising=False)
    reset("fx")
    return tmp_path


def fxkit_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fxkit", *args], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env={**os.environ, **env})


def size_of(lv: str) -> int:
    return read_lvm_facts(LabHost("lab", audit=None)).lvm.lv(lv).size_bytes // 2**30


def test_cli_plan_commands_are_refused_while_a_runbook_holds_the_lock(lab):
    before = size_of("lvm/ns-root")
    held = HostLock(LabHost("lab"), runbook="lv-extend")
    owner = held.acquire()                      # what a runbook's apply holds meanwhile
    lvm = fxkit_cli("lvm", "plan-extend", "lvm/ns-root", "+1G", "lab", "--apply")
    net = fxkit_cli("net", "plan-bridge", "lab", "xenbr7", "--apply")
    for refused in (lvm, net):
        assert refused.returncode == 3, refused.stdout + refused.stderr
        assert f"pid {owner.pid}, runbook lv-extend" in refused.stderr
    assert size_of("lvm/ns-root") == before
    assert "xenbr7" not in LabHost("lab", audit=None).run(["ip", "-o", "link"]).stdout
    held.release()
    done = fxkit_cli("lvm", "plan-extend", "lvm/ns-root", "+1G", "lab", "--apply")
    assert done.returncode == 0, done.stderr
    assert size_of("lvm/ns-root") == before + 1


def test_the_python_api_and_widgets_take_the_lock_too(lab):
    from fxkit.widgets.lv_planner import LvPlanner
    held = HostLock(LabHost("lab"), runbook="bridge-add")
    held.acquire()
    fx = fxkit.connect("lab")
    plan = plan_lv_extend(read_lvm_facts(fx), "lvm/web-root", "+1G")
    with pytest.raises(HostLocked, match="runbook bridge-add"):
        plan.apply(fx)
    planner = LvPlanner(fx, name="scratch")
    planner.plan_button.click()
    planner.confirm.value = True
    planner.apply_button.click()
    assert "runbook bridge-add" in planner.result.value
    assert read_lvm_facts(fx).lvm.lv("lvm/scratch") is None and size_of("lvm/web-root") == 10
    held.release()
    assert plan.apply(fx).changed
    assert current_owner(fx) is None


@pytest.mark.slow     # a few seconds of waiting: in make test, not make check
def test_a_second_writer_waits_for_the_lock_up_to_the_timeout(lab, monkeypatch):
    held = HostLock(LabHost("lab"), runbook="first")
    held.acquire()
    threading.Timer(1.0, held.release).start()
    monkeypatch.setenv("FXKIT_LOCK_WAIT", "20")
    fx = LabHost("lab")
    start = time.monotonic()
    assert plan_lv_extend(read_lvm_facts(fx), "lvm/web-root", "+1G").apply(fx).changed
    assert time.monotonic() - start >= 0.9
    held.acquire()
    monkeypatch.setenv("FXKIT_LOCK_WAIT", "1")
    start = time.monotonic()
    with pytest.raises(HostLocked, match="runbook first"):
        plan_lv_extend(read_lvm_facts(fx), "lvm/web-root", "+1G").apply(fx)
    assert 0.4 <= time.monotonic() - start < 10
    held.release()


def test_holding_the_lock_already_is_fine(lab):
    fx = LabHost("lab")
    with HostLock(fx, runbook="outer") as owner:
        plan_lv_extend(read_lvm_facts(fx), "lvm/web-root", "+1G").apply(fx)
        assert current_owner(fx) == owner            # still the outer holder's
    assert current_owner(fx) is None


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _plant(host, **fields) -> LockOwner:
    owner = LockOwner(operator="op", machine=socket.gethostname(), pid=_dead_pid(),
                      since="2026-01-01T00:00:00+00:00", runbook="lv-extend", token="t0k3n",
                      run_id="2026-01-01/000000-lv-extend-lab", **fields)
    host.run(["mkdir", LOCK_DIR])
    host.write_file(OWNER, json.dumps(dataclasses.asdict(owner)))
    return owner


def test_a_stale_lock_is_reported_with_its_holder_and_taken_over(lab):
    fx = LabHost("lab")
    owner = _plant(fx)
    assert owner.liveness() == "dead"
    with pytest.raises(HostLocked) as e:
        HostLock(LabHost("lab")).acquire()
    msg = str(e.value)
    assert f"pid {owner.pid} no longer runs on this machine" in msg and "stale" in msg
    assert f"fxkit runs resume {owner.run_id}" in msg and "fxkit runs unlock lab" in msg
    assert take_over(fx).token == "t0k3n"
    assert current_owner(fx) is None


def test_a_live_holder_or_one_elsewhere_is_never_taken_over(lab):
    fx = LabHost("lab")
    alive = HostLock(LabHost("lab"), runbook="alive")
    alive.acquire()
    assert current_owner(fx).liveness() == "alive"
    with pytest.raises(HostLocked, match="Wait for it to finish"):
        take_over(fx)
    alive.release()
    elsewhere = _plant(fx, pid_start=0)
    fx.write_file(OWNER, fx.read_file(OWNER).replace(socket.gethostname(), "other-box"))
    assert current_owner(fx).liveness() == "unknown"
    with pytest.raises(HostLocked, match="cannot tell from here"):
        take_over(fx)
    assert take_over(fx, force=True).token == elsewhere.token


def test_a_reused_pid_is_not_mistaken_for_the_holder(lab):
    me = os.getpid()
    owner = LockOwner("op", socket.gethostname(), me, "x", pid_start=process_start(me) + 1)
    assert owner.liveness() == "dead"            # same pid, started at another time
    assert LockOwner("op", socket.gethostname(), me, "x",
                     pid_start=process_start(me)).liveness() == "alive"


def test_hosts_with_no_machine_behind_them_keep_their_lock_in_process():
    host = FunctionHost(lambda call: Exec(0, "", ""), name="fake")
    with HostLock(host, runbook="one"):
        assert current_owner(host).runbook == "one"
        with pytest.raises(HostLocked, match="runbook one"):
            _other_thread_acquire(host)
    assert current_owner(host) is None and host.commands == []


def _other_thread_acquire(host) -> None:
    errors: list[BaseException] = []

    def take() -> None:
        try:
            HostLock(host).acquire()
        except HostLocked as e:
            errors.append(e)
    t = threading.Thread(target=take)
    t.start()
    t.join()
    raise errors[0]


def test_a_lock_left_without_its_owner_file_can_still_be_removed(lab):
    from click.testing import CliRunner

    from fxkit.cli.runbook import runs
    fx = LabHost("lab", audit=None)
    fx.run(["mkdir", LOCK_DIR])                # a holder killed between mkdir and its file
    assert current_owner(fx) is None
    with pytest.raises(HostLocked, match="owner file is not written yet"):
        HostLock(LabHost("lab")).acquire()
    done = CliRunner().invoke(runs, ["unlock", "lab", "--yes"])
    assert done.exit_code == 0 and "exists without its owner file" in done.output
    with HostLock(LabHost("lab")):
        pass
