"""Cross-layer checks of a Xen host: domU configs against LVM, bridges, memory and live domains.

No single tool sees these: ``xl`` does not know LVM, LVM does not know which
domU uses an LV, the bridges do not know which network a guest should reach::

    >>> for finding in run_doctor(connect("lab")):            # doctest: +SKIP
    ...     print(finding)
    warning orphan-lv lvm/old-root: no domU config uses it ...

Intended networks are optional: a config may say ``fx_networks = [ "backbone",
"freebox" ]`` (one name per vif; xl ignores keys it does not know), and the
names are resolved with ``/etc/fxkit/networks.json`` (see ``fxkit.net.state``) or
taken as the uplink's interface name.

Each layer is read on its own (``fxkit.layers``): a layer that is absent (its tool is not
installed) or unreadable is one finding saying why, and the checks that need it are
skipped rather than guessed, so a host with LVM but no Xen still gets its LVM checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fxkit.errors import ParseError
from fxkit.inventory import first_reads
from fxkit.layers import ABSENT, UNREADABLE, Layer, read_layer
from fxkit.lvm.names import LvRef
from fxkit.lvm.state import LvmState, read_lvm
from fxkit.net.state import read_externals, read_net
from fxkit.privilege import PACKAGES, become
from fxkit.xen.facts import XenFacts, read_config_set, read_xen
from fxkit.xen.macs import bad_macs
from fxkit.xen.storage import lv_for_path, lv_refs_in

if TYPE_CHECKING:
    from fxkit.host import Host

SEVERITIES = ("error", "warning", "info")
VG_FULL_RATIO = 0.90
INTENT_KEY = "fx_networks"


@dataclass(frozen=True)
class Finding:
    """One problem: how bad, a stable code, the objects involved, what is wrong, how to fix it."""

    severity: str
    code: str
    objects: tuple[str, ...]
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.severity:<7} {self.code:<20} {self.message}\n{'':28}fix: {self.fix}"


@dataclass
class DoctorFacts:
    xen: XenFacts
    storage: LvmState
    net: Any = None                       # fxkit.net.state.NetState, or None if unreadable
    externals: list[Any] = field(default_factory=list)
    dom0_devices: tuple[str, ...] = ()    # block devices in dom0's /etc/fstab
    layers: dict[str, Layer] = field(default_factory=dict)   # missing: read

    def has(self, name: str) -> bool:
        """Whether layer ``name`` ("lvm", "xen", "net") was read (checks skip it if not)."""
        return self.layers.get(name, Layer(name)).ok


def parse_fstab(text: str) -> tuple[str, ...]:
    """The device column of ``/etc/fstab`` (comments, UUID= and LABEL= entries skipped)."""
    out = []
    for line in text.splitlines():
        fields_ = line.split("#", 1)[0].split()
        if fields_ and fields_[0].startswith("/dev/"):
            out.append(fields_[0])
    return tuple(out)


def diagnose(facts: DoctorFacts) -> list[Finding]:
    """Every finding, errors first (pure: facts in, findings out)."""
    found: list[Finding] = list(_layers(facts))
    checks = [_config_errors, _macs, _memory, _drift, _no_config, _bridges]
    if facts.has("lvm"):     # without LVM facts, no disk can be said missing or orphaned
        checks += [_disks, _shared_lvs, _orphan_lvs, _vgs]
    for check in checks:
        found.extend(check(facts))
    return sorted(found, key=lambda f: (SEVERITIES.index(f.severity), f.code, f.objects))


def read_doctor_facts(host: Host, tool: str = "xl", *, sudo: bool = False) -> DoctorFacts:
    """Xen, LVM and network facts, each layer on its own (``layers`` says how each went).

    ``sudo=True`` is ``host.sudo = True``: ``connect(target, sudo=True)`` says it once.
    Without the toolstack, the domU configs in /etc/xen are still read and checked.
    """
    become(host, sudo)
    with host.reads_ahead(first_reads(tool)):
        xen, xen_layer = read_layer("xen", lambda: read_xen(host, tool), None)
        if xen is None:
            xen = XenFacts(tool, [], [], None, *read_config_set(host))
        storage, lvm_layer = read_layer("lvm", lambda: read_lvm(host), LvmState((), (), ()))
        net, net_layer = read_layer("net", lambda: read_net(host, {d.id: d.name
                                                                  for d in xen.domains}), None)
    externals = []
    if net is not None:
        try:
            externals = read_externals(host)
        except ParseError as e:   # the site's networks.json: its checks cannot be made
            net, net_layer = None, Layer("net", UNREADABLE, str(e).splitlines()[0])
    try:
        dom0 = parse_fstab(host.read_file("/etc/fstab"))
    except (OSError, ParseError):  # no (readable) fstab: dom0's own LVs are not known
        dom0 = ()
    return DoctorFacts(xen, storage, net, externals, dom0,
                       {la.name: la for la in (xen_layer, lvm_layer, net_layer)})


def run_doctor(host: Host, tool: str = "xl", *, sudo: bool = False) -> list[Finding]:
    """Read LVM, Xen and network facts of ``host`` and return what is wrong."""
    return diagnose(read_doctor_facts(host, tool, sudo=sudo))


# -- the checks ------------------------------------------------------------------------------

_SKIPPED = {"lvm": "the disk, shared-LV, orphan-LV and VG checks were skipped",
            "xen": "running domains, memory and drift were not checked (the configs were)",
            "net": "the bridge checks were skipped"}


def _layers(f: DoctorFacts) -> Iterable[Finding]:
    for layer in f.layers.values():
        if layer.ok:
            continue
        if layer.status == ABSENT:
            tool = {"lvm": "pvs", "xen": f.xen.toolstack, "net": "ip"}.get(layer.name, "")
            fix = (f"install {PACKAGES.get(tool, 'its tools')} if this host should have "
                   f"{layer.label}; otherwise nothing to do")
            yield Finding("warning", "layer-absent", (layer.name,),
                          f"{layer.label} is absent: {layer.reason}; {_SKIPPED[layer.name]}",
                          fix)
        else:
            yield Finding("error", "layer-unreadable", (layer.name,),
                          f"{layer.label} could not be read: {layer.reason}; "
                          f"{_SKIPPED[layer.name]}",
                          "fix what the message says (sudo rule, toolstack, tool version), "
                          "then run the doctor again")


def _config_errors(f: DoctorFacts) -> Iterable[Finding]:
    for path, err in sorted(f.xen.config_errors.items()):
        yield Finding("error", "config-unreadable", (path,), err,
                      f"fix the syntax of {path}: only key = value lines with strings, numbers "
                      "and lists")


def _disk_uses(f: DoctorFacts) -> dict[tuple[str, str], list[str]]:
    uses: dict[tuple[str, str], list[str]] = {}
    for path, cfg in sorted(f.xen.sound_configs.items()):
        for disk in cfg.disks:
            ref = lv_for_path(disk.path or "")
            if ref is not None:
                uses.setdefault(ref, []).append(path)
    # a config with a problem still names its LVs: none of them is an orphan
    for path, text in sorted(f.xen.problem_texts.items()):
        for full in sorted(lv_refs_in(text)):
            vg, _, lv = full.partition("/")
            uses.setdefault((vg, lv), []).append(path)
    return uses


def _disks(f: DoctorFacts) -> Iterable[Finding]:
    for path, cfg in sorted(f.xen.sound_configs.items()):
        for disk in cfg.disks:
            ref = lv_for_path(disk.path or "")
            if ref is None or f.storage.lv(LvRef(*ref)) is not None:
                continue
            vg, lv = ref
            where = f"VG {vg} has no LV {lv}" if f.storage.vg(vg) else f"there is no VG {vg}"
            name = cfg.name or path
            fate = (f"{name} runs now but will not start again" if f.xen.domain(name)
                    else f"{name} cannot start")
            yield Finding("error", "disk-missing-lv", (path, disk.path or "", f"{vg}/{lv}"),
                          f"{path}: disk {disk.vdev} is {disk.path}, but {where}; {fate}",
                          f"create it (lvcreate -L SIZE -n {lv} {vg}) or correct the disk line")


def _dom0_lvs(f: DoctorFacts) -> set[tuple[str, str]]:
    return {ref for ref in map(lv_for_path, f.dom0_devices) if ref is not None}


def _shared_lvs(f: DoctorFacts) -> Iterable[Finding]:
    dom0 = _dom0_lvs(f)
    for (vg, lv), paths in sorted(_disk_uses(f).items()):
        users = sorted(set(paths)) + (["dom0 /etc/fstab"] if (vg, lv) in dom0 else [])
        if len(users) > 1 and f.storage.lv(LvRef(vg, lv)) is not None:
            yield Finding("error", "lv-shared", (f"{vg}/{lv}", *users),
                          f"{vg}/{lv} is a disk of {len(users)} domUs ({', '.join(users)}); two "
                          "guests writing one filesystem corrupt it",
                          "give each domU its own LV (copy it with a new lvcreate + dd) and fix "
                          "the other config")


def _orphan_lvs(f: DoctorFacts) -> Iterable[Finding]:
    uses = _disk_uses(f)
    guest_vgs = {vg for vg, _ in uses}
    for lv in f.storage.lvs:
        if lv.vg in guest_vgs and (lv.vg, lv.name) not in uses and not lv.attr.open \
                and (lv.vg, lv.name) not in _dom0_lvs(f):
            yield Finding("warning", "orphan-lv", (lv.full_name,),
                          f"{lv.full_name} ({lv.size_bytes // 1024**2} MiB) is in a VG of domU "
                          "disks but no config in /etc/xen uses it",
                          f"if it is a leftover, remove it (lvremove {lv.full_name}) to free "
                          "space; else add it to the domU that needs it")


def _intent_uplink_ok(f: DoctorFacts, bridge: str, intent: str) -> bool | None:
    """Whether ``bridge`` leads to network ``intent`` (None: cannot tell)."""
    uplinks = f.net.uplinks(bridge)
    ext = next((e for e in f.externals if e.name.lower() == intent.lower()), None)
    if ext is None:
        if f.net.link(intent) is None:
            return None
        return any(u.name == intent for u in uplinks)
    for u in uplinks:
        if ext.vlan is None and u.kind == "physical" and u.name == ext.device:
            return True
        if ext.vlan is not None and u.kind == "vlan" and u.parent == ext.device \
                and u.vlan_id == ext.vlan:
            return True
    return False


def _bridges(f: DoctorFacts) -> Iterable[Finding]:
    if f.net is None:
        return
    names = {b.name for b in f.net.bridges}
    for path, cfg in sorted(f.xen.sound_configs.items()):
        intents = cfg.get(INTENT_KEY) or []
        intents = intents if isinstance(intents, list) else [intents]
        for i, vif in enumerate(cfg.vifs):
            bridge = vif.bridge_or_default
            if bridge not in names:
                yield Finding("error", "vif-missing-bridge", (path, f"vif {i}", bridge),
                              f"{path}: vif {i} plugs into bridge {bridge}, which does not "
                              f"exist (bridges: {', '.join(sorted(names)) or 'none'})",
                              f"create {bridge} with its uplink, or change the vif to an "
                              "existing bridge")
                continue
            if i < len(intents):
                ok = _intent_uplink_ok(f, bridge, str(intents[i]))
                ups = ", ".join(u.name for u in f.net.uplinks(bridge)) or "no uplink"
                if ok is False:
                    yield Finding("error", "vif-wrong-network", (path, f"vif {i}", bridge),
                                  f"{path}: vif {i} should reach {intents[i]!r} but {bridge} "
                                  f"goes out through {ups}",
                                  f"plug the vif into the bridge whose uplink is {intents[i]!r}, "
                                  f"or fix {bridge}'s uplink")
                elif ok is None:
                    yield Finding("warning", "unknown-network", (path, str(intents[i])),
                                  f"{path}: network {intents[i]!r} is neither described in "
                                  "/etc/fxkit/networks.json nor an interface name",
                                  "describe it in /etc/fxkit/networks.json")


def _macs(f: DoctorFacts) -> Iterable[Finding]:
    for path, i, written, used in bad_macs(f.xen.sound_configs):
        gets = f"{used}, what xl could read of it" if used else "a random MAC at each start"
        yield Finding("warning", "bad-mac", (path, f"vif {i}"),
                      f"{path} vif {i}: mac={written} is not a MAC address (xl: \"Invalid "
                      f"parameter `mac'.\"); xl starts the domU anyway and the card gets {gets}",
                      "write six hex pairs, e.g. mac=00:16:3e:01:02:03, or leave mac= out "
                      "(fxkit.xen.stable_mac(name, index) gives a stable one)")
    seen: dict[str, set[str]] = {}
    for path, cfg in sorted(f.xen.sound_configs.items()):
        for i, vif in enumerate(cfg.vifs):
            if vif.mac_address:     # what xl gives the card (None: xl makes one up)
                seen.setdefault(vif.mac_address, set()).add(f"{cfg.name or path} vif {i}")
    for d in f.xen.details:
        for i, vif in enumerate(d.vifs):
            if vif.mac_address:
                seen.setdefault(vif.mac_address, set()).add(f"{d.name} vif {i}")
    for mac, users in sorted(seen.items()):
        if len(users) > 1:
            yield Finding("error", "duplicate-mac", (mac, *sorted(users)),
                          f"MAC {mac} is used by {', '.join(sorted(users))}; switches will send "
                          "each one's traffic to the other",
                          "give each vif its own MAC (fxkit.xen.toolstack.stable_mac(name, index))")


def _memory(f: DoctorFacts) -> Iterable[Finding]:
    info = f.xen.info
    if info is None:
        return
    used, total = f.xen.used_memory, info.total_memory
    if used > total:
        alive = ", ".join(f"{d.name} {d.memory}" for d in f.xen.domains if d.alive)
        yield Finding("error", "ram-overcommit", ("host", *[d.name for d in f.xen.domains]),
                      f"running domains use {used} MiB but the host has {total} MiB ({alive})",
                      "lower memory= in some domU configs or stop a domU")
    stopped = [c for c in f.xen.sound_configs.values()
               if c.name and f.xen.domain(c.name) is None]
    want = used + sum(c.memory or 0 for c in stopped)
    if stopped and want > total:
        yield Finding("warning", "ram-tight", ("host", *sorted(c.name or "" for c in stopped)),
                      f"starting every configured domU would need {want} MiB of {total} MiB",
                      "lower memory= or do not start them all at once")


def _vgs(f: DoctorFacts) -> Iterable[Finding]:
    for vg in f.storage.vgs:
        size, free = vg.size_bytes, vg.free_bytes
        if size and (size - free) / size >= VG_FULL_RATIO:
            pct = 100 * (size - free) // size
            yield Finding("warning", "vg-nearly-full", (vg.name,),
                          f"VG {vg.name} is {pct}% full ({free // 1024**2} MiB free); LVs "
                          "cannot grow and new domUs will not fit",
                          f"remove orphan LVs or add a disk (pvcreate + vgextend {vg.name})")


def _drift(f: DoctorFacts) -> Iterable[Finding]:
    for d in f.xen.details:
        found = f.xen.config_for(d.name)
        if found is None or found[0] in f.xen.config_errors:
            continue        # no config, or one that config-unreadable already reports
        path, cfg = found
        diffs = []
        if cfg.memory is not None and cfg.memory != d.memory:
            diffs.append(f"memory {d.memory} live vs {cfg.memory} in config")
        if cfg.vcpus != d.vcpus:
            diffs.append(f"vcpus {d.vcpus} live vs {cfg.vcpus}")
        live_disks = {(_disk_key(x.path or ""), x.vdev) for x in d.disks}
        conf_disks = {(_disk_key(x.path or ""), x.vdev) for x in cfg.disks}
        if live_disks != conf_disks:
            diffs.append("disks differ")
        live_vifs = {(v.mac_address, v.bridge_or_default)
                     for v in d.vifs}
        conf_vifs = {(v.mac_address, v.bridge_or_default)
                     for v in cfg.vifs}
        if {b for m, b in live_vifs} != {b for m, b in conf_vifs} or \
                {m for m, b in conf_vifs if m} - {m for m, b in live_vifs}:
            diffs.append("vifs differ")
        if d.kernel and cfg.kernel and d.kernel != cfg.kernel:
            diffs.append(f"kernel {d.kernel} live vs {cfg.kernel}")
        if diffs:
            yield Finding("warning", "config-drift", (d.name, path),
                          f"{d.name} runs with a different setup than {path}: {'; '.join(diffs)}",
                          f"restart {d.name} (shutdown, then create) to apply {path}, or edit "
                          "the file to match what runs")


def _disk_key(path: str) -> str:
    ref = lv_for_path(path)
    return f"{ref[0]}/{ref[1]}" if ref else path


def _no_config(f: DoctorFacts) -> Iterable[Finding]:
    for d in f.xen.domus:
        if f.xen.config_for(d.name) is None:
            yield Finding("warning", "no-config", (d.name,),
                          f"{d.name} (id {d.id}) runs but no file in /etc/xen defines it; after "
                          "a reboot of the host it is gone",
                          f"save its configuration as /etc/xen/{d.name}.cfg (xl list -l "
                          f"{d.name} shows it)")
