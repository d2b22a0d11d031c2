"""sudo said once on the Host: every command through ``sudo -n``, refusals told apart (tool
missing, rule too narrow, password wanted) with the user, the command and the fix; files
written as root with install + mv; the sudoers rule fxkit documents. Real sudo and sshd:
tests/test_real_hosts_sudo.py."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from fxkit import connect
from fxkit.errors import CommandFailed, SudoPasswordRequired, SudoRefused, ToolNotFound
from fxkit.host import Exec
from fxkit.privilege import (
    GROUPS,
    become,
    read_as_root,
    sudoers_rule,
    write_as_root,
)
from fxkit.testing import FunctionHost
from fxkit.xen.facts import read_xen

PASSWORD = "sudo: a password is required\n"


def host_answering(answers: dict[tuple[str, ...], Exec], user: str = "ops") -> FunctionHost:
    """A host that answers by argv prefix (longest first) and logs in as ``user``."""
    def handler(call):
        for prefix in sorted(answers, key=len, reverse=True):
            if call.argv[:len(prefix)] == prefix:
                return answers[prefix]
        return Exec(0, "", "")
    host = FunctionHost(handler, name="fx")
    host.login = lambda: user  # type: ignore[method-assign]
    return host


def test_a_tool_missing_from_a_non_root_path_names_the_user_and_the_fix():
    host = host_answering({("pvs",): Exec(127, "", "bash: line 1: pvs: command not found\n")})
    with pytest.raises(ToolNotFound) as e:
        host.run(["pvs"])
    msg = str(e.value)
    assert "`pvs` was not found for user ops on fx" in msg and "/usr/sbin" in msg
    assert "sudo=True" in msg and "--sudo" in msg and "lvm2" in msg
    assert isinstance(e.value, CommandFailed)                 # existing handlers still catch it
    assert host.run(["pvs"], check=False).exit_status == 127  # check=False: an answer


def test_as_root_a_missing_tool_is_just_not_installed():
    host = host_answering({("xl",): Exec(127, "", "sh: 1: xl: not found\n")}, user="root")
    with pytest.raises(ToolNotFound, match=r"`xl` is not installed on fx\. Fix: install it "
                                           r"\(Debian package xen-utils\)"):
        host.run(["xl", "list"])


def test_sudo_prefixes_every_command_once():
    host = host_answering({})
    host.sudo = True
    host.run(["pvs"])
    host.run(["sudo", "-n", "--", "true"])           # an explicit sudo call is left alone
    assert host.commands == [("sudo", "-n", "--", "pvs"), ("sudo", "-n", "--", "true")]


def test_sudo_itself_missing():
    host = host_answering({("sudo",): Exec(127, "", "sh: 1: sudo: not found\n")})
    with pytest.raises(ToolNotFound, match="sudo is not installed on fx"):
        host.run(["pvs"], sudo=True, check=False)  # check=False cannot make it an answer


def test_a_tool_sudo_cannot_find():
    host = host_answering({("sudo", "-n", "--", "xl"):
                           Exec(1, "", "sudo: xl: command not found\n")})
    host.sudo = True
    with pytest.raises(ToolNotFound, match=r"`xl` is not installed on fx \(sudo found it in"):
        host.run(["xl", "list"])
    assert host.run(["xl", "list"], check=False).exit_status == 1


def test_password_wanted_is_told_apart_by_sudo_l():
    """sudo -n says "a password is required" for three different things."""
    cases = [(Exec(1, "", ""), SudoRefused, "sudo does not let ops run `xl list` without a "
                                            "password"),
             (Exec(1, "", "sudo: xl: command not found\n"), ToolNotFound, "not installed"),
             (Exec(1, "", PASSWORD), SudoPasswordRequired, "sudo asks ops for a password to run "
                                                         "`xl list`")]
    for probe, error, words in cases:
        host = host_answering({("sudo", "-n", "--"): Exec(1, "", PASSWORD),
                               ("sudo", "-n", "-l", "--"): probe})
        host.sudo = True
        with pytest.raises(error) as e:
            host.run(["xl", "list"])
        assert words in str(e.value)
        assert host.commands[-1] == ("sudo", "-n", "-l", "--", "xl", "list")
    host = host_answering({("sudo", "-n", "--"): Exec(1, "", PASSWORD),
                           ("sudo", "-n", "-l", "--"): Exec(1, "", "")})
    with pytest.raises(SudoRefused):                 # refusals raise even with check=False
        host.run(["xl", "list"], sudo=True, check=False)


def test_the_password_message_has_everything_the_user_needs():
    host = host_answering({("sudo",): Exec(1, "", PASSWORD)})
    with pytest.raises(SudoPasswordRequired) as e:
        host.run(["pvs"], sudo=True)
    msg = str(e.value)
    for words in ("ops", "`pvs`", "NOPASSWD", "never sends passwords",
                  "visudo -f /etc/sudoers.d/fxkit", "sudoers_rule('ops')", "connect as root"):
        assert words in msg


def test_sudoers_warnings_before_sudos_answer_do_not_hide_it():
    noisy = '/etc/sudoers.d/x:3:1: Alias "FXKIT_READ" already defined\n' + PASSWORD
    host = host_answering({("sudo", "-n", "--"): Exec(1, "", noisy),
                           ("sudo", "-n", "-l", "--"): Exec(1, "", noisy)})
    with pytest.raises(SudoPasswordRequired):
        host.run(["pvs"], sudo=True)


def test_requiretty_and_a_command_that_fails_by_itself():
    host = host_answering({("sudo", "-n", "--", "pvs"):
                           Exec(1, "", "sudo: sorry, you must have a tty to run sudo\n"),
                           ("sudo", "-n", "--", "false"): Exec(1, "", "")})
    host.sudo = True
    with pytest.raises(SudoRefused, match="requiretty"):
        host.run(["pvs"])
    with pytest.raises(CommandFailed) as e:
        host.run(["false"])
    assert type(e.value) is CommandFailed and len(host.commands) == 2   # no sudo -l probe


def test_a_readers_sudo_is_the_hosts_for_every_later_command():
    host = host_answering({("sudo", "-n", "--", "xl", "list"): Exec(0, XL_LIST, ""),
                           ("sudo", "-n", "--", "xl", "list", "-l"): Exec(0, "[]", ""),
                           ("sudo", "-n", "--", "xl", "info"): Exec(0, XL_INFO, ""),
                           ("sudo", "-n", "--", "ls"): Exec(2, "", "ls: no such\n")})
    read_xen(host, sudo=True)
    assert host.sudo and host.commands and all(c[:3] == ("sudo", "-n", "--")
                                               for c in host.commands)
    assert ("sudo", "-n", "--", "ls", "-1", "/etc/xen") in host.commands   # not only xl
    assert become(host, False) is True                 # never taken back half way


def test_connect_says_it_once(tmp_path, monkeypatch):
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path))
    assert connect("local", sudo=True).sudo and not connect("local").sudo


XL_LIST = ("Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
           "Domain-0                                     0   512     2     r-----      10.0\n")
XL_INFO = ("host                   : fx\ntotal_memory           : 4096\n"
           "free_memory            : 3000\n")


# -- files as root --------------------------------------------------------------------------

def test_write_as_root_keeps_mode_owner_and_group_and_renames_into_place():
    host = host_answering({("stat",): Exec(0, "600 0 4\n", "")})
    write_as_root(host, "/etc/xen/web.cfg", "name = 'web'\n")
    assert host.commands == [
        ("stat", "-c", "%a %u %g", "--", "/etc/xen/web.cfg"),
        ("install", "-m", "600", "-o", "0", "-g", "4", "-T", "/dev/stdin",
         "/etc/xen/.web.cfg.fxkit-tmp"),
        ("mv", "-f", "-T", "--", "/etc/xen/.web.cfg.fxkit-tmp", "/etc/xen/web.cfg")]
    assert host.calls[1].input == "name = 'web'\n"


def test_write_as_root_of_a_new_file_and_a_failed_rename():
    host = host_answering({("stat",): Exec(1, "", "stat: cannot statx: No such file or "
                                                  "directory\n"),
                           ("mv",): Exec(1, "", "mv: cannot move\n")})
    with pytest.raises(CommandFailed):
        write_as_root(host, "/run/lock/fxkit.lock/owner", "{}\n", None)
    assert host.commands[1][:7] == ("install", "-m", "644", "-o", "0", "-g", "0")
    assert host.commands[-1] == ("rm", "-f", "--", "/run/lock/fxkit.lock/.owner.fxkit-tmp")


def test_read_as_root_maps_errors_to_the_usual_exceptions():
    host = host_answering({("cat", "--", "/nope"): Exec(1, "", "cat: /nope: No such file or "
                                                               "directory\n"),
                           ("cat", "--", "/etc"): Exec(1, "", "cat: /etc: Is a directory\n"),
                           ("cat", "--", "/ok"): Exec(0, "text\n", "")})
    assert read_as_root(host, "/ok") == "text\n"
    with pytest.raises(FileNotFoundError):
        read_as_root(host, "/nope")
    with pytest.raises(IsADirectoryError):
        read_as_root(host, "/etc")


# -- the documented rule ----------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("visudo") is None, reason="sudo (visudo) is not installed")
def test_the_sudoers_rule_is_valid_sudoers(tmp_path):
    path = tmp_path / "fxkit"
    path.write_text(sudoers_rule("ops"))
    done = subprocess.run(["visudo", "-c", "-f", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert path.read_text().count("ops ALL=(root) NOPASSWD: FXKIT_READ") == 1


def test_the_rule_names_programs_by_absolute_path_that_sudo_would_find():
    """sudo matches a command by the file its path names; each path we list must be the
    program sudo finds in its secure_path, where this machine has it."""
    secure = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    for _, commands in GROUPS.values():
        for command in commands:
            path = command.split()[0]
            assert path.startswith("/") and " *" not in command and "?" not in command
            found = shutil.which(os.path.basename(path), path=secure)
            if found:
                assert os.path.realpath(found) == os.path.realpath(path), command
    with pytest.raises(ValueError, match="unknown sudoers group"):
        sudoers_rule("ops", ("read", "everything"))
