"""Shared test setup: an isolated audit log and lab dir per session, and no silent skips in CI."""

from __future__ import annotations

import os

import pytest

collect_ignore_glob: list[str] = []


@pytest.fixture(autouse=True, scope="session")
def _isolated_state(tmp_path_factory: pytest.TempPathFactory):
    """Never write to the user's own audit log, lab or kernel pool while testing."""
    from support.kernels import start_pool, stop_pool
    base = tmp_path_factory.mktemp("fxkit-state")
    os.environ["FXKIT_AUDIT_LOG"] = str(base / "audit.jsonl")
    os.environ.setdefault("FXKIT_LAB_DIR", str(base / "lab"))
    os.environ["XDG_STATE_HOME"] = str(base / "xdg-state")
    # The lab saves a state only when a command says it changed it: under test, every
    # command also compares the full dump, so a change that would be lost is an error.
    os.environ["FXKIT_LAB_CHECK_SAVES"] = "1"
    # `fxkit run` leaves no spare kernel or runner behind (tests/test_kernels.py and
    # tests/test_spare_runner.py turn them on), but the runbook runs of the tests take
    # warm kernels (tests/support/kernels.py)
    os.environ["FXKIT_WARM_KERNELS"] = "0"
    pool = start_pool()
    yield
    stop_pool(pool)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    """Under CI a skipped test is a failure: a real component must be there and be used."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call_failed = report.failed     # read by fixtures' teardown (anylab)
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI (CI is set, so this must run): {reason}"


# -- the two labs: simulated fx and the real Xen lab in QEMU (tests/support/labs.py) -------

@pytest.fixture(scope="session")
def real_lab():
    """The session's main real Xen lab (tests/support/labs_real.py): restored from its
    snapshot, or booted and provisioned, in the background while the other tiers run."""
    from support.labs import real_lab_missing
    from support.labs_real import REAL_LABS
    if reason := real_lab_missing():
        pytest.skip(reason)
    return REAL_LABS.main()


@pytest.fixture(scope="session")
def real_jobs():
    """The session's real labs, for tests marked ``real_job(fn)``: ``real_jobs.outcome(fn)``
    waits for ``fn``'s run on the background lab and gives what it returned or raised."""
    from support.labs import real_lab_missing
    from support.labs_real import REAL_LABS
    if reason := real_lab_missing():
        pytest.skip(reason)
    return REAL_LABS


@pytest.fixture(scope="session")
def sim_lab_root(tmp_path_factory: pytest.TempPathFactory):
    """A lab dir whose SSH server serves the simulated fx for the session."""
    import shutil
    if shutil.which("ssh") is None:
        pytest.skip("OpenSSH client (ssh) is not installed: apt-get install openssh-client")
    from fxkit.lab import reset
    from fxkit.lab.ssh import daemon
    root = tmp_path_factory.mktemp("simlab")
    reset("fx", root)
    daemon.start(["fx"], root=root)
    try:
        yield root
    finally:
        daemon.stop(root)


@pytest.fixture(params=["sim", pytest.param("real", marks=[pytest.mark.realxen,
                                                            pytest.mark.slow])])
def anylab(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """Each test that takes it runs on the simulated fx and on the real Xen lab."""
    from support.labs import Lab
    if request.param == "sim":
        from fxkit.lab import reset
        root = request.getfixturevalue("sim_lab_root")
        reset("fx", root)
        lab = Lab("sim", "lab", root)
    else:
        lab = request.getfixturevalue("real_lab")
    monkeypatch.setenv("FXKIT_LAB_DIR", str(lab.root))    # papermill's kernels inherit it
    if lab.real and request.node.get_closest_marker("xen_hotplug"):
        # No other real lab starts a domU meanwhile (tests/support/labs_real.py says why).
        from support.labs_real import REAL_LABS
        with REAL_LABS.starting_domus(lab.root):
            yield lab
    else:
        yield lab
    if lab.real and getattr(request.node, "rep_call_failed", False):
        # A failed test may leave the real lab half-changed, and it is not reset between
        # tests: put it back (restore the snapshot) so the next test starts from fx, after
        # printing what was there (shown with the failure, as the teardown's output).
        from support.labs import real_diagnostics, restore_real
        print("the real lab after the failure:\n" + real_diagnostics(lab))
        restore_real(lab)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the real labs' slow work (image, boot or restore, background jobs) now, so it
    overlaps the tiers that run first; and note each test's tier for the summary."""
    for item in session.items:
        TIER_OF[item.nodeid] = tier(item)
    real = [item for item in session.items if item.get_closest_marker("realxen")]
    if not real or session.config.option.collectonly:
        return
    from support.labs_real import REAL_LABS
    jobs, seen = [], set()
    for item in real:
        for mark in item.iter_markers("real_job"):
            if mark.args and mark.args[0] not in seen:
                seen.add(mark.args[0])
                jobs.append((mark.args[0], dict(mark.kwargs)))
    REAL_LABS.start(jobs)


def pytest_sessionfinish(session: pytest.Session) -> None:
    import sys
    labs = sys.modules.get("support.labs_real")
    if labs is not None:
        labs.REAL_LABS.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests on the real lab run last, all together; among them, those that wait for a
    background job (``real_job``) come after those that use the main lab, so both labs
    work at once; the ones that stop the labs run at the very end."""
    def key(item: pytest.Item) -> tuple[bool, bool, bool]:
        real = item.get_closest_marker("realxen") is not None
        return (real, real and item.get_closest_marker("stops_real_lab") is not None,
                real and item.get_closest_marker("real_job") is not None)
    items.sort(key=key)      # stable: the order within each group is kept


# -- how long each tier took: a table at the end of every run ------------------------------

TIERS = ("realxen", "browser", "notebook", "netns", "lvm2", "sshd", "slow")
TIER_OF: dict[str, str] = {}
TIER_SECONDS: dict[str, float] = {}
TIER_TESTS: dict[str, set[str]] = {}


def tier(item: pytest.Item) -> str:
    """A test's tier: its most expensive marker, else ``check`` (what `make check` runs)."""
    return next((t for t in TIERS if item.get_closest_marker(t)), "check")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    name = TIER_OF.get(report.nodeid, "check")
    TIER_SECONDS[name] = TIER_SECONDS.get(name, 0.0) + report.duration
    TIER_TESTS.setdefault(name, set()).add(report.nodeid)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Seconds per tier (setup + call + teardown of its tests), and the real labs' work
    that ran in the background meanwhile."""
    import sys
    if not TIER_SECONDS:
        return
    write = terminalreporter.write_line
    terminalreporter.section("time per tier")
    total = sum(TIER_SECONDS.values())
    for name in ("check", *reversed(TIERS)):
        if name in TIER_SECONDS:
            write(f"{name:<10} {len(TIER_TESTS[name]):>5} tests {TIER_SECONDS[name]:>8.1f} s "
                  f"{100 * TIER_SECONDS[name] / total:>5.1f}%")
    labs = sys.modules.get("support.labs_real")
    if labs is not None and labs.REAL_LABS.timings:
        write("real labs' work in a background thread (overlapping the tiers above):")
        for line in labs.REAL_LABS.summary():
            write("  " + line)
