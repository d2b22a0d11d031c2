"""The lab core: persistence, locking, determinism, system commands, faults (in-process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest
from click.testing import CliRunner

from fxkit import connect
from fxkit.errors import CommandTimedOut, ConnectionFailed, LabError
from fxkit.lab import LabHost, LabStore, faults, reset
from fxkit.lab.store import build_state, dump_state, lab_dir


@pytest.fixture
def labdir(tmp_path, monkeypatch):
    d = tmp_path / "lab"
    monkeypatch.setenv("FXKIT_LAB_DIR", str(d))
    return d


@pytest.fixture
def fx(labdir):
    host = LabHost(audit=None)
    yield host
    host.close()


def out(host, *argv):
    return host.run(list(argv), check=False)


# -- store -------------------------------------------------------------------------------


def test_lab_dir_defaults_to_xdg_state(monkeypatch, tmp_path):
    monkeypatch.delenv("FXKIT_LAB_DIR", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert lab_dir() == tmp_path / "xdg" / "fxkit" / "lab"
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path / "elsewhere"))
    assert lab_dir() == tmp_path / "elsewhere"


def test_connect_lab_is_in_process_without_server(labdir):
    host = connect("lab")
    assert isinstance(host, LabHost) and host.name == "lab" and host.scenario == "fx"
    four = connect("lab:fourier")
    assert four.name == "lab:fourier"
    assert four.run(["hostname"]).stdout == "fourier\n"
    with pytest.raises(LabError, match="unknown lab scenario 'nope'"):
        connect("lab:nope")


def test_state_created_from_scenario_on_first_use(fx, labdir):
    assert not (labdir / "fx" / "state.json").exists()
    assert fx.run(["cat", "/etc/hostname"]).stdout == "fx\n"
    data = json.loads((labdir / "fx" / "state.json").read_text())
    assert data["scenario"] == "fx" and data["hostname"] == "fx"
    assert "/boot/vmlinuz-2.6.18-5-xen-amd64" in data["files"]


def test_read_only_commands_do_not_rewrite_the_state(fx, labdir):
    fx.run(["true"])
    path = labdir / "fx" / "state.json"
    before = path.stat().st_mtime_ns, path.read_text()
    time.sleep(0.01)
    fx.run(["cat", "/etc/fstab"])
    fx.run(["ls", "-l", "/boot"])
    assert (path.stat().st_mtime_ns, path.read_text()) == before


def test_state_persists_across_processes(fx, labdir):
    fx.write_file("/etc/motd", "hello from the parent\n")
    code = ("from fxkit.lab import LabHost; h = LabHost(audit=None); "
            "print(h.read_file('/etc/motd'), end=''); h.run(['mkdir', '/srv/child'])")
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True)
    assert child.stdout == "hello from the parent\n"
    assert fx.run(["test", "-d", "/srv/child"], check=False).exit_status == 0


def test_concurrent_processes_and_threads_never_corrupt_state(fx, labdir):
    fx.run(["touch", "/tmp/log"])
    code = ("import sys; sys.modules['invoke'] = None\n"
            "from fxkit.lab import LabHost; h = LabHost(audit=None)\n"
            "for i in range(20):\n"
            "    h.run(['tee', '-a', '/tmp/log'], input=f'{sys.argv[1]} {i}\\n')\n"
            "    h.run(['mktemp'])\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, f"p{n}"]) for n in range(3)]

    def worker(n: int) -> None:
        h = LabHost(audit=None)
        for i in range(20):
            h.run(["tee", "-a", "/tmp/log"], input=f"t{n} {i}\n")
            h.run(["mktemp"])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(p.wait(timeout=120) == 0 for p in procs)
    lines = fx.read_file("/tmp/log").splitlines()
    assert len(lines) == 5 * 20 and len(set(lines)) == 5 * 20
    for who in [*(f"p{n}" for n in range(3)), *(f"t{n}" for n in range(2))]:
        mine = [int(x.split()[1]) for x in lines if x.split()[0] == who]
        assert mine == list(range(20))  # each writer's lines in its own order
    state = LabStore("fx").load()
    assert state.counters["mktemp"] == 5 * 20
    assert len([p for p in state.files if p.startswith("/tmp/tmp.")]) == 5 * 20


def test_reset_twice_gives_identical_state_and_outputs(fx, labdir):
    script = [["date"], ["sleep", "90"], ["date", "+%s"], ["mktemp"], ["mktemp", "-d"],
              ["uname", "-a"], ["free", "-m"], ["ls", "-l", "/tmp"], ["cat", "/proc/uptime"]]

    def session() -> tuple[str, list[tuple[int, str, str]]]:
        reset("fx")
        initial = (labdir / "fx" / "state.json").read_text()
        results = [(r.exit_status, r.stdout, r.stderr)
                   for r in (fx.run(a, check=False) for a in script)]
        return initial, results

    first, second = session(), session()
    assert first == second
    assert first[0] == dump_state(build_state("fx"))
    assert first[1][0][1] == "Wed Nov 21 14:00:00 UTC 2007\n"
    assert first[1][2][1] == "1195653690\n"  # the epoch + 90 logical seconds


def test_reset_restores_changes_and_clears_faults(fx):
    fx.run(["rm", "/etc/hostname"])
    with fx.store.transaction() as state:
        faults.fail_next(state, "uname", status=3)
    reset("fx")
    assert fx.run(["cat", "/etc/hostname"]).stdout == "fx\n"
    assert fx.run(["uname"]).stdout == "Linux\n"


# -- system commands -----------------------------------------------------------------------


def test_unknown_command_answers_like_bash(fx):
    r = out(fx, "frobnicate", "--now")
    assert (r.exit_status, r.stdout, r.stderr) == (127, "", "bash: frobnicate: command not found\n")


# Every command the lab is known to answer: none may ever become "command not found".
KNOWN_COMMANDS = (
    "true : false uname hostname nproc free echo id whoami pwd cd date sleep env bash sh "
    "which uptime cat ls test [ mkdir tee touch cp mv rm mktemp grep egrep fgrep head tail "
    "wc sort lvm pvcreate pvremove pvs pvdisplay pvscan vgcreate vgextend vgreduce "
    "vgremove vgs vgdisplay vgscan lvcreate lvextend lvreduce lvresize lvremove lvrename "
    "lvchange lvs lvdisplay lvscan mkfs.ext4 mkfs.ext3 mke2fs mkswap resize2fs e2fsck "
    "fsck.ext4 fsck.ext3 blkid dumpe2fs dd blkdiscard xl xm ip bridge brctl ifup ifdown"
).split()


def test_every_known_command_is_in_the_explicit_table():
    from fxkit.lab.commands import COMMANDS
    from fxkit.lab.shell.interpreter import execute
    assert sorted(set(KNOWN_COMMANDS) - set(COMMANDS)) == []
    assert sorted(set(COMMANDS) - set(KNOWN_COMMANDS)) == []  # a new one: list it above
    state = build_state("fx")
    for name, handler in COMMANDS.items():
        assert callable(handler), name
        status, _, err = execute(state, [name])
        assert not (status == 127 and "command not found" in err), (name, err)


def test_lvm_runs_its_subcommands_from_its_own_table():
    from fxkit.lab.commands import COMMANDS
    from fxkit.lab.lvm.commands import SUBCOMMANDS
    from fxkit.lab.shell.interpreter import execute
    assert len(SUBCOMMANDS) == 22
    for name, handler in SUBCOMMANDS.items():
        assert COMMANDS[name] is handler, name
    state = build_state("fx")
    assert execute(state, ["lvm", "lvs"]) == execute(state, ["lvs"])
    assert execute(state, ["lvm", "mkfs.ext4"]) == (
        3, "", "  No such command 'mkfs.ext4'.  Try 'help'.\n")


def test_a_handler_module_that_fails_to_import_is_an_import_error():
    # Blocking one handler module must break the lab's import, not answer "not found".
    code = ("import sys; sys.modules['fxkit.lab.net.brctl'] = None\n"
            "try:\n"
            "    from fxkit.lab import LabHost\n"
            "except ImportError as e:\n"
            "    print('ImportError', e)\n"
            "else:\n"
            "    print('imported', LabHost(audit=None).run(['brctl', 'show'], check=False))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.startswith("ImportError") and "fxkit.lab.net.brctl" in done.stdout


@pytest.mark.parametrize("argv, expected", [
    (["uname"], "Linux\n"),
    (["uname", "-r"], "2.6.18-5-xen-amd64\n"),
    (["uname", "-n", "-m"], "fx x86_64\n"),
    (["uname", "-m", "-s"], "Linux x86_64\n"),
    (["uname", "-a"], "Linux fx 2.6.18-5-xen-amd64 #1 SMP Tue Oct 2 20:37:02 UTC 2007 "
                      "x86_64 GNU/Linux\n"),
    (["hostname"], "fx\n"),
    (["nproc"], "8\n"),
    (["id"], "uid=0(root) gid=0(root) groups=0(root)\n"),
    (["whoami"], "root\n"),
    (["echo", "-n", "a", "b"], "a b"),
    (["echo", "-e", "a\\tb"], "a\tb\n"),
    (["date", "-R"], "Wed, 21 Nov 2007 14:00:00 +0000\n"),
    (["sudo", "-n", "--", "hostname"], "fx\n"),
    (["uptime"], " 14:00:00 up 1 day, 0 min,  1 user,  load average: 0.00, 0.00, 0.00\n"),
    (["which", "lvs", "cat", "bash"], "/usr/sbin/lvs\n/usr/bin/cat\n/bin/bash\n"),
    (["pwd"], "/root\n"),
    (["env", "hostname"], "fx\n"),
])
def test_system_commands(fx, argv, expected):
    r = fx.run(argv)
    assert (r.stdout, r.stderr) == (expected, "")


def test_free_follows_procps_ng_layout(fx):
    assert fx.run(["free", "-m"]).stdout == (
        "               total        used        free      shared  buff/cache   available\n"
        "Mem:             494          63         275           4         156         408\n"
        "Swap:           2047           0        2047\n")
    lines = fx.run(["free", "-h"]).stdout.splitlines()
    assert lines[1].split() == ["Mem:", "494Mi", "63Mi", "275Mi", "4.0Mi", "156Mi", "408Mi"]
    assert fx.run(["free"]).stdout.splitlines()[1].split()[1] == "505956"
    assert fx.run(["free", "-g"]).stdout.splitlines()[1].split()[1] == "0"


def test_cpuinfo_describes_two_quad_core_e5345(fx):
    info = fx.run(["cat", "/proc/cpuinfo"]).stdout
    assert info.count("processor\t: ") == 8
    assert info.count("model name\t: Intel(R) Xeon(R) CPU           E5345  @ 2.33GHz\n") == 8
    assert {line for line in info.splitlines() if line.startswith("physical id")} == {
        "physical id\t: 0", "physical id\t: 1"}
    assert "MemTotal:         505956 kB\n" in fx.read_file("/proc/meminfo")


def test_true_false_and_usage_errors(fx):
    assert out(fx, "true").exit_status == 0
    assert out(fx, "false").exit_status == 1
    r = out(fx, "uname", "-q")
    assert (r.exit_status, r.stderr) == (
        1, "uname: invalid option -- 'q'\nTry 'uname --help' for more information.\n")
    assert out(fx, "sleep").stderr.startswith("sleep: missing operand\n")


def test_sleep_is_logical_and_instant(fx):
    start = time.perf_counter()
    fx.run(["sleep", "3600"])
    assert time.perf_counter() - start < 1
    assert fx.run(["date"]).stdout == "Wed Nov 21 15:00:00 UTC 2007\n"


def test_hostname_can_be_changed(fx):
    fx.run(["hostname", "fx2"])
    assert fx.run(["uname", "-n"]).stdout == "fx2\n"


# -- faults -------------------------------------------------------------------------------


def test_fail_next_matching_command(fx):
    with fx.store.transaction() as state:
        faults.fail_next(state, "uname", status=5, stderr="  boom\n")
    assert out(fx, "hostname").exit_status == 0  # does not match
    assert out(fx, "unamex").exit_status == 127  # "uname" is not a prefix glob
    r = out(fx, "uname", "-r")
    assert (r.exit_status, r.stdout, r.stderr) == (5, "", "  boom\n")
    assert out(fx, "uname", "-r").stdout == "2.6.18-5-xen-amd64\n"  # consumed


def test_drop_after_n_commands_in_process(fx):
    with fx.store.transaction() as state:
        faults.drop_after(state, 2)
    fx.run(["true"])
    fx.run(["true"])
    with pytest.raises(ConnectionFailed, match="dropped the connection"):
        fx.run(["mkdir", "/srv/x"])
    assert out(fx, "test", "-e", "/srv/x").exit_status == 1  # it never ran
    fx.run(["true"])  # the fault is gone


def test_drop_after_running_the_command(fx):
    with fx.store.transaction() as state:
        faults.drop_after(state, 0, run=True)
    with pytest.raises(ConnectionFailed):
        fx.run(["mkdir", "/srv/y"])
    assert out(fx, "test", "-d", "/srv/y").exit_status == 0  # it did run


def test_delay_and_timeout(fx):
    with fx.store.transaction() as state:
        faults.delay(state, "hostname", 0.3)
        faults.delay(state, "uname*", 5)
    start = time.perf_counter()
    assert fx.run(["hostname"]).stdout == "fx\n"
    assert time.perf_counter() - start >= 0.3
    start = time.perf_counter()
    with pytest.raises(CommandTimedOut):
        fx.run(["uname"], timeout=0.2)
    assert time.perf_counter() - start < 2


def test_fault_cli(labdir):
    from fxkit.cli.lab import lab
    runner = CliRunner()
    r = runner.invoke(lab, ["fault", "fail", "xl create*", "--status", "3",
                            "--stderr", "no hypervisor"])
    assert r.exit_code == 0, r.output
    assert "fail the next 1 command(s) matching 'xl create*' with status 3" in r.output
    runner.invoke(lab, ["fault", "delay", "lvs", "2"])
    r = runner.invoke(lab, ["fault", "list"])
    assert r.output.splitlines() == [
        "fail the next 1 command(s) matching 'xl create*' with status 3",
        "delay the next 1 command(s) matching 'lvs' by 2s"]
    r = runner.invoke(lab, ["run", "--", "xl", "create", "/etc/xen/titanic.cfg"])
    assert r.exit_code == 3
    assert runner.invoke(lab, ["fault", "clear"]).output == "cleared 1 fault(s)\n"
    runner.invoke(lab, ["fault", "drop", "--after", "1"])
    assert runner.invoke(lab, ["reset"]).output == "reset fx\n"
    assert runner.invoke(lab, ["fault", "list"]).output == "no faults\n"


def test_corrupt_state_names_the_fix(fx, labdir):
    fx.run(["true"])
    (labdir / "fx" / "state.json").write_text("{not json")
    with pytest.raises(LabError, match="corrupt.*fxkit lab reset --scenario fx"):
        fx.run(["true"])
    reset("fx")
    assert fx.run(["hostname"]).stdout == "fx\n"


def test_dates_ignore_the_process_locale(fx):
    import locale
    try:  # where a French locale exists, it must not leak into the lab's dates
        locale.setlocale(locale.LC_TIME, "fr_FR.UTF-8")
    except locale.Error:
        pass
    try:
        assert fx.run(["date"]).stdout == "Wed Nov 21 14:00:00 UTC 2007\n"
        assert fx.run(["date", "+%a %A %b %B %e%%s %s %p"]).stdout == (
            "Wed Wednesday Nov November 21%s 1195653600 PM\n")
    finally:
        locale.setlocale(locale.LC_TIME, "C")


DETERMINISM = """
import hashlib, sys
sys.modules["invoke"] = None
from fxkit.lab import LabHost, reset
from fxkit.lab.store import dump_state
text = ""
for scenario in ("fx", "fourier"):
    reset(scenario)
    host = LabHost(scenario=scenario, audit=None)
    for argv in (["mktemp"], ["sleep", "5"], ["date"], ["ls", "-l", "/etc"], ["xl", "list"],
                 ["lvs"], ["ip", "link"], ["brctl", "show"], ["free", "-h"]):
        r = host.run(argv, check=False)
        text += f"{argv} {r.exit_status}\\n{r.stdout}{r.stderr}"
    text += dump_state(host.store.load())
