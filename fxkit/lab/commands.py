"""Every command the lab answers: the one table of name -> handler.

``fxkit.lab.shell.interpreter.execute`` looks names up here; a name not in the table
answers ``bash: NAME: command not found`` (127). The handler modules are imported
the ordinary way, so one that is broken fails this import at once instead of
leaving its commands "not found". Several names may share a handler (it reads
``call.argv[0]``); ``lvm SUB`` has its own table, ``fxkit.lab.lvm.commands.SUBCOMMANDS``,
whose tools are also answered here by their own names.
"""

from __future__ import annotations

from fxkit.lab.lvm import blockdev, fs
from fxkit.lab.lvm import commands as lvm_tools
from fxkit.lab.net import brctl, ifup
from fxkit.lab.net import commands as net_tools
from fxkit.lab.shell import edit, files, system, text
from fxkit.lab.shell.base import Handler
from fxkit.lab.xen import commands as xen_tools

COMMANDS: dict[str, Handler] = {
    # shell built-ins and system facts (shell/system.py)
    "true": system.true, ":": system.true, "false": system.false,
    "uname": system.uname, "hostname": system.hostname, "nproc": system.nproc,
    "free": system.free, "echo": system.echo, "id": system.id_, "whoami": system.whoami,
    "pwd": system.pwd, "cd": system.cd, "date": system.date, "sleep": system.sleep,
    "env": system.env, "bash": system.bash, "sh": system.bash, "which": system.which,
    "uptime": system.uptime,
    # reading the file tree (shell/files.py) and changing it (shell/edit.py)
    "cat": files.cat, "ls": files.ls, "test": files.test, "[": files.test,
    "mkdir": edit.mkdir, "tee": edit.tee, "touch": edit.touch, "cp": edit.copy_or_move,
    "mv": edit.copy_or_move, "rm": edit.rm, "mktemp": edit.mktemp,
    # text filters (shell/text.py)
    "grep": text.grep, "egrep": text.grep, "fgrep": text.grep, "head": text.head_tail,
    "tail": text.head_tail, "wc": text.wc, "sort": text.sort,
    # lvm2: lvm itself and the tools it links to (pvs, lvcreate, ...: lvm/commands.py)
    "lvm": lvm_tools.lvm, **lvm_tools.SUBCOMMANDS,
    # filesystems on LVs (lvm/fs.py), swap, probes and wipes (lvm/blockdev.py)
    "mkfs.ext4": fs.mkfs, "mkfs.ext3": fs.mkfs, "mke2fs": fs.mkfs, "resize2fs": fs.resize2fs,
    "e2fsck": fs.e2fsck, "fsck.ext4": fs.e2fsck, "fsck.ext3": fs.e2fsck,
    "dumpe2fs": fs.dumpe2fs, "mkswap": blockdev.mkswap, "blkid": blockdev.blkid,
    "dd": blockdev.dd, "blkdiscard": blockdev.blkdiscard,
    # Xen toolstacks (xen/commands.py)
    "xl": xen_tools.xl, "xm": xen_tools.xl,
    # networking (net/commands.py, net/brctl.py, net/ifup.py)
    "ip": net_tools.ip, "bridge": brctl.bridge, "brctl": brctl.brctl,
    "ifup": ifup.ifup, "ifdown": ifup.ifdown,
}
