"""The audit log: one hash-chained JSON line per command; secrets masked; tampering found."""

import json

from click.testing import CliRunner

from fxkit.audit import AuditLog, verify
from fxkit.cli import cli
from fxkit.result import Result
from fxkit.secrets import Secret, mask
from fxkit.transports.local import LocalHost


def _log(tmp_path, n=3):
    log = AuditLog(tmp_path / "audit.jsonl")
    for i in range(n):
        log.record(Result(("echo", str(i)), 0, f"{i}\n", "", 0.01, "lab"))
    return log


def test_lines_are_chained_and_verify(tmp_path):
    log = _log(tmp_path)
    lines = log.lines()
    assert [x["argv"] for x in lines] == [["echo", "0"], ["echo", "1"], ["echo", "2"]]
    assert lines[0]["prev"] == "" and all(x["prev"] for x in lines[1:])
    assert verify(log.path) == []


def test_removed_line_is_detected(tmp_path):
    log = _log(tmp_path)
    raw = log.path.read_text().splitlines()
    log.path.write_text("\n".join([raw[0], raw[2]]) + "\n")
    problems = verify(log.path)
    chain = [p for p in problems if "does not follow" in p.message]
    assert [p.line for p in chain] == [2]
    # the anchor beside the log still says 3 lines: the log lost one
    assert [p.line for p in problems if p not in chain] == [2]
    assert "says 3" in str(problems[-1]) and "removed" in str(problems[-1])


def test_edited_line_is_detected(tmp_path):
    log = _log(tmp_path)
    raw = log.path.read_text().splitlines()
    entry = json.loads(raw[1])
    entry["exit_status"] = 1
    raw[1] = json.dumps(entry, sort_keys=True)
    log.path.write_text("\n".join(raw) + "\n")
    assert [p.line for p in verify(log.path)] == [3]


def test_secrets_are_masked_everywhere(tmp_path):
    token = Secret("s3cr3t-token-value")
    host = LocalHost(audit=AuditLog(tmp_path / "audit.jsonl"))
    r = host.run(["echo", token])
    assert r.stdout == "s3cr3t-token-value\n"  # the command itself gets the real value
    assert "s3cr3t" not in r.command_line
    text = (tmp_path / "audit.jsonl").read_text()
    assert "s3cr3t" not in text and "******" in text
    assert mask("x s3cr3t-token-value y") == "x ****** y"


def test_cli_verify(tmp_path):
    log = _log(tmp_path)
    ok = CliRunner().invoke(cli, ["audit", "verify", "--log", str(log.path)])
    assert ok.exit_code == 0 and "3 lines, chain intact" in ok.output
    raw = log.path.read_text().splitlines()
    log.path.write_text("\n".join(raw[1:]) + "\n")
    bad = CliRunner().invoke(cli, ["audit", "verify", "--log", str(log.path)])
    assert bad.exit_code == 1 and "line 1" in bad.output


def test_lines_recorded_together_chain_and_anchor_like_lines_recorded_alone(tmp_path):
    """record_all (a batch of reads): one lock, one write, one anchor move; the chain is
    the one single appends make, also with threads writing batches and lines at once."""
    import threading
    log = AuditLog(tmp_path / "audit.jsonl")
    results = [Result(("echo", str(i)), 0, f"{i}\n", "", 0.01, "fx") for i in range(5)]
    entries = log.record_all([(r, {}) for r in results])
    lines = log.path.read_text().splitlines()
    assert [json.loads(x)["argv"] for x in lines] == [["echo", str(i)] for i in range(5)]
    assert [e["prev"] for e in entries[1:]] == [
        json.loads(x)["prev"] for x in lines[1:]] and entries[0]["prev"] == ""
    assert log.head().lines == 5 and not verify(log.path)

    def writer(k: int) -> None:
        for j in range(20):
            if j % 2:
                log.record(Result(("one", str(k)), 0, "", "", 0.0, "fx"))
            else:
                log.record_all([(Result(("many", str(k), str(i)), 0, "", "", 0.0, "fx"), {})
                                for i in range(3)])
    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert log.head().lines == 5 + 8 * (10 + 10 * 3)
    assert not verify(log.path)
    assert log.record_all([]) == []


def test_threads_appending_at_once_are_written_together_each_batch_whole(tmp_path, monkeypatch):
    """A fleet's threads: while one writes, the batches of the others wait and are then
    written in one go (one lock, one anchor move); each batch stays whole and in order,
    every thread gets back its own entries as written, and the chain verifies."""
    import threading
    import time

    from fxkit.audit import log as audit_log
    log = AuditLog(tmp_path / "audit.jsonl")
    writes = []
    slow_anchor = audit_log._write_anchor

    def anchor(path, head):
        writes.append(head.lines)
        time.sleep(0.02)          # a slow disk: the other threads pile up meanwhile
        slow_anchor(path, head)
    monkeypatch.setattr(audit_log, "_write_anchor", anchor)
    start = threading.Barrier(12)
    got: dict[int, list[dict]] = {}

    def writer(k: int) -> None:
        start.wait()
        for j in range(5):
            got[k * 10 + j] = log.append_all([{"argv": ["t", str(k), str(j), str(i)]}
                                              for i in range(3)])
    threads = [threading.Thread(target=writer, args=(k,)) for k in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = [json.loads(x) for x in log.path.read_text().splitlines()]
    assert len(lines) == 12 * 5 * 3 and not verify(log.path)
    assert len(writes) < 12 * 5 / 2          # grouped: far fewer writes than appends
    for n in range(0, len(lines), 3):       # every batch whole, its lines in order
        k, j = lines[n]["argv"][1:3]
        assert [x["argv"] for x in lines[n:n + 3]] == [["t", k, j, str(i)] for i in range(3)]
        assert got[int(k) * 10 + int(j)] == lines[n:n + 3]     # what its thread got back
    for k in range(12):                      # and each thread's batches in its order
        mine = [x["argv"][2] for x in lines if x["argv"][1] == str(k)][::3]
        assert mine == [str(j) for j in range(5)]


def test_a_failed_group_write_fails_every_thread_in_it_and_the_next_append_works(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    log.path.mkdir()                         # not a file: the write fails
    try:
        log.append_all([{"argv": ["x"]}])
    except IsADirectoryError:
        pass
    else:
        raise AssertionError("the write did not fail")
    log.path.rmdir()
    assert log.append_all([{"argv": ["y"]}])[0]["prev"] == ""
    assert not verify(log.path)
