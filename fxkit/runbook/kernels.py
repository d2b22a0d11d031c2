"""The Jupyter kernel a runbook runs in: this Python, Unix sockets, the run's environment.

    >>> manager = ipc_kernel_manager("/tmp/sockets", env={"FXKIT_RUN_ID": "x"})  # doctest: +SKIP

``warm_kernel_manager`` hands papermill a kernel started before the run (``warm``)
instead of starting one: the same kernel as a cold run's, given the run's environment
and working directory by a silent prelude before the first cell.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fxkit.runbook.warm import WarmKernel, per_run_env, pid_alive

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
    client = quick_client()

    class IpcKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc")

        @default("ip")
        def _ip_default(self) -> str:
            return os.path.join(socket_dir, "kernel")

        @default("client_factory")
        def _client_factory_default(self) -> type:
            return client

        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self) -> Any:
            return kernel_specs(parent=self)

        async def _async_wait(self, pollinterval: float = 0.1) -> None:
            # a killed kernel is gone within milliseconds: do not sleep 100 ms to see it
            await super()._async_wait(pollinterval=0.005)

        async def start_kernel(self, **kw: Any) -> None:
            kw["env"] = {**os.environ, **(kw.get("env") or {}), **extra}
            await super().start_kernel(**kw)
            if on_start is not None:
                on_start(getattr(self.provisioner, "pid", None))

    return IpcKernelManager


def warm_kernel_manager(kernel: WarmKernel, socket_dir: str, env: Mapping[str, str],
                        cwd: str, on_start: Callable[[int | None], None] | None = None) -> type:
    """A kernel manager whose "start" adopts ``kernel`` (started earlier, unused), then
    runs the silent prelude ``warm.adopt``: ``env`` added to its environment, ``cwd`` as
    its directory, exactly what ``ipc_kernel_manager`` gives a kernel it starts. If that
    kernel died meanwhile, a kernel is started the usual way."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning import LocalProvisioner

    from fxkit.errors import RunbookError

    cold = ipc_kernel_manager(socket_dir, env, on_start)
    prelude = (f"__import__('fxkit.runbook.warm', fromlist=['adopt']).adopt("
               f"{per_run_env(env)!r}, {cwd!r}, {os.getpid()!r}, {kernel.spawn_cwd!r})")

    class Adopted(LocalProvisioner):   # type: ignore[misc]
        async def pre_launch(self, **kw: Any) -> dict[str, Any]:
            return {**kw, "cmd": []}   # nothing to launch, no connection file to write

        async def launch_kernel(self, cmd: list[str], **kw: Any) -> dict[str, Any]:
            self.process = kernel.process or _Pid(kernel.pid)
            self.pid = self.pgid = kernel.pid   # its own session: signals reach its group
            # as jupyter_client holds it (its check of the connection file wants bytes)
            self.connection_info = {**kernel.connection,
                                    "key": str(kernel.connection["key"]).encode()}
            return self.connection_info

        async def wait(self) -> int | None:
            while await self.poll() is None:
                await asyncio.sleep(0.005)
            return await super().wait()

    class WarmKernelManager(cold):  # type: ignore[misc, valid-type]
        async def start_kernel(self, **kw: Any) -> None:
            if not kernel.alive():
                await super().start_kernel(**kw)
                return
            self.connection_file = str(kernel.connection_file)
            self.load_connection_info(kernel.connection)
            self.kernel_id = self.kernel_id or kernel.directory.name
            self.provisioner = Adopted(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec,
                                       parent=self)
            await AsyncKernelManager.start_kernel(self, **kw)
            client = self.client()
            client.start_channels()
            try:   # a shell request waits in ZeroMQ's queue until the kernel listens
                reply = await client.execute(prelude, silent=True, store_history=False,
                                             reply=True, timeout=60)
            finally:
                client.stop_channels()
            if reply["content"].get("status") != "ok":
                raise RunbookError(f"the warm kernel refused the run's environment: "
                                   f"{reply['content'].get('evalue')}")
            if on_start is not None:
                on_start(kernel.pid)

    return WarmKernelManager


def quick_client() -> type:
    """jupyter_client's async client, minus the 0.2 s it waits for IOPub to fall silent
    after the kernel_info handshake: IOPub is proven connected by the first message after
    the reply (as jupyter_client checks too), and nbclient ignores stray status messages
    (it reads only the replies to its own requests)."""
    from queue import Empty

    from jupyter_client.asynchronous import AsyncKernelClient

    class QuickKernelClient(AsyncKernelClient):   # type: ignore[misc]
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (timeout or 60.0)
            while True:
                self.kernel_info()
                try:
                    msg = await self.shell_channel.get_msg(timeout=1)
                except Empty:
                    msg = None
                if msg is not None and msg["msg_type"] == "kernel_info_reply":
                    try:
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        continue   # IOPub not subscribed yet: ask again
                    self._handle_kernel_info_reply(msg)
                    break
                if not await self.is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")
            while True:   # what the handshake left on IOPub, without waiting for silence
                try:
                    await self.iopub_channel.get_msg(timeout=0.01)
                except Empty:
                    break

    return QuickKernelClient


class _Pid:
    """The little of ``Popen`` a provisioner uses, for a kernel another process started."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def poll(self) -> int | None:
        return None if pid_alive(self.pid) else 0

    def wait(self, timeout: float | None = None) -> int:
        return 0

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def kernel_specs(parent: Any = None) -> Any:
    """jupyter_client's KernelSpecManager, searching the same directories, without
    importing IPython (0.1 to 0.2 s of every run) just to name ``~/.ipython/kernels``."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_core.paths import jupyter_path
    ipython = os.environ.get("IPYTHONDIR") or os.path.join(os.path.expanduser("~"), ".ipython")
    return KernelSpecManager(parent=parent, kernel_dirs=[*jupyter_path("kernels"),
                                                         os.path.join(ipython, "kernels")])


def kernel_name() -> str:
    """A kernel running this Python (the project's venv), installing a kernelspec if needed.

    The usual ``python3`` spec says ``python``, which jupyter_client replaces by
    ``sys.executable``; a spec naming another interpreter would run the runbook
    without this fxkit, so then a ``fxkit`` spec for this interpreter is installed
    into ``sys.prefix`` and used.
    """
    from jupyter_client.kernelspec import NoSuchKernel
    specs = kernel_specs()
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
