"""Shared test setup: an isolated audit log and lab dir per session, and no silent skips in CI."""

from __future__ import annotations

import os

import pytest

collect_ignore_glob: list[str] = []


@pytest.fixture(autouse=True, scope="session")
def _isolated_state(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Never write to the user's own audit log or lab while testing."""
    base = tmp_path_factory.mktemp("fxkit-state")
    os.environ["FXKIT_AUDIT_LOG"] = str(base / "audit.jsonl")
    os.environ.setdefault("FXKIT_LAB_DIR", str(base / "lab"))
    os.environ["XDG_STATE_HOME"] = str(base / "xdg-state")
    # The lab saves a state only when a command says it changed it: under test, every
    # command also compares the full dump, so a change that would be lost is an error.
    os.environ["FXKIT_LAB_CHECK_SAVES"] = "1"


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
    """The real Xen lab, booted once per session (slow: minutes of both cores)."""
    from support.labs import real_lab_session
    yield from real_lab_session()


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
    yield lab
    if lab.real and getattr(request.node, "rep_call_failed", False):
        # A failed test may leave the real lab half-changed, and it is not reset between
        # tests: put it back so the next test starts from fx.
        from support.labs import restore_real
        restore_real(lab)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests on the real lab run last, all together (one VM boot; nothing else competes for
    the two cores while QEMU runs), and the one that stops it runs at the very end."""
    def key(item: pytest.Item) -> tuple[int, int]:
        real = item.get_closest_marker("realxen") is not None
        return (real, real and item.get_closest_marker("stops_real_lab") is not None)
    items.sort(key=key)      # stable: the order within each group is kept
