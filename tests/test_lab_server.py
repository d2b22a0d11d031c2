"""The lab over real SSH: fxkit's SSHHost and plain OpenSSH against `fxkit lab start`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import fxkit
from fxkit.audit import AuditLog
from fxkit.errors import CommandFailed, ConnectionFailed, NotReplayable
from fxkit.lab import LabHost, LabStore, faults
from fxkit.lab.ssh import daemon
from fxkit.transports.ssh import SSHHost

SSH = shutil.which("ssh")


def gone(pid: int) -> bool:
    """No such process (a zombie awaiting its reaper no longer runs either)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One lab server (fx and fourier, random free ports) for the module's tests."""
    root = tmp_path_factory.mktemp("labsrv")
    old = os.environ.get("FXKIT_LAB_DIR")
    os.environ["FXKIT_LAB_DIR"] = str(root)
    st = daemon.start(["fx", "fourier"], port=0, root=root)
    yield st
    daemon.stop(root)
    if old is None:
        os.environ.pop("FXKIT_LAB_DIR", None)
    else:
        os.environ["FXKIT_LAB_DIR"] = old


@pytest.fixture
def fx(served):
    LabStore("fx", served.root).reset()
    host = fxkit.connect("lab")
    yield host
    host.close()


def ssh(served, *args, input=None):
    if SSH is None:
        pytest.skip("OpenSSH client (ssh) is not installed")
    return subprocess.run([SSH, "-F", str(served.root / "ssh_config"), "-o", "BatchMode=yes",
                           *args], input=input, capture_output=True, text=True, timeout=60)


def test_connect_lab_uses_ssh_when_served(fx, served):
    assert isinstance(fx, SSHHost)
    assert (fx.hostname, fx.port, fx.user) == ("127.0.0.1", served.ports["fx"], "root")
    r = fx.run(["uname", "-a"])
    assert r.stdout.startswith("Linux fx 2.6.18-5-xen-amd64 ")
    assert fxkit.connect("lab:fourier").run(["hostname"]).stdout == "fourier\n"


def test_exit_status_stdout_stderr_and_stdin(fx):
    r = fx.run(["cat", "/nope"], check=False)
    assert (r.exit_status, r.stdout, r.stderr) == (1, "", "cat: /nope: No such file or directory\n")
    r = fx.run(["frob"], check=False)
    assert (r.exit_status, r.stderr) == (127, "bash: frob: command not found\n")
    assert fx.run(["tee", "/tmp/in"], input="line one\nline two\n").stdout == "line one\nline two\n"
    assert fx.run(["cat", "/tmp/in"]).stdout == "line one\nline two\n"
    r = fx.run(["echo", "it's", "a b", "$HOME", "; ls"])  # quoting survives the trip
    assert r.stdout == "it's a b $HOME ; ls\n"


def test_state_is_shared_with_the_in_process_lab(fx, served):
    fx.run(["mkdir", "/srv/over-ssh"])
    local = LabHost(audit=None, root=str(served.root))
    assert local.run(["test", "-d", "/srv/over-ssh"], check=False).exit_status == 0
    local.run(["touch", "/srv/in-process"])
    assert fx.run(["ls", "/srv"]).stdout == "in-process\nover-ssh\n"


def test_sftp_write_and_read_file(fx):
    fx.write_file("/etc/motd", "welcome to fx\n")
    assert fx.read_file("/etc/motd") == "welcome to fx\n"
    assert fx.run(["cat", "/etc/motd"]).stdout == "welcome to fx\n"
    fx.write_file("/root/key", "k\n", mode=0o600)
    fx.write_file("/root/key", "k2\n")
    assert fx.run(["ls", "-l", "/root/key"]).stdout.startswith("-rw------- 1 root root 3 ")
    assert fx.run(["ls", "-a", "/root"]).stdout == ".\n..\nkey\n"  # no temp file left
    with pytest.raises(FileNotFoundError):
        fx.read_file("/etc/nope")
    assert fx.read_file("/proc/cpuinfo").count("processor\t:") == 8


def test_plain_openssh_client(served, fx):
    r = ssh(served, "fx", "true")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    r = ssh(served, "fx", "cat", "/nope")
    assert (r.returncode, r.stderr) == (1, "cat: /nope: No such file or directory\n")
    r = ssh(served, "fx", "grep -c processor /proc/cpuinfo | tee /tmp/n")
    assert (r.returncode, r.stdout) == (0, "8\n")
    assert fx.read_file("/tmp/n") == "8\n"
    r = ssh(served, "fx", "cat > /tmp/from-stdin", input="piped\n")
    assert r.returncode == 0 and fx.read_file("/tmp/from-stdin") == "piped\n"
    assert ssh(served, "fourier", "hostname").stdout == "fourier\n"


