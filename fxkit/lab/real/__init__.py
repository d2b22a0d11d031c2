"""The real lab: Xen 4.17 and a Debian dom0 under QEMU, reached over SSH like fx itself.

The functions the CLI (``fxkit lab ... --real``) calls::

    build_image(force=False, progress=callable) -> ImagePaths   # cached, built once
    start_real(port=None) -> RealLabInfo      # restore the saved fx (seconds), or boot,
                                              # provision and save it (minutes)
    stop_real() -> bool                       # clean poweroff, QEMU gone, disks kept
    status_real() -> dict | None              # which lab, how it started, boot time
    reset_real() -> RealLabInfo | None        # discard the disks, start a fresh fx
    snapshot_status() -> dict                 # would a start restore, and if not why
    real_host() -> SSHHost                    # dom0, as root over SSH

The lab's own functions take ``lab=`` (a lab dir) to act on another one than
``$FXKIT_LAB_DIR``'s.

    >>> from fxkit.lab.real import start_real, real_host, stop_real
    >>> info = start_real()                                      # doctest: +SKIP
    >>> real_host().run(["xl", "list"]).stdout                   # doctest: +SKIP
"""

from fxkit.lab.real.image import build_image, image_manifest
from fxkit.lab.real.lifecycle import (
    RealLabInfo,
    real_host,
    reset_real,
    snapshot_status,
    start_real,
    status_real,
    stop_real,
)

__all__ = ["build_image", "image_manifest", "RealLabInfo", "real_host", "start_real",
           "stop_real", "status_real", "reset_real", "snapshot_status"]
