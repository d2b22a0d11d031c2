"""Big lab hosts for the scale benchmark: fx with thousands of LVs and hundreds of domUs."""

from __future__ import annotations

from pathlib import Path

GIB = 1024 ** 3
EXTENT = 4 * 1024 ** 2
VG = "bench"
PV = "/dev/sdz"


def lv_name(i: int) -> str:
    return f"d{i:05d}-root" if i % 2 == 0 else f"d{i:05d}-swap"


def big_state(n_lvs: int, n_domains: int, scenario: str = "fx"):
    """The scenario's state with one VG of ``n_lvs`` 64 MiB LVs and ``n_domains`` running domUs.

    Domain i uses LVs 2i (root) and 2i+1 (swap) and has a config /etc/xen/dI.cfg, so
    doctor finds consistent facts plus the orphan LVs above 2 * n_domains.
    """
    from fxkit.lab.lvm.model import LvmModel
    from fxkit.lab.state import LabFile
    from fxkit.lab.store import build_state
    from fxkit.lab.xen.model import XenModel

    state = build_state(scenario)
    per_lv = 64 * 1024 ** 2 // EXTENT
    pe_count = n_lvs * per_lv + 1024
    lvs = [{"name": lv_name(i), "segments": [[PV, i * per_lv, per_lv]], "created":
            "2007-09-12 10:41:07 +0200", "host": "fx", "fs": None, "minor": i}
           for i in range(n_lvs)]
    lvm = {"devices": {PV: pe_count * EXTENT + 1024 ** 2},
           "pvs": [{"name": PV, "vg": VG, "pe_count": pe_count}],
           "vgs": [{"name": VG, "pvs": [PV], "extent_size": EXTENT, "lvs": lvs}]}
    state.sections["lvm"] = LvmModel.from_dict(lvm, state)
    old = state.sections.get("xen")
    dom0 = [d.to_dict() for d in old.domains if d.domid == 0] if old is not None else []
    domains = list(dom0)
    for path in [p for p in state.files if p.startswith("/etc/xen/") and p.endswith(".cfg")]:
        del state.files[path]
    bridges = _bridges(state)
    for i in range(n_domains):
        name, cfg = f"d{i:05d}", f"/etc/xen/d{i:05d}.cfg"
        mac = f"00:16:3e:{(i >> 16) & 255:02x}:{(i >> 8) & 255:02x}:{i & 255:02x}"
        disks = [f"phy:/dev/{VG}/{lv_name(2 * i)},xvda1,w",
                 f"phy:/dev/{VG}/{lv_name(2 * i + 1)},xvda2,w"]
        bridge = bridges[i % len(bridges)] if bridges else "xenbr0"
        domains.append({"name": name, "domid": i + 1, "memory": 1, "vcpus": 1,
                        "uuid": state.uuid("bench", name), "state": "-b----", "started": 0,
                        "cpu_base": 1.0, "config_path": cfg, "disks": disks,
                        "vifs": [{"devid": 0, "mac": mac, "bridge": bridge}]})
        state.files[cfg] = LabFile(
            f'name = "{name}"\nmemory = 1\nvcpus = 1\nkernel = "/boot/vmlinuz"\n'
            f"disk = [ '{disks[0]}', '{disks[1]}' ]\nvif = [ 'mac={mac}, bridge={bridge}' ]\n",
            0o644)
    state.sections["xen"] = XenModel.from_dict({"domains": domains}, state)
    return state


def _bridges(state) -> list[str]:
    net = state.sections.get("net")
    names = []
    for link in getattr(net, "links", []) or []:
        if getattr(link, "kind", "") == "bridge":
            names.append(link.name)
    return names


def write_lab(root: Path, n_lvs: int, n_domains: int, scenario: str = "fx") -> Path:
    """Persist a big state as ``root/<scenario>/state.json`` (a LabStore root)."""
    from fxkit.lab.store import LabStore, dump_state

    store = LabStore(scenario, root)
    store.path.mkdir(parents=True, exist_ok=True)
    store.state_file.write_text(dump_state(big_state(n_lvs, n_domains, scenario)))
    return store.state_file
