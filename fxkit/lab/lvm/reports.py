"""pvs, vgs and lvs in the lab: options, selection by name, errors; layout in ``report``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fxkit.lab.lvm.args import REPORT, Args, UsageError, parse
from fxkit.lab.lvm.common import FAILED, USAGE, Failed, lines, model
from fxkit.lab.lvm.fields import Row, origin_names
from fxkit.lab.lvm.model import LvmModel
from fxkit.lab.lvm.report import ReportOptions, UnknownField, render, resolve_fields
from fxkit.lab.shell.base import Call, Output

DATA = Path(__file__).with_name("data")


def _report_options(a: Args) -> ReportOptions:
    fmt = a.get("reportformat", "basic")
    if fmt not in ("basic", "json", "json_std"):
        raise Failed(f'Unknown report format "{fmt}".', "Failed to initialize report.",
                     status=USAGE)
    return ReportOptions(units=(a.get("units") or "r")[:1] or "r", suffix=not a.has("nosuffix"),
                         headings=not a.has("noheadings"), separator=a.get("separator"),
                         aligned=a.has("aligned"), nameprefixes=a.has("nameprefixes"),
                         json=fmt.startswith("json"))


def _help() -> str:
    return (DATA / "fields-help.txt").read_text()


def report(call: Call, kind: str, a: Args) -> Output:
    m = model(call)
    opts = _report_options(a)
    options = a.all("options")
    if any(o.strip("+") in ("help", "?") for o in options):
        return 0, "", _help()
    try:
        fields = resolve_fields(kind, options)
    except UnknownField as e:
        return FAILED, "", _help() + lines(f"Unrecognised field: {e.args[0]}")
    rows, errors = _select(m, kind, a.positional)
    opened, origins = frozenset(m.open_lvs()), origin_names(m)
    for r in rows:
        r.open_lvs, r.origins = opened, origins
    stdout = render(kind, fields, rows, opts)
    return (FAILED if errors else 0), stdout, "".join(lines(*errors))


def _select(m: LvmModel, kind: str, names: list[str]) -> tuple[list[Row], list[str]]:
    errors: list[str] = []
    if kind == "pv":
        pvs = sorted(m.pvs.values(), key=lambda p: p.name)
        if names:
            missing = [n for n in names if n not in m.pvs]
            errors += [f'Failed to find physical volume "{n}".' for n in missing]
            pvs = [p for p in pvs if p.name in names]
        return [Row(m, pv=p, vg=m.vg(p.vg) if p.vg else None) for p in pvs], errors
    if kind == "vg":
        vgs = sorted(m.vgs, key=lambda v: v.name)
        if names:
            for n in names:
                if not m.vg(n):
                    errors += [f'Volume group "{n}" not found', f"Cannot process volume group {n}"]
            vgs = [v for v in vgs if v.name in names]
        return [Row(m, vg=v) for v in vgs], errors
    wanted: list[tuple[str, str | None]] = []
    for n in names:
        ref = n[len("/dev/"):] if n.startswith("/dev/") else n
        vg_name, _, lv_name = ref.partition("/")
        if not m.vg(vg_name):
            errors += [f'Volume group "{vg_name}" not found',
                       f"Cannot process volume group {vg_name}"]
        elif lv_name and not m.vg(vg_name).lv(lv_name):  # type: ignore[union-attr]
            errors.append(f'Failed to find logical volume "{vg_name}/{lv_name}"')
        wanted.append((vg_name, lv_name or None))
    rows = []
    for vg in sorted(m.vgs, key=lambda v: v.name):
        for lv in sorted(vg.lvs, key=lambda lv: lv.name):
            if not names or any(w[0] == vg.name and w[1] in (None, lv.name) for w in wanted):
                rows.append(Row(m, vg=vg, lv=lv))
    return rows, errors


def _report_command(kind: str) -> Callable[[Call], Output]:
    def handler(call: Call) -> Output:
        try:
            a = parse(f"{kind}s", call.args, REPORT)
            return report(call, kind, a)
        except UsageError as e:
            return e.status, "", e.message + "\n"
        except Failed as e:
            return e.status, e.stdout, lines(*e.lines)
    handler.__name__ = handler.__qualname__ = f"{kind}s"
    return handler


pvs = _report_command("pv")
vgs = _report_command("vg")
lvs = _report_command("lv")
