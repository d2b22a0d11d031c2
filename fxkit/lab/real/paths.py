"""Where the real lab keeps its built image (a cache) and its running state (the lab dir)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fxkit.lab.store import lab_dir


def cache_root() -> Path:
    """The build cache, shared by every lab dir: ``$FXKIT_CACHE_DIR/real``, else XDG cache."""
    if env := os.environ.get("FXKIT_CACHE_DIR"):
        return Path(env).expanduser() / "real"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fxkit" / "real"


def lab_root() -> Path:
    """The lab directory, the same one the simulated lab uses (``fxkit.lab.store``)."""
    return Path(lab_dir())


@dataclass(frozen=True)
class ImagePaths:
    """The cached, read-only image: what QEMU boots and what SSH needs to trust it."""

    root: Path

    @property
    def xen(self) -> Path: return self.root / "xen"
    @property
    def vmlinuz(self) -> Path: return self.root / "vmlinuz"
    @property
    def initrd(self) -> Path: return self.root / "initrd.img"
    @property
    def base(self) -> Path: return self.root / "base.img"
    @property
    def key(self) -> Path: return self.root / "id_ed25519"
    @property
    def host_keys(self) -> Path: return self.root / "host_keys.pub"
    @property
    def manifest(self) -> Path: return self.root / "manifest.json"

    def complete(self) -> bool:
        return all(p.exists() for p in (self.xen, self.vmlinuz, self.initrd, self.base,
                                        self.key, self.host_keys, self.manifest))


def image_paths() -> ImagePaths:
    return ImagePaths(cache_root() / "image")


@dataclass(frozen=True)
class StatePaths:
    """One lab dir's real VM: its copy-on-write disks, pidfile and SSH files."""

    root: Path

    @property
    def overlay(self) -> Path: return self.root / "overlay.qcow2"
    @property
    def array(self) -> Path: return self.root / "array.img"
    @property
    def pidfile(self) -> Path: return self.root / "qemu.pid"
    @property
    def state(self) -> Path: return self.root / "state.json"
    @property
    def serial(self) -> Path: return self.root / "serial.log"
    @property
    def ssh_config(self) -> Path: return self.root / "ssh_config"
    @property
    def known_hosts(self) -> Path: return self.root / "known_hosts"
    @property
    def qmp(self) -> Path: return self.root / "qmp.sock"


def state_paths(lab: Path | None = None) -> StatePaths:
    """The real VM's files in lab dir ``lab`` (default: ``$FXKIT_LAB_DIR``'s)."""
    return StatePaths((lab if lab is not None else lab_root()) / "real")
