"""The real lab's snapshot without a VM: the QMP exchange, save and resume, staleness, the
choice between restoring and booting, and the clock/entropy program run after a restore."""

from __future__ import annotations

import builtins
import io
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from fxkit.errors import LabError
from fxkit.host import Exec
from fxkit.lab.real import freshen, lifecycle, snapshot, vm
from fxkit.lab.real.paths import ImagePaths, StatePaths
from fxkit.lab.real.qmp import Qmp, QmpError, wait_migration
from fxkit.testing import FunctionHost

GREETING = {"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 22}},
                    "capabilities": []}}


class FakeQemu:
    """The QEMU end of a socketpair: greets, then answers each command with ``handler``."""

    def __init__(self, handler) -> None:
        self.ours, self.theirs = socket.socketpair()
        self.handler = handler
        self.received: list[dict] = []
        self.fds: list[int] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _send(self, obj: dict) -> None:
        self.theirs.sendall(json.dumps(obj).encode() + b"\r\n")

    def _serve(self) -> None:
        self._send(GREETING)
        buf = b""
        while True:
            msg, fds, _, _ = socket.recv_fds(self.theirs, 65536, 4)
            if not msg:
                return
            self.fds += fds
            buf += msg
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                cmd = json.loads(line)
                self.received.append(cmd)
                for reply in self.handler(cmd, self):
                    self._send(reply)

    def client(self) -> Qmp:
        return Qmp(self.ours, timeout=5)

    @property
    def commands(self) -> list[str]:
        return [c["execute"] for c in self.received]


def ok(value=None) -> list[dict]:
    return [{"return": {} if value is None else value}]


def test_qmp_negotiates_skips_events_and_names_errors() -> None:
    def handler(cmd, q):
        if cmd["execute"] == "query-status":
            return [{"event": "STOP", "timestamp": {}}, *ok({"status": "paused"})]
        if cmd["execute"] == "bogus":
            return [{"error": {"class": "CommandNotFound", "desc": "The command bogus has "
                                                                   "not been found"}}]
        return ok()
    q = FakeQemu(handler)
    with q.client() as qmp:
        assert qmp.version["major"] == 7
        assert qmp.execute("query-status") == {"status": "paused"}
        assert qmp.events[0]["event"] == "STOP"
        with pytest.raises(QmpError, match="bogus: CommandNotFound"):
            qmp.execute("bogus")
        qmp.execute("cont")
    assert q.commands == ["qmp_capabilities", "query-status", "bogus", "cont"]


def test_qmp_passes_an_open_file_to_getfd(tmp_path: Path) -> None:
    q = FakeQemu(lambda cmd, q: ok())
    target = tmp_path / "state"
    with open(target, "wb") as f, q.client() as qmp:
        qmp.execute("getfd", {"fdname": "x"}, fds=[f.fileno()])
    deadline = time.monotonic() + 5
    while not q.fds and time.monotonic() < deadline:
        time.sleep(0.01)
    os.write(q.fds[0], b"written by QEMU")     # the fd QEMU got is our file
    os.close(q.fds[0])
    assert target.read_bytes() == b"written by QEMU"
    assert q.received[-1] == {"execute": "getfd", "arguments": {"fdname": "x"}}


def test_qmp_reports_a_closed_socket_and_a_long_path(tmp_path: Path) -> None:
    a, b = socket.socketpair()
    b.close()
    with pytest.raises(LabError, match="closed its monitor socket"):
        Qmp(a, timeout=2)
    with pytest.raises(LabError, match="shorter directory"):
        Qmp.connect(tmp_path / ("x" * 120), wait=0)
    with pytest.raises(LabError, match="is its QEMU running"):
        Qmp.connect(tmp_path / "none.sock", wait=0)


def test_wait_migration_until_completed_or_failed() -> None:
    answers = iter([{"status": "setup"}, {"status": "active"}, {"status": "completed",
                                                                 "total-time": 2400}])
    q = FakeQemu(lambda cmd, q: ok(next(answers)) if cmd["execute"] == "query-migrate" else ok())
    with q.client() as qmp:
        assert wait_migration(qmp, 5, poll=0)["total-time"] == 2400
    q = FakeQemu(lambda cmd, q: ok({"status": "failed", "error-desc": "disk full"})
                 if cmd["execute"] == "query-migrate" else ok())
    with q.client() as qmp, pytest.raises(LabError, match="failed: disk full"):
        wait_migration(qmp, 5, poll=0)


