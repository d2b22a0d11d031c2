"""argv reaches the remote program byte for byte whatever the user's login shell.

Against Debian's real sshd, with a throw-away user per login shell (sh, dash, bash, zsh,
tcsh, fish, mksh, busybox ash). Issue 16 finding 4: with tcsh,
``run(["echo", ";touch /tmp/PWNED;", "!#"])`` created the file (history expansion inside
the single quotes ``shlex.join`` wrote), and any ``!`` or newline was mangled.
Packages: openssh-server zsh tcsh fish mksh busybox.
"""

from __future__ import annotations

import random
import secrets
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fxkit.errors import InvalidRequest, ToolNotFound
from fxkit.testing.accounts import LOGIN_SHELLS, Accounts, login_shell
from fxkit.testing.sshd import TestSshd, sshd_missing_reason
from fxkit.transports.argv import encode

pytestmark = pytest.mark.sshd

HOSTILE = [
    "", " ", "  two  spaces ", "'", '"', "'\\''", "\\", "\\\\", "\\'", "\\n", "!", "!!", "!#",
    "!$", "^a^b", "$HOME", "${HOME}", "$(id)", "`id`", "$'\\x41'", ";touch PWNED;", "a|b",
    "a&b", "a>b", "a<b", "*", "?", "[a-z]", "{a,b}", "~", "~root", "-n", "-e", "--", "-",
    "=ls", "%self", "%1", "#comment", "a\nb", "\n", "trailing\n\n", "\r\n", "\t",
    "".join(map(chr, range(1, 32))), "\x7f", "é", "日本語", "\U0001f600", "\u202eevil",
    "a\u00a0b", "\udcff\udc80", "x" * 100_000, "%s%n%%", "\\0\\101", "'\"'\"'", ",",
]
# Text the transport can carry: any character but NUL and the lone surrogates that are
# no bytes (U+DC80-U+DCFF stand for raw bytes, as os.fsdecode gives them), mixed with
# pieces of shell syntax that would create MARKER if any shell ran them.
MARKER = Path(f"/tmp/fxkit-fuzz-PWNED-{secrets.token_hex(4)}")
TOUCH = [f";touch {MARKER};", f"$(touch {MARKER})", f"`touch {MARKER}`", f"\ntouch {MARKER}\n",
         f"'; touch {MARKER}; '", f"\"; touch {MARKER}; \"", f"| touch {MARKER}",
         f"&& touch {MARKER}", f"!#; touch {MARKER}", f"(touch {MARKER})", f"%self;touch {MARKER}"]
ARG = st.lists(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
                       | st.sampled_from(["\udc80", "\udcff", "!", "'", "\\", "\n", "$", "%",
                                          "`", "^", "~", "{", "*"]), max_size=12)
               | st.sampled_from(TOUCH), max_size=4).map("".join)


