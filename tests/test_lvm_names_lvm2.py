"""fxkit's LV and VG name rules agree with the real lvm2, name for name.

lvm2 is asked in batches through its own shell (``lvm`` reading commands on
stdin), each ``--test`` command followed by ``version`` as a separator on stdout.
Names the shell would split or comment out go one by one as argv instead.
"""

from __future__ import annotations

import os
import string
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.lvm2 import LVM, Lvm2Sandbox, lvm2_missing_reason

from fxkit.lvm.names import (
    RESERVED_LV_PREFIXES,
    RESERVED_LV_STRINGS,
    lv_name_problem,
    vg_name_problem,
)

pytestmark = pytest.mark.lvm2
VG = "vgx"
_SHELL_SAFE = set(string.ascii_letters + string.digits + "._-+/@:=%,^~!*?&;|<>()[]{}$`")


class Oracle:
    """Which names the real lvm2 accepts for ``lvcreate -n`` and ``vgcreate``."""

    def __init__(self, box: Lvm2Sandbox) -> None:
        self.box = box
        self.free_pv = box.loops[1]

    def _batch(self, commands: list[str]) -> list[str]:
        script = "".join(f"{c}\nversion\n" for c in commands)
        out = self.box.lvm(input=script).stdout
        chunks, current = [], []
        for line in out.splitlines():
            if line.startswith("  LVM version:"):
                chunks.append("\n".join(current))
                current = []
            elif not line.startswith(("  Library version:", "  Driver version:",
                                      "  Configuration:")):
                current.append(line)
        assert len(chunks) == len(commands), out[-2000:]
        return chunks

    def _single(self, argv: list[str]) -> str:
        r = subprocess.run([LVM, *argv], capture_output=True, text=True, errors="replace",
                           env={**os.environ, **self.box.env}, timeout=60)
        return r.stdout if r.returncode == 0 else ""

    def _ask(self, names: list[str], argv_for, success) -> dict[str, bool]:
        safe = [n for n in names if n and set(n) <= _SHELL_SAFE and not n.startswith("#")]
        answers = dict(zip(safe, self._batch([" ".join(argv_for(n)) for n in safe]),
                           strict=True))
        for n in names:
            if n not in answers:
                answers[n] = self._single(argv_for(n))
        return {n: success(n) in answers[n] for n in names}

    def lv_names(self, names: list[str]) -> dict[str, bool]:
        return self._ask(names, lambda n: ["lvcreate", "--test", "-an", "-Zn", "-l", "1",
                                           "-n", n, VG],
                         lambda n: f'Logical volume "{n}" created.')

    def vg_names(self, names: list[str]) -> dict[str, bool]:
        return self._ask(names, lambda n: ["vgcreate", "--test", n, self.free_pv],
                         lambda n: f'Volume group "{n}" successfully created')


@pytest.fixture(scope="module")
def oracle(tmp_path_factory) -> Iterator[Oracle]:
    reason = lvm2_missing_reason()
    if reason:
        pytest.skip(reason)
    with Lvm2Sandbox.start(tmp_path_factory.mktemp("lvm2names"), [16, 16]) as box:
        assert box.lvm("pvcreate", *box.loops).returncode == 0
        assert box.lvm("vgcreate", VG, box.loops[0]).returncode == 0
        yield Oracle(box)


def disagreements(oracle: Oracle, lv: list[str], vg: list[str]) -> list[str]:
    dev = set(os.listdir("/dev"))
    out = []
    with ThreadPoolExecutor(2) as pool:     # different locks: the two batches run side by side
        lv_verdicts = pool.submit(oracle.lv_names, lv)
        vg_verdicts = pool.submit(oracle.vg_names, vg)
    for name, ok in lv_verdicts.result().items():
        mine = lv_name_problem(name, VG) is None
        if mine != ok:
            out.append(f"LV name {name!r}: lvm2 {'accepts' if ok else 'refuses'}, fxkit "
                       f"{'accepts' if mine else 'refuses: ' + str(lv_name_problem(name, VG))}")
    for name, ok in vg_verdicts.result().items():
        mine = vg_name_problem(name, dev) is None
        if mine != ok:
            out.append(f"VG name {name!r}: lvm2 {'accepts' if ok else 'refuses'}, fxkit "
                       f"{'accepts' if mine else 'refuses: ' + str(vg_name_problem(name, dev))}")
    return out


EDGES = sorted({
    "", ".", "..", "...", "-", "-a", "a-", "_", "+", "a.b", "a..b", ".a", "..a", "a" * 121,
    "a" * 122, "a" * 123, "a" * 124, "a" * 127, "a" * 128, "b-" * 60, "null", "mapper", "disk",
    "loop0", "lvm", "dev", "#a", "a#", "a b", "a\tb", "é", "snapshot", "snapshotx", "xsnapshot",
    "pvmove", "pvmove0", "Snapshot", "a/b", f"{VG}/ok", "/dev/x", *RESERVED_LV_STRINGS,
    *(f"x{r}y" for r in RESERVED_LV_STRINGS), *(p + "1" for p in RESERVED_LV_PREFIXES),
    *(f"a{c}b" for c in string.punctuation + " "), *(c for c in string.punctuation),
})


def test_edge_names_agree_with_lvm2(oracle: Oracle) -> None:
    vg_edges = [n for n in EDGES if not n.startswith("/dev/")]  # vgcreate strips /dev/
    diff = disagreements(oracle, EDGES, vg_edges)
    assert not diff, f"{len(diff)} disagreement(s); first: {diff[0]}"


_VALID = string.ascii_letters[:6] + "XYZ019._-+"
_NAMES = st.one_of(
    st.text(_VALID * 4 + "/ @:!%é#", max_size=10),  # mostly valid characters
    st.builds(lambda a, r, b: a + r + b, st.text(_VALID, max_size=3),
              st.sampled_from([*RESERVED_LV_STRINGS, *RESERVED_LV_PREFIXES, ".", "..", "-"]),
              st.text(_VALID, max_size=3)),
    st.text(_VALID, min_size=118, max_size=130),
)


@pytest.mark.slow
@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.large_base_example])
@given(st.lists(_NAMES, min_size=100, max_size=100, unique=True))
def test_fxkit_and_lvm2_agree_on_thousands_of_names(oracle: Oracle, names: list[str]) -> None:
    """8 batches of 100 names, each asked as an LV name and as a VG name: 1600 verdicts."""
    vg_names = [n for n in names if not n.startswith("/dev/")]
    diff = disagreements(oracle, names, vg_names)
    assert not diff, f"{len(diff)} disagreement(s); first: {diff[0]}"