def test_resume_waits_for_the_load_then_continues() -> None:
    states = iter(["inmigrate", "inmigrate", "paused"])

    def handler(cmd, q):
        if cmd["execute"] == "query-status":
            return ok({"status": next(states), "running": False})
        if cmd["execute"] == "query-migrate":
            return ok({"status": "active"})
        return ok()
    q = FakeQemu(handler)
    with q.client() as qmp:
        snapshot.resume(qmp, timeout=5)
    assert q.commands[-1] == "cont" and q.commands.count("cont") == 1
    q = FakeQemu(lambda cmd, q: ok({"status": "inmigrate"}) if cmd["execute"] == "query-status"
                 else ok({"status": "failed", "error-desc": "Unknown ramblock"}))
    with q.client() as qmp, pytest.raises(LabError, match="Unknown ramblock"):
        snapshot.resume(qmp, timeout=5)
    assert "cont" not in q.commands            # a half-loaded VM is never run


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FXKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(snapshot, "qemu_version", lambda: "QEMU emulator version 7.2.22")
    return tmp_path


def lab_disks(root: Path) -> StatePaths:
    sp = StatePaths(root / "real")
    sp.root.mkdir(parents=True)
    sp.overlay.write_bytes(b"QFI\xfb root overlay")
    with open(sp.array, "wb") as f:
        f.truncate(64 << 20)                    # sparse, like the 4 GB array
        f.write(b"MBR")
    return sp


def saving_qemu(state: bytes):
    def handler(cmd, q):
        if cmd["execute"] == "migrate":
            os.write(q.fds[-1], state)          # what QEMU streams into the fd it got
            os.close(q.fds[-1])
        if cmd["execute"] == "query-migrate":
            return ok({"status": "completed", "total-time": 900})
        return ok()
    return FakeQemu(handler)


IMAGE_MANIFEST = {"recipe": 2, "built_at": "2026-12-02T16:03:42Z"}


def test_save_stops_streams_copies_the_disks_and_replaces_a_stale_snapshot(cache: Path) -> None:
    image = ImagePaths(cache / "img")
    sp = lab_disks(cache / "lab")
    old = snapshot.snapshot_paths()
    old.root.mkdir(parents=True)
    old.manifest.write_text(json.dumps({"key": {"format": 0}}))
    q = saving_qemu(b"QEVM saved RAM")
    with q.client() as qmp:
        manifest = snapshot.save(qmp, sp, image, IMAGE_MANIFEST)
    assert q.commands == ["qmp_capabilities", "stop", "migrate-set-parameters", "getfd",
                          "migrate", "query-migrate"]          # left stopped: no cont here
    assert q.received[4]["arguments"] == {"uri": f"fd:{snapshot.FD_NAME}"}
    snap = snapshot.snapshot_paths()
    assert snap.state.read_bytes() == b"QEVM saved RAM"
    assert snap.root_disk.read_bytes() == sp.overlay.read_bytes()
    assert snap.array.read_bytes() == sp.array.read_bytes()
    assert snap.array.stat().st_blocks * 512 < (1 << 20)       # still sparse
    assert manifest["key"] == snapshot.key(image, IMAGE_MANIFEST)
    assert snapshot.usable(image, IMAGE_MANIFEST) == (snap, "")
    assert [p.name for p in snap.root.parent.iterdir()] == ["snapshot"]   # no leftovers


def test_prepare_gives_the_lab_copies_not_the_snapshot_itself(cache: Path) -> None:
    image = ImagePaths(cache / "img")
    q = saving_qemu(b"S")
    with q.client() as qmp:
        snapshot.save(qmp, lab_disks(cache / "a"), image, IMAGE_MANIFEST)
    snap = snapshot.snapshot_paths()
    sp = StatePaths(cache / "b" / "real")
    snapshot.prepare(snap, sp)
    sp.overlay.write_bytes(b"changed by the lab")
    assert snap.root_disk.read_bytes() == b"QFI\xfb root overlay"


