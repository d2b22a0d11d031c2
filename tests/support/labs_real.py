"""The session's real Xen labs: one for the tests, one for jobs that run in the background.

Booting and provisioning a real lab takes minutes of both cores, and building its image
(CI's cache starts empty) minutes of mostly network. So ``REAL_LABS.start(jobs)``, called
when collection ends, does that work in a thread while the other tiers run:

1. the **main** lab: the image built if needed, then ``start_real`` in a fresh lab dir,
   which restores the saved "fx, provisioned" snapshot, or boots, provisions (fxkit's
   plans under test) and saves it. The tests that take ``real_lab`` use it;
2. the **background** lab, a second lab dir: each job registered with the marker
   ``real_job(fn)`` gets a freshly restored fx there and runs ``fn(lab, say)`` while the
   tests go on. The test that carries the marker waits for its job with
   ``REAL_LABS.outcome(fn)`` and asserts on what it returned (or re-raises what it raised).
   ``real_job(fn, idle=True)`` runs after the other jobs, with the background lab's QEMU
   at the lowest CPU priority (nice 19): it then only takes CPU time the tests leave
   unused, until the test that waits for it starts waiting (then nice 0: nothing else
   runs beside it). ``real_job(fn, hotplug=True)`` runs inside
   ``REAL_LABS.starting_domus``, as do the tests marked ``xen_hotplug``
   (tests/conftest.py): they start domUs, and Xen's
   hotplug scripts must finish within libxl's 40 s. So no two labs start domUs at once
   (a domU started on the main lab while the other lab started its own lost its disk to
   that timeout: `xl reboot` of titanic, seen twice), and meanwhile that lab's QEMU runs
   at a high CPU priority (nice -10): CI saw `vif-bridge online` killed after 40 s while
   the other tiers kept both cores busy (2.3 s when idle; 8-15 s beside four busy loops).

CPU priority: Linux's scheduler shares the CPU between sessions ("autogroups") before it
looks at a thread's nice value, and QEMU daemonizes into a session of its own. So
``renice`` sets the nice value of QEMU's autogroup (/proc/PID/autogroup), which is what
weighs against the tests' session, as well as that of each of its threads (what counts
when autogroups are off). Beside four busy loops, `xl create` took 43 s with QEMU's
threads at nice -19 and 13 s with its autogroup at nice -10.

The main lab is ready long before the real-Xen tier, which runs last, and an idle lab's
QEMU still takes 10-15% of a core (measured over a whole `make test`: 50 to 90 s of CPU
the other tiers wanted). So once started it is paused (QMP ``stop``: its vCPUs and its
virtual clock stand still, 0% of a core), and the first test that takes it resumes it
(``cont``), then sets dom0's clock as a restore does (fxkit.lab.real.freshen).

Nothing in the threads prints (pytest captures output per test): what they say is kept
and shown by the tests and in the session's summary. ``close()`` stops both labs and
removes their dirs. ``FXKIT_TEST_REAL_LAB_DIR`` names a running lab dir to use as the main
lab as it is (iterating on a test); it is left running.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.labs import Lab, real_lab_missing

REUSE_ENV = "FXKIT_TEST_REAL_LAB_DIR"
IDLE_NICE = 19
HOTPLUG_NICE = -10
Job = Callable[[Lab, Callable[[str], None]], Any]


@dataclass
class Outcome:
    """What a background job did: its value or error, how long it took, what it said."""

    name: str
    value: Any = None
    error: BaseException | None = None
    seconds: float = 0.0
    said: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    idle: bool = False              # run at the lowest CPU priority (nice 19)...
    waited: bool = False            # ...until a test waits for it: then at nice 0
    hotplug: bool = False           # hold REAL_LABS.hotplug while running (it starts domUs)

    def get(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


class RealLabs:
    """See the module docstring."""

    def __init__(self) -> None:
        self.main_root: Path | None = None
        self.reuse = False
        self.main_ready = threading.Event()
        self.main_error: BaseException | None = None
        self.jobs: dict[Job, Outcome] = {}
        self.background_root: Path | None = None
        self.background_console: str | None = None
        self.background_done = threading.Event()
        self.log: list[str] = []           # (seconds since start) what happened, in order
        self.timings: dict[str, float] = {}
        self.started = 0.0
        self.thread: threading.Thread | None = None
        self.closing = False
        self.hotplug = threading.Lock()    # held by whoever starts domUs (see the docstring)
        self.priority = threading.Lock()   # an idle job's nice: set at its start, or waited
        self.pausing = threading.Lock()     # the main lab's QEMU: paused until a test needs it
        self.main_paused = False

    def say(self, message: str) -> None:
        self.log.append(f"{time.monotonic() - self.started:7.1f}s {message}")

    # -- starting -----------------------------------------------------------------------

    def start(self, jobs: list[tuple[Job, dict[str, Any]]]) -> None:
        """Start the labs' work in the background (see the module docstring); idempotent.
        ``jobs``: (fn, the marker's options) in the order the tests run."""
        if self.thread is not None or real_lab_missing():
            return
        self.started = time.monotonic()
        for fn, options in sorted(jobs, key=lambda job: bool(job[1].get("idle"))):
            self.jobs.setdefault(fn, Outcome(fn.__name__, idle=bool(options.get("idle")),
                                             hotplug=bool(options.get("hotplug"))))
        self.thread = threading.Thread(target=self._run, name="real-labs", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self._start_main()
        except BaseException as e:  # noqa: BLE001 - handed to the tests that need the lab
            self.main_error = e
            self.say(f"the main real lab did not start: {e}")
        finally:
            self.main_ready.set()
        try:
            if self.main_error is None:
                self._run_jobs()
        finally:
            for outcome in self.jobs.values():
                if not outcome.done.is_set():
                    outcome.error = outcome.error or RuntimeError(
                        "the background real lab never ran this job: " +
                        (str(self.main_error) if self.main_error else "the session ended"))
                    outcome.done.set()
            self.background_done.set()

    def _start_main(self) -> None:
        from fxkit.lab.real import build_image, start_real
        reuse = os.environ.get(REUSE_ENV)
        self.reuse = bool(reuse)
        self.main_root = Path(reuse) if reuse else Path(tempfile.mkdtemp(prefix="fxkit-realxen-"))
        t = time.monotonic()
        build_image(progress=self.say)
        self.timings["image (build or cache check)"] = time.monotonic() - t
        t = time.monotonic()
        info = start_real(how="pytest (the real-lab tier)", lab=self.main_root,
                          progress=self.say)
        how = ("reused as it ran" if reuse else "restored from the snapshot"
               if info.restored_from else "booted, provisioned and saved")
        self.timings[f"main lab ({how})"] = time.monotonic() - t
        if not reuse:
            try:
                self._set_main_paused(True)
            except Exception as e:  # noqa: BLE001 - it then simply runs on, idle
                self.say(f"the main lab could not be paused ({e}): it runs on")

    def _set_main_paused(self, pause: bool) -> bool:
        """Pause or resume the main lab (see the module docstring); whether it changed."""
        with self.pausing:
            if self.main_root is None or self.main_paused == pause:
                return False
            set_paused(self.main_root, pause)
            self.main_paused = pause
            self.say("main lab " + ("paused until a test needs it" if pause else "resumed"))
            return True

    def _run_jobs(self) -> None:
        if not self.jobs:
            return
        from fxkit.lab.real import reset_real, stop_real, vm
        from fxkit.lab.real.paths import state_paths
        # Not under pytest's basetemp: concurrent sessions rotate old basetemps away.
        self.background_root = Path(tempfile.mkdtemp(prefix="fxkit-realxen-bg-"))
        lab = Lab("real", "lab:real", self.background_root)
        try:
            for fn, outcome in self.jobs.items():
                if self.closing:
                    break
                t = time.monotonic()
                try:
                    # Each job starts from a freshly restored fx: no cleanup between jobs.
                    reset_real(lab=lab.root, how=f"pytest (background job {outcome.name})",
                               progress=outcome.said.append)
                    with self.priority:
                        if outcome.idle and not outcome.waited:
                            renice(lab.root, IDLE_NICE)
                    with (self.starting_domus(lab.root) if outcome.hotplug
                          else contextlib.nullcontext()):
                        outcome.value = fn(lab, outcome.said.append)
                except BaseException as e:  # noqa: BLE001 - re-raised in the waiting test
                    outcome.error = e
                    outcome.said.append("".join(traceback.format_exception(e))[-3000:])
                outcome.seconds = time.monotonic() - t
                self.timings[f"background job {outcome.name}"] = outcome.seconds
                self.say(f"background job {outcome.name}: {outcome.seconds:.0f} s, "
                         + ("failed" if outcome.error else "done"))
                outcome.done.set()
        finally:
            lab.close_mux()
            stop_real(lab=lab.root)
            try:
                self.background_console = state_paths(lab.root).serial.read_text(
                    errors="replace")
            except OSError:
                self.background_console = None
            for pid in vm.qemu_pids(state_paths(lab.root).overlay):
                vm.kill(pid)

    # -- what the tests use -------------------------------------------------------------

    @contextlib.contextmanager
    def starting_domus(self, root: Path):
        """While the lab at ``root`` starts domUs: no other lab does, and its QEMU runs at
        nice ``HOTPLUG_NICE`` (see the module docstring), then at 0 again."""
        with self.hotplug:
            renice(root, HOTPLUG_NICE)
            try:
                yield
            finally:
                renice(root, 0)

    def main(self, timeout: float = 3600) -> Lab:
        """The main lab, once ready (starting it now if collection did not), running."""
        root = self._main_ready(timeout)
        if self._set_main_paused(False):
            self.say(set_clock(root))           # it stood still while paused
        return Lab("real", "lab:real", root)

    def _main_ready(self, timeout: float) -> Path:
        """The main lab's dir once it has started; its error if it could not."""
        if self.thread is None:
            self.start([])
            if self.thread is None:
                raise RuntimeError(f"the real lab cannot run here: {real_lab_missing()}")
        if not self.main_ready.wait(timeout):
            raise TimeoutError(f"the real lab was not ready within {timeout:.0f} s:\n"
                               + "\n".join(self.log[-20:]))
        if self.main_error is not None:
            raise self.main_error
        assert self.main_root is not None
        return self.main_root

    def outcome(self, fn: Job, timeout: float = 5400) -> Outcome:
        """Wait for background job ``fn`` (registered with the ``real_job`` marker)."""
        if fn not in self.jobs:
            raise RuntimeError(f"{fn.__name__} is not a registered real_job: mark the test "
                               f"with @pytest.mark.real_job({fn.__name__})")
        self._main_ready(timeout)        # its error, if the labs never started
        outcome = self.jobs[fn]
        with self.priority:
            # A test waits for it, so it no longer runs "beside" anything: full priority
            # (its lab may still be restoring; then it simply never goes to nice 19).
            outcome.waited = True
            if outcome.idle and not outcome.done.is_set() and self.background_root:
                renice(self.background_root, 0)
        if not outcome.done.wait(timeout):
            raise TimeoutError(f"background job {outcome.name} did not finish in "
                               f"{timeout:.0f} s; it said:\n" + "\n".join(outcome.said[-20:]))
        return outcome

    def background_console_text(self, timeout: float = 600) -> str | None:
        """The background lab's serial console after its clean stop (None: no jobs ran)."""
        if not self.jobs:
            return None
        self.background_done.wait(timeout)
        return self.background_console

    # -- the end ------------------------------------------------------------------------

    def close(self) -> None:
        """Stop both labs and remove their dirs (the reused one is left as it was)."""
        from fxkit.lab.real import stop_real, vm
        from fxkit.lab.real.paths import state_paths
        self.closing = True
        if self.background_root is not None:
            for pid in vm.qemu_pids(state_paths(self.background_root).overlay):
                vm.kill(pid)               # a job still running: the session is over
        if self.thread is not None:
            self.thread.join(timeout=120)
        for root in (self.background_root, self.main_root):
            if root is not None:
                Lab("real", "lab:real", root).close_mux()
        with contextlib.suppress(Exception):    # no test took it: it must run to power off
            self._set_main_paused(False)
        for root in (self.background_root, None if self.reuse else self.main_root):
            if root is not None:
                stop_real(lab=root)
                shutil.rmtree(root, ignore_errors=True)

    def summary(self) -> list[str]:
        """Lines for the session's summary: where the real labs' time went."""
        lines = [f"{what:<48} {seconds:7.1f} s" for what, seconds in self.timings.items()]
        if self.log:     # when each step began (image build, boot, restore, jobs)
            lines += ["timeline (seconds since the session began):", *self.log]
        return lines


def set_paused(root: Path, pause: bool) -> None:
    """Pause the lab at ``root`` (QMP ``stop``: its vCPUs and clock stand still), or resume
    it (``cont``)."""
    from fxkit.lab.real.paths import state_paths
    from fxkit.lab.real.qmp import Qmp
    with Qmp.connect(state_paths(root).qmp) as qmp:
        qmp.execute("stop" if pause else "cont")


def set_clock(root: Path) -> str:
    """Set the lab's dom0 clock to the host's, as after a restore; says how far off it was."""
    from fxkit.lab.real.access import real_host
    from fxkit.lab.real.freshen import freshen
    host = real_host(lab=root)
    try:
        fresh = freshen(host)
    finally:
        host.close()
    return f"dom0's clock was {fresh.behind_seconds:.0f} s behind and is set"


def renice(root: Path, nice: int) -> None:
    """Set the CPU priority of the lab's QEMU: its autogroup's and that of every thread (a
    vCPU is a thread, and setpriority acts on one thread at a time). A negative value needs
    root (CAP_SYS_NICE), as CI has; otherwise it is left as it was."""
    from fxkit.lab.real import vm
    from fxkit.lab.real.paths import state_paths
    for pid in vm.qemu_pids(state_paths(root).overlay):
        try:
            Path(f"/proc/{pid}/autogroup").write_text(f"{nice}\n")
        except OSError:          # no autogroups (kernel or sysctl), or not permitted
            pass
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                os.setpriority(os.PRIO_PROCESS, int(task.name), nice)
            except (ProcessLookupError, PermissionError):
                pass


REAL_LABS = RealLabs()
