"""Secrets scrubbed where they live (issue 16, finding 6).

A runbook's kernel masks its own outputs: a Secret made in a cell, an environment
variable marked secret (by its name, or FXKIT_SECRET_ENV), a private key printed in
two parts, and the error a cell raises, which becomes the record's error.evalue. A
password in an ssh:// target is refused before it is stored anywhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from fxkit.runbook.redact import Scrubber, scrub_notebook
from fxkit.secrets import MASK, BlockScrubber, env_secret_names, mask

ROOT = Path(__file__).resolve().parent.parent
KEY = ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAA"
       "AAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQAAACBd9uQ2vZ0SECRETBODY\n"
       "-----END OPENSSH PRIVATE KEY-----\n")
PUTTY = ("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: k\nPublic-Lines: 2\n"
         "AAAAC3NzaC1lZDI1NTE5AAAAIF3\nPrivate-Lines: 1\nAAAAIPUTTYSECRETBODY\n"
         "Private-MAC: 0123abcd\n")


def test_environment_values_marked_secret_are_masked(monkeypatch):
    monkeypatch.setenv("DEPLOY_WORD", "correct-horse-battery")
    monkeypatch.setenv("SERVICE_TOKEN", "tok-1234567")
    monkeypatch.setenv("SHORT_PASSWORD", "abc")               # too short to mask safely
    assert "correct-horse-battery" in mask("word correct-horse-battery")
    monkeypatch.setenv("FXKIT_SECRET_ENV", "DEPLOY_*, OTHER")
    assert mask("word correct-horse-battery, tok-1234567") == f"word {MASK}, {MASK}"
    assert {"DEPLOY_WORD", "SERVICE_TOKEN"} <= set(env_secret_names())
    assert mask("abc") == "abc"


def test_url_passwords_and_key_blocks_are_masked():
    assert mask("ssh://admin:hunter2@fx:22 and ssh://admin@fx") == \
        f"ssh://admin:{MASK}@fx:22 and ssh://admin@fx"
    assert "b3Blbn" not in mask(f"key:\n{KEY}after") and mask(f"key:\n{KEY}").startswith("key:")
    assert "PUTTYSECRET" not in mask(PUTTY) and MASK in mask(PUTTY)
    cut = KEY[:80]                                        # a block that never ends (a tail)
    assert "b3Blbn" not in mask(f"x {cut}")


@pytest.mark.parametrize("cut", [10, 30, 45, 60, 90, 140])
def test_a_key_printed_in_two_parts_is_masked_across_them(cut):
    scrub = BlockScrubber()
    text = f"before\n{KEY}after\n"
    out = scrub(text[:cut]) + scrub(text[cut:])
    assert "b3Blbn" not in out and "SECRETBODY" not in out and "after" in out


def test_the_kernel_scrubber_masks_every_kind_of_message():
    s = Scrubber()
    one = s.content("stream", {"name": "stdout", "text": "k " + KEY[:50]})
    two = s.content("stream", {"name": "stdout", "text": KEY[50:] + "done\n"})
    assert "b3Bl" not in one["text"] + two["text"] and two["text"].endswith("done\n")
    data = s.content("display_data", {"data": {"text/plain": PUTTY,
                                               "application/json": {"k": PUTTY}},
                                      "metadata": {}})
    assert "PUTTYSECRET" not in json.dumps(data)
    err = s.content("error", {"ename": "E", "evalue": "ssh://a:pw@h",
                              "traceback": ["ssh://a:pw@h"]})
    assert "pw@" not in json.dumps(err)


def test_scrub_notebook_follows_a_key_across_cells_and_keeps_clean_files(tmp_path):
    nb = new_notebook()
    a, b = new_code_cell("print(k[:70])"), new_code_cell("print(k[70:])")
    a.outputs = [new_output("stream", name="stdout", text=KEY[:70])]
    b.outputs = [new_output("stream", name="stdout", text=KEY[70:] + "next\n")]
    nb.cells = [a, b]
    path = tmp_path / "out.ipynb"
    nbformat.write(nb, path)
    scrub_notebook(path)
    text = path.read_text()
    assert "b3Blbn" not in text and "ECRETBODY" not in text and "next" in text
    nbformat.validate(nbformat.read(path, as_version=4))
    clean = tmp_path / "clean.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("nothing secret")]), clean)
    before = clean.read_bytes()
    scrub_notebook(clean)
    assert clean.read_bytes() == before


LEAKY = [
    'import os\nfrom pathlib import Path\nfrom fxkit.secrets import Secret\n'
    'here = Path(os.environ["LEAKY_DIR"])',
    'os.environ["APP_TOKEN"] = (here / "token").read_text().strip()\n'
    'print("token is", os.environ["APP_TOKEN"])',
    'os.environ["FXKIT_SECRET_ENV"] = "DEPLOY_WORD"\n'
    'os.environ["DEPLOY_WORD"] = (here / "word").read_text().strip()\n'
    'print("word is", os.environ["DEPLOY_WORD"])',
    's = Secret((here / "secret").read_text().strip())\nprint(f"s={s}")\n'
    'display({"text/plain": f"shown {s}"}, raw=True)\ns',
    'key = (here / "key").read_text()\nprint(key[:60], end="")',
    'print(key[60:])',
    'raise RuntimeError(f"failed with {s} and {os.environ[\'APP_TOKEN\']}")',
]
VALUES = ("kernel-only-token-77", "kernel-only-word-88", "kernel-only-secret-99",
          "b3BlbnNzaC1rZXkt")


@pytest.fixture
def leaky(tmp_path, monkeypatch) -> Path:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    params = new_code_cell('host: str = "local"\napply: bool = False')
    params.metadata["tags"] = ["parameters"]
    check = new_code_cell('from fxkit.runbook import check_parameters\n'
                          'check_parameters(globals(), runbook="leaky")')
    nb.cells = [new_markdown_cell("# leaky"), params, check, *map(new_code_cell, LEAKY)]
    path = tmp_path / "leaky.ipynb"
    nbformat.write(nb, path)
    for name, value in zip(("token", "word", "secret"), VALUES, strict=False):
        (tmp_path / name).write_text(value + "\n")
    (tmp_path / "key").write_text(KEY)
    monkeypatch.setenv("LEAKY_DIR", str(tmp_path))
    monkeypatch.setenv("FXKIT_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("FXKIT_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    return path


def _no_secret(text: str) -> None:
    for value in VALUES:
        assert value not in text, f"{value} leaked"


@pytest.mark.notebook
def test_plain_papermill_the_kernel_masks_its_outputs_and_its_record(leaky, tmp_path):
    out = tmp_path / "out.ipynb"      # written by papermill alone: no fxkit scrub after it
    done = subprocess.run([str(Path(sys.executable).parent / "papermill"), str(leaky),
                           str(out)], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path, check=False)
    assert done.returncode != 0 and "RuntimeError" in done.stderr
    text = out.read_text()
    _no_secret(text)
    assert text.count(MASK) >= 6 and "token is" in text and "shown" in text
    record = next((tmp_path / "runs").glob("*/*.json"))
    data = json.loads(record.read_text())
    assert data["status"] == "failed" and "failed with" in data["error"]["evalue"]
    _no_secret(record.read_text())


@pytest.mark.notebook
def test_fxkit_run_records_a_masked_error_the_runner_never_knew(leaky):
    from fxkit.runbook import run_runbook
    rec = run_runbook(leaky, {}, host="local")
    assert rec.status == "failed" and rec.error["ename"] == "RuntimeError"
    assert rec.error["evalue"] == f"failed with {MASK} and {MASK}"
    _no_secret(Path(rec.notebook).read_text() + rec.record_path.read_text())


def test_a_password_in_a_target_is_refused_and_never_stored(tmp_path):
    env = {**os.environ, "FXKIT_RUNS_DIR": str(tmp_path / "runs"),
           "FXKIT_AUDIT_LOG": str(tmp_path / "audit.jsonl")}
    done = subprocess.run([sys.executable, "-m", "fxkit", "run", "lv-create", "--host",
                           "ssh://admin:hunter2@fx.example", "--apply"], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env=env, check=False)
    assert done.returncode == 3, done.stderr
    assert "holds a password" in done.stderr and "hunter2" not in done.stdout + done.stderr
    assert not (tmp_path / "runs").exists() and not (tmp_path / "audit.jsonl").exists()
    from fxkit.errors import InvalidRequest
    from fxkit.runbook.params import ParamSpec, validate
    with pytest.raises(InvalidRequest) as e:
        validate({"host": "ssh://admin:hunter2@fx"}, {"host": ParamSpec("host", "str", "''")},
                 runbook="lv-create")
    assert "hunter2" not in str(e.value) and f"ssh://admin:{MASK}@fx" in str(e.value)
    assert mask("ssh://admin:hunter2@fx and later hunter2 alone") == \
        f"ssh://admin:{MASK}@fx and later {MASK} alone"    # marked secret once refused
