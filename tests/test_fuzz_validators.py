"""10,000 generated hostile strings through every validator fxkit has (issue 16).

Each string goes through every check of names, sizes, host and guest targets, ports,
devices, MACs, disk and vif lines, runbook parameters and the SSH command line. Every
one must either accept the string or refuse it with an fxkit error (never TypeError,
ValueError, RecursionError...), and what a name check accepts never holds a shell
metacharacter, a control character or a trailing newline. The SSH command line must
decode back to the very argv (its round trip through real login shells is in
tests/test_login_shells.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fxkit.errors import FxkitError
from fxkit.lvm.guest import guest_device, guest_target
from fxkit.lvm.names import (
    parse_lv_ref,
    split_dm_name,
    validate_lv_name,
    validate_vg_name,
)
from fxkit.lvm.sizes import parse_extents, parse_size
from fxkit.lvm.steps import parse_size_request
from fxkit.net.plans import check_name, split_vlan
from fxkit.runbook.params import VALIDATORS, ParamSpec, validate
from fxkit.transports.argv import PLAIN_PREFIX, PREFIX, command_line, decode_command_line
from fxkit.transports.openssh import check_destination, check_port, parse_url, redact
from fxkit.xen.macs import normalize_mac
from fxkit.xen.plans import DomuSpec, validate_spec
from fxkit.xen.specs import DiskSpec, VifSpec

pytestmark = pytest.mark.slow

PARTS = [";", "&", "|", "`", "$(", ")", "${IFS}", "$", "\n", "\r", "\t", "\x00", "\x0b",
         " ", "'", '"', "\\", "!", "#", "*", "?", "[", "]", "{", "}", "~", "<", ">", "-",
         "--", "-o", "-oProxyCommand=", "../", "/", ".", ":", "@", "%", "%h", "=", "+", ",",
         "é", "\u202e", "\u00a0", "\udc80", "\ud800", "٣", "０", "xenbr9", "web-root", "lvm",
         "root@titanic", "ssh://", "1e999", "9" * 30, "0x10", "+5G", "100%FREE", "xvda1",
         "a<({touch,PWNED})", "$'\\n'", "phy:/dev/lvm/x,xvda1,w", "mac=00:16:3e:00:00:01",
         "bridge=xenbr0", "00:16:3e:aa:bb:cc", "[::1]", "fe80::1%eth0", "10.0.0.5",
         "pass:word", "-----BEGIN OPENSSH PRIVATE KEY-----"]
SEEDS = ["web-root", "xenbr9", "titanic", "xvda1", "10G", "fx", "root@fx", "lvm",
         "ssh://ops@fx:22", "00:16:3e:01:02:03", "phy:/dev/lvm/web-root,xvda1,w", "eth0.10"]
HOSTILE = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(PARTS), max_size=6).map("".join),
    st.builds(lambda a, b: a + b, st.sampled_from(SEEDS), st.sampled_from(PARTS)),
    st.builds(lambda a, b: a + b, st.sampled_from(PARTS), st.sampled_from(SEEDS)),
    st.text(st.characters(min_codepoint=0, max_codepoint=0x7F), max_size=20),
)
# What a name, target or device that was accepted may never contain.
META = re.compile(r"[;&|`$<>\\\"'(){}*?!#~\s\x00-\x1f\x7f]")


class _Accepted(Exception):
    """A stub's attribute was read: the validator in front of it accepted the value."""


class _Stub:
    def __getattr__(self, name: str) -> Any:
        raise _Accepted(name)


def _domu_name(s: str) -> str:
    try:
        validate_spec(DomuSpec(s), _Stub())  # type: ignore[arg-type]
    except _Accepted:
        return s
    raise AssertionError("validate_spec read no facts")


def _target(s: str) -> str:
    user, at, host = s.rpartition("@")
    check_destination(host, user if at else None)
    return s


def _param(name: str) -> Callable[[str], object]:
    spec = {name: ParamSpec(name, "str", "'x'")}
    return lambda s: validate({name: s}, spec, runbook="fuzz")[name]


# (label, validator, mode): "same": what it accepts it returns unchanged, and it is free of
# shell metacharacters; "clean": what it returns is; None: only no crash
CHECKS: list[tuple[str, Callable[[str], object], str | None]] = [
    ("lv name", validate_lv_name, "same"), ("vg name", validate_vg_name, "same"),
    ("lv ref", lambda s: str(parse_lv_ref(s)), None), ("dm name", split_dm_name, None),
    ("size", parse_size, None), ("extents", parse_extents, None),
    ("size request", parse_size_request, None), ("bridge", check_name, "same"),
    ("vlan", split_vlan, None), ("domU name", _domu_name, "same"),
    ("host target", _target, "same"),
    ("ssh url", lambda s: "".join(str(x) for x in parse_url(s) if x), "clean"),
    ("port", check_port, None), ("redact", redact, None),
    ("guest device", guest_device, "same"), ("guest target", guest_target, "same"),
    ("mac", normalize_mac, "clean"), ("disk spec", DiskSpec.parse, None),
    ("vif spec", VifSpec.parse, None),
    *[(f"param {name}", _param(name), None) for name in sorted(VALIDATORS)],
]


@settings(max_examples=10_000, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(text=HOSTILE)
def test_every_validator_accepts_or_refuses_cleanly(text: str) -> None:
    for label, check, mode in CHECKS:
        try:
            got = check(text)
        except FxkitError:
            continue
        except Exception as e:  # noqa: BLE001 - the point: nothing else may come out
            raise AssertionError(f"{label}({text!r}) raised {type(e).__name__}: {e}") from e
        if mode == "same":
            assert got == text and not META.search(text), f"{label} accepted {text!r}"
        elif mode == "clean":
            assert not META.search(str(got)), f"{label}({text!r}) gave {got!r}"


@settings(max_examples=2_000, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(argv=st.lists(HOSTILE, min_size=1, max_size=5))
def test_the_ssh_command_line_decodes_to_the_same_argv(argv: list[str]) -> None:
    try:
        line = command_line(argv)
    except FxkitError:       # a lone surrogate, a program name like an option, too long
        return
    assert line.isascii() and line.isprintable() and "\n" not in line
    word = line[line.index("fxkit '") + 7:-1]
    if line.startswith(PLAIN_PREFIX):     # sent as it is: no quote, no history, no escape
        assert not set(word) & set("'!\\"), word
    else:                                 # for printf: \ooo escapes only, no directive
        assert line.startswith(PREFIX) and not set(word) & set("'!%"), word
        assert re.fullmatch(r"(?:[^\\]|\\[0-7]{3})*", word), word
    assert decode_command_line(line) == argv
