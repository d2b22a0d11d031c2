"""Growing a filesystem inside a running domU over SSH: the device and target, checked.

The device comes from a domU config (``disk = [ '...,xvda1,w' ]``) and the target from the
caller; both end up on an ``ssh`` command line that the guest's shell reads, so both are
checked against what is valid, never against a list of bad characters::

    >>> guest_device("xvda1")
    'xvda1'
    >>> guest_resize_argv("root@titanic", "xvda1")
    ('ssh', '-o', 'BatchMode=yes', '--', 'root@titanic', 'resize2fs', '/dev/xvda1')
"""

from __future__ import annotations

import re

from fxkit.errors import InvalidRequest
from fxkit.transports.openssh import check_destination

# Xen's vdev names as a Linux guest sees them (xen-vbd-interface(7)): xvd, sd, hd and
# virtio's vd, disk letters, then an optional partition number (no leading zero).
_VDEV = re.compile(r"(?P<kind>xvd|vd|sd|hd)(?P<disk>[a-z]{1,3})(?P<part>[1-9][0-9]{0,2})?\Z",
                   re.ASCII)
_MAX_PART = {"xvd": 255, "vd": 15, "sd": 15, "hd": 63}


def guest_device(vdev: str) -> str:
    """``vdev`` (``xvda1``, ``hda1``, ``sdb``) if it is a disk name Xen gives a guest,
    else InvalidRequest: it goes into a command the guest's shell runs."""
    m = _VDEV.match(vdev) if isinstance(vdev, str) else None
    ok = m is not None and (m["kind"] != "hd" or len(m["disk"]) == 1) and \
        int(m["part"] or 0) <= _MAX_PART[m["kind"]]
    if not ok:
        raise InvalidRequest(
            f"guest device {vdev!r} (from the domU config's disk line) is not a Xen virtual "
            "disk name: expected xvdN, sdN, hdN or vdN with disk letters and an optional "
            "partition, e.g. xvda1. Fix the disk line in the config")
    return vdev


def guest_target(target: str) -> str:
    """An SSH target for the guest (``titanic``, ``root@titanic``, ``root@10.0.0.5``):
    host name, IP literal or ssh_config alias, with an optional plain user name."""
    if not isinstance(target, str):
        raise InvalidRequest(f"guest SSH target {target!r} is not a string")
    user, at, host = target.rpartition("@")
    check_destination(host, user if at else None, what="guest SSH target")
    return target


def guest_resize_argv(target: str, vdev: str) -> tuple[str, ...]:
    """``ssh`` from dom0 running ``resize2fs /dev/VDEV`` in the guest, non-interactively;
    ``--`` ends ssh's options, so the target can never be read as one."""
    return ("ssh", "-o", "BatchMode=yes", "--", guest_target(target), "resize2fs",
            f"/dev/{guest_device(vdev)}")
