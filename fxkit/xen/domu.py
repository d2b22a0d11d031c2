"""What the domU plans take: the spec of a domU to create and the facts they read."""

from __future__ import annotations

from dataclasses import dataclass, field

from fxkit.errors import InvalidRequest
from fxkit.lvm.facts import LvmFacts
from fxkit.lvm.state import LvmState
from fxkit.xen.config import Comment, DomainConfig
from fxkit.xen.domains import CONFIG_DIR
from fxkit.xen.facts import XenFacts
from fxkit.xen.macs import XEN_OUI, normalize_mac, stable_mac

FX_KERNEL = "/boot/vmlinuz-2.6.18-5-xen-amd64"
FX_RAMDISK = "/boot/initrd.img-2.6.18-5-xen-amd64"


@dataclass(frozen=True)
class DomuSpec:
    """What a new domU should be: memory in MiB, sizes like ``4G``, one vif per bridge."""

    name: str
    memory: int = 128
    vcpus: int = 1
    root_size: str | int = "4G"
    swap_size: str | int = "512M"
    vg: str = "lvm"
    bridges: tuple[str, ...] = ("xenbr0",)
    macs: tuple[str, ...] | None = None
    mac_prefix: str = XEN_OUI
    kernel: str | None = FX_KERNEL
    ramdisk: str | None = FX_RAMDISK
    vdev: str = "xvda"
    fs: str = "ext4"
    extra: dict[str, str | int] = field(default_factory=dict, hash=False)

    @property
    def root_lv(self) -> str:
        return f"{self.name}-root"

    @property
    def swap_lv(self) -> str:
        return f"{self.name}-swap"

    @property
    def config_path(self) -> str:
        return f"{CONFIG_DIR}/{self.name}.cfg"

    def vif_macs(self) -> list[str]:
        if self.macs is not None:
            if len(self.macs) != len(self.bridges):
                raise InvalidRequest(f"domU {self.name}: {len(self.macs)} MACs for "
                                     f"{len(self.bridges)} bridges; give one MAC per bridge "
                                     "or none (stable ones are derived from the name)")
            return [normalize_mac(m) for m in self.macs]
        return [stable_mac(self.name, i, self.mac_prefix) for i in range(len(self.bridges))]

    def config(self) -> DomainConfig:
        """The domU's config file, xl syntax (which xm reads too)."""
        c = DomainConfig([Comment(f" {self.name}: domU config written by fxkit")])
        if self.kernel:
            c.set("kernel", self.kernel)
            if self.ramdisk:
                c.set("ramdisk", self.ramdisk)
        else:
            c.set("bootloader", "pygrub")
        c.set("memory", self.memory)
        c.set("vcpus", self.vcpus)
        c.set("name", self.name)
        c.set("root", f"/dev/{self.vdev}1 ro")
        pairs = zip(self.vif_macs(), self.bridges, strict=True)
        c.set("vif", [f"mac={m}, bridge={b}" for m, b in pairs])
        c.set("disk", [f"phy:/dev/{self.vg}/{self.root_lv},{self.vdev}1,w",
                       f"phy:/dev/{self.vg}/{self.swap_lv},{self.vdev}2,w"])
        for key, value in self.extra.items():
            c.set(key, value)
        return c


@dataclass(frozen=True)
class DomuFacts:
    """What the domU plans look at: Xen (domains, configs, info), LVM, bridge names.

    ``lvm`` is ``fxkit.lvm.LvmFacts`` with the domU users taken from ``xen`` (no second
    read of /etc/xen); the LV steps are ``fxkit.lvm``'s. ``tool`` is the toolstack the
    plans' steps run (``xl``, or ``xm`` on an old host).
    """

    xen: XenFacts
    lvm: LvmFacts
    bridges: frozenset[str]
    sudo: bool = False
    tool: str = "xl"

    @property
    def storage(self) -> LvmState:
        """The LVM state (VGs, LVs) these facts were made from."""
        return self.lvm.lvm
