"""The CLI as a product: `fxkit runbooks`, `fxkit seminar copy`, exit codes, NO_COLOR,
and the live progress display (a tqdm bar on a terminal, plain lines elsewhere)."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from fxkit.cli import cli

ROOT = Path(__file__).resolve().parent.parent
RUNBOOKS = sorted(p.stem for p in (ROOT / "runbooks").glob("*.ipynb"))


@pytest.fixture
def lab(tmp_path, monkeypatch):
    from fxkit.lab import reset
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path / "lab"))
    reset("fx")
    return tmp_path


class Done:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def fxkit(capsys, monkeypatch):
    """`fxkit ARGS` through its real entry point (``main``, which sets the exit status),
    in this process: the status, stdout and stderr."""
    from fxkit.cli import main

    def call(*args: str) -> Done:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["fxkit", *map(str, args)])
        with pytest.raises(SystemExit) as e:
            main()
            sys.exit(0)
        out = capsys.readouterr()
        return Done(e.value.code or 0, out.out, out.err)
    return call


def test_runbooks_lists_each_runbook_on_one_line():
    out = CliRunner().invoke(cli, ["runbooks"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert [ln.split()[0] for ln in lines] == RUNBOOKS
    inventory = next(ln for ln in lines if ln.startswith("host-inventory"))
    assert "read-only" in inventory and "changes" in next(ln for ln in lines
                                                          if ln.startswith("lv-remove"))


def test_runbooks_show_prints_parameters_and_what_it_changes():
    out = CliRunner().invoke(cli, ["runbooks", "show", "lv-extend"])
    assert out.exit_code == 0, out.output
    text = out.output
    assert text.startswith("lv-extend: Extend a logical volume and its filesystem")
    assert "changes:  takes the extra extents from the VG's free space" in text
    assert "apply      bool  default False" in text and "size       str   default \"+1G\"" in text
    assert "fxkit run lv-extend --host lab" in text
    missing = CliRunner().invoke(cli, ["runbooks", "show", "format-disks"])
    assert missing.exit_code != 0 and "no runbook 'format-disks'" in str(missing.exception)


def test_seminar_copy_puts_the_notebooks_where_a_learner_opens_them(tmp_path, fxkit):
    target = tmp_path / "course"
    out = CliRunner().invoke(cli, ["seminar", "copy", str(target)])
    assert out.exit_code == 0, out.output
    shipped = sorted(str(p.relative_to(ROOT / "notebooks"))
                     for p in (ROOT / "notebooks").glob("**/[0-9][0-9]-*.ipynb"))
    assert sorted(str(p.relative_to(target)) for p in target.glob("**/*.ipynb")) == shipped
    assert len(shipped) >= 6 and "jupyter lab" in out.output
    import nbformat

    from fxkit.seminar import student_edition  # issue 18: copy hands out the student one

    assert nbformat.read(target / shipped[0], as_version=4).cells == student_edition(
        nbformat.read(ROOT / "notebooks" / shipped[0], as_version=4)).cells
    again = fxkit("seminar", "copy", str(target))
    assert again.returncode == 3 and "already has" in again.stderr
    assert fxkit("seminar", "copy", str(target), "--force").returncode == 0
    editions = {Path(s).parent.name for s in shipped} - {""}
    for lang in editions:           # one edition, straight into the folder
        one = tmp_path / lang
        assert fxkit("seminar", "copy", str(one), "--lang", lang).returncode == 0
        assert (one / "00-welcome.ipynb").is_file()


def test_exit_codes_of_commands(lab, fxkit):
    assert fxkit("inventory", "ssh://127.0.0.1:1").returncode == 4           # unreachable
    assert fxkit("inventory", "fx;reboot").returncode == 3                  # invalid target
    assert fxkit("lvm", "show", "--no-such-flag").returncode == 2          # usage
    refused = fxkit("lvm", "plan-remove", "lvm/web-swap", "--apply")
    assert refused.returncode in (1, 3), refused.stderr
    from fxkit.lab import LabHost
    LabHost("lab").run(["lvcreate", "--yes", "-n", "scratch", "-L", "256M", "lvm"])
    unconfirmed = fxkit("lvm", "plan-remove", "lvm/scratch", "--apply")
    assert unconfirmed.returncode == 3 and "--confirm lvm/scratch" in unconfirmed.stderr
    from fxkit.hostlock import HostLock
    HostLock(LabHost("lab"), runbook="someone-else").acquire()
    held = fxkit("lvm", "plan-remove", "lvm/scratch", "--apply", "--confirm", "lvm/scratch")
    assert held.returncode == 3 and "someone-else" in held.stderr
    assert fxkit("lvm", "show").returncode == 0


def test_ctrl_c_in_any_command_exits_130(lab):
    from fxkit.lab import LabStore, faults
    with LabStore("fx").transaction() as state:
        faults.delay(state, "xl list*", seconds=30)
    # Ctrl-C as at a terminal: SIGINT at its default, even when this test session was
    # started in the background (a shell's `cmd &` ignores SIGINT, and children inherit it).
    proc = subprocess.Popen([sys.executable, "-m", "fxkit", "xen", "list"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while LabStore("fx").load().faults:       # taken when the command starts its delay
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "Interrupted." in err and "Traceback" not in err


class Terminal(io.StringIO):
    """Standard output that says it is a terminal: click colours only terminals."""

    def isatty(self) -> bool:
        return True


def test_no_color_is_honoured(lab, monkeypatch):
    from fxkit.cli import main
    from fxkit.lab import LabHost
    LabHost("lab").write_file("/etc/xen/ghost.cfg", 'name = "ghost"\nmemory = 64\n'
                              'disk = ["phy:/dev/lvm/ghost-root,xvda1,w"]\n')

    def doctor_output(no_color: str | None) -> str:
        if no_color is None:
            monkeypatch.delenv("NO_COLOR", raising=False)
        else:
            monkeypatch.setenv("NO_COLOR", no_color)
        monkeypatch.setattr(sys, "argv", ["fxkit", "doctor", "lab"])
        monkeypatch.setattr(sys, "stdout", Terminal())
        with pytest.raises(SystemExit) as e:
            main()
        assert e.value.code == 1          # doctor found an error: the ghost's missing LV
        return sys.stdout.getvalue()
    coloured, plain = doctor_output(None), doctor_output("1")
    assert "ghost" in coloured and "\x1b[31m" in coloured
    assert "ghost" in plain and "\x1b[" not in plain
    assert "\x1b[" in doctor_output("")      # NO_COLOR set but empty: ignored, as the spec says


EVENTS = [
    {"event": "apply", "title": "Extend lvm/backup-root", "total": 2, "host": "lab"},
    {"event": "step_start", "n": 1, "total": 2, "sentence": "Grow LV", "command": "lvextend x",
     "settles": False, "timeout": None, "settle_seconds": 120},
    {"event": "command", "argv": ["lvextend", "x"], "exit_status": 0, "seconds": 0.01,
     "stdout_tail": "  Size changed.\n", "stderr_tail": ""},
    {"event": "step_end", "n": 1, "total": 2, "outcome": "ran", "seconds": 0.2},
    {"event": "step_start", "n": 2, "total": 2, "sentence": "Reboot web",
     "command": "xl reboot web", "settles": True, "timeout": None, "settle_seconds": 300},
    {"event": "command", "argv": ["xl", "reboot", "web"], "exit_status": 0, "seconds": 0.1,
     "stdout_tail": "", "stderr_tail": ""},
]


def _render(tty: bool, verbosity: int, monkeypatch) -> str:
    from fxkit.cli import progress
    monkeypatch.setattr(progress, "WAIT_FIRST", 0.0)
    stream = io.StringIO()
    live = progress.LiveProgress(verbosity, stream, tty=tty)
    for event in EVENTS:
        live(event)
    live({"event": "tick"})
    live({"event": "step_end", "n": 2, "total": 2, "outcome": "ran", "seconds": 40.0})
    live({"event": "applied", "status": "succeeded"})
    return stream.getvalue()


def test_progress_plain_lines_and_verbose_commands(monkeypatch):
    plain = _render(False, 0, monkeypatch)
    assert "[1/2] start    Grow LV: lvextend x" in plain and "[1/2] ran         0.2 s" in plain
    assert "[2/2] waiting" in plain and "until" not in plain
    assert "for the host to finish: Reboot web (at most 300 s)" in plain   # the long wait
    assert "[2/2] ran        40.0 s  Reboot web" in plain and "$ lvextend" not in plain
    verbose = _render(False, 1, monkeypatch)
    assert "    $ lvextend x   (exit 0, 0.01 s)" in verbose and "|   Size changed." in verbose
    assert _render(False, -1, monkeypatch) == ""


def test_progress_on_a_terminal_is_a_tqdm_bar(monkeypatch):
    shown = _render(True, 0, monkeypatch)
    assert "\r" in shown                                 # the bar redraws in place
    assert "waiting" in shown and "Reboot web: xl reboot web" in shown
    assert "[1/2] ran " in shown and "[2/2] ran " in shown   # finished steps stay as lines
