"""The ``--json`` documents of the CLI: one versioned schema per command (docs/json.md).

Every document is one JSON object whose ``schema`` names its kind and version, e.g.
``"fxkit.inventory/1"``. A version changes only when a field is removed or changes
meaning; new fields may appear within a version. The JSON Schema of each kind is in
``docs/schemas/``; tests check every command's output against it::

    >>> document("plan", host="lab")["schema"]
    'fxkit.plan/1'
"""

from __future__ import annotations

import json
from typing import Any

import click

VERSION = 1
KINDS = ("inventory", "doctor", "lvm", "xen.list", "net", "plan", "run", "runs", "fleet")
JSON_OPTION = click.option("--json", "as_json", is_flag=True,
                           help="Print one JSON document (schema in docs/json.md) instead of text.")


def document(kind: str, **body: Any) -> dict[str, Any]:
    assert kind in KINDS, kind
    return {"schema": f"fxkit.{kind}/{VERSION}", **body}


def echo(doc: dict[str, Any]) -> None:
    click.echo(json.dumps(doc, indent=2, default=str))


def _lv_state(lv: Any) -> str:
    return ("open" if lv.attr.open else "active" if lv.attr.active else
            "inactive" if lv.attr.state_known else "unknown")


def vg_rows(vgs: Any) -> list[dict[str, Any]]:
    return [{"name": v.name, "size_bytes": v.size_bytes, "free_bytes": v.free_bytes,
             "extent_size_bytes": v.extent_size, "extent_count": v.extent_count,
             "free_extents": v.free_count, "pv_count": v.pv_count, "lv_count": v.lv_count}
            for v in vgs]


def lv_rows(lvs: Any, used_by: Any, running: Any = None, fs: Any = None) -> list[dict[str, Any]]:
    rows = []
    for lv in lvs:
        info = fs(lv) if fs else None
        rows.append({"vg": lv.vg, "name": lv.name, "full_name": lv.full_name,
                     "size_bytes": lv.size_bytes, "attr": lv.attr.raw, "state": _lv_state(lv),
                     "origin": lv.origin or None, "dm_path": lv.dm_path,
                     "filesystem": getattr(info, "type", None) if info else None,
                     "used_by": list(used_by.get(lv.full_name, ())),
                     "running_users": list((running or {}).get(lv.full_name, ()))})
    return rows


def domain_rows(domains: Any, configs: dict[str, str] | None = None) -> list[dict[str, Any]]:
    configs = configs or {}
    rows = [{"name": d.name, "id": d.id, "memory_mib": d.memory, "vcpus": d.vcpus,
             "state": d.state, "flags": list(d.flags), "cpu_seconds": d.cpu_seconds,
             "running": True, "config": configs.get(d.name)} for d in domains]
    listed = {d.name for d in domains}
    rows += [{"name": name, "id": None, "memory_mib": None, "vcpus": None, "state": None,
              "flags": [], "cpu_seconds": None, "running": False, "config": path}
             for name, path in sorted(configs.items()) if name not in listed]
    return rows


def xen_list_doc(host: str, toolstack: str, domains: Any) -> dict[str, Any]:
    return document("xen.list", host=host, toolstack=toolstack, domains=[
        {k: v for k, v in row.items() if k not in ("running", "config")}
        for row in domain_rows(domains)])


def lvm_doc(host: str, facts: Any) -> dict[str, Any]:
    state = facts.lvm
    return document("lvm", host=host, pvs=[
        {"name": p.name, "vg": p.vg, "size_bytes": p.size_bytes, "free_bytes": p.free_bytes,
         "pe_count": p.pe_count, "pe_alloc_count": p.pe_alloc_count} for p in state.pvs],
        vgs=vg_rows(state.vgs),
        lvs=lv_rows(state.lvs, facts.referenced_by, facts.running_users, facts.fs))


def inventory_doc(inv: Any) -> dict[str, Any]:
    configs = {c.name: path for path, c in inv.xen.configs.items() if c.name}
    return document(
        "inventory", host=inv.host, vgs=vg_rows(inv.lvm.vgs),
        lvs=lv_rows(inv.lvm.lvs, inv.disk_users()),
        domains=domain_rows(inv.xen.domains, configs),
        bridges=[{"name": b.name, "state": b.state, "stp": b.stp,
                  "uplinks": [link.name for link in inv.net.uplinks(b.name)],
                  "vifs": [{"name": v.name, "domain": v.domain}
                           for v in inv.net.vifs() if v.master == b.name]}
                 for b in inv.net.bridges],
        layers=[{"name": la.name, "status": la.status, "reason": la.reason or None}
                for la in (inv.layer(name) for name in ("lvm", "xen", "net"))])


def net_doc(host: str, facts: Any, topo: Any) -> dict[str, Any]:
    bridges = [{"name": b.name, "state": b.state, "stp": b.stp, "mac": b.mac,
                "ports": [{"name": p.name, "kind": p.kind, "state": p.port_state or p.state,
                           "domain": p.domain, "domid": p.domid, "devid": p.devid,
                           "vlan_id": p.vlan_id, "parent": p.parent}
                          for p in facts.ports(b.name)]} for b in facts.bridges]
    loose = [{"name": ln.name, "kind": ln.kind, "state": ln.state} for ln in facts.links
             if ln.kind in ("physical", "vlan") and not ln.master]
    return document("net", host=host, bridges=bridges, unbridged=loose,
                    reaches={d: list(topo.reaches(d)) for d in sorted(topo.domus)})


def doctor_doc(host: str, findings: Any) -> dict[str, Any]:
    return document(
        "doctor", host=host, errors=sum(f.severity == "error" for f in findings),
        warnings=sum(f.severity == "warning" for f in findings),
        findings=[{"severity": f.severity, "code": f.code, "objects": list(f.objects),
                   "message": f.message, "fix": f.fix} for f in findings])


def plan_doc(host: str, plan: Any, outcome: Any = None) -> dict[str, Any]:
    """A plan (dry-run), and what applying it did when it was applied."""
    applied = None
    if outcome is not None:
        applied = {"changed": bool(outcome.changed),
                   "ran": [s.description for s, _ in outcome.ran],
                   "skipped": [s.description for s, _ in outcome.skipped]}
    return document(
        "plan", host=host, title=plan.title, empty=plan.empty,
        reason=(plan.reason or None) if plan.empty else None,
        steps=[{"n": n, "sentence": s.description, "command": s.command,
                "destroys": s.destroys} for n, s in enumerate(plan.steps, 1)],
        warnings=list(plan.warnings), confirmation=plan.confirmation(), applied=applied)


def run_doc(rec: Any, exit_code: int) -> dict[str, Any]:
    data = rec.to_dict()
    data.pop("record_file", None)
    return document("run", **data, record=str(rec.record_path), exit_code=exit_code)


def runs_doc(records: Any) -> dict[str, Any]:
    return document("runs", runs=[
        {"id": r.id, "runbook": r.runbook, "host": r.host, "status": r.status,
         "changed": r.changed, "operator": r.operator, "start": r.start, "end": r.end or None,
         "started_by": r.started_by, "record": str(r.record_path)} for r in records])
