"""The session's real labs (tests/support/labs_real.py) with the real lab's functions faked:
the main lab comes up in the background, each job gets a fresh restore on the second lab,
outcomes reach the waiting tests, and close() leaves nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import labs_real
from support.labs import Lab

import fxkit.lab.real as real


@pytest.fixture
def fake_real(monkeypatch: pytest.MonkeyPatch):
    calls: list[tuple] = []
    monkeypatch.setattr(labs_real, "real_lab_missing", lambda: None)
    monkeypatch.delenv(labs_real.REUSE_ENV, raising=False)
    monkeypatch.setattr(real, "build_image", lambda progress=None: calls.append(("build",)))

    class Info:
        restored_from = ""

    def start_real(how, lab, progress):
        calls.append(("start", how, Path(lab).name.split("-")[1]))
        return Info()
    monkeypatch.setattr(real, "start_real", start_real)
    monkeypatch.setattr(real, "reset_real", lambda lab, how, progress: calls.append(
        ("reset", how)))
    monkeypatch.setattr(real, "stop_real", lambda lab: calls.append(("stop", Path(lab).name)))
    monkeypatch.setattr(labs_real, "set_paused", lambda root, pause: calls.append(
        ("paused" if pause else "resumed", Path(root).name.split("-")[1])))
    monkeypatch.setattr(labs_real, "set_clock", lambda root: calls.append(
        ("clock set", Path(root).name.split("-")[1])) or "clock said")
    return calls


def test_the_main_lab_then_each_job_on_a_freshly_restored_second_lab(fake_real,
                                                                     monkeypatch) -> None:
    seen: list[Lab] = []

    def first(lab: Lab, say) -> int:
        seen.append(lab)
        say("working")
        return 42

    def second(lab: Lab, say) -> None:
        raise ValueError("the job failed")

    def third(lab: Lab, say) -> str:
        assert labs.hotplug.locked()          # no other lab starts domUs meanwhile
        return "started a domU"

    labs = labs_real.RealLabs()
    reniced: list[int] = []
    monkeypatch.setattr(labs_real, "renice", lambda root, nice: reniced.append(nice))
    labs.start([(second, {"idle": True}), (first, {}), (third, {"hotplug": True})])
    main = labs.main(timeout=30)
    assert main.real and main.target == "lab:real"
    ok = labs.outcome(first, timeout=30)
    assert ok.get() == 42 and "working" in ok.said
    bad = labs.outcome(second, timeout=30)
    with pytest.raises(ValueError, match="the job failed"):
        bad.get()
    assert seen[0].root != main.root and seen[0].root.name.startswith("fxkit-realxen-bg-")
    labs.background_done.wait(30)
    starts = [c for c in fake_real if c[0] in ("start", "reset")]
    assert labs.outcome(third, timeout=30).get() == "started a domU"
    assert not labs.hotplug.locked()
    assert starts == [("start", "pytest (the real-lab tier)", "realxen"),   # idle jobs last
                      ("reset", "pytest (background job first)"),
                      ("reset", "pytest (background job third)"),
                      ("reset", "pytest (background job second)")]
    # high priority while the hotplug job starts domUs, back to 0, the idle job lowest
    # (then 0 again if it was still running when the test above began waiting for it)
    assert reniced[:3] == [labs_real.HOTPLUG_NICE, 0, labs_real.IDLE_NICE]
    assert reniced[3:] in ([], [0])
    labs.close()
    assert not main.root.exists() and not seen[0].root.exists()
    assert any(c[0] == "stop" and c[1].startswith("fxkit-realxen-bg-") for c in fake_real)
    assert any(line.startswith("background job first") for line in labs.summary())


def test_a_main_lab_that_does_not_start_fails_the_waiting_tests(fake_real,
                                                                monkeypatch) -> None:
    def broken(how, lab, progress):
        raise RuntimeError("QEMU did not start")
    monkeypatch.setattr(real, "start_real", broken)

    def job(lab, say):
        return None
    labs = labs_real.RealLabs()
    labs.start([(job, {})])
    with pytest.raises(RuntimeError, match="QEMU did not start"):
        labs.main(timeout=30)
    with pytest.raises(RuntimeError, match="QEMU did not start"):
        labs.outcome(job, timeout=30)
    assert "never ran this job: QEMU did not start" in str(labs.jobs[job].error)
    labs.close()


def test_an_idle_job_a_test_waits_for_runs_at_full_priority(fake_real, monkeypatch) -> None:
    import threading
    import time
    started = threading.Event()

    def slow(lab: Lab, say) -> str:
        started.set()
        deadline = time.monotonic() + 30
        while not labs.jobs[slow].waited and time.monotonic() < deadline:
            time.sleep(0.01)          # runs "idle" until the test below waits for it
        return "done"

    labs = labs_real.RealLabs()
    reniced: list[int] = []
    monkeypatch.setattr(labs_real, "renice", lambda root, nice: reniced.append(nice))
    labs.start([(slow, {"idle": True})])
    assert started.wait(30)
    assert reniced == [labs_real.IDLE_NICE]
    assert labs.outcome(slow, timeout=30).get() == "done"
    assert reniced == [labs_real.IDLE_NICE, 0]
    assert ("resumed", "realxen") not in fake_real     # waiting for a job needs no main lab
    labs.close()


def test_the_main_lab_waits_paused_until_a_test_takes_it(fake_real) -> None:
    labs = labs_real.RealLabs()
    labs.start([])
    assert labs.main_ready.wait(30)
    paused = [c for c in fake_real if c[0] in ("start", "paused", "resumed", "stop")]
    assert paused == [("start", "pytest (the real-lab tier)", "realxen"),
                      ("paused", "realxen")]                  # idle, it costs no CPU
    labs.main(timeout=30)
    labs.main(timeout=30)                                      # resumed once, not twice
    assert [c for c in fake_real if c[0] in ("paused", "resumed", "clock set")] == [
        ("paused", "realxen"), ("resumed", "realxen"), ("clock set", "realxen")]
    assert "clock said" in labs.log[-1]
    labs.close()
    assert fake_real[-1][0] == "stop" and ("clock set", "realxen") == fake_real[-2]


def test_a_paused_main_lab_no_test_took_is_resumed_to_power_off(fake_real) -> None:
    labs = labs_real.RealLabs()
    labs.start([])
    assert labs.main_ready.wait(30) and labs.main_paused
    labs.close()
    ends = [c[0] for c in fake_real if c[0] in ("paused", "resumed", "clock set", "stop")]
    assert ends == ["paused", "resumed", "stop"]        # only to power off: no clock to set


def test_an_unregistered_job_says_how_to_register_it(fake_real) -> None:
    labs = labs_real.RealLabs()
    labs.start([])

    def lonely(lab, say):
        return None
    with pytest.raises(RuntimeError, match=r"real_job\(lonely\)"):
        labs.outcome(lonely)
    labs.close()


def test_renice_sets_the_autogroup_and_every_thread(monkeypatch, tmp_path) -> None:
    """A daemonized QEMU has a session, so an autogroup, of its own: its nice value is the
    one the scheduler weighs against the tests' session."""
    from fxkit.lab.real import vm
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                               start_new_session=True)
    try:
        monkeypatch.setattr(vm, "qemu_pids", lambda overlay: [sleeper.pid])
        labs_real.renice(tmp_path, 7)
        tasks = list(Path(f"/proc/{sleeper.pid}/task").iterdir())
        assert tasks and all(os.getpriority(os.PRIO_PROCESS, int(t.name)) == 7 for t in tasks)
        autogroup = Path(f"/proc/{sleeper.pid}/autogroup")
        if autogroup.exists():
            assert autogroup.read_text().split()[-1] == "7"
    finally:
        sleeper.kill()
        sleeper.wait()
