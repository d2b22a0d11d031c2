"""The lab's file commands, shell subset, and read_file/write_file, with coreutils' messages."""

from __future__ import annotations

import pytest

from fxkit.lab import LabHost
from fxkit.lab.shell.interpreter import run_script


@pytest.fixture
def fx(tmp_path, monkeypatch):
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path / "lab"))
    host = LabHost(audit=None)
    yield host
    host.close()


def run(host, *argv, input=None):
    r = host.run(list(argv), check=False, input=input)
    return r.exit_status, r.stdout, r.stderr


@pytest.mark.parametrize("argv, expected", [
    (["cat", "/x"], (1, "", "cat: /x: No such file or directory\n")),
    (["cat", "/etc"], (1, "", "cat: /etc: Is a directory\n")),
    (["cat", "-z"], (1, "", "cat: invalid option -- 'z'\n"
                            "Try 'cat --help' for more information.\n")),
    (["ls", "/nope"], (2, "", "ls: cannot access '/nope': No such file or directory\n")),
    (["mkdir", "/etc"], (1, "", "mkdir: cannot create directory '/etc': File exists\n")),
    (["mkdir", "/a/b"], (1, "", "mkdir: cannot create directory '/a/b': "
                                "No such file or directory\n")),
    (["mkdir"], (1, "", "mkdir: missing operand\nTry 'mkdir --help' for more information.\n")),
    (["rm", "/nope"], (1, "", "rm: cannot remove '/nope': No such file or directory\n")),
    (["rm", "/etc"], (1, "", "rm: cannot remove '/etc': Is a directory\n")),
    (["rm", "-f", "/nope"], (0, "", "")),
    (["rm", "-rf", "/"], (1, "", "rm: it is dangerous to operate recursively on '/'\n"
                                 "rm: use --no-preserve-root to override this failsafe\n")),
    (["cp", "/nope", "/tmp"], (1, "", "cp: cannot stat '/nope': No such file or directory\n")),
    (["cp", "/etc", "/tmp"], (1, "", "cp: -r not specified; omitting directory '/etc'\n")),
    (["cp", "/etc/hosts"], (1, "", "cp: missing destination file operand after '/etc/hosts'\n"
                                   "Try 'cp --help' for more information.\n")),
    (["cp", "/etc/hosts", "/no/where"], (1, "", "cp: cannot create regular file '/no/where': "
                                                "No such file or directory\n")),
    (["cp", "/etc/hosts", "/etc/fstab", "/etc/hostname"],
     (1, "", "cp: target '/etc/hostname': Not a directory\n")),
    (["mv", "/nope", "/tmp"], (1, "", "mv: cannot stat '/nope': No such file or directory\n")),
    (["mv", "/etc/hosts", "/no/x"], (1, "", "mv: cannot move '/etc/hosts' to '/no/x': "
                                           "No such file or directory\n")),
    (["tee", "/no/x"], (1, "", "tee: /no/x: No such file or directory\n")),
    (["touch", "/no/x"], (1, "", "touch: cannot touch '/no/x': No such file or directory\n")),
])
def test_file_command_errors(fx, argv, expected):
    assert run(fx, *argv) == expected


@pytest.mark.parametrize("expr, status", [
    (["-e", "/etc/fstab"], 0), (["-f", "/etc/fstab"], 0), (["-d", "/etc/fstab"], 1),
    (["-d", "/etc"], 0), (["-f", "/etc"], 1), (["-e", "/nope"], 1), (["-d", "/"], 0),
    (["-b", "/dev/cciss/c0d0"], 0), (["-c", "/dev/null"], 0), (["-e", "/proc/cpuinfo"], 0),
    (["!", "-e", "/nope"], 0), (["-s", "/etc/hostname"], 0), (["-z", ""], 0),
    (["a", "=", "a"], 0), (["1", "-lt", "2"], 0), (["3", "-lt", "2"], 1),
])
def test_test_command(fx, expr, status):
    assert run(fx, "test", *expr) == (status, "", "")
    assert run(fx, "[", *expr, "]") == (status, "", "")


def test_test_command_usage_errors(fx):
    assert run(fx, "[", "-e", "/etc") == (2, "", "bash: [: missing `]'\n")
    assert run(fx, "test", "-Q", "/etc") == (2, "", "bash: test: -Q: unary operator expected\n")


def test_ls_lists_in_c_locale_order(fx):
    assert run(fx, "ls", "/boot") == (0, "System.map-2.6.18-5-xen-amd64\n"
                                         "config-2.6.18-5-xen-amd64\ngrub\n"
                                         "initrd.img-2.6.18-5-xen-amd64\n"
                                         "vmlinuz-2.6.18-5-xen-amd64\nxen-3.0.3-1-amd64.gz\n", "")
    status, out, _ = run(fx, "ls", "-l", "/boot/grub")
    assert status == 0 and out.startswith("total 4\n-rw-r--r-- 1 root root ")
    assert out.rstrip().endswith("Nov 21 14:00 menu.lst")
    assert run(fx, "ls", "-d", "/etc", "/nope") == (
        2, "/etc\n", "ls: cannot access '/nope': No such file or directory\n")


