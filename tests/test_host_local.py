"""Host.run over the local transport: results, failures, timeouts, big stderr, files."""

import os
import stat
import time

import pytest

from fxkit import connect
from fxkit.audit import AuditLog
from fxkit.errors import CommandFailed, CommandTimedOut, InvalidRequest
from fxkit.result import Result


@pytest.fixture
def host(tmp_path):
    return connect("local").__class__(audit=AuditLog(tmp_path / "audit.jsonl"))


def test_run_returns_frozen_result(host):
    r = host.run(["echo", "hello world"])
    assert isinstance(r, Result)
    assert (r.argv, r.exit_status, r.stdout, r.stderr, r.host) == \
        (("echo", "hello world"), 0, "hello world\n", "", "local")
    assert r.seconds >= 0
    with pytest.raises(AttributeError):
        r.exit_status = 1  # type: ignore[misc]


def test_failure_raises_with_status_and_stderr_tail(host):
    with pytest.raises(CommandFailed) as e:
        host.run(["ls", "/no/such/dir"])
    msg = str(e.value)
    assert "exited with status 2" in msg and "No such file or directory" in msg
    assert e.value.result.exit_status == 2


def test_check_false_returns_failed_result(host):
    r = host.run(["false"], check=False)
    assert not r.ok and r.exit_status == 1


def test_shell_strings_are_refused(host):
    with pytest.raises(InvalidRequest, match="argument lists, not shell strings"):
        host.run("rm -rf /tmp/x")  # type: ignore[arg-type]
    with pytest.raises(InvalidRequest, match="not a str"):
        host.run(["echo", 3])  # type: ignore[list-item]


def test_argument_is_never_interpreted_by_a_shell(host, tmp_path):
    marker = tmp_path / "pwned"
    r = host.run(["echo", f"x; touch {marker}"])
    assert r.stdout == f"x; touch {marker}\n" and not marker.exists()


def test_missing_program_is_127(host):
    assert host.run(["no-such-program-fx"], check=False).exit_status == 127


def test_timeout_kills(host):
    start = time.monotonic()
    with pytest.raises(CommandTimedOut, match="did not finish"):
        host.run(["sleep", "30"], timeout=0.5)
    assert time.monotonic() - start < 5


def test_big_stderr_does_not_hang(host):
    r = host.run(["python3", "-c", "import sys; sys.stderr.write('x' * 1_000_000); print('done')"],
                 timeout=20)
    assert len(r.stderr) == 1_000_000 and r.stdout == "done\n"


def test_input_is_fed_to_stdin(host):
    assert host.run(["cat"], input="line\n").stdout == "line\n"


def test_write_file_is_atomic_and_keeps_mode(host, tmp_path):
    path = tmp_path / "cfg"
    path.write_text("old\n")
    os.chmod(path, 0o600)
    host.write_file(str(path), "new\n")
    assert path.read_text() == "new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert host.read_file(str(path)) == "new\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".fxkit-")] == []


def test_every_command_is_audited(host):
    host.run(["true"])
    host.run(["false"], check=False)
    lines = host.audit.lines()
    assert [(x["argv"], x["exit_status"]) for x in lines] == [(["true"], 0), (["false"], 1)]