def test_a_snapshot_is_stale_when_anything_it_was_made_from_changes(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = ImagePaths(cache / "img")
    assert snapshot.usable(image, IMAGE_MANIFEST) == (None, "no snapshot saved yet")
    q = saving_qemu(b"S")
    with q.client() as qmp:
        snapshot.save(qmp, lab_disks(cache / "lab"), image, IMAGE_MANIFEST)
    assert snapshot.usable(image, IMAGE_MANIFEST)[0] is not None

    def why() -> str:
        return snapshot.usable(image, IMAGE_MANIFEST)[1]
    assert "the image recipe changed" in snapshot.usable(image, {**IMAGE_MANIFEST, "recipe": 3})[1]
    assert "the image (rebuilt) changed" in snapshot.usable(
        image, {**IMAGE_MANIFEST, "built_at": "2026-12-03T00:00:00Z"})[1]
    with monkeypatch.context() as m:
        m.setattr(snapshot, "qemu_version", lambda: "QEMU emulator version 8.2.2")
        assert "QEMU's version changed" in why()
    for knob, value in (("MEMORY_MB", 4096), ("SMP", 1), ("CPU", "max"),
                        ("XEN_CMDLINE", vm.XEN_CMDLINE + " x"), ("UPLINKS", 1)):
        with monkeypatch.context() as m:
            m.setattr(vm, knob, value)
            assert "hardware" in why(), knob
    with monkeypatch.context() as m:
        m.setattr(snapshot, "provisioning", lambda: "0" * 16)
        assert "what fx is" in why()
    with monkeypatch.context() as m:
        m.setattr(snapshot, "FORMAT", snapshot.FORMAT + 1)
        assert "format" in why()
    assert why() == ""                                   # and back once nothing differs
    snapshot.snapshot_paths().array.unlink()
    assert why() == "no snapshot saved yet"


def test_provisioning_digest_follows_what_fx_is(monkeypatch: pytest.MonkeyPatch) -> None:
    from fxkit.lab.real import provision
    before = snapshot.provisioning()
    monkeypatch.setattr(provision, "TITANIC", provision.TITANIC.replace("memory = 128",
                                                                        "memory = 256"))
    assert snapshot.provisioning() != before
    monkeypatch.undo()
    monkeypatch.setattr(provision, "LVS", provision.LVS[:-1])
    assert snapshot.provisioning() != before


def test_hardware_digest_ignores_the_lab_dir_and_port(tmp_path: Path) -> None:
    image = ImagePaths(tmp_path / "img")
    a = vm.qemu_argv(image, StatePaths(tmp_path / "a"), 2222)
    b = vm.qemu_argv(image, StatePaths(tmp_path / "b"), 2223, incoming_fd=7)
    assert snapshot.hardware(image) == snapshot.hardware(image)
    assert "-monitor" not in a and a[a.index("-qmp") + 1] == \
        f"unix:{tmp_path}/a/qmp.sock,server=on,wait=off"
    assert b[-2:] == ["-incoming", "fd:7"] and "-incoming" not in a


# -- start_real's choice: restore, or boot + provision + save -------------------------------

@pytest.fixture
def fake_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path / "lab"))
    monkeypatch.setenv("FXKIT_CACHE_DIR", str(tmp_path / "cache"))
    calls: list[str] = []
    image = ImagePaths(tmp_path / "img")
    monkeypatch.setattr(lifecycle, "build_image", lambda progress=None: image)
    monkeypatch.setattr(lifecycle, "image_manifest", lambda: IMAGE_MANIFEST)

    def cold(sp, image, st, timeout, provision, say):
        calls.append("boot+provision")
        sp.overlay.write_text("booted")
        st.pid, st.boot_seconds, st.provision_seconds = 1, 60.0, 80.0
        return lifecycle._info(sp, st)

    def restore(sp, image, snap, port, st, timeout, say):
        calls.append("restore")
        if getattr(restore, "fail", False):
            raise LabError("restoring the real lab from its snapshot failed: boom")
        st.pid, st.boot_seconds, st.restored_from = 1, 3.0, "2026-12-02T17:00:00Z"
        return st
    monkeypatch.setattr(lifecycle, "_cold", cold)
    monkeypatch.setattr(lifecycle, "restore_into", restore)
    monkeypatch.setattr(lifecycle, "save_provisioned",
                        lambda sp, image, manifest, say: calls.append("save"))
    snap: dict = {"usable": None}
    monkeypatch.setattr(lifecycle.snapshot, "usable", lambda image, manifest: (
        (snapshot.snapshot_paths(), "") if snap["usable"] else (None, "no snapshot saved yet")))
    return calls, snap, restore


def test_a_fresh_start_restores_a_usable_snapshot(fake_start) -> None:
    calls, snap, _ = fake_start
    snap["usable"] = True
    info = lifecycle.start_real(progress=lambda m: None)
    assert calls == ["restore"] and info.restored_from and info.boot_seconds == 3.0


