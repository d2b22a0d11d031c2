"""`fxkit lab ... --real` reaches the real lab's functions (which tests/test_realxen_* exercise)."""

from click.testing import CliRunner

from fxkit.cli import cli


def test_real_flags_call_the_real_lab(monkeypatch):
    import fxkit.cli.lab_real as lab_real
    calls = []
    monkeypatch.setattr(lab_real, "start",
                        lambda port=None, cold=False: calls.append(("start", port, cold)))
    monkeypatch.setattr(lab_real, "stop", lambda: calls.append(("stop",)))
    monkeypatch.setattr(lab_real, "reset", lambda: calls.append(("reset",)))
    monkeypatch.setattr(lab_real, "build", lambda force=False: calls.append(("build", force)))
    runner = CliRunner()
    for argv in (["start", "--real", "--port", "2299"], ["start", "--real", "--cold"],
                 ["stop", "--real"], ["reset", "--real"], ["build", "--real", "--force"]):
        result = runner.invoke(cli, ["lab", *argv])
        assert result.exit_code == 0, result.output
    assert calls == [("start", 2299, False), ("start", None, True), ("stop",), ("reset",),
                     ("build", True)]


def test_cold_is_only_for_the_real_lab():
    result = CliRunner().invoke(cli, ["lab", "start", "--cold"])
    assert result.exit_code != 0 and "--real" in result.output


def test_build_needs_real():
    result = CliRunner().invoke(cli, ["lab", "build"])
    assert result.exit_code != 0 and "--real" in result.output


def test_status_shows_the_real_lab(monkeypatch, tmp_path):
    import fxkit.cli.lab_real as lab_real
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path))
    monkeypatch.setattr(lab_real, "status_lines", lambda: ["real lab: running, pid 42"])
    result = CliRunner().invoke(cli, ["lab", "status"])
    assert "real lab: running, pid 42" in result.output
    assert result.exit_code == 1 and "not running" in result.output  # the simulated one is not
