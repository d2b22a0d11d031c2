"""The audit log's chain, anchored outside the log (issue 16, finding 3).

Truncating the log, deleting its last lines, appending a line with a recomputed hash,
rewriting the whole chain, and re-sealing a failed run's record as "succeeded" are all
found by `fxkit audit verify` / `fxkit runs verify`; a malformed line is a finding,
never a crash; the files are private; each line can go to syslog too.
"""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from fxkit import audit
from fxkit.audit import AuditLog, anchor_path, line_hash, verify
from fxkit.audit import forward as audit_syslog
from fxkit.cli import cli
from fxkit.result import Result
from fxkit.runbook.records import RunRecord, seal, sha256_file


def _log(path: Path, n: int = 4) -> AuditLog:
    log = AuditLog(path)
    for i in range(n):
        log.record(Result(("echo", str(i)), 0, f"{i}\n", "", 0.01, "lab"))
    return log


def _rechain(raws: list[str]) -> list[str]:
    """What an attacker with write access does: recompute every ``prev`` after an edit."""
    out, prev = [], ""
    for raw in raws:
        entry = {**json.loads(raw), "prev": prev}
        line = json.dumps(entry, sort_keys=True)
        out.append(line)
        prev = line_hash(line)
    return out


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines))


def _forge_anchor(path: Path) -> None:
    raws = path.read_text().splitlines()
    anchor_path(path).write_text(json.dumps({"lines": len(raws),
                                             "sha256": line_hash(raws[-1])}))


def test_the_anchor_file_follows_the_head(tmp_path):
    log = _log(tmp_path / "audit.jsonl")
    anchor = json.loads(anchor_path(log.path).read_text())
    raws = log.path.read_text().splitlines()
    assert anchor["lines"] == 4 and anchor["sha256"] == line_hash(raws[-1])
    assert log.head().lines == 4 and verify(log.path) == []


def test_truncation_and_deleted_last_lines_are_found(tmp_path):
    log = _log(tmp_path / "audit.jsonl")
    raws = log.path.read_text().splitlines()
    _write(log.path, raws[:2])                          # the last two lines deleted
    problems = verify(log.path)
    assert [str(p) for p in problems] == [
        "line 2: the log has 2 line(s) but the anchor file says 4: the last 2 line(s) were "
        "removed (truncated)"]
    log.path.write_text("")                             # truncated to nothing
    assert "removed (truncated)" in str(verify(log.path)[0])


def test_an_appended_line_with_a_recomputed_hash_is_found(tmp_path):
    log = _log(tmp_path / "audit.jsonl")
    raws = log.path.read_text().splitlines()
    forged = {**json.loads(raws[-1]), "argv": ["echo", "forged"], "prev": line_hash(raws[-1])}
    _write(log.path, [*raws, json.dumps(forged, sort_keys=True)])
    problems = verify(log.path)
    assert [p.line for p in problems] == [5]
    assert "appended without fxkit" in problems[0].message


def test_a_rewritten_chain_is_found_by_the_anchor_and_by_run_records(tmp_path):
    log = _log(tmp_path / "audit.jsonl")
    head = log.head()
    raws = log.path.read_text().splitlines()
    edited = [*raws[:1], raws[1].replace('"echo", "1"', '"echo", "one"'), *raws[2:]]
    _write(log.path, _rechain(edited))               # the chain itself is intact again
    problems = verify(log.path)
    assert [p.line for p in problems] == [4] and "rewritten" in problems[0].message
    _forge_anchor(log.path)                          # ...and the anchor file forged too:
    assert verify(log.path) == []                    # the local files alone cannot tell,
    found = verify(log.path, [audit.Head(head.lines, head.sha256, "record of run X")])
    assert [str(p) for p in found] == [            # a record kept elsewhere can
        f"line 4: line 4 is not the line the record of run X recorded (sha256 "
        f"{head.sha256[:16]}...): the log was rewritten"]


def test_fxkit_still_logs_after_tampering_and_says_so_in_the_chain(tmp_path):
    log = _log(tmp_path / "audit.jsonl")
    raws = log.path.read_text().splitlines()
    _write(log.path, raws[:2])
    entry = log.record(Result(("echo", "after"), 0, "", "", 0.0, "lab"))
    assert "did not end where its anchor said" in entry["anchor_note"]
    problems = [str(p) for p in verify(log.path)]
    assert problems == [f"line 3: when fxkit appended this line, {entry['anchor_note']}"]


@pytest.mark.parametrize("bad", [b"42", b"\xff\xfe not utf-8", b"[1, 2]", b"{not json",
                                 b'"a string"', b"null"])
def test_a_malformed_line_is_a_finding_in_verify_and_tail_never_a_crash(tmp_path, bad):
    log = _log(tmp_path / "audit.jsonl", 2)
    with open(log.path, "ab") as fh:
        fh.write(bad + b"\n")
    problems = verify(log.path)
    assert problems and problems[0].line == 3
    runner = CliRunner()
    checked = runner.invoke(cli, ["audit", "verify", "--log", str(log.path)])
    assert checked.exit_code == 1 and "line 3: " in checked.output, checked.output
    assert checked.exception is None or isinstance(checked.exception, SystemExit)
    tail = runner.invoke(cli, ["audit", "tail", "--log", str(log.path)])
    assert tail.exit_code == 0 and "line 3: not" in tail.output and "echo 1" in tail.output
    log.record(Result(("echo", "still"), 0, "", "", 0.0, "lab"))   # appending still works
    assert AuditLog(log.path).lines()[-1]["argv"] == ["echo", "still"]