def test_without_a_snapshot_a_fresh_start_boots_provisions_and_saves(fake_start) -> None:
    calls, _, _ = fake_start
    said: list[str] = []
    lifecycle.start_real(progress=said.append)
    assert calls == ["boot+provision", "save"]
    assert any("no snapshot to restore (no snapshot saved yet)" in m for m in said)


def test_cold_start_and_kept_disks_never_restore(fake_start) -> None:
    calls, snap, _ = fake_start
    snap["usable"] = True
    lifecycle.start_real(restore=False, progress=lambda m: None)      # --cold: and re-save
    assert calls == ["boot+provision", "save"]
    calls.clear()
    lifecycle.start_real(progress=lambda m: None)     # the overlay is kept: boot it as it is
    assert calls == ["boot+provision"]


def test_a_failed_restore_falls_back_to_boot_and_saves_anew(fake_start) -> None:
    calls, snap, restore = fake_start
    snap["usable"] = True
    restore.fail = True
    said: list[str] = []
    lifecycle.start_real(progress=said.append)
    assert calls == ["restore", "boot+provision", "save"]
    assert any("boom: booting and provisioning instead" in m for m in said)


def test_reset_discards_the_disks_and_starts_a_fresh_fx(fake_start) -> None:
    calls, snap, _ = fake_start
    snap["usable"] = True
    sp = lifecycle.state_paths()
    sp.root.mkdir(parents=True)
    sp.overlay.write_text("changed by a trainee")
    info = lifecycle.reset_real(progress=lambda m: None)
    assert calls == ["restore"] and info is not None and info.restored_from
    assert lifecycle.reset_real(start=False) is None and not sp.overlay.exists()


# -- after a restore: the clock and the random generator ------------------------------------

def run_program(request: dict) -> tuple[dict, list]:
    """Run freshen.PROGRAM here with fake ioctl, clock and /dev/random: what it asked for."""
    done: list = []

    class FakeFcntl:
        @staticmethod
        def ioctl(f, op, arg=0):
            done.append(("ioctl", hex(op), arg))

    class FakeTime:
        CLOCK_REALTIME = 0
        monotonic = staticmethod(time.monotonic)
        time = staticmethod(lambda: 1000.0)

        @staticmethod
        def clock_settime(clock, value):
            done.append(("settime", clock, value))

    fakes = {"fcntl": FakeFcntl, "time": FakeTime}
    real_import = builtins.__import__

    def imp(name, *args, **kwargs):
        return fakes.get(name) or real_import(name, *args, **kwargs)

    def fake_open(path, mode="r"):
        assert (path, mode) == ("/dev/random", "wb")
        return io.BytesIO()
    out = io.StringIO()
    import sys
    stdin, stdout = sys.stdin, sys.stdout
    sys.stdin, sys.stdout = io.StringIO(json.dumps(request)), out
    try:
        exec(freshen.PROGRAM, {"__builtins__": {**vars(builtins), "__import__": imp,
                                                "open": fake_open}})
    finally:
        sys.stdin, sys.stdout = stdin, stdout
    return json.loads(out.getvalue()), done


def test_the_dom0_program_credits_the_seed_forces_a_reseed_and_sets_the_clock() -> None:
    seed = bytes(range(64))
    out, done = run_program({"time": 1_800_000_000.0, "seed": seed.hex()})
    add, reseed, settime = done
    assert add[:2] == ("ioctl", "0x40085203")
    assert add[2] == (512).to_bytes(4, "little") + (64).to_bytes(4, "little") + seed
    assert reseed[:2] == ("ioctl", "0x5207")
    assert settime[1] == 0 and 1_800_000_000.0 <= settime[2] < 1_800_000_001.0
    assert out["was"] == 1000.0 and out["reseeded"] is True


def test_freshen_sends_time_and_entropy_on_stdin_only() -> None:
    def answer(call):
        req = json.loads(call.input)
        assert abs(req["time"] - time.time()) < 5 and len(bytes.fromhex(req["seed"])) == 64
        return Exec(0, json.dumps({"was": req["time"] - 300.0, "set": req["time"],
                                   "reseeded": True}), "")
    host = FunctionHost(answer)
    fresh = freshen.freshen(host)
    assert fresh == freshen.Freshened(300.0, True)
    (call,) = host.calls
    assert call.argv[:2] == ("python3", "-c") and len(call.argv) == 3
    assert json.loads(call.input)["seed"] not in " ".join(call.argv)   # never in an argv
    failing = FunctionHost(lambda call: Exec(1, "", "PermissionError: [Errno 1]\n"))
    with pytest.raises(LabError, match="PermissionError"):
        freshen.freshen(failing)
