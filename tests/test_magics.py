"""The %fx, %%fx and %fx_host magics, driven through a real IPython InteractiveShell."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from IPython.core.interactiveshell import InteractiveShell

from fxkit import magics
from fxkit.errors import CommandFailed, InvalidRequest
from fxkit.host import Exec, Host


@dataclass(eq=False)
class ScriptedHost(Host):
    """A host that answers known argvs and fails loudly on anything else."""

    name: str = "scripted"
    answers: dict = field(default_factory=dict)
    seen: list = field(default_factory=list)

    def _exec(self, argv, *, timeout, input, read_only):
        self.seen.append(argv)
        if argv not in self.answers:
            raise AssertionError(f"unexpected command {argv!r}")
        return Exec(*self.answers[argv])

    def read_file(self, path):
        raise NotImplementedError

    def write_file(self, path, content, mode=None):
        raise NotImplementedError


@pytest.fixture(scope="module")
def shell():
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "fxkit.magics")
    yield ip
    ip.run_line_magic("unload_ext", "fxkit.magics")


@pytest.fixture
def host(shell):
    h = ScriptedHost(audit=None, answers={
        ("vgs", "--units", "g"): (0, "  VG  #PV\n  lvm   2\n", ""),
        ("lvremove", "-f", "lvm/x"): (5, "", "  Logical volume lvm/x in use.\n"),
        ("echo", "a b", "c"): (0, "a b c\n", ""),
        ("warn",): (0, "out", "careful"),
    })
    magics.use_host(h)
    yield h
    magics._state.update(host=None, target=magics.DEFAULT_TARGET)


def test_line_magic_prints_like_a_terminal(shell, host, capsys):
    shell.run_line_magic("fx", "vgs --units g")
    out = capsys.readouterr().out
    assert out == "$ vgs --units g\n  VG  #PV\n  lvm   2\n"
    assert shell.user_ns["_fx"].stdout.startswith("  VG")


def test_line_is_split_with_shlex_not_a_shell(shell, host, capsys):
    shell.run_line_magic("fx", "echo 'a b' c")
    assert host.seen[-1] == ("echo", "a b", "c")
    assert capsys.readouterr().out.splitlines()[0] == "$ echo 'a b' c"


def test_stderr_goes_to_stderr_and_gets_a_newline(shell, host, capsys):
    shell.run_line_magic("fx", "warn")
    cap = capsys.readouterr()
    assert cap.out == "$ warn\nout\n" and cap.err == "careful\n"


def test_non_zero_exit_raises_and_stops_the_cell(shell, host, capsys):
    res = shell.run_cell("%fx lvremove -f lvm/x\nafter = 1\n")
    assert isinstance(res.error_in_exec, CommandFailed)
    assert res.error_in_exec.result.exit_status == 5
    assert "after" not in shell.user_ns
    cap = capsys.readouterr()
    # the command's stderr once, then the short traceback: no Python frames, just what
    # failed and the status (it used to repeat the stderr: shown twice on the page)
    assert (cap.out + cap.err).count("Logical volume lvm/x in use.") == 1
    assert "Logical volume lvm/x in use." in cap.err
    assert "CommandFailed: scripted: `lvremove -f lvm/x` exited with status 5" in cap.out
    assert "File " not in cap.out


def test_cell_magic_runs_each_line_and_stops_at_first_failure(shell, host, capsys):
    res = shell.run_cell("%%fx\nvgs --units g\n# a comment\n\nlvremove -f lvm/x\necho 'a b' c\n")
    assert isinstance(res.error_in_exec, CommandFailed)
    assert host.seen == [("vgs", "--units", "g"), ("lvremove", "-f", "lvm/x")]
    assert capsys.readouterr().out.startswith("$ vgs --units g\n")


def test_cell_magic_joins_backslash_continuations(shell, host, capsys):
    shell.run_cell("%%fx\necho 'a b' \\\n  c\n")
    assert host.seen == [("echo", "a b", "c")]


# (A pipeline is no longer refused: see test_a_pipeline_runs_each_command_on_the_host.)
@pytest.mark.parametrize("line", ["vgs > out.txt", "vgs ; lvs", "vgs && lvs", "vgs || lvs",
                                  "vgs 2>&1"])
def test_shell_syntax_is_refused_with_a_hint(shell, host, line):
    with pytest.raises(InvalidRequest, match="without a shell"):
        shell.run_line_magic("fx", line)
    assert host.seen == []


def test_unclosed_quote_and_empty_line_are_invalid(shell, host):
    with pytest.raises(InvalidRequest, match="close the quote"):
        shell.run_line_magic("fx", "echo 'oops")
    with pytest.raises(InvalidRequest, match="needs a command"):
        shell.run_line_magic("fx", "   ")


def test_fx_host_switches_and_shows(shell, host, capsys):
    shell.run_line_magic("fx_host", "")
    assert capsys.readouterr().out == "%fx runs on scripted\n"
    shell.run_line_magic("fx_host", "local")
    assert magics.current_host().name == "local"
    shell.run_line_magic("fx", "true")
    assert capsys.readouterr().out.endswith("$ true\n")
    assert shell.user_ns["_fx"].host == "local"


def test_local_host_end_to_end(shell, capsys):
    magics.use_host("local")
    try:
        res = shell.run_cell("%fx false")
        assert isinstance(res.error_in_exec, CommandFailed)
        shell.run_line_magic("fx", "printf '%s\\n' 'x; y'")
        assert capsys.readouterr().out.endswith("$ printf '%s\\n' 'x; y'\nx; y\n")
    finally:
        magics._state.update(host=None, target=magics.DEFAULT_TARGET)


def test_default_host_is_the_lab(shell, capsys):
    import fxkit.lab

    fxkit.lab.reset("fx")
    magics._state.update(host=None, target=magics.DEFAULT_TARGET)
    try:
        shell.run_line_magic("fx", "lvs -o lv_name --noheadings lvm")
        out = capsys.readouterr().out
        assert out.startswith("$ lvs -o lv_name --noheadings lvm\n") and "secours-root" in out
        res = shell.run_cell("%fx lvremove -f lvm/secours-root")
        assert isinstance(res.error_in_exec, CommandFailed)
        assert "contains a filesystem in use" in capsys.readouterr().err
        shell.run_line_magic("fx_host", "")
        assert capsys.readouterr().out == "%fx runs on lab\n"
    finally:
        magics._state.update(host=None, target=magics.DEFAULT_TARGET)


def test_a_pipeline_runs_each_command_on_the_host(shell, capsys):
    import fxkit.lab

    fxkit.lab.reset("fx")
    magics._state.update(host=None, target=magics.DEFAULT_TARGET)
    try:
        res = shell.run_cell("%fx xl list | grep titanic")
        assert res.error_in_exec is None, res.error_in_exec
        out = capsys.readouterr().out
        assert out.startswith("$ xl list | grep titanic\ntitanic ") and out.count("\n") == 2
        assert shell.user_ns["_fx"].command_line == "grep titanic"
        res = shell.run_cell("%fx xl list | grep nobody")             # grep finds nothing: 1
        assert isinstance(res.error_in_exec, CommandFailed)
        assert "`xl list | grep nobody` exited with status 1" in capsys.readouterr().out
        shell.run_cell("%%fx\nlvs --noheadings -o lv_name | grep -c swap\n")
        assert capsys.readouterr().out.splitlines()[-1].strip() == "5"
    finally:
        magics._state.update(host=None, target=magics.DEFAULT_TARGET)


@pytest.mark.parametrize("line,stages", [
    ("xl list | grep titanic", [["xl", "list"], ["grep", "titanic"]]),
    ("grep 'a|b' f", [["grep", "a|b", "f"]]),
    ("echo \\| x", [["echo", "|", "x"]]),
    ('echo "x | y" | wc -l', [["echo", "x | y"], ["wc", "-l"]]),
    ("lvs # a | comment", [["lvs"]]),
])
def test_split_pipeline_splits_only_on_a_bare_bar(line, stages):
    assert magics.split_pipeline(line) == stages


def test_a_pipeline_needs_commands_on_both_sides():
    with pytest.raises(InvalidRequest, match="a command on each side"):
        magics.split_pipeline("xl list |")
