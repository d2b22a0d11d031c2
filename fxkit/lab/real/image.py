"""Build the real lab's image once and cache it: a Debian bookworm dom0 with Xen 4.17.

    >>> from fxkit.lab.real import build_image
    >>> build_image(progress=print)                    # doctest: +SKIP
"""

from __future__ import annotations

import fcntl
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fxkit.errors import LabError
from fxkit.lab.real import rootfs as rf
from fxkit.lab.real.initrd import write_guest_initrd
from fxkit.lab.real.paths import ImagePaths, cache_root, image_paths

SUITE = "bookworm"
PACKAGES = ("xen-utils-4.17", "xen-hypervisor-4.17-amd64", "lvm2", "openssh-server",
            "openssh-sftp-server", "bridge-utils", "iproute2", "vlan",
            "busybox", "systemd-sysv", "udev", "kmod", "e2fsprogs")
# Installed after debootstrap, from the updates: debootstrap would install the point
# release's kernel (and build its initramfs) only for the upgrade to replace it.
KERNEL = "linux-image-amd64"
IMAGE_SIZE = "2048M"        # sparse; about 800 MB of it is used
# The build's recipe version, kept in the manifest. A cached image from another recipe is
# rebuilt, so a fix to what the build writes reaches machines with an image cached.
# 2: the guest's /sbin/poweroff powers off at once (initrd.py).
# 3: sshd without PAM or re-execution (rootfs.py), the guest idles in `wait` (initrd.py).
# 4: the kernel installed once, from the updates (image build time only).
# 5: /var/log/xen/console exists, so xenconsoled logs the guests' consoles (rootfs.py).
RECIPE = 5
Progress = Callable[[str], None]


