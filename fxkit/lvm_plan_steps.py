"""Building blocks shared by the LVM plans: size requests, fresh-fact checks, wipe steps."""

from __future__ import annotations

from collections.abc import Callable

from fxkit.errors import PreconditionFailed
from fxkit.lvm import LogicalVolume
from fxkit.lvm_facts import LvmFacts
from fxkit.lvm_names import parse_lv_ref
from fxkit.lvm_sizes import SizeRequest, human, parse_extents, parse_size
from fxkit.plan import Step

MiB = 1024 ** 2
EXT_FS = ("ext2", "ext3", "ext4")


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


def _needs(facts: LvmFacts, test: Callable[[LvmFacts], bool]) -> Callable[..., bool]:
    return lambda host: test(facts.fresh(host))


def extents_of(f: LvmFacts, full: str) -> int | None:
    """The extent count of LV ``full`` in fresh facts ``f`` (None if it is gone)."""
    lv = f.lvm.lv(full)
    return f.lvm.extents(lv) if lv is not None else None


def _lv(facts: LvmFacts, ref: str) -> LogicalVolume:
    lv = facts.lvm.lv(ref)
    if lv is None:
        r = parse_lv_ref(ref)
        if facts.lvm.vg(r.vg) is None:
            raise PreconditionFailed(f"VG {r.vg!r} does not exist (VGs here: "
                                     f"{', '.join(v.name for v in facts.lvm.vgs) or 'none'})")
        names = ", ".join(x.name for x in facts.lvm.lvs_in(r.vg)) or "none"
        raise PreconditionFailed(f"LV {r.full_name} does not exist (LVs in {r.vg}: {names})")
    return lv


def _wipe_steps(lv_path: str, full: str, nbytes: int, facts: LvmFacts,
                needed: Callable[..., bool] | None, lv_bytes: int) -> list[Step]:
    count = max(1, -(-min(nbytes, lv_bytes) // MiB))
    what = f"all of {full}" if count * MiB >= lv_bytes else \
        f"the first {human(count * MiB)} of {full}"
    argv = ("dd", "if=/dev/zero", f"of={lv_path}", "bs=1M", f"count={count}", "conv=fsync")
    return [Step(f"Overwrite {what} with zeros so no old data shows through", argv,
                 needed=needed, sudo=facts.sudo, timeout=max(60.0, count / 20))]