def test_dev_lists_disks_and_logical_volumes(fx):
    assert run(fx, "ls", "/dev/cciss") == (0, "c0d0\nc0d0p1\nc0d0p2\n", "")
    assert run(fx, "ls", "-l", "/dev/cciss/c0d0p1", "/dev/null", "/etc/hostname") == (0, (
        "brw-rw---- 1 root disk 104, 1 Nov 21 14:00 /dev/cciss/c0d0p1\n"
        "crw-rw-rw- 1 root root   1, 3 Nov 21 14:00 /dev/null\n"
        "-rw-r--r-- 1 root root      3 Nov 21 14:00 /etc/hostname\n"), "")
    status, out, _ = run(fx, "ls", "/dev")
    assert status == 0 and {"cciss", "mapper", "null"} <= set(out.split())
    vgs = LabHost(audit=None).store.load().lvm.vgs
    for lv in (lv for vg in vgs for lv in vg.lvs):
        assert run(fx, "test", "-b", f"/dev/{lv.vg}/{lv.name}")[0] == 0
        assert lv.dm_path.rsplit("/", 1)[1] in run(fx, "ls", "/dev/mapper")[1].split()
    assert run(fx, "test", "-b", "/dev/mapper/lvm-nope")[0] == 1


def test_mkdir_tee_cp_mv_rm_roundtrip(fx):
    assert run(fx, "mkdir", "-p", "/srv/a/b/c") == (0, "", "")
    assert run(fx, "tee", "/srv/a/b/c/f", input="one\n") == (0, "one\n", "")
    assert run(fx, "tee", "-a", "/srv/a/b/c/f", input="two\n") == (0, "two\n", "")
    assert run(fx, "cat", "/srv/a/b/c/f") == (0, "one\ntwo\n", "")
    assert run(fx, "cp", "-r", "/srv/a", "/srv/copy") == (0, "", "")
    assert run(fx, "cat", "/srv/copy/b/c/f") == (0, "one\ntwo\n", "")
    assert run(fx, "mv", "/srv/copy", "/tmp") == (0, "", "")
    assert run(fx, "ls", "/tmp/copy/b/c") == (0, "f\n", "")
    assert run(fx, "rm", "-r", "/tmp/copy") == (0, "", "")
    assert run(fx, "test", "-e", "/tmp/copy/b")[0] == 1
    assert run(fx, "cp", "/etc/hostname", "/srv") == (0, "", "")
    assert run(fx, "cat", "hostname")[0] == 1  # relative paths start at /root
    assert run(fx, "cp", "/etc/hostname", "hn") == (0, "", "")
    assert run(fx, "cat", "/root/hn") == (0, "fx\n", "")


def test_mktemp_is_deterministic(fx):
    first = run(fx, "mktemp")[1]
    assert first.startswith("/tmp/tmp.") and len(first) == len("/tmp/tmp.XXXXXXXXXX\n")
    assert run(fx, "test", "-f", first.strip())[0] == 0
    assert run(fx, "mktemp", "-d")[1] != first


def test_read_and_write_file(fx):
    assert fx.read_file("/etc/hostname") == "fx\n"
    fx.write_file("/etc/hostname", "fx2\n")
    assert run(fx, "cat", "/etc/hostname") == (0, "fx2\n", "")
    fx.write_file("/root/secret", "s\n", mode=0o600)
    fx.write_file("/root/secret", "t\n")  # mode kept
    assert run(fx, "ls", "-l", "/root/secret")[1].startswith("-rw------- 1 root root 2 ")
    with pytest.raises(FileNotFoundError):
        fx.read_file("/etc/nope")
    with pytest.raises(FileNotFoundError):
        fx.write_file("/no/such/dir/f", "x")
    with pytest.raises(IsADirectoryError):
        fx.read_file("/etc")