@pytest.fixture(scope="module")
def sshd():
    if reason := sshd_missing_reason():
        pytest.skip(reason)
    d = TestSshd.start()
    yield d
    d.stop()
    shutil.rmtree(d.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def accounts():
    with Accounts() as acc:
        yield acc


@pytest.fixture(scope="module", params=sorted(LOGIN_SHELLS))
def host(request, sshd, accounts):
    name = request.param
    program = login_shell(name, sshd.dir)
    if program is None:
        pytest.skip(f"{name} is not installed (apt-get install {LOGIN_SHELLS[name][1]})")
    h = sshd.host(user=accounts.user(name, shell=program), audit=None, name=f"sshd-{name}")
    yield h
    h.close()


def printed(argv: list[str]) -> str:
    """What ``printf '%s\\0' ARGV...`` prints, as the transport decodes it."""
    return b"".join(encode(a) + b"\0" for a in argv).decode(errors="replace")


def test_the_login_shell_is_the_one_asked_for(host, accounts):
    user = host.user
    entry = subprocess.run(["getent", "passwd", user], capture_output=True, text=True).stdout
    shell = entry.strip().rsplit(":", 1)[-1]
    assert Path(shell).name in LOGIN_SHELLS or Path(shell).name in ("busybox", "ash")
    assert host.run(["sh", "-c", 'echo "$SHELL"']).stdout.strip() == shell


def test_history_expansion_and_separators_never_run_anything(host, tmp_path):
    marker = Path(f"/tmp/fxkit-PWNED-{secrets.token_hex(4)}")
    try:
        for hostile in ([f";touch {marker};", "!#"], [f"$(touch {marker})", "!!"],
                        [f"`touch {marker}`"], [f"'; touch {marker}; '"],
                        [f"\ntouch {marker}\n"], [f"a\\\ntouch {marker}"]):
            r = host.run(["echo", *hostile])
            assert r.stdout == " ".join(hostile) + "\n"
        assert not marker.exists(), "an argument reached a shell"
    finally:
        marker.unlink(missing_ok=True)


def test_hostile_arguments_arrive_byte_for_byte(host):
    r = host.run(["printf", "%s\\0", *HOSTILE])
    assert r.stdout == printed(HOSTILE)


def test_stdin_arrives_byte_for_byte(host):
    data = "".join(h for h in HOSTILE if "\udc80" not in h) + "\x00 end without newline"
    assert host.run(["cat"], input=data).stdout == data
    assert host.run(["wc", "-c"], input="é\n").stdout.strip() == "3"


def test_a_missing_program_is_tool_not_found_whatever_the_shell(host):
    with pytest.raises(ToolNotFound):
        host.run(["fxkit-no-such-program", "!x"])
    assert host.run(["sh", "-c", "exit 7"], check=False).exit_status == 7


def test_a_program_name_that_looks_like_an_option_is_refused(host):
    with pytest.raises(InvalidRequest, match="starts with '-'"):
        host.run(["-c", "id"])


def test_timeout_kills_the_command_through_any_shell(host):
    from fxkit.errors import CommandTimedOut
    tag = f"{47 + secrets.randbelow(1000) / 1000:.3f}"
    with pytest.raises(CommandTimedOut):
        host.run(["sleep", tag], timeout=1)
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-f", f"sleep {tag}"], capture_output=True, text=True)
    assert left.stdout == ""


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(args=st.lists(ARG, min_size=1, max_size=6))
def test_generated_arguments_round_trip_and_reach_no_shell(host, args):
    assert host.run(["printf", "%s\\0", *args]).stdout == printed(args)
    assert not MARKER.exists(), f"{args!r} reached a shell through {host.name}"


def hostile_strings(count: int, seed: int) -> list[str]:
    """``count`` strings made of shell syntax, TOUCH payloads and random characters (any
    code point but NUL and the surrogates that are no bytes), the same for a given seed."""
    rng = random.Random(seed)
    pieces = [h for h in HOSTILE if len(h) < 100] + TOUCH
    raw = ["\udc80", "\udcff"]

    def char() -> str:
        c = rng.choice((rng.randint(1, 0x7f), rng.randint(0x80, 0x7ff),
                        rng.randint(0x800, 0xd7ff), rng.randint(0xe000, 0x10ffff)))
        return chr(c)

    def part() -> str:
        kind = rng.random()
        if kind < 0.5:
            return rng.choice(pieces)
        if kind < 0.55:
            return rng.choice(raw)
        return "".join(char() for _ in range(rng.randint(1, 8)))

    return ["".join(part() for _ in range(rng.randint(1, 4))) for _ in range(count)]


def test_ten_thousand_hostile_strings_per_shell_arrive_and_run_nothing(host):
    """Issue 16: at least 10,000 generated hostile strings per run through the SSH transport
    to a real sshd, for each login shell: none mangled, none reaching a shell."""
    strings = hostile_strings(10_000, seed=16)
    assert len(set(strings)) > 8_000
    for start in range(0, len(strings), 500):
        batch = strings[start:start + 500]
        assert host.run(["printf", "%s\\0", *batch]).stdout == printed(batch), (
            f"a string in {start}..{start + len(batch)} was mangled through {host.name}")
    assert not MARKER.exists(), f"a generated string reached a shell through {host.name}"


def test_a_batch_of_reads_runs_in_one_shell_whatever_the_login_shell(host):
    """``run_reads`` sends one line (``batch_line``) that every login shell must pass to
    ``/bin/sh`` untouched: each command's output, status and stderr as if run alone."""
    hostile = [h for h in HOSTILE if len(h) < 1000]
    ppid = ["sh", "-c", 'echo "$PPID"']
    argvs = [["printf", "%s\\0", *hostile], ppid, ["sh", "-c", "echo err >&2; exit 7"],
             ["fxkit-no-such-program", "!x"], ppid, ["cat"]]
    got = host.run_reads(argvs, check=False)
    assert got[0].stdout == printed(hostile)
    assert got[1].stdout == got[4].stdout           # one /bin/sh ran them all, in turn
    assert (got[2].exit_status, got[2].stderr) == (7, "err\n")
    assert got[3].exit_status == 127
    assert (got[5].exit_status, got[5].stdout) == (0, "")      # stdin: /dev/null
    assert not MARKER.exists()
    with pytest.raises(ToolNotFound):
        host.run_reads([["true"], ["fxkit-no-such-program"]])
