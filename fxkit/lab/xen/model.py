"""The lab's Xen section: Domain-0 and the running domUs, with their disks, vifs and consoles.

A domain exists only while it runs (as in Xen: a stopped domU is just its
config file). Ids come from ``state.next_counter("xen.domid")`` and never go
back, CPU time grows with the logical clock, UUIDs and MACs derive from the
seed, so a reset lab answers the same way every time.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from fxkit.errors import LabError
from fxkit.xen.config import DomainConfig
from fxkit.xen.specs import DiskSpec, VifSpec

DOM0 = "Domain-0"
DEFAULT_DOM0_MEMORY = 512



# Every LVM report asks which LVs running domains hold open: the same few disk strings,
# parsed once (a DiskSpec is frozen, so sharing one is safe).
_disk_spec = functools.lru_cache(maxsize=4096)(DiskSpec.parse)

@dataclass
class LabVif:
    devid: int
    mac: str
    bridge: str

    def to_dict(self) -> dict[str, Any]:
        return {"devid": self.devid, "mac": self.mac, "bridge": self.bridge}


@dataclass
class LabDomain:
    """One live domain. ``disks`` are DISKSPEC strings as written in the config."""

    name: str
    domid: int
    memory: int
    vcpus: int
    uuid: str
    state: str = "-b----"
    started: int = 0                 # logical clock at boot
    cpu_base: float = 0.0            # cpu seconds at ``started``
    uptime_base: int = 0             # seconds it had been up at ``started``
    config_path: str | None = None
    kernel: str | None = None
    ramdisk: str | None = None
    cmdline: str | None = None
    disks: list[str] = field(default_factory=list)
    vifs: list[LabVif] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    @property
    def is_dom0(self) -> bool:
        return self.domid == 0

    def disk_specs(self) -> list[DiskSpec]:
        return [_disk_spec(d) for d in self.disks]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "domid": self.domid, "memory": self.memory,
                               "vcpus": self.vcpus, "uuid": self.uuid, "state": self.state,
                               "started": self.started, "cpu_base": self.cpu_base}
        if self.uptime_base:
            out["uptime_base"] = self.uptime_base
        for key in ("config_path", "kernel", "ramdisk", "cmdline"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.disks:
            out["disks"] = list(self.disks)
        if self.vifs:
            out["vifs"] = [v.to_dict() for v in self.vifs]
        if self.console:
            out["console"] = list(self.console)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabDomain:
        data = dict(data)
        vifs = [LabVif(int(v["devid"]), v["mac"], v["bridge"]) for v in data.pop("vifs", [])]
        try:
            return cls(**data, vifs=vifs)
        except TypeError as e:
            raise LabError(f"xen.json domain {data.get('name')!r}: {e}; see "
                           "fxkit/lab/xen/model.py LabDomain for the allowed keys") from None


@dataclass
class XenModel:
    """Every live domain, Domain-0 first."""

    domains: list[LabDomain] = field(default_factory=list)
    state: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any], state: Any = None) -> XenModel:
        domains = [LabDomain.from_dict(d) for d in data.get("domains", [])]
        model = cls(domains, state)
        if not any(d.is_dom0 for d in domains):
            hw_cpus = model.host_cpus()
            model.domains.insert(0, LabDomain(DOM0, 0, DEFAULT_DOM0_MEMORY, hw_cpus,
                                              "00000000-0000-0000-0000-000000000000", "r-----"))
        for d in model.domains:
            if not d.is_dom0 and not d.console:
                d.console = boot_log(d)
        model.domains.sort(key=lambda d: d.domid)
        if state is not None:
            # Xen never reuses a domid while it runs: the counter starts past the scenario's.
            state.counters.setdefault("xen.domid", max(d.domid for d in model.domains))
        return model

    def to_dict(self) -> dict[str, Any]:
        return {"domains": [d.to_dict() for d in self.domains]}

    # -- host facts ------------------------------------------------------------------------

    def _hardware(self) -> dict[str, Any]:
        return dict(getattr(self.state, "hardware", None) or {})

    def host_cpus(self) -> int:
        cpu = self._hardware().get("cpu", {})
        if isinstance(cpu, dict) and "sockets" in cpu:
            return int(cpu["sockets"]) * int(cpu.get("cores_per_socket", 1)) \
                * int(cpu.get("threads_per_core", 1))
        return 8

    def total_memory(self) -> int:
        mem = self._hardware().get("memory", {})
        return int(mem.get("total_mib", 4096)) if isinstance(mem, dict) else 4096

    def free_memory(self) -> int:
        return self.total_memory() - sum(d.memory for d in self.domains)

    # -- queries ---------------------------------------------------------------------------

    def find(self, qualifier: str) -> LabDomain | None:
        """A domain by name or numeric id, as xl's domain qualifiers allow."""
        for d in self.domains:
            if d.name == qualifier or (qualifier.isdigit() and d.domid == int(qualifier)):
                return d
        return None

    def cpu_seconds(self, dom: LabDomain) -> float:
        now = int(getattr(self.state, "clock", 0))
        rate = 0.35 if dom.is_dom0 else 0.02 * dom.vcpus
        return round(dom.cpu_base + max(now - dom.started, 0) * rate, 1)

    def uptime(self, dom: LabDomain) -> int:
        return dom.uptime_base + max(int(getattr(self.state, "clock", 0)) - dom.started, 0)

    def open_block_devices(self) -> set[str]:
        """Device paths (as written in configs) held open by live domUs."""
        out: set[str] = set()
        for d in self.domains:
            for spec in d.disk_specs():
                if spec.path:
                    out.add(spec.path)
        return out

    # -- changes -----------------------------------------------------------------------------

    def _net(self) -> Any:
        try:
            return self.state.section("net") if self.state is not None else None
        except ImportError:      # no network model installed: vifs are not simulated
            return None

    def allocate_domid(self) -> int:
        """Use up the next domid, as a create that fails after Xen made the domain does."""
        return self._next_domid()

    def _next_domid(self) -> int:
        highest = max(d.domid for d in self.domains)
        while True:
            n = self.state.next_counter("xen.domid") if self.state is not None else highest + 1
            if n > highest:
                return int(n)

    def start(self, config: DomainConfig, path: str | None) -> LabDomain:
        """Boot a domain from a parsed config (callers have checked disks, bridges, memory)."""
        name = config.name or ""
        domid = self._next_domid()
        uuid = str(config.get("uuid") or self.state.uuid("xen", name))
        vifs = []
        for devid, vif in enumerate(config.vifs):
            mac = vif.mac_address or self.state.mac("00:16:3e", "xen", name, devid)
            vifs.append(LabVif(devid, mac, vif.bridge_or_default))
        dom = LabDomain(name, domid, int(config.memory or 128), config.vcpus, uuid,
                        started=int(self.state.clock), config_path=path,
                        kernel=config.kernel, ramdisk=config.ramdisk,
                        cmdline=_cmdline(config), disks=[str(d) for d in _list(config, "disk")],
                        vifs=vifs)
        for vif in vifs:
            add_vif = getattr(self._net(), "add_vif", None)
            if add_vif is not None:
                add_vif(domid, vif.devid, vif.mac, vif.bridge)
        dom.console = boot_log(dom)
        self.domains.append(dom)
        self.state.tick()
        return dom

    def stop(self, dom: LabDomain, *, clean: bool = True) -> None:
        """Take a domain away (shutdown or destroy) and unplug its vifs."""
        remove = getattr(self._net(), "remove_vifs", None)
        if remove is not None:
            remove(dom.domid)
        self.domains = [d for d in self.domains if d is not dom]
        self.state.tick()

    def reboot(self, dom: LabDomain) -> LabDomain:
        """xl restarts a rebooting guest as a new domain (new id), same config."""
        self.stop(dom)
        config = DomainConfig()
        for key, value in (("name", dom.name), ("memory", dom.memory), ("vcpus", dom.vcpus),
                           ("uuid", dom.uuid), ("kernel", dom.kernel),
                           ("ramdisk", dom.ramdisk), ("extra", dom.cmdline)):
            if value is not None:
                config.set(key, value)
        config.set("disk", list(dom.disks))
        config.set("vif", [f"mac={v.mac}, bridge={v.bridge}" for v in dom.vifs])
        new = self.start(config, dom.config_path)
        new.console = dom.console[-20:] + ["", "Broadcast message: the system is going down "
                                           "for reboot NOW!", *new.console]
        return new


