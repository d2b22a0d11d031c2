"""The shared host options of the CLI: --sudo, -F/--ssh-config, --accept-new-host-key."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from fxkit.cli.hostopts import HostOptions, host_options
from fxkit.transports.ssh import SSHHost


@click.command()
@click.argument("host", default="lab")
@host_options
@click.option("--other", is_flag=True)
def probe(host: str, conn: HostOptions, other: bool) -> None:
    h = conn.connect(host)
    click.echo(f"{conn.sudo} {conn.ssh_config} {conn.accept_new_host_key} {other} "
               f"{h.sudo} {getattr(h, 'accept_new_host_key', '-')} {getattr(h, 'hostname', '-')}")


@pytest.fixture
def cfg(tmp_path):
    path = tmp_path / "ssh_config"
    path.write_text("Host fx\n  HostName 10.5.5.5\n")
    return path


def test_options_reach_connect(cfg, monkeypatch):
    monkeypatch.delenv("FXKIT_SSH_CONFIG", raising=False)
    run = CliRunner().invoke(probe, ["fx", "--sudo", "-F", str(cfg), "--accept-new-host-key",
                                     "--other"])
    assert run.exit_code == 0, run.output
    assert run.output.split() == ["True", str(cfg), "True", "True", "True", "True", "10.5.5.5"]


def test_defaults_and_the_environment(cfg, monkeypatch):
    monkeypatch.setenv("FXKIT_SSH_CONFIG", str(cfg))
    run = CliRunner().invoke(probe, ["fx"])
    assert run.exit_code == 0, run.output
    assert run.output.split() == ["False", str(cfg), "False", "False", "False", "False",
                                  "10.5.5.5"]
    monkeypatch.delenv("FXKIT_SSH_CONFIG")
    run = CliRunner().invoke(probe, ["local", "--ssh-config", str(cfg)])
    assert run.output.split()[:2] == ["False", str(cfg)] and run.output.split()[-1] == "-"


def test_help_lists_the_three_options():
    text = CliRunner().invoke(probe, ["--help"]).output
    for words in ("--sudo", "-F, --ssh-config FILE", "--accept-new-host-key",
                  "FXKIT_SSH_CONFIG", "sudo -n", "accept-new"):
        assert words in text


def test_host_options_connect_builds_the_host(cfg):
    h = HostOptions(True, str(cfg), True).connect("fx")
    assert isinstance(h, SSHHost) and h.sudo and h.accept_new_host_key
