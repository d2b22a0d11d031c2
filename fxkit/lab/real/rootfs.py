"""Make a debootstrapped Debian tree the lab's dom0: SSH, network, Xen services, guest files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from fxkit.errors import LabError

HOSTNAME = "fx"
INITRAMFS_CONF = "/etc/initramfs-tools/conf.d/fxkit.conf"
GUEST_DIR = "/boot/guest"          # kernel and initrd of the tiny PV domUs, inside dom0
MGMT_NIC = "eth0"                   # dom0 boots with net.ifnames=0: eth0 mgmt, eth1/eth2 uplinks

FILES: dict[str, str] = {
    "/etc/hostname": f"{HOSTNAME}\n",
    "/etc/hosts": f"127.0.0.1\tlocalhost\n127.0.1.1\t{HOSTNAME}\n",
    "/etc/fstab": "/dev/vda / ext4 defaults,errors=remount-ro 0 1\n",
    # No PAM: under TCG its session modules (motd scripts, limits, env) cost about 0.45 s
    # of emulated CPU per connection, and key-only root needs none of them. Without PAM,
    # sshd refuses a locked account, so root's password is "*" (no password matches it).
    "/etc/ssh/sshd_config.d/fxkit.conf": (
        "# fxkit real lab: root by key only, no DNS lookups (the guest has no resolver)\n"
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUseDNS no\nUsePAM no\n"),
    # -r: no re-execution of sshd for each connection (0.7 s of emulated CPU each); what
    # re-execution buys, fresh address-space randomisation per connection, guards a
    # network-facing server, and this one only answers QEMU's forward on 127.0.0.1.
    "/etc/default/ssh": "# fxkit real lab: see /etc/ssh/sshd_config.d/fxkit.conf\nSSHD_OPTS=-r\n",
    # QEMU's user network always gives the guest 10.0.2.15 behind 10.0.2.2, and hostfwd
    # targets that address, so a static oneshot is as good as DHCP and cannot stall boot
    # (systemd-networkd without D-Bus in minbase held network.target, and so sshd, for minutes).
    "/etc/systemd/system/fxkit-mgmt-net.service": (
        "[Unit]\nDescription=fxkit real lab: management NIC (QEMU user network)\n"
        "DefaultDependencies=no\nAfter=systemd-udevd.service\n"
        "Before=network.target ssh.service\nWants=network.target\n\n"
        "[Service]\nType=oneshot\nRemainAfterExit=yes\nTimeoutStartSec=900\n"
        "ExecStart=/usr/local/sbin/fxkit-mgmt-net\n\n"
        "[Install]\nWantedBy=multi-user.target\n"),
    # Waits for the NIC itself: under a loaded TCG host udev can take minutes to load
    # virtio_net, longer than systemd's 90 s device timeout.
    "/usr/local/sbin/fxkit-mgmt-net": (
        "#!/bin/sh\n# fxkit real lab: bring up the management NIC (QEMU user network)\n"
        "modprobe virtio_net\n"
        f"i=0; while [ ! -e /sys/class/net/{MGMT_NIC} ] && [ $i -lt 900 ]; do "
        "sleep 1; i=$((i+1)); done\n"
        f"ip link set dev {MGMT_NIC} up\n"
        f"ip addr replace 10.0.2.15/24 dev {MGMT_NIC}\n"
        f"ip route replace default via 10.0.2.2 dev {MGMT_NIC}\n"),
    # A native unit for Debian's /etc/init.d/xen: under a loaded TCG host systemd's
    # generators ran out of time at boot, so the LSB wrapper xen.service never existed.
    "/etc/systemd/system/xen.service": (
        "[Unit]\nDescription=Xen daemons: xenstored, xen-init-dom0, xenconsoled (fxkit)\n"
        "After=local-fs.target systemd-modules-load.service\n"
        "ConditionPathExists=/proc/xen\n\n"
        "[Service]\nType=oneshot\nRemainAfterExit=yes\nTimeoutStartSec=900\n"
        "Environment=SYSTEMCTL_SKIP_REDIRECT=1\n"   # run the script, not `systemctl start`
        "ExecStart=/etc/init.d/xen start\nExecStop=/etc/init.d/xen stop\n\n"
        "[Install]\nWantedBy=multi-user.target\n"),
    # 8021q for VLAN sub-interfaces; blkback/netback so the first `xl create` finds them.
    "/etc/modules-load.d/fxkit.conf": "virtio_net\n8021q\nbridge\nxen-blkback\nxen-netback\n",
    # Under TCG every module probe and unit costs seconds: the initramfs only needs the root
    # disk, and dom0 none of the emulated PC's legacy devices.
    INITRAMFS_CONF: "MODULES=list\nCOMPRESS=gzip\n",
    "/etc/initramfs-tools/modules": "virtio_pci\nvirtio_blk\next4\n",
    "/etc/modprobe.d/fxkit-lab.conf": "".join(
        f"blacklist {m}\n" for m in ("floppy", "ata_piix", "pata_acpi", "ata_generic",
                                     "i2c_piix4", "psmouse", "serio_raw", "pcspkr", "evdev",
                                     "joydev", "button", "bochs", "drm", "sr_mod", "cdrom")),
    "/etc/systemd/journald.conf.d/fxkit.conf": "[Journal]\nStorage=volatile\nRuntimeMaxUse=16M\n",
}

# xendomains hangs poweroff after blkback/netback guests, and a getty on hvc0 once stalled
# `xl create` before this lab existed. The others only cost boot time under TCG.
MASKED = ("xendomains.service", "serial-getty@hvc0.service", "getty@tty1.service",
          "getty-static.service", "systemd-networkd.service",
          "systemd-networkd-wait-online.service", "apt-daily.timer", "apt-daily-upgrade.timer",
          "e2scrub_all.timer", "e2scrub_reap.service", "fstrim.timer",
          "systemd-timesyncd.service", "lvm2-monitor.service", "systemd-binfmt.service",
          "proc-sys-fs-binfmt_misc.automount", "sys-kernel-debug.mount",
          "sys-kernel-tracing.mount", "sys-fs-fuse-connections.mount", "sys-kernel-config.mount",
          "modprobe@fuse.service", "modprobe@configfs.service", "modprobe@efi_pstore.service",
          "modprobe@drm.service", "modprobe@loop.service", "systemd-pstore.service",
          "dpkg-db-backup.timer", "systemd-tmpfiles-clean.timer", "man-db.timer",
          "systemd-journal-flush.service", "systemd-update-utmp.service",
          "systemd-update-utmp-runlevel.service", "blk-availability.service")
ENABLED = ("fxkit-mgmt-net.service", "ssh.service", "xen.service")
PRUNE = ("usr/share/doc", "usr/share/man", "usr/share/locale", "usr/share/info",
         "var/cache/apt", "var/lib/apt/lists")


def configure(rootfs: Path, authorized_key: str) -> None:
    """Write the lab's files and service links into ``rootfs`` (run as root, no mounts)."""
    for path, text in FILES.items():
        write(rootfs, path, text, 0o755 if "/sbin/" in path else 0o644)
    xen_default = rootfs / "etc/default/xen"
    line = 'XENCONSOLED_ARGS="--log=guest --log-dir=/var/log/xen/console"\n'
    if line not in xen_default.read_text():
        with open(xen_default, "a", encoding="utf-8") as f:
            f.write(line)
    # xenconsoled logs nothing when its log dir is missing, and no package creates it.
    (rootfs / "var/log/xen/console").mkdir(parents=True, exist_ok=True)
    ssh_dir = rootfs / "root/.ssh"
    ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    write(rootfs, "/root/.ssh/authorized_keys", authorized_key.strip() + "\n", 0o600)
    for unit in MASKED:
        link = rootfs / "etc/systemd/system" / unit
        link.unlink(missing_ok=True)
        link.symlink_to("/dev/null")
    chroot(rootfs, ["systemctl", "enable", *ENABLED])
    chroot(rootfs, ["usermod", "-p", "*", "root"])     # no password; not "locked" (above)
    chroot(rootfs, ["update-initramfs", "-u", "-k", "all"])
    for rel in PRUNE:
        shutil.rmtree(rootfs / rel, ignore_errors=True)
    (rootfs / "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)
    (rootfs / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)
    (rootfs / "etc/machine-id").write_text("")  # a fresh id on first boot


def write(rootfs: Path, path: str, text: str, mode: int = 0o644) -> None:
    target = rootfs / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    os.chmod(target, mode)


def chroot(rootfs: Path, argv: list[str], env: dict[str, str] | None = None) -> str:
    """Run a command inside the rootfs (needs root); the error names the command."""
    r = subprocess.run(["chroot", str(rootfs), *argv], capture_output=True, text=True,
                       env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C", **(env or {})},
                       check=False)
    if r.returncode != 0:
        raise LabError(f"building the real lab image: `{' '.join(argv)}` in the rootfs "
                       f"failed ({r.returncode}): {r.stderr.strip()[-400:]}")
    return r.stdout


def resolve(rootfs: Path, path: str, depth: int = 0) -> Path:
    """``path`` inside ``rootfs`` with symlinks followed inside it (absolute ones too)."""
    parts = Path(path.lstrip("/")).parts
    current = rootfs
    for i, part in enumerate(parts):
        nxt = current / part
        if nxt.is_symlink():
            if depth > 20:
                raise LabError(f"symlink loop at {nxt} in the rootfs")
            target = os.readlink(nxt)
            base = "/" if target.startswith("/") else "/" + str(current.relative_to(rootfs))
            rest = "/".join(parts[i + 1:])
            joined = os.path.normpath(os.path.join(base, target, rest))
            return resolve(rootfs, joined, depth + 1)
        current = nxt
    return current


def busybox_libs(rootfs: Path) -> dict[str, Path]:
    """The shared libraries of the rootfs's busybox, as {path in initrd: real file}."""
    out = chroot(rootfs, ["ldd", "/bin/busybox"])
    libs: dict[str, Path] = {}
    for line in out.splitlines():
        words = line.split()
        path = words[2] if "=>" in words and len(words) > 2 else words[0] if words else ""
        if path.startswith("/"):
            libs[path] = resolve(rootfs, path)
    if not any("ld-linux" in p for p in libs):
        raise LabError(f"ldd /bin/busybox in the rootfs named no dynamic loader: {out!r}")
    return libs


def kernel_version(rootfs: Path) -> str:
    """The newest kernel in the rootfs's /boot (versions compared number by number)."""
    kernels = sorted((p.name[len("vmlinuz-"):] for p in (rootfs / "boot").glob("vmlinuz-*")),
                     key=lambda v: [int(n) for n in re.findall(r"\d+", v)])
    if not kernels:
        raise LabError("the rootfs has no /boot/vmlinuz-*: linux-image-amd64 was not installed")
    return kernels[-1]
