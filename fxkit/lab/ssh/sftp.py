"""SFTP for the lab's SSH server: paramiko's SFTPServerInterface over ``state.files``.

Each operation is one store transaction, so ``SSHHost.write_file`` (temp file,
chmod, posix-rename) lands in the lab atomically, like on a real host.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat

import paramiko
from paramiko import SFTPAttributes, SFTPHandle, SFTPServer, SFTPServerInterface

from fxkit.lab.shell.files import kind, listing, state_read
from fxkit.lab.state import LabState
from fxkit.lab.store import LabStore

HOME = "/root"


def _err(code: int) -> int:
    return SFTPServer.convert_errno(code)


def _attrs(state: LabState, path: str) -> SFTPAttributes | None:
    k = kind(state, path)
    if k is None:
        return None
    a = SFTPAttributes()
    a.st_uid = a.st_gid = 0
    a.st_mtime = a.st_atime = int(state.now().timestamp())
    if k == "dir":
        a.st_mode, a.st_size = stat.S_IFDIR | 0o755, 4096
    elif k in ("block", "char"):
        a.st_mode, a.st_size = (stat.S_IFBLK if k == "block" else stat.S_IFCHR) | 0o660, 0
    else:
        f = state.files.get(path)
        a.st_mode = stat.S_IFREG | (f.mode if f else 0o444)
        a.st_size = len((state_read(state, path) or "").encode())
    a.filename = posixpath.basename(path) or "/"
    return a


class _Handle(SFTPHandle):
    """An open lab file: reads from a snapshot, writes are saved on close."""

    def __init__(self, store: LabStore, path: str, data: bytes, writable: bool,
                 append: bool, flags: int) -> None:
        super().__init__(flags)
        self.store, self.path, self.data = store, path, bytearray(data)
        self.writable, self.append, self.dirty = writable, append, writable
        self.mode: int | None = None

    def read(self, offset: int, length: int) -> bytes | int:
        return bytes(self.data[offset:offset + length])

    def write(self, offset: int, data: bytes) -> int:
        if not self.writable:
            return _err(errno.EBADF)
        if self.append:
            offset = len(self.data)
        if offset > len(self.data):
            self.data.extend(b"\0" * (offset - len(self.data)))
        self.data[offset:offset + len(data)] = data
        self.dirty = True
        return paramiko.SFTP_OK

    def stat(self) -> SFTPAttributes | int:
        a = SFTPAttributes()
        a.st_mode, a.st_size = stat.S_IFREG | 0o644, len(self.data)
        return a

    def chattr(self, attr: SFTPAttributes) -> int:
        """fsetstat (scp sends it): mode and size apply at close; times are ignored."""
        if attr.st_mode is not None:
            self.mode, self.dirty = attr.st_mode & 0o7777, True
        if attr.st_size is not None and self.writable:
            del self.data[attr.st_size:]
            self.dirty = True
        return paramiko.SFTP_OK

    def close(self) -> None:
        if self.dirty:
            with self.store.transaction() as state:
                state.write(self.path, self.data.decode("utf-8", errors="replace"), self.mode)
                state.tick()
            self.dirty = False
        super().close()


class LabSFTPServer(SFTPServer):
    """Paramiko's SFTP server, plus the exit status OpenSSH's scp waits for."""

    def finish_subsystem(self) -> None:
        try:
            self.sock.send_exit_status(0)
        except Exception:  # the client may be gone already
            pass
        super().finish_subsystem()


class LabSFTP(SFTPServerInterface):
    """The lab's file tree over SFTP (created per session by paramiko)."""

    def __init__(self, server: paramiko.ServerInterface, *args: object, **kw: object) -> None:
        super().__init__(server)
        self.store: LabStore = server.store  # type: ignore[attr-defined]

    def canonicalize(self, path: str) -> str:
        return posixpath.normpath(path if path.startswith("/") else posixpath.join(HOME, path))

    def open(self, path: str, flags: int, attr: SFTPAttributes) -> SFTPHandle | int:
        path = self.canonicalize(path)
        writable = bool(flags & (os.O_WRONLY | os.O_RDWR))
        with self.store.transaction() as state:
            k = kind(state, path)
            if k == "dir":
                return _err(errno.EISDIR)
            if k is None and not (flags & os.O_CREAT):
                return _err(errno.ENOENT)
            if k is not None and flags & os.O_CREAT and flags & os.O_EXCL:
                return _err(errno.EEXIST)
            if writable and kind(state, posixpath.dirname(path)) != "dir":
                return _err(errno.ENOENT)
            if writable and path.startswith(("/proc/", "/dev/")):
                return _err(errno.EACCES)
            text = "" if flags & os.O_TRUNC else (state_read(state, path) or "")
            if writable and k is None:
                mode = attr.st_mode & 0o7777 if attr and attr.st_mode is not None else 0o644
                state.write(path, "", mode)
                state.tick()
        return _Handle(self.store, path, text.encode(), writable,
                       bool(flags & os.O_APPEND), flags)

    def stat(self, path: str) -> SFTPAttributes | int:
        with self.store.transaction() as state:
            return _attrs(state, self.canonicalize(path)) or _err(errno.ENOENT)

    lstat = stat

    def list_folder(self, path: str) -> list[SFTPAttributes] | int:
        path = self.canonicalize(path)
        with self.store.transaction() as state:
            if kind(state, path) != "dir":
                return _err(errno.ENOTDIR if kind(state, path) else errno.ENOENT)
            return [a for name in listing(state, path)
                    if (a := _attrs(state, posixpath.join(path, name)))]

    def remove(self, path: str) -> int:
        path = self.canonicalize(path)
        with self.store.transaction() as state:
            if path not in state.files:
                return _err(errno.EISDIR if kind(state, path) == "dir" else errno.ENOENT)
            del state.files[path]
            state.tick()
        return paramiko.SFTP_OK

    def rename(self, oldpath: str, newpath: str) -> int:
        return self._rename(oldpath, newpath, overwrite=False)

    def posix_rename(self, oldpath: str, newpath: str) -> int:
        return self._rename(oldpath, newpath, overwrite=True)

    def _rename(self, oldpath: str, newpath: str, overwrite: bool) -> int:
        old, new = self.canonicalize(oldpath), self.canonicalize(newpath)
        with self.store.transaction() as state:
            if old not in state.files:
                return _err(errno.ENOENT if kind(state, old) is None else errno.EPERM)
            if kind(state, posixpath.dirname(new)) != "dir":
                return _err(errno.ENOENT)
            if kind(state, new) == "dir" or (kind(state, new) and not overwrite):
                return _err(errno.EEXIST)
            state.files[new] = state.files.pop(old)
            state.tick()
        return paramiko.SFTP_OK

    def mkdir(self, path: str, attr: SFTPAttributes) -> int:
        path = self.canonicalize(path)
        with self.store.transaction() as state:
            if kind(state, path) is not None:
                return _err(errno.EEXIST)
            if kind(state, posixpath.dirname(path)) != "dir":
                return _err(errno.ENOENT)
            state.dirs.add(path)
            state.tick()
        return paramiko.SFTP_OK

    def rmdir(self, path: str) -> int:
        path = self.canonicalize(path)
        with self.store.transaction() as state:
            if kind(state, path) != "dir":
                return _err(errno.ENOTDIR if kind(state, path) else errno.ENOENT)
            if listing(state, path):
                return _err(errno.ENOTEMPTY)
            state.dirs.discard(path)
            state.tick()
        return paramiko.SFTP_OK

    def chattr(self, path: str, attr: SFTPAttributes) -> int:
        path = self.canonicalize(path)
        with self.store.transaction() as state:
            f = state.files.get(path)
            if f is None:
                return _err(errno.ENOENT if kind(state, path) is None else errno.EPERM)
            if attr.st_mode is not None:
                f.mode = attr.st_mode & 0o7777
                state.tick()
        return paramiko.SFTP_OK
