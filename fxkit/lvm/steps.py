"""Building blocks shared by the LVM plans: size requests, the checks a step makes right
before it runs (each reads what it tests, explicitly), wipe steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fxkit.errors import PreconditionFailed
from fxkit.lvm.facts import LvmFacts
from fxkit.lvm.filesystems import EXT_TYPES, FsInfo, read_filesystem
from fxkit.lvm.names import parse_lv_ref
from fxkit.lvm.sizes import SizeRequest, human, parse_extents, parse_size
from fxkit.lvm.state import LogicalVolume, read_lv, read_pvs, read_vgs
from fxkit.plan import Step

if TYPE_CHECKING:
    from fxkit.host import Host

MiB = 1024 ** 2
EXT_FS = EXT_TYPES
Check = Callable[["Host"], bool]


def parse_size_request(size: str | int, *, allow_sign: bool = True) -> SizeRequest:
    """``10G``/``+5G``/``512M`` (-L), ``-l 50``/``-l +10`` or ``100%FREE`` (-l), or an int
    number of extents."""
    if isinstance(size, int):
        return SizeRequest("", "extents", size)
    text = size.strip()
    if text.startswith("-l"):
        return parse_extents(text[2:].strip(), allow_sign=allow_sign)
    if "%" in text:
        return parse_extents(text, allow_sign=allow_sign)
    return parse_size(text, allow_sign=allow_sign)


# -- checks right before a step: one small explicit read each ---------------------------------

def lv_absent(full: str, sudo: bool) -> Check:
    return lambda host: read_lv(host, full, sudo=sudo) is None


def lv_present(full: str, sudo: bool) -> Check:
    return lambda host: read_lv(host, full, sudo=sudo) is not None


def extents_now(host: Host, full: str, extent_size: int, sudo: bool) -> int | None:
    """The extent count of LV ``full`` on ``host`` now (one ``lvs``), None if it is gone."""
    lv = read_lv(host, full, sudo=sudo)
    return lv.size_bytes // extent_size if lv is not None else None


def fs_now(host: Host, path: str, sudo: bool, *, size: bool = False) -> FsInfo | None:
    return read_filesystem(host, path, sudo=sudo, size=size)


def pv_absent(dev: str, sudo: bool) -> Check:
    return lambda host: all(p.name != dev for p in read_pvs(host, sudo=sudo))


def vg_absent(name: str, sudo: bool) -> Check:
    return lambda host: all(v.name != name for v in read_vgs(host, sudo=sudo))


# -- shared pieces ---------------------------------------------------------------------------

def lv_of(facts: LvmFacts, ref: str) -> LogicalVolume:
    """LV ``ref`` in the facts, or a refusal naming what does exist."""
    lv = facts.lvm.lv(ref)
    if lv is None:
        r = parse_lv_ref(ref)
        if facts.lvm.vg(r.vg) is None:
            raise PreconditionFailed(f"VG {r.vg!r} does not exist (VGs here: "
                                     f"{', '.join(v.name for v in facts.lvm.vgs) or 'none'})")
        names = ", ".join(x.name for x in facts.lvm.lvs_in(r.vg)) or "none"
        raise PreconditionFailed(f"LV {r.full_name} does not exist (LVs in {r.vg}: {names})")
    return lv


def wipe_steps(lv_path: str, full: str, nbytes: int, facts: LvmFacts,
               needed: Check | None, lv_bytes: int) -> list[Step]:
    """Zero the first ``nbytes`` of the LV (all of it at most), with dd (see plans.py)."""
    count = max(1, -(-min(nbytes, lv_bytes) // MiB))
    what = f"all of {full}" if count * MiB >= lv_bytes else \
        f"the first {human(count * MiB)} of {full}"
    argv = ("dd", "if=/dev/zero", f"of={lv_path}", "bs=1M", f"count={count}", "conv=fsync")
    return [Step(f"Overwrite {what} with zeros so no old data shows through", argv,
                 needed=needed, sudo=facts.sudo, timeout=max(60.0, count / 20))]
