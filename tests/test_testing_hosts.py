"""fxkit.testing's scripted hosts: ScriptedHost fails loudly, FunctionHost asks a function."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fxkit.errors import CommandFailed, CommandTimedOut, ConnectionFailed, InvalidRequest
from fxkit.host import Exec
from fxkit.testing import Call, FunctionHost, ScriptedHost

OK = Exec(0, "", "")
XL_LIST = Exec(0, "Name  ID   Mem VCPUs\tState\tTime(s)\nDomain-0  0  1024  2  r-----  10.0\n", "")


# ---- ScriptedHost, in order ------------------------------------------------------------

def test_ordered_script_answers_each_command_in_turn():
    host = ScriptedHost([(("xl", "list"), XL_LIST), (("xl", "shutdown", "web"), OK),
                         (("xl", "list"), Exec(0, "changed\n", ""))])
    assert host.run(["xl", "list"]).stdout == XL_LIST.stdout
    assert host.run(["xl", "shutdown", "web"]).ok
    assert host.run(["xl", "list"]).stdout == "changed\n"
    host.assert_done()
    assert host.ordered and host.commands == [("xl", "list"), ("xl", "shutdown", "web"),
                                              ("xl", "list")]


def test_ordered_script_names_the_unexpected_command_and_the_expected_one():
    host = ScriptedHost([(("xl", "list"), XL_LIST), (("xl", "shutdown", "web"), OK)])
    host.run(["xl", "list"])
    with pytest.raises(AssertionError) as e:
        host.run(["xl", "destroy", "web"])
    assert str(e.value) == ("ScriptedHost 'scripted': unexpected command "
                            "['xl', 'destroy', 'web']; expected ['xl', 'shutdown', 'web'] "
                            "(command 2 of 2)")
    host.run(["xl", "shutdown", "web"])          # the expected one is still next
    with pytest.raises(AssertionError, match=r"\['true'\]; the script's 2 commands have all "
                                             "run"):
        host.run(["true"])


def test_assert_done_lists_what_never_ran():
    host = ScriptedHost([(("xl", "list"), XL_LIST), (("xl", "shutdown", "web"), OK),
                         (("xl", "list"), XL_LIST)])
    host.run(["xl", "list"])
    with pytest.raises(AssertionError, match=r"never ran: \['xl', 'shutdown', 'web'\]; "
                                             r"\['xl', 'list'\]$"):
        host.assert_done()


def test_an_unexpected_command_fails_assert_done_even_if_the_code_swallowed_it():
    host = ScriptedHost([(("lvs",), OK)], name="fx")
    try:
        host.run(["lvremove", "-f", "lvm/web-root"])
    except Exception:  # noqa: BLE001 - the code under test catches too much
        pass
    host.run(["lvs"])
    with pytest.raises(AssertionError, match=r"'fx': unexpected command \['lvremove', '-f', "
                                             r"'lvm/web-root'\]; expected \['lvs'\]"):
        host.assert_done()


def test_sudo_and_failures_go_through_host_run():
    host = ScriptedHost([(("sudo", "-n", "--", "lvs"), OK),
                         (("false",), Exec(1, "", "no\n")),
                         (("sleep", "9"), Exec(124, "", "", timed_out=True))])
    assert host.run(["lvs"], sudo=True).ok
    with pytest.raises(CommandFailed):
        host.run(["false"])
    with pytest.raises(CommandTimedOut):
        host.run(["sleep", "9"], timeout=1)
    host.assert_done()
    assert host.calls[2] == Call(("sleep", "9"), None, 1, False)


# ---- ScriptedHost, any order -------------------------------------------------------------

def test_mapping_script_answers_in_any_order_and_repeats_an_exec():
    host = ScriptedHost({("hostname",): Exec(0, "fx\n", ""), ("xl", "list"): XL_LIST})
    assert not host.ordered
    assert [host.run(a).stdout for a in (["xl", "list"], ["hostname"], ["hostname"])] == \
        [XL_LIST.stdout, "fx\n", "fx\n"]
    host.assert_done()


def test_mapping_script_gives_a_list_of_answers_one_per_call():
    host = ScriptedHost({("xl", "list"): [Exec(0, "a\n", ""), Exec(0, "b\n", "")]})
    assert [host.run(["xl", "list"]).stdout for _ in range(2)] == ["a\n", "b\n"]
    with pytest.raises(AssertionError, match=r"\['xl', 'list'\] ran 3 times; the script "
                                             "answers it only 2 times"):
        host.run(["xl", "list"])
    with pytest.raises(AssertionError, match="ran 4 times; the script answers it only 2"):
        host.run(["xl", "list"])


def test_mapping_script_names_the_unexpected_command_and_what_it_has():
    host = ScriptedHost({("hostname",): OK, ("xl", "list"): XL_LIST})
    with pytest.raises(AssertionError) as e:
        host.run(["xl", "destroy", "web"])
    assert str(e.value) == ("ScriptedHost 'scripted': unexpected command ['xl', 'destroy', "
                            "'web']; the script has: ['hostname']; ['xl', 'list']")


def test_mapping_assert_done_wants_every_command_run_and_every_list_used_up():
    host = ScriptedHost({("hostname",): OK, ("uptime",): OK,
                         ("xl", "list"): [XL_LIST, XL_LIST]})
    host.run(["hostname"])
    host.run(["xl", "list"])
    with pytest.raises(AssertionError) as e:
        host.assert_done()
    assert "never ran: ['uptime']" in str(e.value)
    assert "answers not used up: ['xl', 'list'] (1 left)" in str(e.value)


def test_the_script_itself_is_checked():
    with pytest.raises(InvalidRequest, match="argument lists, not shell strings"):
        ScriptedHost({"xl list": OK})
    with pytest.raises(TypeError, match=r"the answer to \['xl', 'list'\] is 'out'"):
        ScriptedHost([(("xl", "list"), "out")])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="not an Exec"):
        ScriptedHost({("xl", "list"): [OK, 0]})  # type: ignore[list-item]


# ---- FunctionHost ------------------------------------------------------------------------

def test_function_host_answers_with_the_handler_and_records_calls():
    def cat(call: Call) -> Exec:
        return Exec(0, call.input or "", "") if call.argv == ("cat",) else Exec(127, "", "?\n")

    host = FunctionHost(cat, name="dom0")
    assert host.run(["cat"], input="hello\n", read_only=True).stdout == "hello\n"
    assert host.run(["nope"], check=False).exit_status == 127
    assert host.calls == [Call(("cat",), "hello\n", None, True), Call(("nope",))]
    assert host.commands == [("cat",), ("nope",)] and host.name == "dom0"
    assert host.audit is None


def test_function_host_lets_the_handlers_exceptions_through():
    def gone(call: Call) -> Exec:
        raise ConnectionFailed("fx: connection reset")

    host = FunctionHost(gone)
    with pytest.raises(ConnectionFailed):
        host.run(["true"])
    assert host.commands == [("true",)]          # recorded before the handler ran


def test_function_host_refuses_a_handler_answer_that_is_not_an_exec():
    host = FunctionHost(lambda call: (0, "", ""))  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match=r"answered \(0, '', ''\) to \['true'\]; return an "
                                        "Exec"):
        host.run(["true"])


def test_files_are_read_and_written_in_memory():
    host = FunctionHost(lambda call: OK, files={"/etc/xen/web.cfg": "memory = 256\n"})
    assert host.read_file("/etc/xen/web.cfg") == "memory = 256\n"
    with pytest.raises(FileNotFoundError):
        host.read_file("/etc/xen/mail.cfg")
    host.write_file("/etc/xen/mail.cfg", "memory = 128\n", 0o644)
    assert host.files == {"/etc/xen/web.cfg": "memory = 256\n",
                          "/etc/xen/mail.cfg": "memory = 128\n"}


def test_without_files_reads_find_nothing_and_writes_fail_the_test():
    host = ScriptedHost([])
    with pytest.raises(FileNotFoundError):
        host.read_file("/etc/hostname")
    with pytest.raises(AssertionError, match=r"unexpected write_file\('/etc/hostname'\)"):
        host.write_file("/etc/hostname", "fx\n")
    host.assert_done()


def test_the_face_lists_them_and_imports_the_rest_lazily():
    import fxkit.testing as testing

    for name in ("ScriptedHost", "FunctionHost", "StateHost", "TestSshd"):
        assert name in testing.__doc__ and name in testing.__all__
    code = ("import sys, fxkit.testing as t; print('paramiko' in sys.modules, "
            "'fxkit.lab' in sys.modules); t.StateHost; print('fxkit.lab' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False", "True"]
    with pytest.raises(AttributeError):
        testing.NoSuchHost  # noqa: B018