def test_openssh_refuses_unknown_user_key(served, tmp_path):
    key = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    r = ssh(served, "-o", f"IdentityFile={key}", "-i", str(key), "fx", "true")
    # IdentitiesOnly + the config's key: only an authorized key gets in
    assert r.returncode == 0
    cfg = (served.root / "ssh_config").read_text().replace(
        str(served.root / "keys" / "id_ecdsa"), str(key))
    (tmp_path / "cfg").write_text(cfg)
    r = subprocess.run([SSH, "-F", str(tmp_path / "cfg"), "-o", "BatchMode=yes", "fx", "true"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 255 and "Permission denied (publickey)" in r.stderr


def test_many_clients_at_once(served, fx):
    errors: list[BaseException] = []

    def client(n: int) -> None:
        try:
            with fxkit.connect("lab") as h:
                for i in range(5):
                    h.run(["tee", "-a", "/tmp/many"], input=f"{n}.{i}\n")
                    assert h.run(["hostname"]).stdout == "fx\n"
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    procs = [subprocess.Popen([SSH, "-F", str(served.root / "ssh_config"), "-o",
                               "BatchMode=yes", "fx", "tee", "-a", "/tmp/many"],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
             for _ in range(4)] if SSH else []
    for t in threads:
        t.start()
    for k, p in enumerate(procs):
        p.communicate(f"ssh.{k}\n", timeout=60)
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    lines = fx.read_file("/tmp/many").splitlines()
    assert sorted(lines) == sorted([f"{n}.{i}" for n in range(8) for i in range(5)]
                                   + [f"ssh.{k}" for k in range(len(procs))])


def test_drop_fault_over_ssh(fx, served):
    store = LabStore("fx", served.root)
    fx.run(["true"])
    with store.transaction() as state:
        faults.drop_after(state, 0)
    # a read-only command is retried on a new connection, transparently
    assert fx.run(["hostname"], read_only=True).stdout == "fx\n"
    with store.transaction() as state:
        faults.drop_after(state, 1)
    fx.run(["true"])
    with pytest.raises(NotReplayable):
        fx.run(["mkdir", "/srv/maybe"])
    assert fx.run(["test", "-e", "/srv/maybe"], check=False).exit_status == 1
    with store.transaction() as state:
        faults.drop_after(state, 0)
        faults.drop_after(state, 0)
    with pytest.raises(ConnectionFailed, match="dropped twice"):
        fx.run(["true"], read_only=True)


def test_fail_and_delay_faults_over_ssh(fx, served):
    with LabStore("fx", served.root).transaction() as state:
        faults.fail_next(state, "lvs*", status=5, stderr="  Volume group \"x\" not found\n")
        faults.delay(state, "hostname", 0.5)
    r = fx.run(["lvs", "--reportformat", "json"], check=False)
    assert (r.exit_status, r.stderr) == (5, "  Volume group \"x\" not found\n")
    start = time.perf_counter()
    assert fx.run(["hostname"]).stdout == "fx\n"
    assert time.perf_counter() - start >= 0.5


def test_status_and_ssh_config_cli(served):
    from fxkit.cli.lab import lab
    runner = CliRunner()
    r = runner.invoke(lab, ["status"])
    assert r.exit_code == 0 and f"pid {served.pid}" in r.output
    assert f"fx         127.0.0.1:{served.ports['fx']}" in r.output
    r = runner.invoke(lab, ["ssh-config"])
    assert "Host fx\n  HostName 127.0.0.1\n" in r.output and "IdentitiesOnly yes" in r.output
    assert f"Port {served.ports['fourier']}" in r.output
    known = (served.root / "known_hosts").read_text()
    assert known.startswith(f"[127.0.0.1]:{served.ports['fx']} ecdsa-sha2-nistp256 ")


def test_start_stop_leaves_no_process(tmp_path, monkeypatch):
    root = tmp_path / "lab"
    monkeypatch.setenv("FXKIT_LAB_DIR", str(root))
    t0 = time.perf_counter()
    st = daemon.start(port=0)
    started = time.perf_counter() - t0
    assert not gone(st.pid)
    with pytest.raises(Exception, match="already runs"):
        daemon.start(port=0)
    assert fxkit.connect("lab").run(["true"]).exit_status == 0
    assert daemon.stop() == st.pid
    assert gone(st.pid)
    assert daemon.status() is None and not (root / "server.json").exists()
    assert daemon.stop() is None
    assert isinstance(fxkit.connect("lab"), LabHost)  # falls back to in-process
    assert started < 5, f"start took {started:.2f}s"


def test_stale_status_file_is_ignored(tmp_path, monkeypatch):
    root = tmp_path / "lab"
    root.mkdir()
    monkeypatch.setenv("FXKIT_LAB_DIR", str(root))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (root / "server.json").write_text(json.dumps(
        {"pid": dead.pid, "ports": {"fx": 1}, "started": 0}))
    assert daemon.status() is None and not (root / "server.json").exists()
    assert isinstance(fxkit.connect("lab"), LabHost)
    # a recycled pid now running some other program is stale too
    (root / "server.json").write_text(json.dumps({"pid": 1, "ports": {"fx": 1}, "started": 0}))
    assert daemon.status() is None


def test_ports_default_falls_back_but_an_explicit_busy_port_is_refused(monkeypatch):
    import socket

    from fxkit.errors import LabError
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        monkeypatch.setattr(daemon, "DEFAULT_PORT", port)
        assert daemon.plan_ports(["fx"], None) == {"fx": 0}  # 0: any free port
        with pytest.raises(LabError, match=f"port {port} on 127.0.0.1 is already in use"):
            daemon.plan_ports(["fx"], port)
    assert daemon.plan_ports(["fx", "fourier"], 0) == {"fx": 0, "fourier": 0}


def test_cli_start_and_stop(tmp_path, monkeypatch):
    from fxkit.cli.lab import lab
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path / "lab"))
    runner = CliRunner()
    r = runner.invoke(lab, ["start", "--port", "0", "-s", "fourier"])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("running: pid ") and "  fourier    127.0.0.1:" in r.output
    pid = int(r.output.split()[2].rstrip(","))
    r = runner.invoke(lab, ["stop"])
    assert r.output == f"stopped (pid {pid})\n"
    assert gone(pid)
    r = runner.invoke(lab, ["status"])
    assert r.exit_code == 1 and r.output.startswith("not running")
    assert runner.invoke(lab, ["ssh-config"]).exit_code == 1


def test_interactive_shell_with_a_terminal(fx):
    fx.run(["true"])
    chan = fx.connection().get_transport().open_session()
    chan.get_pty()
    chan.invoke_shell()
    chan.sendall(b"cd /etc/xen\rpwd\rcat /nope\recho x\x7fy\rexit 3\r")
    chan.settimeout(30)
    data = b""
    while chunk := chan.recv(65536):
        data += chunk
    text = data.decode()
    assert text.startswith("root@fx:~# cd /etc/xen\r\nroot@fx:/etc/xen# pwd\r\n/etc/xen\r\n")
    assert "root@fx:/etc/xen# cat /nope\r\ncat: /nope: No such file or directory\r\n" in text
    assert "echo x\b \by\r\ny\r\n" in text
    assert text.endswith("exit 3\r\nlogout\r\n")
    assert chan.recv_exit_status() == 3


def test_shell_without_terminal_runs_stdin_like_bash_s(served, fx):
    r = ssh(served, "-T", "fx", input="cd /boot\nls *.gz\nhostname\ncat /nope\n")
    assert (r.returncode, r.stdout, r.stderr) == (
        1, "xen-3.0.3-1-amd64.gz\nfx\n", "cat: /nope: No such file or directory\n")


@pytest.mark.slow     # a few seconds of waiting: in make test, not make check
def test_timeout_kills_a_delayed_command_before_it_runs(fx, served):
    from fxkit.errors import CommandTimedOut
    with LabStore("fx", served.root).transaction() as state:
        faults.delay(state, "mkdir*", 2)
    with pytest.raises(CommandTimedOut):
        fx.run(["mkdir", "/srv/late"], timeout=0.3)
    time.sleep(2.2)
    assert fx.run(["test", "-e", "/srv/late"], check=False).exit_status == 1


def test_openssh_scp_both_ways(served, fx, tmp_path):
    if shutil.which("scp") is None:
        pytest.skip("OpenSSH scp is not installed")
    cfg = str(served.root / "ssh_config")
    up = tmp_path / "up.txt"
    up.write_text("uploaded\n")
    up.chmod(0o600)
    run = [shutil.which("scp"), "-F", cfg, "-o", "BatchMode=yes"]
    done = subprocess.run([*run, str(up), "fx:/tmp/"], capture_output=True, text=True,
                          timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    assert fx.read_file("/tmp/up.txt") == "uploaded\n"
    assert fx.run(["ls", "-l", "/tmp/up.txt"]).stdout.startswith("-rw------- ")
    done = subprocess.run([*run, "fx:/etc/fstab", str(tmp_path / "fstab")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert (tmp_path / "fstab").read_text() == fx.read_file("/etc/fstab")


def test_foreground_server_stops_on_ctrl_c(tmp_path):
    import signal
    root = tmp_path / "lab"
    env = {**os.environ, "FXKIT_LAB_DIR": str(root)}
    proc = subprocess.Popen([sys.executable, "-m", "fxkit", "lab", "start", "--foreground",
                             "--port", "0"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while (st := daemon.status(root)) is None:
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.05)
        assert st.pid == proc.pid
        from fxkit.transports.ssh_config import ssh_host
        with ssh_host("fx", ssh_config=str(root / "ssh_config")) as host:
            assert host.run(["hostname"]).stdout == "fx\n"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert daemon.status(root) is None and not (root / "server.pid").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_reads_go_in_one_channel_and_come_back_as_run_gives_them(fx, served, tmp_path):
    fx.audit = AuditLog(tmp_path / "audit.jsonl")
    argvs = [["pvs"], ["ls", "/nowhere"], ["hostname"], ["xl", "list"]]
    alone = [fx.run(a, check=False, read_only=True) for a in argvs]
    transport = fx.connection().get_transport()
    opened = []
    real_open = transport.open_session
    transport.open_session = lambda *a, **kw: opened.append(1) or real_open(*a, **kw)
    try:
        together = fx.run_reads(argvs, check=False)
    finally:
        transport.open_session = real_open
    assert len(opened) == 1
    assert [(r.argv, r.exit_status, r.stdout, r.stderr) for r in together] == \
        [(r.argv, r.exit_status, r.stdout, r.stderr) for r in alone]
    lines = [json.loads(x) for x in fx.audit.path.read_text().splitlines()]
    assert [tuple(x["argv"]) for x in lines[-4:]] == [tuple(a) for a in argvs]
    assert all(x["seconds"] >= 0 for x in lines[-4:])
    with pytest.raises(CommandFailed) as raised:      # check: the first failure, all ran
        fx.run_reads(argvs)
    assert raised.value.result.argv == ("ls", "/nowhere")
    # more than one line holds: a few channels, the results in order
    many = [["echo", f"{i:03d}" + "x" * 6000] for i in range(60)]
    transport.open_session = lambda *a, **kw: opened.append(1) or real_open(*a, **kw)
    try:
        echoed = fx.run_reads(many)
    finally:
        transport.open_session = real_open
    assert 2 < len(opened) < 10
    assert [r.stdout for r in echoed] == [f"{a[1]}\n" for a in many]


def test_faults_inside_a_batch_over_ssh(fx, served, monkeypatch):
    store = LabStore("fx", served.root)
    fx.run(["true"])
    with store.transaction() as state:
        faults.drop_after(state, 1)            # the batch's second command drops it
        faults.fail_next(state, "lvs", status=5, stderr="  boom\n")
    # dropped at vgs, the batch is sent again on a new connection (reads are replayable)
    hostname, vgs, lvs = fx.run_reads([["hostname"], ["vgs"], ["lvs"]], check=False)
    assert hostname.stdout == "fx\n" and vgs.exit_status == 0 and "VG" in vgs.stdout
    assert (lvs.exit_status, lvs.stderr) == (5, "  boom\n")
    # a batch that comes back short (a login shell that ran only part of it): the rest
    # run one by one
    import fxkit.transports.ssh as ssh_transport
    real_split = ssh_transport.split_batch
    monkeypatch.setattr(ssh_transport, "split_batch", lambda *a: real_split(*a)[:1])
    assert [r.stdout for r in fx.run_reads([["hostname"], ["echo", "b"], ["echo", "c"]])] \
        == ["fx\n", "b\n", "c\n"]


def test_a_batch_timeout_names_the_command_it_killed(fx, served):
    from fxkit.errors import CommandTimedOut
    with LabStore("fx", served.root).transaction() as state:
        faults.delay(state, "vgs", 3)
    with pytest.raises(CommandTimedOut) as raised:
        fx.run_reads([["hostname"], ["vgs"], ["lvs"]], timeout=0.5)
    assert raised.value.result.argv == ("vgs",)


def count_channels(host):
    """A context manager counting the SSH channels ``host`` opens meanwhile."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        transport = host.connection().get_transport()
        opened: list[int] = []
        real_open = transport.open_session
        transport.open_session = lambda *a, **kw: opened.append(1) or real_open(*a, **kw)
        try:
            yield opened
        finally:
            transport.open_session = real_open
    return counting()


def test_inventory_and_lvm_facts_need_few_round_trips_and_read_the_same(fx, served):
    from fxkit.inventory import read_inventory
    from fxkit.xen import read_lvm_facts
    local = LabHost("fx")          # the same state, in-process: every command on its own
    fx.run(["true"])
    with count_channels(fx) as opened:
        inv = read_inventory(fx)
    assert len(opened) == 2        # every layer's first reads, then the configs' texts
    assert inv.lv_table().rows == read_inventory(local).lv_table().rows
    assert inv.domain_table().rows == read_inventory(local).domain_table().rows
    with count_channels(fx) as opened:
        facts = read_lvm_facts(fx)
    assert len(opened) == 4        # ahead; blkid; the dumpe2fs; the configs' texts
    assert facts.lvm == read_lvm_facts(local).lvm
    assert facts.filesystems == read_lvm_facts(local).filesystems
    assert facts.referenced_by == read_lvm_facts(local).referenced_by


def test_a_change_inside_reads_ahead_is_seen_by_the_reads_after_it(fx):
    fx.run(["sh", "-c", "echo old > /tmp/ahead"])
    with fx.reads_ahead([["cat", "/tmp/ahead"], ["hostname"]]):
        assert fx.run(["hostname"], read_only=True).stdout == "fx\n"
        fx.run(["sh", "-c", "echo new > /tmp/ahead"])
        assert fx.run(["cat", "/tmp/ahead"], read_only=True).stdout == "new\n"
    with fx.reads_ahead([["cat", "/tmp/ahead"]]):
        pass                                        # not taken: gone with the block
    fx.run(["sh", "-c", "echo newer > /tmp/ahead"])
    assert fx.run(["cat", "/tmp/ahead"], read_only=True).stdout == "newer\n"


def test_a_batch_sends_quick_outputs_together_and_what_it_holds_before_a_delay(
        tmp_path, monkeypatch):
    """sshd reads a quick shell's pipe in one go: the lab sends the output of commands that
    end close together in one packet, but never holds it across a command that waits."""
    import fxkit.lab.ssh.server as lab_server
    import fxkit.lab.transport as lab_transport
    from fxkit.lab.ssh.server import BatchOutput
    events: list[tuple[str, str]] = []

    class Channel:
        def sendall(self, data: bytes) -> None:
            events.append(("out", data.decode()))

        def sendall_stderr(self, data: bytes) -> None:
            events.append(("err", data.decode()))

    real_sleep = time.sleep
    monkeypatch.setattr(lab_transport.time, "sleep",
                        lambda s: events.append(("sleep", "")) or real_sleep(s))
    store = LabStore("fx", tmp_path)
    argvs = [["hostname"], ["echo", "a"], ["vgs"], ["echo", "b"]]

    def batch() -> list[tuple[str, str]]:
        events.clear()
        with store.transaction() as state:
            faults.delay(state, "vgs", 0.1)
        held = BatchOutput(Channel())
        lab_transport.run_batch(store, "M", argvs, emit=held.emit, waiting=held.flush)
        held.flush()
        seen = [(kind, text.count("\nM")) for kind, text in events]
        return [e for i, e in enumerate(seen) if i == 0 or e != ("sleep", 0) or seen[i - 1] != e]

    # hostname and echo a together, sent as vgs starts waiting (sleeping); vgs, which
    # ended more than HOLD_AT_MOST after that, alone; echo b at the batch's end
    assert batch() == [("out", 2), ("err", 2), ("sleep", 0), ("out", 1), ("err", 1),
                       ("out", 1), ("err", 1)]
    assert "fx\n" in events[0][1] and "a\n" in events[0][1] and "b\n" in events[-2][1]
    # held at most HOLD_AT_MOST: with none, each command's output goes out as it ends
    monkeypatch.setattr(lab_server, "HOLD_AT_MOST", 0.0)
    assert [kind for kind, _ in batch() if kind == "out"] == ["out"] * 4