print(hashlib.sha256(text.encode()).hexdigest())
"""


def test_same_outputs_whatever_the_process_hash_seed(labdir, tmp_path):
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed,
               "FXKIT_LAB_DIR": str(tmp_path / f"lab{seed}")}
        done = subprocess.run([sys.executable, "-c", DETERMINISM], env=env, check=True,
                              capture_output=True, text=True)
        digests.add(done.stdout)
    assert len(digests) == 1


def test_a_failed_transaction_changes_nothing(fx):
    fx.run(["true"])  # the parsed state is now kept in this process
    with pytest.raises(RuntimeError), fx.store.transaction() as state:
        state.hostname = "broken"
        state.files.clear()
        raise RuntimeError("a handler bug")
    assert fx.run(["hostname"]).stdout == "fx\n"
    assert fx.read_file("/etc/hostname") == "fx\n"


def test_changes_by_another_process_are_seen(fx):
    fx.run(["true"])  # the parsed state is now kept in this process
    path = fx.store.state_file
    path.write_text(path.read_text().replace('"hostname": "fx"', '"hostname": "again"'))
    assert fx.run(["hostname"]).stdout == "again\n"


# -- saving only what changed --------------------------------------------------------------

def _saved(labdir):
    """The state as a new process would load it (this process's cache bypassed)."""
    from fxkit.lab.state import LabState
    return LabState.from_dict(json.loads((labdir / "fx" / "state.json").read_text()))


def test_a_command_that_changes_nothing_does_not_rewrite_the_state(fx, labdir):
    fx.run(["true"])
    path = labdir / "fx" / "state.json"
    before = (path.stat().st_ino, path.stat().st_mtime_ns)
    for argv in (["true"], ["lvs"], ["xl", "list"], ["cat", "/etc/hostname"], ["uname", "-a"]):
        fx.run(argv)
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == before


def test_changes_that_do_not_move_the_clock_are_saved(fx, labdir, monkeypatch):
    # Without FXKIT_LAB_CHECK_SAVES: the store's own rule (save when `changes` moved) alone.
    monkeypatch.delenv("FXKIT_LAB_CHECK_SAVES", raising=False)
    clock = _saved(labdir).clock if (labdir / "fx" / "state.json").exists() else None
    fx.write_file("/etc/motd", "hello\n")                        # a file, no tick
    with fx.store.transaction() as state:
        faults.delay(state, "never-run", seconds=1)              # a fault
        state.dirs.add("/srv/empty")                            # a directory
    fx.run(["ip", "link", "set", "dev", "xenbr0", "mtu", "1400"])  # a link attribute
    saved = _saved(labdir)
    assert saved.read("/etc/motd") == "hello\n"
    assert [f["match"] for f in saved.faults] == ["never-run"]
    assert "/srv/empty" in saved.dirs
    assert next(ln for ln in saved.net.links if ln.name == "xenbr0").mtu == 1400
    assert clock is None or saved.clock >= clock


def test_an_unannounced_change_to_a_section_is_caught_not_lost(fx, labdir):
    fx.run(["true"])
    assert os.environ.get("FXKIT_LAB_CHECK_SAVES")               # set by tests/conftest.py
    with pytest.raises(LabError, match=r"changed the lab's state \(xen\) without saying so"):
        with fx.store.transaction() as state:
            state.xen.domains[0].memory = 3000                  # no tick, no touch
    with fx.store.transaction() as state:
        state.xen.domains[0].memory = 3000
        state.touch()
    assert _saved(labdir).xen.domains[0].memory == 3000
