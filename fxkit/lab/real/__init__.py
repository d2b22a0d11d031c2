"""The real lab: Xen 4.17 and a Debian dom0 under QEMU, reached over SSH like fx itself.

The functions the CLI (``fxkit lab ... --real``) calls::

    build_image(force=False, progress=callable) -> ImagePaths   # cached, built once
    start_real(port=None) -> RealLabInfo                         # boot, SSH, provision fx
    stop_real() -> bool                                          # clean poweroff, QEMU gone
    status_real() -> dict | None                                 # which lab, how, boot time
    reset_real()                                                 # discard the lab's disks
    real_host() -> SSHHost                                       # dom0, as root over SSH

    >>> from fxkit.lab.real import start_real, real_host, stop_real
    >>> info = start_real()                                      # doctest: +SKIP
    >>> real_host().run(["xl", "list"]).stdout                   # doctest: +SKIP
"""

from fxkit.lab.real.image import build_image, image_manifest
from fxkit.lab.real.lifecycle import (
    RealLabInfo,
    real_host,
    reset_real,
    start_real,
    status_real,
    stop_real,
)

__all__ = ["build_image", "image_manifest", "RealLabInfo", "real_host", "start_real",
           "stop_real", "status_real", "reset_real"]