def _list(config: DomainConfig, key: str) -> list[Any]:
    value = config.get(key)
    return [] if value is None else value if isinstance(value, list) else [value]


def _cmdline(config: DomainConfig) -> str | None:
    parts = []
    if config.root:
        parts.append(f"root={config.root}")
    if config.get("extra"):
        parts.append(str(config.get("extra")))
    return " ".join(parts) or None


def boot_log(dom: LabDomain) -> list[str]:
    """What a booting Debian etch PV guest prints on its Xen console (abridged)."""
    release = (dom.kernel or "/boot/vmlinuz-2.6.18-5-xen-amd64").rsplit("vmlinuz-", 1)[-1]
    disks = dom.disk_specs()
    lines = [
        f"Bootdata ok (command line is {dom.cmdline or ''})",
        f"Linux version {release} (Debian {release}) #1 SMP",
        "BIOS-provided physical RAM map:",
        f" Xen: 0000000000000000 - {dom.memory * 1024 * 1024:016x} (usable)",
        f"Kernel command line: {dom.cmdline or ''}",
        f"Memory: {dom.memory * 1024 - 9000}k/{dom.memory * 1024}k available",
        f"Brought up {dom.vcpus} CPUs" if dom.vcpus > 1 else "Brought up 1 CPU",
        "Xen virtual console successfully installed as tty1",
        "Event-channel device installed.",
        "Registering block device major 3",
    ]
    lines += [f" {d.vdev}: unknown partition table" for d in disks if d.vdev]
    lines += [f"netfront: device eth{v.devid} has copying receive path." for v in dom.vifs]
    lines += [
        "VFS: Mounted root (ext3 filesystem) readonly.",
        "Freeing unused kernel memory: 176k freed",
        "INIT: version 2.86 booting",
        "Starting the hotplug events dispatcher: udevd.",
        "Checking root file system...fsck 1.40-WIP (14-Nov-2006)",
        "Setting up networking....",
        "Configuring network interfaces...done.",
        "INIT: Entering runlevel: 2",
        "Starting system log daemon: syslogd.",
        "Starting OpenBSD Secure Shell server: sshd.",
        "",
        f"Debian GNU/Linux 4.0 {dom.name} tty1",
        "",
        f"{dom.name} login: ",
    ]
    return lines


def vif_specs(dom: LabDomain) -> list[VifSpec]:
    return [VifSpec(mac=v.mac, bridge=v.bridge) for v in dom.vifs]
