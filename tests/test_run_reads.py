"""``Host.run_reads``: read-only commands sent together, each with its own result.

The wire format (``fxkit.transports.argv.batch_line``) is checked three ways: decoded back
(what the lab's SSH server does), split back from output, and run by the real ``/bin/sh``
and ``bash``, whose results must equal running each command alone. Over SSH it is one
channel; the lab's server runs it (tests/test_lab_server.py), and so do real login shells
(tests/test_login_shells.py).
"""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fxkit.audit import AuditLog
from fxkit.errors import CommandFailed, InvalidRequest, ToolNotFound
from fxkit.lab import LabHost
from fxkit.transports.argv import (
    LINE_MAX,
    batch_groups,
    batch_line,
    command_line,
    decode_batch_line,
    decode_command_line,
    split_batch,
)
from fxkit.transports.channel import MarkerClock

MARKER = "fxkit-" + "0123456789abcdef" * 2
WORDS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                max_size=8) | st.sampled_from(["'", "!", "\\", "%s", "$?", "\n", MARKER,
                                               " </dev/null; s=$?; echo; "])
ARGV = st.lists(WORDS, min_size=1, max_size=4).filter(lambda a: not a[0].startswith("-"))


@settings(max_examples=500, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(argvs=st.lists(ARGV, min_size=1, max_size=5))
def test_a_batch_line_decodes_to_its_marker_and_argvs(argvs):
    line = batch_line(argvs, MARKER)
    assert line.isascii() and line.isprintable()
    assert decode_batch_line(line) == (MARKER, argvs)
    assert decode_command_line(line) is None          # never taken for one command
    assert decode_batch_line(command_line(argvs[0])) is None


def test_a_batch_marker_must_be_fxkits():
    with pytest.raises(InvalidRequest, match="marker"):
        batch_line([["true"]], "fxkit-x; rm -rf /")


def test_split_batch_gives_each_commands_output_and_status():
    out = f"a\nb\n\n{MARKER} 0\nno newline\n{MARKER} 3\n\n{MARKER} 127\n"
    err = f"\n{MARKER}\nwarn\n\n{MARKER}\nsh: x: not found\n\n{MARKER}\n"
    assert split_batch(out, err, MARKER) == [
        (0, "a\nb\n", ""), (3, "no newline", "warn\n"), (127, "", "sh: x: not found\n")]
    # a command that never ended (killed, timed out): its output is no result
    assert split_batch(f"x\n{MARKER} 0\npartial", f"\n{MARKER}\n", MARKER) == [(0, "x", "")]
    assert split_batch("", "", MARKER) == []


@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_the_real_shell_runs_a_batch_as_each_command_alone(shell, tmp_path):
    (tmp_path / "f").write_text("line\nlast, no newline")
    argvs = [["cat", str(tmp_path / "f")], ["ls", str(tmp_path / "missing")],
             ["printf", "%s|", "it's", "$HOME", "!!", "a\nb"], ["fxkit-no-such-program"],
             ["sh", "-c", "echo out; echo err >&2; exit 9"], ["cat"]]
    run = subprocess.run([shell, "-c", batch_line(argvs, MARKER)], capture_output=True,
                         text=True, input="stdin is not for the batch's commands\n")
    got = split_batch(run.stdout, run.stderr, MARKER)
    assert len(got) == len(argvs)
    for argv, (status, out, err) in zip(argvs, got, strict=True):
        alone = subprocess.run([shell, "-c", command_line(argv)], capture_output=True,
                               text=True, stdin=subprocess.DEVNULL)
        assert (status, out) == (alone.returncode, alone.stdout), argv
        if status != 127:     # sh names the missing program as `eval` or as `exec` found it
            assert err == alone.stderr, argv
    assert got[3][0] == 127 and "fxkit-no-such-program" in got[3][2]
    assert got[5] == (0, "", "")     # stdin is /dev/null: the batch's line never leaks


def test_the_marker_clock_sees_markers_split_across_chunks():
    clock = MarkerClock(MARKER)
    data = f"out\n\n{MARKER} 0\n\n{MARKER} 1\n".encode()
    for i in range(0, len(data), 5):
        clock.watch(data[i:i + 5])
    assert len(clock.times) == 2 and clock.times == sorted(clock.times)


def test_reads_one_by_one_keep_run_semantics(tmp_path):
    """A transport without batches (the in-process lab) runs them in turn: same results
    as run(), one audit line each, and with check the first failure raises after all ran."""
    log = AuditLog(tmp_path / "audit.jsonl")
    host = LabHost("fx", audit=log)
    pvs, fail, lvs = host.run_reads([["pvs"], ["ls", "/nowhere"], ["lvs"]], check=False)
    assert (pvs.stdout, lvs.stdout) == (host.run(["pvs"]).stdout, host.run(["lvs"]).stdout)
    assert fail.exit_status != 0 and "/nowhere" in fail.stderr
    before = len(log.path.read_text().splitlines())
    with pytest.raises(CommandFailed) as raised:
        host.run_reads([["hostname"], ["ls", "/nowhere"], ["ls", "/also-not"]])
    assert raised.value.result.argv == ("ls", "/nowhere")
    assert len(log.path.read_text().splitlines()) == before + 3     # all three ran
    with pytest.raises(ToolNotFound):
        host.run_reads([["fxkit-no-such-program"], ["hostname"]])
    assert host.run_reads([["ls", "/nowhere"], ["hostname"]],
                          check=(False, True))[1].stdout == "fx\n"
    with pytest.raises(InvalidRequest, match="2 commands but 1 checks"):
        host.run_reads([["true"], ["true"]], check=[True])


def test_batches_too_long_for_one_line_are_split_in_order():
    argvs = [["dumpe2fs", "-h", f"/dev/lvm/vm{i:04d}-root"] for i in range(3000)] + \
        [["printf", "%s", "'!é" * 5000]] * 20
    groups = batch_groups(argvs, MARKER)
    assert sum(groups) == len(argvs) and len(groups) > 4 and all(groups)
    start = 0
    for count in groups:
        line = batch_line(argvs[start:start + count], MARKER)
        assert len(line) <= LINE_MAX
        assert decode_batch_line(line) == (MARKER, argvs[start:start + count])
        start += count
    with pytest.raises(InvalidRequest, match="too long"):      # alone too long: refused
        batch_line([["printf", "!" * LINE_MAX]], MARKER)
