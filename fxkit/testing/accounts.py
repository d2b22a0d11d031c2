"""Throw-away login users and sudoers rules on this machine, for tests against a real sshd.

Needs root. Every user and rule made here is removed when the ``with`` block ends::

    with Accounts() as acc:
        ops = acc.user("ops", shell="/bin/bash")
        acc.sudoers(ops, sudoers_rule(ops, groups=("read", "lvm")))
"""

from __future__ import annotations

import os
import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

SUDOERS_DIR = Path("/etc/sudoers.d")
# Login shells Debian packages: name -> (program, Debian package). fxkit's SSH transport
# must pass argv through each of them untouched (tests/test_login_shells.py).
LOGIN_SHELLS = {
    "sh": ("/bin/sh", "dash"), "dash": ("/bin/dash", "dash"), "bash": ("/bin/bash", "bash"),
    "zsh": ("/usr/bin/zsh", "zsh"), "tcsh": ("/usr/bin/tcsh", "tcsh"),
    "fish": ("/usr/bin/fish", "fish"), "mksh": ("/usr/bin/mksh", "mksh"),
    "ash": ("/usr/bin/busybox", "busybox"),
}


def create_user(name: str, shell: str = "/bin/sh") -> str:
    """A system user with a home directory and ``shell``, that sshd lets in with a key.

    useradd locks the account ("!"); with UsePAM no, sshd refuses locked accounts even for
    keys. "*" means: no password can ever match, but the account is not locked.
    """
    subprocess.run(["useradd", "--system", "--create-home", "--home-dir", f"/var/lib/{name}",
                    "--shell", shell, name], check=True, capture_output=True)
    subprocess.run(["usermod", "-p", "*", name], check=True, capture_output=True)
    return name


def login_shell(name: str, directory: str | os.PathLike[str]) -> str | None:
    """The program to give a test user as login shell ``name`` (see ``LOGIN_SHELLS``), or
    None if its package is not installed. busybox picks its applet from the name it is run
    as, so ``ash`` is a symlink ``DIRECTORY/ash`` to it (``directory`` must be readable by
    the user: a TestSshd's directory is)."""
    program = LOGIN_SHELLS[name][0]
    if not os.path.exists(program):
        return None
    if name != "ash":
        return program
    link = Path(directory) / "ash"
    if not link.is_symlink():
        link.symlink_to(program)
    return str(link)


def remove_user(name: str) -> None:
    subprocess.run(["userdel", "--force", "--remove", name], capture_output=True)


def install_sudoers(name: str, text: str) -> Path:
    """``text`` as /etc/sudoers.d/NAME (checked by ``visudo -c`` first: a bad file there
    would break sudo for everyone)."""
    if "." in name or "~" in name:
        raise ValueError(f"sudo ignores /etc/sudoers.d files with '.' or '~': {name!r}")
    path = SUDOERS_DIR / name
    tmp = SUDOERS_DIR / f".{name}.tmp"   # the leading dot: sudo ignores it meanwhile
    tmp.write_text(text)
    os.chmod(tmp, 0o440)
    check = subprocess.run(["visudo", "-c", "-q", "-f", str(tmp)], capture_output=True,
                           text=True)
    if check.returncode != 0:
        tmp.unlink()
        raise ValueError(f"visudo refuses this sudoers text: {check.stdout}{check.stderr}")
    os.replace(tmp, path)
    return path


@dataclass
class Accounts:
    """Users and sudoers files made for one test session; ``close()`` removes them all."""

    tag: str = field(default_factory=lambda: secrets.token_hex(2))
    users: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def user(self, role: str, shell: str = "/bin/sh") -> str:
        """A new user ``fx-ROLE-TAG`` (unique, so parallel runs do not collide)."""
        name = create_user(f"fx-{role}-{self.tag}"[:32], shell)
        self.users.append(name)
        return name

    def sudoers(self, name: str, text: str) -> Path:
        path = install_sudoers(f"fxkit-test-{name}", text)
        self.files.append(path)
        return path

    def close(self) -> None:
        for path in self.files:
            path.unlink(missing_ok=True)
        for name in self.users:
            remove_user(name)
        self.files.clear()
        self.users.clear()

    def __enter__(self) -> Accounts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
