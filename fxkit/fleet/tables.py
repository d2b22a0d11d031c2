"""Fleet-wide tables: free space per VG, domUs, memory committed, doctor findings, per host.

Each takes the fleet's results (``HostResult`` whose ``data`` is the host's
``Inventory`` or its doctor findings); a host that failed or was unreachable is one row
saying so, so a missing host is never mistaken for an empty one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fxkit.display import Table

if TYPE_CHECKING:
    from fxkit.fleet.run import HostResult

GIB = 1024 ** 3


def _down(r: HostResult, width: int) -> list[str]:
    return [r.name, f"({r.status})"] + [""] * (width - 2)


def vg_free_table(results: list[HostResult]) -> Table:
    rows: list[list[Any]] = []
    for r in results:
        if r.data is None:
            rows.append(_down(r, 5))
            continue
        for vg in r.data.lvm.vgs:
            rows.append([r.name, vg.name, f"{vg.size_bytes / GIB:.2f}",
                         f"{vg.free_bytes / GIB:.2f}",
                         f"{100 * vg.free_bytes / vg.size_bytes:.0f}%" if vg.size_bytes else "-"])
    return Table(rows, ["host", "VG", "size GiB", "free GiB", "free"], "Free space per VG")


def domu_table(results: list[HostResult]) -> Table:
    rows: list[list[Any]] = []
    for r in results:
        if r.data is None:
            rows.append(_down(r, 4))
            continue
        running = [d.name for d in r.data.xen.domains if d.id != 0 and d.name != "Domain-0"]
        configs = {c.name for c in r.data.xen.configs.values() if c.name}
        stopped = sorted(configs - set(running))
        rows.append([r.name, len(running), ", ".join(running), ", ".join(stopped)])
    return Table(rows, ["host", "running", "domUs", "stopped (config only)"], "domUs per host")


def memory_table(results: list[HostResult]) -> Table:
    rows: list[list[Any]] = []
    for r in results:
        if r.data is None:
            rows.append(_down(r, 4))
            continue
        committed = sum(d.memory or 0 for d in r.data.xen.domains)
        info = r.data.xen.info
        try:
            physical = info.total_memory if info is not None else None
        except Exception:      # a malformed xl info field: shown as unknown
            physical = None
        share = f"{100 * committed / physical:.0f}%" if physical else "-"
        rows.append([r.name, committed, physical if physical is not None else "?", share])
    return Table(rows, ["host", "committed MiB", "physical MiB", "committed"],
                 "Memory committed vs physical (all domains, dom0 included)")


def findings_table(results: list[HostResult]) -> Table:
    rows: list[list[Any]] = []
    for r in results:
        if r.data is None:
            rows.append([r.name, f"({r.status})", "", "", r.message.splitlines()[0]
                         if r.message else ""])
            continue
        findings = r.data
        errors = sum(f.severity == "error" for f in findings)
        warnings = sum(f.severity == "warning" for f in findings)
        codes = sorted({f.code for f in findings})
        rows.append([r.name, "ok" if not errors else "errors", errors, warnings, ", ".join(codes)])
    return Table(rows, ["host", "status", "errors", "warnings", "codes"],
                 "Doctor findings per host")