def build_image(force: bool = False, progress: Progress | None = None) -> ImagePaths:
    """The cached image, built first if missing (or if ``force``); see the module docstring."""
    say = progress or _print
    # Read once: a build takes minutes, and its cache must not move meanwhile (a test
    # session changes $FXKIT_CACHE_DIR in its own tests while this runs in a thread).
    cache = cache_root()
    paths = image_paths()
    with _locked(cache):
        if not force and paths.complete():
            built = _recipe(paths)
            if built == RECIPE:
                return paths
            say(f"the cached image was built by recipe {built}, this fxkit builds recipe "
                f"{RECIPE}: rebuilding it")
        started = time.monotonic()
        work = cache / "build"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        try:
            manifest = _build(work, say, cache / "id_ed25519")
            manifest["build_seconds"] = round(time.monotonic() - started, 1)
            (work / "out" / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
            shutil.rmtree(paths.root, ignore_errors=True)
            (work / "out").rename(paths.root)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        say(f"image ready in {manifest['build_seconds']:.0f} s: {paths.root} "
            f"(xen {manifest['xen']}, linux {manifest['kernel']})")
        return paths


def image_manifest() -> dict | None:
    """The cached image's manifest (versions, sizes, build time), or None if not built."""
    paths = image_paths()
    return json.loads(paths.manifest.read_text()) if paths.complete() else None


def _recipe(paths: ImagePaths) -> int:
    """The recipe a complete cached image was built by (1 before manifests recorded it)."""
    try:
        return int(json.loads(paths.manifest.read_text()).get("recipe", 1))
    except (OSError, ValueError, AttributeError):
        return 0


def _build(work: Path, say: Progress, kept_key: Path) -> dict:
    for tool, package in (("debootstrap", "debootstrap"), ("mkfs.ext4", "e2fsprogs"),
                          ("ssh-keygen", "openssh-client"), ("chroot", "coreutils")):
        if shutil.which(tool) is None:
            raise LabError(f"building the real lab image needs `{tool}`: install the "
                           f"Debian package {package}")
    out = work / "out"
    out.mkdir()
    root = work / "rootfs"
    mirror = debian_mirror()
    say(f"debootstrap {SUITE} from {mirror} (about 1.5 min)")
    _debootstrap(root, mirror, say)
    _upgrade(root, mirror, security_mirror(), say)
    return finish(root, out, mirror, say, kept_key)


# dpkg without fsync: a build that dies is thrown away and started again, and the tree is
# only read (by mkfs.ext4 -d) once it is complete. The other two are dpkg's defaults, which
# DPKG_FORCE replaces (dpkg(1), since 1.19.5).
DPKG_ENV = {"DPKG_FORCE": "unsafe-io,security-mac,downgrade"}
APT_ENV = {"DEBIAN_FRONTEND": "noninteractive", **DPKG_ENV}


def _upgrade(root: Path, mirror: str, security: str | None, say: Progress) -> None:
    """Bring the debootstrapped dom0 up to date, then install the kernel: debootstrap
    installs the point release only, and an fx runs Debian's security updates (Xen's XSA
    fixes among them). The initramfs built meanwhile lists no modules (seconds, not half a
    minute each time); ``rootfs.configure`` builds the one that boots."""
    lines = [f"deb {mirror} {SUITE} main", f"deb {mirror} {SUITE}-updates main"]
    if security:
        lines.append(f"deb {security} {SUITE}-security main")
    else:
        say(f"no {SUITE}-security source in /etc/apt: the image gets {SUITE}-updates only "
            "(set FXKIT_DEBIAN_SECURITY_MIRROR to add one)")
    rf.write(root, "/etc/apt/sources.list", "\n".join(lines) + "\n")
    # policy-rc.d 101: packages upgraded in the chroot must not start services on this host
    rf.write(root, "/usr/sbin/policy-rc.d", "#!/bin/sh\nexit 101\n", 0o755)
    rf.write(root, rf.INITRAMFS_CONF, rf.FILES[rf.INITRAMFS_CONF])
    try:
        with _proc_mounted(root):
            say(f"apt-get dist-upgrade from {SUITE}-updates and {SUITE}-security, "
                f"then {KERNEL}")
            rf.chroot(root, ["apt-get", "-q", "update"], env=APT_ENV)
            # No Recommends, as debootstrap installs none.
            for command in (["dist-upgrade"], ["install", "--no-install-recommends", KERNEL]):
                rf.chroot(root, ["apt-get", "-q", "-y", "-o",
                                 "Dpkg::Options::=--force-confold", *command], env=APT_ENV)
            rf.chroot(root, ["apt-get", "clean"])
    finally:
        (root / "usr/sbin/policy-rc.d").unlink(missing_ok=True)


@contextmanager
def _proc_mounted(root: Path) -> Iterator[None]:
    """/proc inside the chroot while packages are configured (kernel and initramfs hooks
    read it); always unmounted, even when apt fails."""
    target = root / "proc"
    subprocess.run(["mount", "-t", "proc", "proc", str(target)], check=True)
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


def finish(root: Path, out: Path, mirror: str, say: Progress, kept_key: Path) -> dict:
    """Configure a debootstrapped ``root`` and write the image files into ``out``; the
    lab's SSH key is kept at ``kept_key`` (see ``_user_key``)."""
    say("configuring dom0: sshd, systemd-networkd, masked xendomains and serial-getty@hvc0")
    key = out / "id_ed25519"
    _user_key(kept_key, key)
    rf.configure(root, key.with_suffix(".pub").read_text())
    if not list((root / "etc/ssh").glob("ssh_host_*_key.pub")):
        rf.chroot(root, ["ssh-keygen", "-A"])
    (out / "host_keys.pub").write_text("".join(
        p.read_text() for p in sorted((root / "etc/ssh").glob("ssh_host_*_key.pub"))))
    kver = rf.kernel_version(root)
    say(f"guest kernel {kver} and busybox initrd into {rf.GUEST_DIR}")
    guest = root / rf.GUEST_DIR.lstrip("/")
    guest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / f"boot/vmlinuz-{kver}", guest / "vmlinuz")
    write_guest_initrd(root, kver, rf.resolve(root, "/bin/busybox"), rf.busybox_libs(root),
                       guest / "initrd.gz")
    xen_gz = sorted((root / "boot").glob("xen-4.17*.gz"))
    if not xen_gz:
        raise LabError("the rootfs has no /boot/xen-4.17*.gz: xen-hypervisor-4.17-amd64 "
                       "did not install")
    # QEMU's -kernel loads Xen's multiboot ELF, not the gzip Debian ships.
    (out / "xen").write_bytes(gzip.decompress(xen_gz[-1].read_bytes()))
    shutil.copy2(root / f"boot/vmlinuz-{kver}", out / "vmlinuz")
    shutil.copy2(root / f"boot/initrd.img-{kver}", out / "initrd.img")
    say(f"mkfs.ext4 -d: root filesystem image ({IMAGE_SIZE} sparse)")
    _run(["mkfs.ext4", "-q", "-F", "-L", "fxroot", "-d", str(root), str(out / "base.img"),
          IMAGE_SIZE], "mkfs.ext4 -d")
    versions = _versions(root / "var/lib/dpkg/status")
    return {"recipe": RECIPE, "suite": SUITE, "mirror": mirror, "kernel": kver,
            "xen": versions.get("xen-hypervisor-4.17-amd64", "?"),
            "packages": {p: versions.get(p, "?") for p in (*PACKAGES, KERNEL) if p in versions},
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "base_used_bytes": (out / "base.img").stat().st_blocks * 512}


