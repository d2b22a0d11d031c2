"""``fxkit lvm`` against a fresh lab: show, dry-run, refusals, apply with confirmation."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from fxkit.cli import cli


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path / "lab"))
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, ["lvm", *args])
    return invoke


def test_show_lists_lvs_with_their_domus(run) -> None:
    r = run("show", "lab")
    assert r.exit_code == 0, r.output
    assert "lvm/secours-root" in r.output and "titanic (running)" in r.output
    assert "used by: backup" in r.output


def test_dry_run_then_apply_with_confirmation(run) -> None:
    r = run("plan-create", "lvm", "mail-root", "4G", "--fs", "ext4", "--wipe", "64")
    assert "dd if=/dev/zero of=/dev/lvm/mail-root bs=1M count=64 conv=fsync" in r.output
    assert "(dry run" in r.output
    assert "mail-root" not in run("show").output
    assert "2 step(s) applied" in run("plan-create", "lvm", "mail-root", "4G", "--fs", "ext4",
                                      "--apply").output
    r = run("plan-remove", "lvm/mail-root")
    assert "--confirm lvm/mail-root" in r.output
    r = run("plan-remove", "lvm/mail-root", "--apply", "--confirm", "lvm/mail-root")
    assert "1 step(s) applied" in r.output
    assert "mail-root" not in run("show").output


def test_refusals_say_why(run) -> None:
    r = run("plan-remove", "lvm/backup-root")
    assert r.exit_code != 0
    assert "config of domU backup" in str(r.exception) + r.output