def test_shell_subset(fx):
    state = fx.store.load()
    assert run_script(state, "grep -c processor /proc/cpuinfo") == (0, "8\n", "")
    assert run_script(state, "cat /etc/hosts | grep -v ip6 | wc -l") == (0, "4\n", "")
    assert run_script(state, "ls /boot/*.gz") == (0, "/boot/xen-3.0.3-1-amd64.gz\n", "")
    assert run_script(state, "ls '/boot/*.gz'")[0] == 2  # quoted: no expansion
    assert run_script(state, "echo hi > /tmp/x && cat /tmp/x; cat /nope || echo no") == (
        0, "hi\nno\n", "cat: /nope: No such file or directory\n")
    assert run_script(state, "cat /nope 2>/dev/null") == (1, "", "")
    assert run_script(state, "cat /nope 2>&1") == (1, "cat: /nope: No such file or directory\n",
                                                   "")
    assert run_script(state, "tee /tmp/y < /etc/hostname") == (0, "fx\n", "")
    assert run_script(state, "bash -c 'uname -r; hostname -s'") == (
        0, "2.6.18-5-xen-amd64\nfx\n", "")
    assert run_script(state, "LC_ALL=C head -n 1 /etc/fstab") == (
        0, "# /etc/fstab: static file system information.\n", "")
    assert run_script(state, "echo 'a  b' \"c\\\"d\" e\\ f") == (0, "a  b c\"d e f\n", "")
    assert run_script(state, "echo $HOME \"${HOSTNAME}x\" '$HOME' $0 $1.") == (
        0, "/root fxx $HOME bash .\n", "")
    assert run_script(state, "F=/etc/hostname; cat $F; cat /nope 2>/dev/null; echo $?") == (
        0, "fx\n1\n", "")
    assert run_script(state, 'X="a   b"; echo $X; echo "$X"') == (0, "a b\na   b\n", "")
    assert run_script(state, "export D=/boot; ls $D/*.gz") == (
        0, "/boot/xen-3.0.3-1-amd64.gz\n", "")
    assert run_script(state, "echo $(ls)") == (
        2, "", "bash: -c: line 1: `$(' command substitution is not supported by the lab\n")
    assert run_script(state, "ls |") == (
        2, "", "bash: -c: line 1: syntax error: unexpected end of file\n")
    assert run_script(state, "nope; true") == (0, "", "bash: nope: command not found\n")
    assert run_script(state, "\nhostname # a comment\n# another\nnproc\n") == (0, "fx\n8\n", "")
    assert run_script(state, "cat /etc/hostname |\n wc -l") == (0, "1\n", "")
    assert run_script(state, "cd /etc/xen; pwd; cd /nope") == (
        1, "/etc/xen\n", "bash: cd: /nope: No such file or directory\n")
    assert run_script(state, "pwd") == (0, "/root\n", "")


# Command lines run both by the real coreutils (in a temp dir) and by the lab (in
# /root), on the same small tree: etc/hostname ("fx") and an empty tmp/.
AGAINST_COREUTILS = [
    "mkdir -p etc/hostname/x", "mkdir etc/hostname/x", "mkdir etc", "mkdir", "cp etc tmp",
    "cp -r etc etc/sub", "mv etc etc/sub", "mkdir etc/sub; mv etc etc/sub", "rm -r nope",
    "rm", "rm etc", "cp", "cp x",
    "touch nope/x", "tee nope/x", "ls nope etc/hostname", "ls -d etc etc/hostname",
    "cat etc nope", "mv nope tmp", "cp etc/hostname nope/x", "mv etc/hostname nope/x",
    "cp etc/hostname etc/hostname", "head -n 1 nope", "tail nope", "wc -l nope",
    "grep x nope", "sort nope", "cat -z", "ls --bogus", "ls -y", "uname -x", "date -x",
    "sleep x", "nproc x", "head -n 1 etc/hostname etc/hostname", "wc etc/hostname",
    "wc -l etc/hostname", "grep -c fx etc/hostname etc/hostname", "echo -e 'a\\tb'",
    "cat etc/hostname | wc", "sort -r etc/hostname etc/hostname", "tail -n 1 etc/hostname",
    "cp -r etc tmp && ls tmp/etc", "mkdir -p a/b/c && ls a/b", "test -d etc; echo $?",
    "[ -f etc ]; echo $?", "echo hi > tmp/f; cat tmp/f tmp/f | grep -c hi",
    "cp etc/hostname etc/hostname etc/hostname", "mv etc/hostname etc/hostname nope",
    "grep -n fx etc/hostname", "grep 'f\\|x' etc/hostname", "cat -n etc/hostname",
    "rm -r tmp; ls", "cd etc && ls", "cd nope", "mkdir tmp/x tmp/x", "echo -- -n",
    "[ 1 = 1; echo $?", "test 1 -eq x; echo $?", "tee -a tmp/h < etc/hostname; cat tmp/h",
]


@pytest.mark.parametrize("line", AGAINST_COREUTILS)
def test_answers_like_the_real_coreutils(fx, tmp_path, line):
    import os
    import subprocess
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "hostname").write_text("fx\n")
    (tmp_path / "tmp").mkdir()
    real = subprocess.run(["bash", "-c", line], cwd=tmp_path, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, env={**os.environ, "LC_ALL": "C"}, timeout=30)
    state = fx.store.load()
    run_script(state, "mkdir /root/etc /root/tmp; echo fx > /root/etc/hostname")
    lab = run_script(state, line)
    # bash 5 prefixes "line 1: " to errors of a -c string; the lab answers like bash 3
    assert lab == (real.returncode, real.stdout, real.stderr.replace("bash: line 1: ", "bash: "))
