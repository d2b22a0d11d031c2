"""Unit tests of the real lab's pure parts: cpio, MBR, mirror lookup, QEMU argv, stale pids."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import stat
import struct
import subprocess
from pathlib import Path

import pytest

from fxkit.errors import LabError
from fxkit.lab.real import disks, image, vm
from fxkit.lab.real.image import debian_mirror, security_mirror
from fxkit.lab.real.initrd import GUEST_INIT, GUEST_POWEROFF, Entry, guest_entries, newc
from fxkit.lab.real.paths import ImagePaths, StatePaths
from fxkit.lab.real.rootfs import kernel_version, resolve


def test_newc_archive_unpacks_with_real_cpio(tmp_path: Path) -> None:
    if shutil.which("cpio") is None:
        pytest.skip("cpio is not installed (Debian package cpio)")
    entries = guest_entries(b"BB", {"/lib/x86_64-linux-gnu/libc.so.6": b"LIBC"},
                            {"xen-blkfront.ko": b"KO"})
    archive = newc(entries)
    out = tmp_path / "x"
    out.mkdir()
    r = subprocess.run(["cpio", "-id", "--quiet", "--no-absolute-filenames"], input=archive,
                       cwd=out, capture_output=True, check=False)
    assert r.returncode == 0, r.stderr
    assert (out / "bin/busybox").read_bytes() == b"BB"
    assert (out / "init").read_text() == GUEST_INIT
    assert (out / "init").stat().st_mode & 0o111
    assert (out / "sbin/poweroff").read_text() == GUEST_POWEROFF
    assert (out / "sbin/poweroff").stat().st_mode & 0o111
    assert (out / "lib/x86_64-linux-gnu/libc.so.6").read_bytes() == b"LIBC"
    assert (out / "lib/modules/xen-blkfront.ko").read_bytes() == b"KO"
    listing = subprocess.run(["cpio", "-itv", "--quiet"], input=archive, capture_output=True,
                             check=True).stdout.decode()
    assert "dev/console" in listing and listing.splitlines()[0][0] in "dc-l"


def test_newc_pads_to_four_bytes() -> None:
    data = newc([Entry("a", stat.S_IFREG | 0o644, b"xyz")])
    assert data.startswith(b"070701") and len(data) % 4 == 0
    assert data.endswith(b"TRAILER!!!\0" + b"\0" * (-(110 + 11) % 4))


def test_guest_init_traps_poweroff_signal_before_anything_else() -> None:
    # PID 1 ignores a signal it does not trap: a trap set after the module loading lost the
    # `poweroff` typed in the guest while init was still starting.
    commands = [line for line in GUEST_INIT.splitlines()[1:] if line.strip()]
    assert commands[0] == "trap '/bin/busybox poweroff -f' USR2 TERM"


def test_guest_init_idles_without_starting_a_process_every_second() -> None:
    # Under TCG a `sleep 1` loop in each guest kept a tenth of a host core busy; `wait` on a
    # long sleep costs nothing and still returns at once when a trapped signal arrives.
    last = [line for line in GUEST_INIT.splitlines() if line.strip()][-1]
    assert last == "while true; do sleep 2147483647 & wait $!; done"


def test_guest_poweroff_powers_off_without_signalling_init() -> None:
    # The guest kernel runs /sbin/poweroff on `xl shutdown`; a symlink to busybox signalled
    # init, which had not trapped the signal yet in the first seconds, and xl shutdown -w hung.
    entry = next(e for e in guest_entries(b"", {}, {}) if e.name == "sbin/poweroff")
    assert stat.S_ISREG(entry.mode) and entry.mode & 0o111
    lines = entry.data.decode().splitlines()
    assert lines[0] == "#!/bin/busybox sh"
    assert lines[1:] == ["exec /bin/busybox poweroff -f"]


def test_array_disk_has_boot_and_lvm_partitions(tmp_path: Path) -> None:
    img = tmp_path / "array.img"
    disks.make_array(img, size=256 * disks.MiB)
    raw = img.read_bytes()[:512]
    assert raw[510:] == b"\x55\xaa"
    parts = [struct.unpack("<B3sB3sII", raw[446 + 16 * i:462 + 16 * i]) for i in range(4)]
    boot, lvm = parts[0], parts[1]
    assert (boot[0], boot[2], boot[4]) == (0x80, 0x83, 2048)
    assert lvm[2] == 0x8E and lvm[4] == 2048 + disks.BOOT_SIZE // 512
    assert lvm[4] + lvm[5] == 256 * disks.MiB // 512
    assert parts[2][2] == parts[3][2] == 0
    assert img.stat().st_blocks * 512 < 1 * disks.MiB       # sparse
    if shutil.which("sfdisk"):
        dump = subprocess.run(["sfdisk", "-d", str(img)], capture_output=True, text=True,
                              check=True).stdout
        assert "type=83, bootable" in dump and "type=8e" in dump


def test_mbr_refuses_a_partition_past_the_end() -> None:
    with pytest.raises(ValueError, match="past the disk end"):
        disks.mbr(1024 * 512, [(2048, 10, 0x83, False)])


def test_mirror_from_deb822_and_one_line_sources(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FXKIT_DEBIAN_MIRROR", raising=False)
    d = tmp_path / "sources.list.d"
    d.mkdir()
    (d / "debian.sources").write_text(
        "Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n"
        "Components: main\n\nTypes: deb\nURIs: http://mirror.example/debian\n"
        "Suites: bookworm bookworm-updates\nComponents: main\n")
    (d / "other.list").write_text("deb https://packages.example/apt cloud main\n")
    assert debian_mirror(tmp_path) == "http://mirror.example/debian"
    (d / "debian.sources").unlink()
    (tmp_path / "sources.list").write_text(
        "# comment\ndeb [arch=amd64] http://ftp.fr.debian.org/debian bookworm main\n")
    assert debian_mirror(tmp_path) == "http://ftp.fr.debian.org/debian"
    (tmp_path / "sources.list").write_text("")
    with pytest.raises(LabError, match="FXKIT_DEBIAN_MIRROR"):
        debian_mirror(tmp_path)
    monkeypatch.setenv("FXKIT_DEBIAN_MIRROR", "http://x/debian")
    assert debian_mirror(tmp_path) == "http://x/debian"


def test_security_mirror_is_found_or_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FXKIT_DEBIAN_SECURITY_MIRROR", raising=False)
    (tmp_path / "sources.list").write_text(
        "deb http://ftp.fr.debian.org/debian bookworm main\n"
        "deb http://security.debian.org/debian-security bookworm-security main\n")
    assert security_mirror(tmp_path) == "http://security.debian.org/debian-security"
    (tmp_path / "sources.list").write_text("deb http://ftp.fr.debian.org/debian bookworm main\n")
    assert security_mirror(tmp_path) is None
    monkeypatch.setenv("FXKIT_DEBIAN_SECURITY_MIRROR", "http://s/debian-security")
    assert security_mirror(tmp_path) == "http://s/debian-security"


def test_newest_kernel_wins(tmp_path: Path) -> None:
    (tmp_path / "boot").mkdir()
    for v in ("6.1.0-9-amd64", "6.1.0-56-amd64", "6.1.0-50-amd64"):
        (tmp_path / "boot" / f"vmlinuz-{v}").write_text("")
    assert kernel_version(tmp_path) == "6.1.0-56-amd64"        # not the string order's -9


def test_qemu_argv_uses_tcg_the_pitfall_fixes_and_a_restricted_nic(tmp_path: Path) -> None:
    argv = vm.qemu_argv(ImagePaths(tmp_path / "img"), StatePaths(tmp_path / "st"), 2222)
    line = " ".join(argv)
    assert argv[argv.index("-accel") + 1] == "tcg,tb-size=256"
    assert "kvm" not in line
    if "FXKIT_REAL_CPU" not in os.environ and "FXKIT_REAL_SMP" not in os.environ:
        # -cpu max corrupted dom0 once a domU ran (fxkit/lab/real/README.md)
        assert argv[argv.index("-cpu") + 1] == "Nehalem"
        assert argv[argv.index("-smp") + 1] == "2"
    xen = argv[argv.index("-append") + 1]
    assert "smap=0" in xen and "bootscrub=0" in xen and "dom0_mem=1024M,max:1024M" in xen
    assert "restrict=on,hostfwd=tcp:127.0.0.1:2222-:22" in line
    assert line.count("-nic user") == 1 + vm.UPLINKS
    assert line.count("restrict=on") == 1 + vm.UPLINKS
    assert f"file={tmp_path}/st/overlay.qcow2,if=virtio,format=qcow2" in line
    modules = argv[argv.index("-initrd") + 1]
    assert modules.count(",") == 1 and "net.ifnames=0" in modules


def test_qemu_argv_escapes_commas_in_module_paths(tmp_path: Path) -> None:
    argv = vm.qemu_argv(ImagePaths(tmp_path / "a,b"), StatePaths(tmp_path), 1)
    assert "a,,b/vmlinuz" in argv[argv.index("-initrd") + 1]


def test_resolve_follows_absolute_symlinks_inside_the_rootfs(tmp_path: Path) -> None:
    (tmp_path / "usr/lib/x86_64-linux-gnu").mkdir(parents=True)
    (tmp_path / "usr/lib/x86_64-linux-gnu/ld.so").write_text("LD")
    (tmp_path / "lib").symlink_to("usr/lib")
    (tmp_path / "usr/lib64").mkdir()
    (tmp_path / "usr/lib64/ld-linux.so").symlink_to("/lib/x86_64-linux-gnu/ld.so")
    (tmp_path / "lib64").symlink_to("usr/lib64")
    assert resolve(tmp_path, "/lib64/ld-linux.so").read_text() == "LD"


def test_dead_pid_is_not_alive_and_no_qemu_owns_a_fresh_overlay(tmp_path: Path) -> None:
    p = subprocess.Popen(["true"])
    p.wait()
    assert not vm.alive(p.pid)
    assert vm.alive(os.getpid())
    assert vm.qemu_pids(tmp_path / "overlay.qcow2") == []


def test_stale_pidfile_is_reported_and_cleaned(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from fxkit.lab.real import lifecycle
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path))
    sp = lifecycle.state_paths()
    sp.root.mkdir(parents=True)
    p = subprocess.Popen(["true"])
    p.wait()
    sp.pidfile.write_text(f"{p.pid}\n")
    vm.VmState(pid=p.pid, port=1, how="test", started_at=0.0, boot_seconds=30.0).save(sp.state)
    st = lifecycle.status_real()
    assert st is not None and st["stale"] and not st["running"]
    said: list[str] = []
    lifecycle._clean_stale(sp, said.append)
    assert not sp.pidfile.exists() and "stale" in said[0]
    assert lifecycle.status_real() == {"lab": "real", "running": False, "stale": False,
                                       "overlay": None}
    assert lifecycle.stop_real() is False


def test_gzip_initrd_is_deterministic() -> None:
    a = gzip.compress(newc(guest_entries(b"x", {}, {})), mtime=0)
    b = gzip.compress(newc(guest_entries(b"x", {}, {})), mtime=0)
    assert a == b


def test_cli_status_lines_for_never_started_and_stale(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from fxkit.cli import lab_real
    from fxkit.lab.real import lifecycle
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path))
    assert lab_real.status_lines() == []
    sp = lifecycle.state_paths()
    sp.root.mkdir(parents=True)
    p = subprocess.Popen(["true"])
    p.wait()
    sp.pidfile.write_text(f"{p.pid}\n")
    vm.VmState(pid=p.pid, port=1, how="fxkit lab start --real", started_at=0.0).save(sp.state)
    assert "STALE" in lab_real.status_lines()[0]


def test_rootfs_config_masks_the_known_pitfalls() -> None:
    from fxkit.lab.real import rootfs
    assert {"xendomains.service", "serial-getty@hvc0.service"} <= set(rootfs.MASKED)
    sshd = rootfs.FILES["/etc/ssh/sshd_config.d/fxkit.conf"]
    assert "PermitRootLogin prohibit-password" in sshd and "PasswordAuthentication no" in sshd
    # cheaper logins under TCG (README.md): no PAM, no re-execution per connection
    assert "UsePAM no" in sshd and rootfs.FILES["/etc/default/ssh"].endswith("SSHD_OPTS=-r\n")
    assert "8021q" in rootfs.FILES["/etc/modules-load.d/fxkit.conf"]


def _fake_cached_image(root: Path, recipe: int | None) -> None:
    paths = ImagePaths(root / "real" / "image")
    paths.root.mkdir(parents=True)
    for p in (paths.xen, paths.vmlinuz, paths.initrd, paths.base, paths.key, paths.host_keys):
        p.write_text("x")
    paths.manifest.write_text(json.dumps({} if recipe is None else {"recipe": recipe}))


@pytest.mark.parametrize("recipe", [None, image.RECIPE - 1])
def test_an_image_cached_by_an_older_recipe_is_rebuilt(tmp_path: Path, recipe: int | None,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FXKIT_CACHE_DIR", str(tmp_path))
    _fake_cached_image(tmp_path, recipe)
    built, said = [], []

    def fake_build(work: Path, say, kept_key: Path) -> dict:
        assert kept_key == tmp_path / "real" / "id_ed25519"    # the cache read at the start
        built.append(work)
        (work / "out").mkdir()
        return {"recipe": image.RECIPE, "xen": "4.17", "kernel": "6.1"}

    monkeypatch.setattr(image, "_build", fake_build)
    paths = image.build_image(progress=said.append)
    assert len(built) == 1
    assert f"recipe {image.RECIPE}: rebuilding" in said[0]
    assert json.loads(paths.manifest.read_text())["recipe"] == image.RECIPE


def test_an_image_cached_by_this_recipe_is_reused(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FXKIT_CACHE_DIR", str(tmp_path))
    _fake_cached_image(tmp_path, image.RECIPE)
    monkeypatch.setattr(image, "_build", lambda work, say: pytest.fail("rebuilt a current image"))
    assert image.build_image(progress=print).base.read_text() == "x"


# `xl block-list` and `xl network-list` on the real lab's Xen 4.17 dom0 (captured
# 2026-12-03): a guest just created (front-ends Initialising, 1), then booted (Connected, 4).
BLOCK_HEAD = "Vdev  BE  handle state evt-ch ring-ref BE-path                       \n"
NET_HEAD = ("Idx BE Mac Addr.         handle state evt-ch   tx-/rx-ring-ref BE-path"
            "                       \n")
XL_BOOTING = {
    "block-list": BLOCK_HEAD + "51713 0   52     1     -1     -1       "
                               "/local/domain/0/backend/vbd/52/51713\n",
    "network-list": NET_HEAD + "0   0  00:16:3e:0f:0f:01     0     1     -1    -1/-1          "
                               "/local/domain/0/backend/vif/52/0\n"}
XL_BOOTED = {
    "block-list": BLOCK_HEAD + "51713 0   52     4     8      8        "
                               "/local/domain/0/backend/vbd/52/51713\n",
    "network-list": NET_HEAD + "0   0  00:16:3e:0f:0f:01     0     4     -1   522/523         "
                               "/local/domain/0/backend/vif/52/0\n"}


class XlLists:
    """A dom0 that answers `xl block-list`/`network-list` from a table (None: no domain)."""

    def __init__(self, *answers: dict[str, str] | None) -> None:
        self.answers = list(answers)
        self.calls = 0

    def run(self, argv, check=True, read_only=False, **_):
        from fxkit.result import Result
        what = argv[1]
        answer = self.answers[min(self.calls // 2, len(self.answers) - 1)]
        self.calls += 1
        if answer is None:     # what xl 4.17 prints for a domain that does not exist
            head = BLOCK_HEAD if what == "block-list" else NET_HEAD
            return Result(tuple(argv), 0, head, "xldiff is an invalid domain identifier\n",
                          0.0, "fake")
        return Result(tuple(argv), 0, answer[what], "", 0.0, "fake")


def test_a_guest_counts_as_booted_once_every_front_end_is_connected() -> None:
    from fxkit.lab.real.guests import frontends_connected
    assert frontends_connected(XlLists(XL_BOOTED), "xldiff")
    assert not frontends_connected(XlLists(XL_BOOTING), "xldiff")
    assert not frontends_connected(XlLists(None), "xldiff")   # gone: never "booted"
    half = {"block-list": XL_BOOTED["block-list"], "network-list": XL_BOOTING["network-list"]}
    assert not frontends_connected(XlLists(half), "xldiff")


def test_wait_booted_polls_until_the_front_ends_connect(monkeypatch) -> None:
    from fxkit.lab.real import guests
    monkeypatch.setattr("fxkit.polling.time.sleep", lambda s: None)
    dom0 = XlLists(XL_BOOTING, XL_BOOTING, XL_BOOTED)
    assert guests.wait_booted(dom0, "xldiff", timeout=60)
    assert dom0.calls == 2 + 2 + 2
    assert not guests.wait_booted(XlLists(XL_BOOTING), "xldiff", timeout=0)
