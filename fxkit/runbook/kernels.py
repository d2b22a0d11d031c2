"""The Jupyter kernel a runbook runs in: this Python, Unix sockets, the run's environment.

    >>> manager = ipc_kernel_manager("/tmp/sockets", env={"FXKIT_RUN_ID": "x"})  # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

KERNEL = "python3"


def ipc_kernel_manager(socket_dir: str, env: Mapping[str, str] | None = None,
                       on_start: Callable[[int | None], None] | None = None) -> type:
    """A kernel manager talking to its kernel over Unix sockets in ``socket_dir``, starting
    it with ``env`` added to this process's environment, and telling ``on_start`` its pid.

    TCP on loopback would work too, but each kernel then prints an "unencrypted TCP"
    warning, and under load a freshly picked port can be taken before the kernel binds it.
    The environment is how the kernel learns that ``fxkit run`` listens (``events``); it is
    given to this kernel only, never set in this process (two runs may overlap).
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum, default

    extra = dict(env or {})

    class IpcKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc")

        @default("ip")
        def _ip_default(self) -> str:
            return os.path.join(socket_dir, "kernel")

        async def start_kernel(self, **kw: Any) -> None:
            kw["env"] = {**os.environ, **(kw.get("env") or {}), **extra}
            await super().start_kernel(**kw)
            if on_start is not None:
                on_start(getattr(self.provisioner, "pid", None))

    return IpcKernelManager


def kernel_name() -> str:
    """A kernel running this Python (the project's venv), installing a kernelspec if needed.

    The usual ``python3`` spec says ``python``, which jupyter_client replaces by
    ``sys.executable``; a spec naming another interpreter would run the runbook
    without this fxkit, so then a ``fxkit`` spec for this interpreter is installed
    into ``sys.prefix`` and used.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    specs = KernelSpecManager()
    try:
        argv0 = specs.get_kernel_spec(KERNEL).argv[0]
    except NoSuchKernel:
        argv0 = ""
    if argv0 in ("python", "python3") or (argv0 and Path(argv0).resolve()
                                          == Path(sys.executable).resolve()):
        return KERNEL
    try:
        if Path(specs.get_kernel_spec("fxkit").argv[0]).resolve() == \
                Path(sys.executable).resolve():
            return "fxkit"
    except NoSuchKernel:
        pass
    from ipykernel.kernelspec import install
    install(kernel_name="fxkit", display_name="Python (fxkit)", prefix=sys.prefix)
    return "fxkit"
