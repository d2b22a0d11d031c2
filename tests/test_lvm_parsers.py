"""LVM parsers on real lvm2 output, and the pure name/size/device-mapper helpers.

One case per file in tests/fixtures/lvm/parsed/: the raw output it names, the
parser, and the expected result. Adding coverage means adding a file.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

import fxkit.lvm.display as display
import fxkit.lvm.state as lvm
from fxkit.errors import InvalidRequest, ParseError
from fxkit.lvm.names import dm_name, lv_name_problem, parse_lv_ref, split_dm_name, vg_name_problem
from fxkit.lvm.sizes import format_size, parse_extents, parse_size, target_extents
from fxkit.lvm.state import LvAttr

FIX = Path(__file__).parent / "fixtures" / "lvm"
CASES = sorted((FIX / "parsed").glob("*.json"))
GiB, MiB = 1024 ** 3, 1024 ** 2


def plain(x: Any) -> Any:
    if hasattr(x, "_asdict"):   # a NamedTuple record (lvm.state.Segment)
        return {k: plain(v) for k, v in x._asdict().items()}
    if dataclasses.is_dataclass(x):
        return {f.name: plain(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, (list, tuple)):
        return [plain(i) for i in x]
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    return x


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_parser_on_fixture(case: Path) -> None:
    spec = json.loads(case.read_text())
    parser = getattr(lvm, spec["parser"], None) or getattr(display, spec["parser"])
    assert plain(parser((FIX / spec["source"]).read_text())) == spec["expected"]


def test_the_seeds_pvdisplay_sample_parses_with_its_old_units() -> None:
    pv, = display.parse_pvdisplay((FIX / "seed-pvdisplay.stdout").read_text())
    assert (pv.name, pv.vg, pv.total_pe, pv.free_pe, pv.allocated_pe) == \
        ("/dev/sda5", "fourier", 12206, 5294, 6912)
    assert pv.pe_size == 4 * MiB                       # "PE Size (KByte) 4096"
    assert pv.size_text == "47.68 GB" and abs(pv.size_bytes - 12206 * 4 * MiB) < 0.01 * GiB
    assert display.display_bytes(pv.unusable_text) == round(4.12 * MiB)


def test_lvs_rows_per_segment_merge_into_one_lv() -> None:
    state = lvm.parse_lvs_json((FIX / "lvs-json-bytes.stdout").read_text())
    root = next(lv for lv in state if lv.full_name == "lvm/titanic-root")
    assert [(s.pv, s.pe) for s in root.segments] == [("/dev/loop2", 0), ("/dev/loop1", 2585)]
    assert root.dm_path == "/dev/mapper/lvm-titanic--root" and root.size_bytes == 22 * GiB


def test_lv_attr_decoding() -> None:
    live = LvAttr("-wi-ao----")
    assert live.active and live.open and live.state_known and live.volume_type == "plain"
    assert LvAttr("owi-a-s---").is_origin and LvAttr("swi-a-s---").is_snapshot
    assert not LvAttr("-wi-XX----").state_known and not LvAttr("-wi-XX----").active
    with pytest.raises(ParseError):
        LvAttr("-wi")


def test_bad_reports_raise_parse_errors() -> None:
    with pytest.raises(ParseError, match="not an lvm2 JSON"):
        lvm.parse_pvs_json("  LV VG\n")
    with pytest.raises(ParseError, match="--units b"):
        lvm.parse_pvs_json((FIX / "pvs-json.stdout").read_text())   # "<40.00g" is not bytes


@pytest.mark.parametrize("name, problem", [
    ("secours-root", None), ("a" * 121, None), ("a" * 122, "allows at most 124"),
    ("-x", "hyphen"), (".", "'.'"), ("..", "'.'"), ("...", None), ("snapshot1", "reserved"),
    ("pvmove", "reserved"), ("x_tmeta", "_tmeta"), ("a/b", "'/'"), ("a b", "' '"), ("", "empty"),
])
def test_lv_names(name: str, problem: str | None) -> None:
    got = lv_name_problem(name, "vgx")
    assert (got is None) if problem is None else (problem in got)


def test_vg_names_refuse_existing_dev_entries() -> None:
    assert vg_name_problem("lvm") is None
    assert "already exists" in vg_name_problem("mapper", {"mapper", "null"})
    assert "limit is 127" in vg_name_problem("v" * 128)


@pytest.mark.parametrize("vg, lv, dm", [("lvm", "secours-root", "lvm-secours--root"),
                                        ("my-vg", "a--b", "my--vg-a----b"), ("v", "l", "v-l")])
def test_dm_names_both_ways(vg: str, lv: str, dm: str) -> None:
    assert dm_name(vg, lv) == dm
    assert split_dm_name(dm) == (vg, lv, "")
    assert parse_lv_ref(f"/dev/mapper/{dm}").full_name == f"{vg}/{lv}"
    assert parse_lv_ref(f"phy:/dev/{vg}/{lv}").path == f"/dev/{vg}/{lv}"


def test_refs_that_are_not_lvs() -> None:
    with pytest.raises(InvalidRequest, match="internal LVM device"):
        parse_lv_ref("/dev/mapper/lvm-secours--root-cow")
    with pytest.raises(InvalidRequest, match="VG/LV"):
        parse_lv_ref("/dev/sda1")


def test_sizes_parse_like_lvm2_and_round_up_to_extents() -> None:
    assert parse_size("10G").value == 10 * GiB == parse_size("10g").value
    assert parse_size("512").value == 512 * MiB                      # default unit: MiB
    assert parse_size("+1.5t").sign == "+" and parse_size("1.5t").value == 3 * 1024 * GiB // 2
    with pytest.raises(InvalidRequest):
        parse_size("10X")
    with pytest.raises(InvalidRequest, match="relative"):
        parse_size("+5G", allow_sign=False)
    t = target_extents(parse_size("100M"), extent_size=4 * MiB)
    assert (t.extents, t.note) == (25, "")
    t = target_extents(parse_size("+50M"), extent_size=4 * MiB, current=10)
    assert t.extents == 23 and "rounded up to 13 extents" in t.note
    assert target_extents(parse_extents("100%FREE"), extent_size=4 * MiB, current=5,
                          vg_free=7).extents == 12
    assert target_extents(parse_extents("50%VG"), extent_size=4 * MiB, vg_extents=101).extents == 50


@pytest.mark.parametrize("size, short, long_", [
    (42945478656, "<40.00g", "<40.00 GiB"), (7402946560, "6.89g", "6.89 GiB"),
    (0, "0 ", "0   "), (432013312, "412.00m", "412.00 MiB"), (4 * MiB, "4.00m", "4.00 MiB")])
def test_sizes_print_like_lvm2(size: int, short: str, long_: str) -> None:
    assert format_size(size) == short and format_size(size, long=True) == long_
    assert format_size(size, "b", suffix=False) == str(size)


def _lab_lvs_text(n_lvs: int, tmp_path: Path) -> str:
    import sys
    root = Path(__file__).resolve().parent.parent
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from bench.labgen import write_lab
    from fxkit.lab.transport import LabHost
    write_lab(tmp_path, n_lvs, 0)
    host = LabHost(name="lab", scenario="fx", root=str(tmp_path), audit=None)
    return host.run(["lvs", *lvm.REPORT_ARGS, lvm.LV_FIELDS]).stdout


def test_the_column_reader_and_the_row_reader_give_the_same_lvs(tmp_path: Path) -> None:
    """parse_lvs_json reads a well-formed report column by column (fast) and anything else
    row by row: on every lvs fixture and on a 300-LV lab they agree, and the fast one is
    what a plain report takes."""
    from fxkit.lvm import reports
    texts = [(FIX / spec["source"]).read_text() for case in CASES
             if (spec := json.loads(case.read_text()))["parser"] == "parse_lvs_json"]
    big = _lab_lvs_text(300, tmp_path)
    for text in [*texts, big]:
        fast = reports._columns(text)
        slow = reports._by_row(reports._rows(text, "lv"))
        assert fast is None or fast == slow
        assert lvm.parse_lvs_json(text) == slow
    assert reports._columns(big) is not None and len(reports._columns(big)) == 300
    # an LV's second segment, a size with spaces, a missing field: the row reader's
    doubled = big.replace('"devices":"/dev/sdz(0)"},', '"devices":"/dev/sdz(0)"},\n'
                          '{"lv_name":"d00000-root", "vg_name":"bench", "devices":"/dev/sdy(7)"},')
    assert reports._columns(doubled) is None
    root = lvm.parse_lvs_json(doubled)[0]
    assert [(s.pv, s.pe) for s in root.segments] == [("/dev/sdz", 0), ("/dev/sdy", 7)]
