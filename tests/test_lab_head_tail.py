"""The lab's head and tail against the real GNU coreutils, on the same small tree.

fxkit reads many domU configs with one ``head -v -c N -- PATHS`` (fxkit.xen.config_files):
its headers, separators and errors must be what GNU prints, missing files, directories,
names with spaces and files without a final newline included.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from fxkit.lab import LabHost
from fxkit.lab.shell.interpreter import run_script

FILES = {"a.cfg": "name = 'a'\nmemory = 64\n", "b c.cfg": "no newline at the end",
         "e.cfg": "", "u.cfg": "é\nline 2\nline 3\nline 4\n"}
LINES = [
    "head -v -c 100 -- a.cfg 'b c.cfg' e.cfg u.cfg", "head -v -c 3 -- u.cfg a.cfg",
    "head -c 1 u.cfg", "head -v -c 1048577 -- a.cfg nope d 'b c.cfg'",
    "head -v -- nope", "head -q a.cfg u.cfg", "head -n 2 a.cfg u.cfg", "head -n -1 u.cfg",
    "head -c -3 a.cfg", "head -2 u.cfg", "head -vn1 a.cfg", "head --lines=1 -v a.cfg",
    "head -c x a.cfg", "head -y a.cfg", "head --bogus a.cfg", "head -n", "head d a.cfg",
    "head -- -v", "head -n +2 u.cfg", "cat a.cfg | head -v -n 1", "head -n 1 - a.cfg < u.cfg",
    "tail -n +1 -- a.cfg 'b c.cfg' e.cfg", "tail -n +2 u.cfg", "tail -n 2 u.cfg a.cfg",
    "tail -c 4 u.cfg", "tail -c +2 a.cfg", "tail -v -n 1 a.cfg", "tail -q -n 1 a.cfg u.cfg",
    "tail -n +1 nope a.cfg", "tail d", "tail -n 0 a.cfg", "tail +3 u.cfg", "tail -1 u.cfg",
    "tail -n x a.cfg", "tail --verbose --lines=+3 u.cfg 'b c.cfg'",
]


@pytest.fixture
def lab(tmp_path, monkeypatch):
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path / "lab"))
    host = LabHost(audit=None)
    yield host
    host.close()


@pytest.mark.parametrize("line", LINES)
def test_head_and_tail_answer_like_gnu_coreutils(lab, tmp_path, line):
    work = tmp_path / "work"
    (work / "d").mkdir(parents=True)
    state = lab.store.load()
    run_script(state, "mkdir /root/d")
    for name, text in FILES.items():
        (work / name).write_text(text)
        state.write(f"/root/{name}", text)
    real = subprocess.run(["bash", "-c", line], cwd=work, capture_output=True,
                          stdin=subprocess.DEVNULL, env={**os.environ, "LC_ALL": "C"},
                          timeout=30)
    answer = (real.returncode, real.stdout.decode(errors="replace"),
              real.stderr.decode().replace("bash: line 1: ", "bash: "))
    assert run_script(state, line) == answer