def _debootstrap(root: Path, mirror: str, say: Progress) -> None:
    argv = ["debootstrap", "--variant=minbase", "--include=" + ",".join(PACKAGES),
            SUITE, str(root), mirror]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C",
                                 **DPKG_ENV})
    assert proc.stdout is not None
    tail: list[str] = []
    for line in proc.stdout:
        line = line.rstrip()
        tail = (tail + [line])[-15:]
        if re.match(r"I: (Retrieving|Validating|Installing|Configuring|Unpacking) the|"
                    r"I: Base system installed|I: (Resolving|Checking|Found)|E: ", line):
            say("  " + line)
    if proc.wait() != 0:
        missing = next((ln for ln in tail if "Couldn't find these debs" in ln), None)
        if missing:
            raise LabError(f"building the real lab image: the mirror {mirror} has no "
                           f"{missing.split(':', 2)[-1].strip()} for {SUITE}. Check the "
                           "Debian mirror in /etc/apt/sources.list(.d), or set "
                           "FXKIT_DEBIAN_MIRROR")
        raise LabError(f"debootstrap {SUITE} from {mirror} failed ({proc.returncode}):\n"
                       + "\n".join(tail) + f"\nFull log: {root}/debootstrap/debootstrap.log")


def debian_mirror(sources: Path = Path("/etc/apt")) -> str:
    """The machine's configured Debian mirror for bookworm (``FXKIT_DEBIAN_MIRROR`` wins)."""
    found = _configured("FXKIT_DEBIAN_MIRROR", sources, lambda uri, suites: SUITE in suites
                        and not uri.rstrip("/").endswith("-security"))
    if found is None:
        raise LabError(f"no Debian mirror for {SUITE} in {sources}/sources.list(.d): add one, "
                       "or set FXKIT_DEBIAN_MIRROR=http://deb.debian.org/debian")
    return found


def security_mirror(sources: Path = Path("/etc/apt")) -> str | None:
    """The machine's configured Debian security mirror for bookworm, if any
    (``FXKIT_DEBIAN_SECURITY_MIRROR`` wins)."""
    return _configured("FXKIT_DEBIAN_SECURITY_MIRROR", sources,
                       lambda uri, suites: f"{SUITE}-security" in suites)


def _configured(env: str, sources: Path, wanted: Callable[[str, list[str]], bool]) -> str | None:
    """``$env`` if set, else the first URI in the apt sources that ``wanted`` accepts."""
    if value := os.environ.get(env):
        return value
    return next((uri for uri, suites in _sources(sources) if wanted(uri, suites)), None)


def _sources(root: Path) -> Iterator[tuple[str, list[str]]]:
    files = [root / "sources.list", *sorted((root / "sources.list.d").glob("*"))]
    for f in files:
        if not f.is_file():
            continue
        text = f.read_text(errors="replace")
        if f.suffix == ".sources":  # deb822 stanzas (sources.list(5))
            for stanza in re.split(r"\n\s*\n", text):
                fields = dict(re.findall(r"^(\w[\w-]*):\s*(.*)$", stanza, re.M))
                if "deb" in fields.get("Types", "").split():
                    for uri in fields.get("URIs", "").split():
                        yield uri, fields.get("Suites", "").split()
        elif f.suffix in (".list", ""):
            for line in text.splitlines():
                words = re.sub(r"\[[^]]*\]", "", line.split("#")[0]).split()
                if len(words) >= 3 and words[0] == "deb":
                    yield words[1], [words[2]]


def _user_key(kept: Path, key: Path) -> None:
    """The lab's SSH user key, kept across rebuilds so a rebuild never locks out a running
    lab; copied next to the image it unlocks."""
    if not kept.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fxkit-real-lab",
                        "-f", str(kept)], check=True)
    for suffix in ("", ".pub"):
        shutil.copy2(f"{kept}{suffix}", f"{key}{suffix}")


def _versions(status: Path) -> dict[str, str]:
    versions = {}
    for stanza in status.read_text(errors="replace").split("\n\n"):
        name = re.search(r"^Package: (.+)$", stanza, re.M)
        ver = re.search(r"^Version: (.+)$", stanza, re.M)
        if name and ver:
            versions[name.group(1)] = ver.group(1)
    return versions


def _run(argv: list[str], what: str) -> None:
    r = subprocess.run(argv, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise LabError(f"building the real lab image: {what} failed ({r.returncode}): "
                       f"{r.stderr.strip()[-400:]}")


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    """One build at a time per cache (parallel test workers share it)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def _print(message: str) -> None:
    print(f"[fxkit real lab {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
