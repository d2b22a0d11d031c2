"""Errors the ``fxkit`` command prints pass through ``fxkit.secrets.mask``: a secret in
an error message (an environment secret, a URL password, a private key) never reaches
the terminal, whether the error is fxkit's own or a usage error from click."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pytest
from support.xen import fx_lab

from fxkit.cli import SUBCOMMANDS, main
from fxkit.errors import PreconditionFailed

TOKEN = "s3cretTokenValue"
KEY = ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
       "-----END OPENSSH PRIVATE KEY-----")


def fxkit(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
          *args: str) -> tuple[int, str]:
    """`fxkit ARGS` through ``main``: (exit status, everything printed)."""
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["fxkit", *args])
    with pytest.raises(SystemExit) as e:
        main()
        sys.exit(0)
    out = capsys.readouterr()
    return int(e.value.code or 0), out.out + out.err


@click.command()
@click.argument("what")
def leaky(what: str) -> None:
    """Fails the way a reader may: its error quotes what it was given."""
    if what == "usage":
        raise click.BadParameter(f"cannot use ssh://ops:{TOKEN}@fx")
    if what == "bug":
        raise KeyError(f"token {TOKEN}")
    raise PreconditionFailed(f"fx: refused: password ssh://ops:hunter22@fx, key:\n{KEY}\n"
                             f"token {TOKEN} (fix: none)")


@pytest.fixture
def leaky_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SUBCOMMANDS, "leaky", (f"{__name__}:leaky", "test only"))
    monkeypatch.setenv("FXKIT_TEST_TOKEN", TOKEN)     # a name that says it is a secret


def test_an_fxkit_error_is_masked(leaky_command, capsys, monkeypatch) -> None:
    status, out = fxkit(capsys, monkeypatch, "leaky", "error")
    assert status == 1, out
    assert TOKEN not in out and "hunter22" not in out and "b3BlbnNzaC1rZXkt" not in out
    assert "error: fx: refused: password ssh://ops:******@fx" in out
    assert "token ****** (fix: none)" in out


def test_a_bug_is_one_masked_line_not_a_traceback(leaky_command, capsys, monkeypatch) -> None:
    monkeypatch.delenv("FXKIT_DEBUG", raising=False)
    status, out = fxkit(capsys, monkeypatch, "leaky", "bug")
    assert status == 1, out
    assert "Traceback" not in out and TOKEN not in out
    assert "internal error: KeyError:" in out and "FXKIT_DEBUG=1" in out
    monkeypatch.setenv("FXKIT_DEBUG", "1")
    with pytest.raises(KeyError):
        fxkit(capsys, monkeypatch, "leaky", "bug")


def test_a_usage_error_is_masked(leaky_command, capsys, monkeypatch) -> None:
    status, out = fxkit(capsys, monkeypatch, "leaky", "usage")
    assert status == 2, out
    assert TOKEN not in out and "ssh://ops:******@fx" in out


def test_a_real_command_quoting_a_secret_value(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path))
    fx_lab(tmp_path)
    monkeypatch.setenv("DB_PASSWORD", "Hunter2Hunter2")
    status, out = fxkit(capsys, monkeypatch, "xen", "create", "Hunter2Hunter2", "lab")
    assert status == 3 and "domU name" in out, out
    assert "Hunter2Hunter2" not in out and "'******'" in out
    status, out = fxkit(capsys, monkeypatch, "sudoers", "x:Hunter2Hunter2")
    assert status == 2 and "is not a login name" in out and "Hunter2Hunter2" not in out
