"""Root through ``sudo -n``: the tools fxkit runs, their sudoers rule, what a refusal means.

Errors name the user, the command and the fix.

A Host with ``sudo=True`` (``connect(target, sudo=True)``) runs every command as
``sudo -n -- ARGV``: ``-n`` because fxkit never types a password. Files it must
write as root go through ``install`` and ``mv`` with the content on stdin (SFTP
writes as the login user)::

    >>> sudoers_rule("ops", groups=("read",)).splitlines()[-1]
    'ops ALL=(root) NOPASSWD: FXKIT_READ'
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from fxkit.errors import InvalidRequest, SudoPasswordRequired, SudoRefused, ToolNotFound

if TYPE_CHECKING:
    from fxkit.result import Result


class HostLike(Protocol):
    """What this module needs of a ``fxkit.host.Host`` (which uses it to explain a failure,
    so it names the interface rather than importing the class)."""

    name: str
    sudo: bool

    def login(self) -> str | None: ...

    def run(self, argv: Sequence[str], *, check: bool = True, timeout: float | None = None,
            sudo: bool = False, input: str | None = None, read_only: bool = False
            ) -> Result: ...

SUDO = ("sudo", "-n", "--")
_ASKS_PASSWORD = ("sudo: a password is required", "sudo: a terminal is required")

# What each group of the rule lets fxkit do, and its sudoers commands (Debian 12 paths;
# sudo matches a command by its path's file, so /usr/sbin/ip also covers /bin/ip).
# Arguments are exact where fxkit's own are fixed; sudoers wildcards match across
# arguments, so none is used. ``head`` reads the domU configs, hundreds in one command
# (fxkit.xen.config_files): their paths vary, so it takes any arguments.
GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "read": ("read facts: inventory, doctor, every dry run", (
        "/usr/sbin/pvs", "/usr/sbin/vgs", "/usr/sbin/lvs", "/usr/sbin/blkid",
        "/usr/sbin/dumpe2fs", "/usr/sbin/xl list", "/usr/sbin/xl list -l", "/usr/sbin/xl info",
        "/usr/sbin/ip -j -d link show", "/usr/sbin/bridge -j link show", "/usr/sbin/brctl show",
        "/usr/bin/ls -1 /dev", "/usr/bin/ls -1 /etc/xen",
        "/usr/bin/ls -1 /etc/network/interfaces.d", "/usr/bin/head")),
    "lock": ("take and release the apply lock (/run/lock/fxkit.lock)", (
        "/usr/bin/mkdir /run/lock/fxkit.lock", "/usr/bin/mkdir -p /run/lock",
        "/usr/bin/rm -rf /run/lock/fxkit.lock", "/usr/bin/test -d /run/lock/fxkit.lock",
        "/usr/bin/stat -c %a %u %g -- /run/lock/fxkit.lock/owner",
        "/usr/bin/install -m 644 -o 0 -g 0 -T /dev/stdin /run/lock/fxkit.lock/.owner.fxkit-tmp",
        "/usr/bin/mv -f -T -- /run/lock/fxkit.lock/.owner.fxkit-tmp /run/lock/fxkit.lock/owner")),
    "lvm": ("change LVM and filesystems (lv-create, lv-extend, lv-remove, lv-snapshot)", (
        "/usr/sbin/pvcreate", "/usr/sbin/vgcreate", "/usr/sbin/vgextend", "/usr/sbin/lvcreate",
        "/usr/sbin/lvextend", "/usr/sbin/lvreduce", "/usr/sbin/lvremove", "/usr/sbin/wipefs",
        "/usr/sbin/mkfs.ext2", "/usr/sbin/mkfs.ext3", "/usr/sbin/mkfs.ext4", "/usr/sbin/mkswap",
        "/usr/sbin/e2fsck", "/usr/sbin/resize2fs", "/usr/bin/dd")),
    "xen": ("start, stop and remove domUs; grow a filesystem inside a domU", (
        "/usr/sbin/xl", "/usr/bin/ssh")),
    "net": ("change bridges and links", ("/usr/sbin/ip",)),
    "files": ("write and remove files as root (domU configs, /etc/network/interfaces.d)", (
        "/usr/bin/stat", "/usr/bin/install", "/usr/bin/mv", "/usr/bin/rm", "/usr/bin/cat")),
}

# The Debian package of each program, for "install it" fixes.
PACKAGES = {
    **dict.fromkeys(("pvs", "vgs", "lvs", "pvcreate", "vgcreate", "vgextend", "lvcreate",
                     "lvextend", "lvreduce", "lvremove", "lvm"), "lvm2"),
    **dict.fromkeys(("dumpe2fs", "e2fsck", "resize2fs", "mkfs.ext2", "mkfs.ext3",
                     "mkfs.ext4"), "e2fsprogs"),
    **dict.fromkeys(("blkid", "wipefs", "mkswap"), "util-linux"),
    "xl": "xen-utils", "ip": "iproute2", "bridge": "iproute2", "brctl": "bridge-utils",
    "sudo": "sudo", "ssh": "openssh-client",
}
# A login name in POSIX's portable user-name characters (letters, digits, "_", ".", "-"),
# not starting with "-" or "." or a digit, at most 32 like useradd's: sudoers reads "%",
# "+", "#", ",", "=", ":", "!", a backslash and spaces as syntax, so a name holding one
# could grant more than this one user.
USER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,31}\Z")
_SBIN_NOTE = ("Debian puts the LVM, Xen and bridge tools in /usr/sbin, which only root's "
              "PATH has")


def sudoers_rule(user: str, groups: tuple[str, ...] = tuple(GROUPS)) -> str:
    """The sudoers lines that let ``user`` run, without a password, what fxkit runs for
    ``groups`` (see ``GROUPS``); install it with ``visudo -f /etc/sudoers.d/fxkit``.
    For more users, add only their ``sudoers_user`` lines (an alias is defined once)."""
    return sudoers_aliases(groups) + sudoers_user(user, groups)


def sudoers_aliases(groups: tuple[str, ...] = tuple(GROUPS)) -> str:
    """The ``Cmnd_Alias FXKIT_...`` lines of ``groups``."""
    _check_groups(groups)
    lines = ["# /etc/sudoers.d/fxkit: what fxkit runs as root (install with "
             "`visudo -f /etc/sudoers.d/fxkit`)"]
    for g in groups:
        purpose, commands = GROUPS[g]
        lines.append(f"# {g}: {purpose}")
        lines.append(f"Cmnd_Alias FXKIT_{g.upper()} = " + ", ".join(commands))
    return "\n".join(lines) + "\n"


def sudoers_user(user: str, groups: tuple[str, ...] = tuple(GROUPS)) -> str:
    """The line that gives ``user`` the aliases of ``groups`` without a password;
    ``InvalidRequest`` unless ``user`` is a plain login name (``USER_NAME``)."""
    check_user_name(user)
    _check_groups(groups)
    aliases = ", ".join(f"FXKIT_{g.upper()}" for g in groups)
    return f"{user} ALL=(root) NOPASSWD: {aliases}\n"


def check_user_name(user: str) -> str:
    """``user`` if it is a plain login name that sudoers reads as one user, else
    ``InvalidRequest`` saying what a login name is."""
    if not isinstance(user, str) or not USER_NAME.match(user):
        raise InvalidRequest(f"{user!r} is not a login name (letters, digits, '_', '.', '-'; "
                             "starting with a letter or '_'; at most 32)")
    return user


def _check_groups(groups: tuple[str, ...]) -> None:
    unknown = [g for g in groups if g not in GROUPS]
    if unknown or not groups:
        what = f"unknown sudoers group(s) {unknown}" if unknown else "no sudoers group given"
        raise InvalidRequest(f"{what}: choose from {list(GROUPS)}")


def _user(host: HostLike) -> str:
    return host.login() or "the login user"


def not_found(host: HostLike, result: Result, *, via_sudo: bool) -> ToolNotFound:
    """The error for a program the host does not have (or the user's PATH does not reach)."""
    tool = result.argv[len(SUDO)] if via_sudo else result.argv[0]
    package = PACKAGES.get(os.path.basename(tool))
    install = f"install it (Debian package {package})" if package else "install it"
    user = host.login()
    if via_sudo:
        why = f"`{tool}` is not installed on {host.name} (sudo found it in none of its " \
              f"secure_path directories)"
        fix = f"{install}, or leave out what needs it"
    elif user == "root":
        why, fix = f"`{tool}` is not installed on {host.name}", install
    else:
        who, whose = (f"user {user}", f"{user}'s") if user else ("the login user", "its")
        why = (f"`{tool}` was not found for {who} on {host.name}: it is not "
               f"installed, or not in {whose} PATH ({_SBIN_NOTE})")
        fix = (f"connect with sudo (fxkit.connect(target, sudo=True); CLI: --sudo), or "
               f"{install}")
    return ToolNotFound(result, f"{result.host}: {why}. Fix: {fix}", tool)


def sudo_failure(host: HostLike, result: Result) -> Exception | None:
    """Why ``sudo -n -- ARGV`` failed before running ARGV, or None if ARGV itself failed.

    ``sudo -n`` says "a password is required" both when the user may not run the
    command and when the command does not exist; ``sudo -n -l -- ARGV`` (one more
    read-only command) tells them apart.
    """
    err = result.stderr
    if result.exit_status == 127 and ("sudo: not found" in err
                                      or "sudo: command not found" in err):
        return ToolNotFound(result, f"{result.host}: sudo is not installed on {host.name}. "
                                    "Fix: as root, install it (Debian package sudo) and add "
                                    "fxkit's sudoers rule (README: Real hosts), or connect "
                                    "as root", "sudo")
    # sudo's own lines start with "sudo: "; warnings about sudoers files may come first
    said = [line for line in err.splitlines() if line.startswith("sudo: ")]
    if result.exit_status != 1 or not said:
        return None
    if any(line.startswith(f"sudo: {result.argv[len(SUDO)]}: command not found")
           for line in said):
        return not_found(host, result, via_sudo=True)
    if not any(line.startswith(_ASKS_PASSWORD) for line in said):
        if any("must have a tty" in line for line in said):
            return SudoRefused(result, f"{result.host}: sudo on {host.name} requires a "
                                       "terminal (Defaults requiretty). Fix: add `Defaults:"
                                       f"{_user(host)} !requiretty` to its sudoers rule")
        return None
    probe = host.run(["sudo", "-n", "-l", "--", *result.argv[len(SUDO):]], check=False,
                     read_only=True)
    user, command = _user(host), shlex.join(result.argv[len(SUDO):])
    if "command not found" in probe.stderr:
        return not_found(host, result, via_sudo=True)
    if probe.exit_status == 1 and not any(line.startswith("sudo: ")
                                          for line in probe.stderr.splitlines()):
        return SudoRefused(result, (
            f"{result.host}: sudo does not let {user} run `{command}` without a password "
            f"(the sudoers rule for {user} does not cover it). Fix: add it to the rule in "
            "/etc/sudoers.d/fxkit; fxkit.privilege.sudoers_rule() gives the whole rule "
            "(README: Real hosts)"))
    return SudoPasswordRequired(
        f"{result.host}: sudo asks {user} for a password to run `{command}`: {user} has no "
        f"NOPASSWD rule there, or no sudo rights at all, and fxkit never sends passwords. "
        f"Fix: as root on {host.name}, add fxkit's rule with `visudo -f "
        f"/etc/sudoers.d/fxkit` (fxkit.privilege.sudoers_rule({user!r}) prints it; README: "
        "Real hosts), or connect as root")


# -- files as root: SFTP writes as the login user, so root's writes are two commands ---------

def read_as_root(host: HostLike, path: str) -> str:
    """``path``'s text read with ``sudo -n cat`` (for a file the login user cannot read)."""
    r = host.run(["cat", "--", path], check=False, read_only=True)
    if r.exit_status != 0:
        raise _file_error(r.stderr, path)
    return r.stdout


def write_as_root(host: HostLike, path: str, content: str, mode: int | None = None) -> None:
    """Replace ``path`` atomically as root: ``install`` the content (from stdin) next to it,
    keeping the old file's mode, owner and group, then ``mv`` it over ``path``.

    The temp name is fixed (``.NAME.fxkit-tmp``) so that a sudoers rule can name it;
    writers hold the host lock, so two never share it.
    """
    directory, base = os.path.split(path)
    if not directory.startswith("/") or not base:
        raise InvalidRequest(f"writing a file as root needs an absolute path, not {path!r}")
    tmp = f"{directory}/.{base}.fxkit-tmp"
    st = host.run(["stat", "-c", "%a %u %g", "--", path], check=False, read_only=True)
    if st.exit_status == 0 and len(st.stdout.split()) == 3:
        old_mode, uid, gid = st.stdout.split()
    elif "No such file" in st.stderr:
        old_mode, uid, gid = "644", "0", "0"
    else:
        raise _file_error(st.stderr, path)
    host.run(["install", "-m", f"{mode:o}" if mode is not None else old_mode, "-o", uid,
              "-g", gid, "-T", "/dev/stdin", tmp], input=content)
    try:
        host.run(["mv", "-f", "-T", "--", tmp, path])
    except BaseException:
        host.run(["rm", "-f", "--", tmp], check=False)
        raise


def _file_error(stderr: str, path: str) -> OSError:
    if "No such file" in stderr:
        return FileNotFoundError(2, "No such file or directory", path)
    if "Is a directory" in stderr:
        return IsADirectoryError(21, "Is a directory", path)
    if "Permission denied" in stderr:
        return PermissionError(13, "Permission denied", path)
    return OSError(f"{path}: {stderr.strip()}")


def become(host: HostLike, sudo: bool = True) -> bool:
    """``sudo=True`` said to a reader or a plan: the same as ``connect(target, sudo=True)``,
    for the rest of ``host``'s life (never some commands with sudo and some without).
    Returns whether ``host`` now runs through sudo."""
    if sudo and not host.sudo:
        host.sudo = True
    return host.sudo