def test_an_object_without_the_usual_fields_does_not_crash_tail(tmp_path):
    log = _log(tmp_path / "audit.jsonl", 1)
    with open(log.path, "a") as fh:
        fh.write('{"prev": "x"}\n')
    out = CliRunner().invoke(cli, ["audit", "tail", "--log", str(log.path)])
    assert out.exit_code == 0 and "?" in out.output


def test_the_log_and_its_anchor_are_0600_in_a_0700_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("FXKIT_AUDIT_LOG")
    old = os.umask(0o022)
    try:
        log = _log(audit.default_path(), 1)
    finally:
        os.umask(old)
    assert log.path == tmp_path / "state" / "fxkit" / "audit.jsonl"
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(anchor_path(log.path).stat().st_mode) == 0o600
    assert stat.S_IMODE(log.path.parent.stat().st_mode) == 0o700
    os.chmod(log.path, 0o644)                 # a log made by an older fxkit is tightened
    os.chmod(log.path.parent, 0o755)
    log.record(Result(("true",), 0, "", "", 0.0, "lab"))
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.path.parent.stat().st_mode) == 0o700


def test_each_line_is_forwarded_to_syslog_when_asked(tmp_path, monkeypatch):
    sock_path = str(tmp_path / "fake-dev-log")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(sock_path)
    server.settimeout(5)
    try:
        monkeypatch.setenv(audit_syslog.SETTING, sock_path)
        log = _log(tmp_path / "audit.jsonl", 2)
        got = [server.recv(65536).decode() for _ in range(2)]
    finally:
        server.close()
    raws = log.path.read_text().splitlines()
    for message, raw in zip(got, raws, strict=True):
        assert message.startswith("<14>fxkit-audit: ")        # facility user, level info
        assert message.rstrip("\x00").endswith(raw)          # the very line, prev included
    monkeypatch.setenv(audit_syslog.SETTING, "0")
    assert audit_syslog.address() is None


def test_forwarding_to_a_missing_socket_warns_once_and_logs_locally(tmp_path, monkeypatch,
                                                                     capsys):
    monkeypatch.setenv(audit_syslog.SETTING, str(tmp_path / "no-such-socket"))
    log = _log(tmp_path / "audit.jsonl", 3)
    assert len(log.lines()) == 3
    err = capsys.readouterr().err
    assert err.count("cannot forward the audit log to syslog") == 1


def _sealed_run(tmp_path: Path, when: str, status: str, commands: int = 3) -> RunRecord:
    """A run record sealed in the log as `fxkit run` and the papermill journal do."""
    stem = f"{when}-lv-extend-lab"
    rec = RunRecord(id=f"2026-01-01/{stem}", runbook="lv-extend",
                    runbook_path="", runbook_revision="x", runbook_sha256="",
                    parameters={"size": "+1G"}, host="lab", operator="op", machine="m",
                    start="2026-01-01T00:00:00.000+00:00", end="2026-01-01T00:01:00.000+00:00",
                    status=status, started_by="papermill", audit_log=str(tmp_path / "audit.jsonl"),
                    record_file=str(tmp_path / "runs" / "2026-01-01" / f"{stem}.json"))
    rec.record_path.parent.mkdir(parents=True, exist_ok=True)
    _log(Path(rec.audit_log), commands)
    rec.save()
    seal(rec, 1.0)
    return rec


def _runs_verify(tmp_path: Path, rec: RunRecord):
    return CliRunner().invoke(cli, ["runs", "--runs-dir", str(tmp_path / "runs"), "verify",
                                    rec.id])


def test_a_failed_record_rewritten_as_succeeded_and_resealed_is_found(tmp_path):
    first = _sealed_run(tmp_path, "000000", "failed")
    later = _sealed_run(tmp_path, "000100", "succeeded", commands=0)  # its head: line 4
    assert later.audit_head["lines"] == 4
    ok = _runs_verify(tmp_path, first)
    assert ok.exit_code == 0 and "chain anchored (anchor file, 2 record(s))" in ok.output
    log = Path(first.audit_log)
    raws = log.read_text().splitlines()
    assert json.loads(raws[3])["run_id"] == first.id
    # The attacker: the record says "succeeded", its new sha256 goes into its seal line.
    first.status = "succeeded"
    first.save()
    sealed = json.loads(raws[3])
    sealed.update(status="succeeded", exit_status=0,
                  record_sha256=sha256_file(first.record_path))
    raws[3] = json.dumps(sealed, sort_keys=True)
    _write(log, raws)
    bad = _runs_verify(tmp_path, first)
    assert bad.exit_code == 1 and "line 5: does not follow the line before it" in bad.output
    _write(log, _rechain(raws))                 # the chain recomputed from there on
    bad = _runs_verify(tmp_path, first)
    assert bad.exit_code == 1 and "not the line the anchor file recorded" in bad.output
    _forge_anchor(log)                          # and the anchor file forged as well:
    caught = _runs_verify(tmp_path, first)      # the later run's record still knows line 4
    assert caught.exit_code == 1, caught.output
    assert f"line 4 is not the line the record of run {later.id} recorded" in caught.output


def test_audit_verify_reads_the_heads_of_run_records(tmp_path):
    rec = _sealed_run(tmp_path, "000000", "succeeded")
    log = Path(rec.audit_log)
    _write(log, _rechain(log.read_text().splitlines()[:2]))   # truncated, re-chained...
    _forge_anchor(log)                                          # ...anchor forged
    out = CliRunner().invoke(cli, ["audit", "verify", "--log", str(log),
                                   "--runs-dir", str(tmp_path / "runs")])
    assert out.exit_code == 1, out.output
    assert f"the record of run {rec.id} says 3: the last 1 line(s) were removed" in out.output
