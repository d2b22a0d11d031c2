"""The runbook runner on a tiny runbook on the local host: records, failures, CLI, papermill."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from fxkit.audit import AuditLog
from fxkit.cli.runbook import run as run_cmd
from fxkit.cli.runbook import runs as runs_cmd
from fxkit.errors import InvalidRequest, RunbookError
from fxkit.runbook.records import RunRecord, find_run, list_runs, verify_run
from fxkit.runbook.runner import run_runbook

pytestmark = pytest.mark.notebook

BODY = '''\
import fxkit
from fxkit.runbook.apply import report_outcome
fx = fxkit.connect(host)
print(fx.run(["echo", name]).stdout)
if fail:
    raise RuntimeError("boom " + name)
if leak:
    print("-----BEGIN OPENSSH PRIVATE KEY-----\\nAAAA\\n-----END OPENSSH PRIVATE KEY-----")
report_outcome("succeeded" if apply else "dry-run", apply, "echoed " + name, host=fx)
'''


@pytest.fixture(scope="module")
def echo(tmp_path_factory) -> Path:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    params = new_code_cell('host = "local"\napply = False\nconfirm = ""\nname = "hello"\n'
                           "fail = False\nleak = False")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [new_markdown_cell("# echo\nSays a name."), params, new_code_cell(BODY)]
    path = tmp_path_factory.mktemp("runbooks") / "echo.ipynb"
    nbformat.write(nb, path)
    return path


def test_success_writes_notebook_and_record_that_verify(echo, tmp_path):
    runs = tmp_path / "runs"
    rec = run_runbook(echo, {"name": "world"}, host="local", apply=True, runs_dir=runs)
    assert rec.status == "succeeded" and rec.changed and rec.error is None
    nb, record = Path(rec.notebook), rec.record_path
    assert nb.parent.parent == runs and nb.name.endswith("-echo-local.ipynb")
    data = json.loads(record.read_text())
    assert data["parameters"] == {"name": "world", "host": "local", "apply": True}
    assert data["commands"] == ["echo world"]
    assert data["audit_lines"][0]["argv"] == ["echo", "world"]
    assert data["outcome"]["reason"] == "echoed world" and data["operator"]
    assert data["runbook_revision"] == "untracked" and len(data["notebook_sha256"]) == 64
    assert data["start"] <= data["end"]
    assert verify_run(rec) == []
    assert [r.id for r in list_runs(runs, host="local", status="succeeded")] == [rec.id]
    assert find_run(runs, nb.stem).id == rec.id
    seals = [e for e in AuditLog(rec.audit_log).lines() if e.get("run_id") == rec.id]
    assert seals[0]["argv"][:3] == ["fxkit", "run", "echo"] and seals[0]["exit_status"] == 0
    # Tampering with the record, the executed notebook or the audit log is detected.
    original = record.read_text()
    record.write_text(original.replace('"succeeded"', '"failed"'))
    assert "was modified after the run" in verify_run(RunRecord.load(record))[0]
    record.write_text(original)
    assert verify_run(rec) == []
    nb.write_text(nb.read_text().replace("world", "w0rld"))
    assert "was modified" in verify_run(rec)[0]
    lines = Path(rec.audit_log).read_text().replace('"echo", "world"', '"echo", "earth"')
    Path(rec.audit_log).write_text(lines)
    assert any("no longer in the audit log" in p for p in verify_run(rec))


def test_failing_cell_gives_failed_record_with_cell_and_notebook(echo, tmp_path):
    rec = run_runbook(echo, {"name": "x", "fail": "true"}, host="local", runs_dir=tmp_path)
    assert rec.status == "failed" and rec.error["ename"] == "RuntimeError"
    assert rec.error["evalue"] == "boom x"
    nb = nbformat.read(rec.notebook, as_version=4)
    failed = nb.cells[rec.error["cell"]]
    assert "raise RuntimeError" in failed.source
    assert any(o.get("output_type") == "error" for o in failed.outputs)
    assert rec.commands == ["echo x"]  # what ran before the failure is recorded


def test_bad_parameters_fail_before_any_kernel_or_command(echo, tmp_path):
    def lines() -> int:    # this host's lines: the real labs' background jobs log meanwhile
        return sum(e.get("host") in ("local", "fx; reboot") for e in AuditLog().lines())
    before = lines()
    for params in ({"name": "x; rm -rf /", "leak": "no"}, {"colour": "red"}):
        with pytest.raises(InvalidRequest):
            run_runbook(echo, params, host="local", runs_dir=tmp_path)
    with pytest.raises(InvalidRequest, match="host"):
        run_runbook(echo, {}, host="fx; reboot", runs_dir=tmp_path)
    with pytest.raises(RunbookError, match="no runbook 'no-such-runbook'"):
        run_runbook("no-such-runbook", {}, runs_dir=tmp_path)
    assert not tmp_path.joinpath("runs").exists() and not list(tmp_path.glob("*/*.ipynb"))
    assert lines() == before


def test_cli_run_runs_show_verify_and_exit_codes(echo, tmp_path):
    cli = CliRunner()
    runs = str(tmp_path / "runs")
    ok = cli.invoke(run_cmd, [str(echo), "-p", "name", "cli", "-p", "leak", "yes",
                              "--host", "local", "--runs-dir", runs])
    assert ok.exit_code == 0, ok.output
    assert "notebook: " in ok.output and "record:   " in ok.output
    rec = list_runs(runs)[0]
    text = Path(rec.notebook).read_text()
    assert "PRIVATE KEY-----\\nAAAA" not in text and "******" in text  # scrubbed
    bad = cli.invoke(run_cmd, [str(echo), "-p", "fail", "true", "--host", "local",
                               "--runs-dir", runs])
    assert bad.exit_code == 1 and "RuntimeError" in bad.output
    listing = cli.invoke(runs_cmd, ["--runs-dir", runs, "--status", "failed"])
    assert listing.exit_code == 0 and listing.output.count("failed") == 1
    shown = cli.invoke(runs_cmd, ["--runs-dir", runs, "show", "--all", rec.id])
    assert "echo cli" in shown.output and "status   succeeded" in shown.output
    verified = cli.invoke(runs_cmd, ["--runs-dir", runs, "verify", rec.id])
    assert verified.exit_code == 0 and "matches" in verified.output
    refused = cli.invoke(run_cmd, [str(echo), "-p", "name", "../../etc", "--runs-dir", runs])
    assert refused.exit_code != 0 and "path" in str(refused.exception or refused.output)


def test_plain_papermill_cli_runs_a_runbook(echo, tmp_path):
    out = tmp_path / "out.ipynb"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run([str(Path(sys.executable).parent / "papermill"), str(echo), str(out),
                           "-p", "host", "local", "-p", "name", "plain"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "plain" in out.read_text() and "application/vnd.fxkit.outcome+json" in out.read_text()


def test_scrub_masks_secrets_known_to_the_runner_and_private_keys(tmp_path):
    from fxkit.runbook.runner import scrub_notebook
    from fxkit.secrets import Secret
    Secret("s3cr3t-token-value")
    nb = new_notebook()
    cell = new_code_cell("print(x)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                           text="token s3cr3t-token-value\n-----BEGIN RSA PRIVATE "
                                                "KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n")]
    nb.cells = [cell]
    nb.metadata["papermill"] = {"parameters": {"note": "s3cr3t-token-value"}}
    path = tmp_path / "out.ipynb"
    nbformat.write(nb, path)
    scrub_notebook(path)
    text = path.read_text()
    assert "s3cr3t-token-value" not in text and "MIIE" not in text and text.count("******") >= 3
    nbformat.validate(nbformat.read(path, as_version=4))


def test_papermill_metadata_keeps_only_checked_parameters(echo, tmp_path):
    rec = run_runbook(echo, {"name": "meta"}, host="local", runs_dir=tmp_path)
    meta = nbformat.read(rec.notebook, as_version=4).metadata["papermill"]
    assert meta["parameters"] == {"name": "meta", "host": "local"}
    assert not meta.get("environment_variables")


def test_kernel_manager_uses_unix_sockets_in_the_given_dir(tmp_path):
    from fxkit.runbook.kernels import ipc_kernel_manager
    km = ipc_kernel_manager(str(tmp_path))()
    assert km.transport == "ipc" and km.ip == str(tmp_path / "kernel")


def test_papermill_import_skips_the_iri_grammar():
    import subprocess
    import sys
    code = ("import sys; from fxkit.runbook.params import import_papermill; import_papermill(); "
            "print(sys.modules['rfc3987_syntax'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "None"
