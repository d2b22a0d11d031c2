"""``fxkit xen``: listing, configs, MACs and plans (dry run, then --apply) on the lab."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from support.xen import fx_lab

from fxkit.cli import cli


@pytest.fixture
def lab_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path))
    fx_lab(tmp_path)
    return tmp_path


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_list_info_config_console(lab_dir: Path) -> None:
    out = invoke("xen", "list", "lab")
    assert "titanic" in out and "blocked" in out
    assert "8 CPUs, 4096 MiB" in invoke("xen", "info", "lab")
    cfg = invoke("xen", "config", "/etc/xen/titanic.cfg", "lab", "--style", "xm")
    assert "name = 'titanic'" in cfg and "# vif 2: mac=aa:73:65:63:6f:77 bridge=xenbr2" in cfg
    assert invoke("xen", "console", "titanic", "lab").rstrip().endswith("titanic login:")
    assert invoke("xen", "mac", "titanic", "0").strip() == invoke("xen", "mac", "titanic").strip()


def test_create_is_a_dry_run_until_apply(lab_dir: Path) -> None:
    out = invoke("xen", "create", "mail", "lab", "--memory", "64", "--bridge", "xenbr1")
    assert "dry run" in out and "xl create /etc/xen/mail.cfg" in out
    assert "mail" not in invoke("xen", "list", "lab")
    invoke("xen", "create", "mail", "lab", "--memory", "64", "--bridge", "xenbr1", "--apply")
    assert "mail" in invoke("xen", "list", "lab")
    refused = CliRunner().invoke(cli, ["xen", "remove", "mail", "lab", "--apply"])
    assert refused.exit_code != 0 and "mail" in invoke("xen", "list", "lab")
    invoke("xen", "remove", "mail", "lab", "--apply", "--confirm", "/etc/xen/mail.cfg",
           "--confirm", "lvm/mail-root", "--confirm", "lvm/mail-swap")
    assert "mail" not in invoke("xen", "list", "lab")
    assert "nothing to do" in invoke("xen", "shutdown", "mail", "lab")
