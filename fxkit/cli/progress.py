"""What ``fxkit run`` shows while a runbook runs, and what Ctrl-C and SIGTERM do meanwhile.

Each plan step as it starts and ends (n/N, its sentence, its command, the time it took,
its outcome), and what a long step is waiting for. On a terminal a tqdm bar holds the
current step; elsewhere (a log, cron) plain lines. ``-q``: nothing here, the outcome only;
``-v``: also each cell as it starts and every command run on the host, with its output.
"""

from __future__ import annotations

import contextlib
import shlex
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import IO, Any

QUIET, NORMAL, VERBOSE = -1, 0, 1
WAIT_FIRST = 3.0    # a step running longer than this says what it waits for...
WAIT_EVERY = 15.0   # ...and says it again this often (plain lines)
TAIL_LINES = 8      # -v: lines of a command's output shown


class LiveProgress:
    """An observer for ``run_runbook(observer=...)`` that writes to ``stream``."""

    def __init__(self, verbosity: int = NORMAL, stream: IO[str] | None = None,
                 tty: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.verbosity = verbosity
        self.bar: Any = None
        self.step: dict[str, Any] | None = None
        self.step_clock = 0.0
        self.command_done = False
        self.next_wait = 0.0

    def __call__(self, event: dict[str, Any]) -> None:
        if self.verbosity <= QUIET:
            return
        handler = getattr(self, "_on_" + str(event.get("event")), None)
        if handler is not None:
            handler(event)

    # -- events ---------------------------------------------------------------------

    def _on_cell(self, e: dict[str, Any]) -> None:
        if self.verbosity >= VERBOSE:
            self._line(f"cell {e['index']}: {e.get('source', '')}")

    def _on_apply(self, e: dict[str, Any]) -> None:
        total = int(e.get("total", 0))
        self._line(f"applying: {e.get('title', '')} ({total} step{'s' * (total != 1)}, "
                   f"host lock on {e.get('host', '?')})")
        if self.tty:
            from tqdm import tqdm
            # a terminal that reports no size (a fresh pty) still gets its bar
            size = shutil.get_terminal_size((100, 24))
            self.bar = tqdm(total=total, unit="step", file=self.stream, leave=False,
                            ncols=max(40, size.columns), nrows=max(5, size.lines),
                            bar_format="{n}/{total} {desc} [{elapsed}]{postfix}")

    def _on_step_start(self, e: dict[str, Any]) -> None:
        self.step, self.step_clock = e, time.monotonic()
        self.command_done, self.next_wait = False, WAIT_FIRST
        where = f"[{e['n']}/{e['total']}]"
        if self.bar is not None:
            room = max(20, int(self.bar.ncols or 100) - 48)  # leave room for what it waits for
            text = f"{e['sentence']}: {e['command']}"
            self.bar.set_description_str(text if len(text) <= room else text[:room - 3] + "...")
            self.bar.set_postfix_str("")
        else:
            self._line(f"{where} start    {e['sentence']}: {e['command']}")

    def _on_step_end(self, e: dict[str, Any]) -> None:
        sentence = (self.step or {}).get("sentence", "")
        outcome = {"ran": "ran", "skipped": "skipped", "failed": "FAILED",
                   "stopped": "STOPPED"}.get(str(e.get("outcome")), str(e.get("outcome")))
        note = {"skipped": " (already done)"}.get(str(e.get("outcome")), "")
        error = f": {e['error']}" if e.get("error") else ""
        self._line(f"[{e['n']}/{e['total']}] {outcome:<8} {float(e.get('seconds', 0)):6.1f} s  "
                   f"{sentence}{note}{error}")
        if self.bar is not None:
            self.bar.update(1)
        self.step = None

    def _on_applied(self, e: dict[str, Any]) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        self.step = None

    def _on_command(self, e: dict[str, Any]) -> None:
        argv = [str(a) for a in e.get("argv", [])]
        line = shlex.join(argv)
        if self.step and line.endswith(str(self.step.get("command"))):
            self.command_done = True  # the step's command returned; what is left is settling
        if self.verbosity < VERBOSE:
            return
        self._line(f"    $ {line}   (exit {e.get('exit_status')}, "
                   f"{float(e.get('seconds', 0)):.2f} s)")
        for name in ("stdout_tail", "stderr_tail"):
            lines = str(e.get(name) or "").rstrip("\n").splitlines()
            for text in lines[-TAIL_LINES:]:
                self._line(f"      {'|' if name == 'stdout_tail' else '!'} {text}")

    def _on_tick(self, e: dict[str, Any]) -> None:
        if self.step is None:
            return
        waited = time.monotonic() - self.step_clock
        if waited < WAIT_FIRST:
            return
        s = self.step
        if not self.command_done:
            limit = f" (at most {s['timeout']:.0f} s)" if s.get("timeout") else ""
            what = f"`{s['command']}` to return{limit}"
        elif s.get("settles"):
            what = (f"the host to finish: {s['sentence']} (at most "
                    f"{float(s.get('settle_seconds') or 0):.0f} s)")
        else:
            what = f"step {s['n']}/{s['total']} to finish"
        if self.bar is not None:
            self.bar.set_postfix_str(f"waiting for {what}")
        elif waited >= self.next_wait:
            self.next_wait = waited + WAIT_EVERY
            self._line(f"[{s['n']}/{s['total']}] waiting  {waited:6.0f} s  for {what}")

    def _line(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)


_SAID = {
    "stop-before-next-step": "{sig}: the step in progress finishes, then the run stops and "
                             "releases the host lock. Press Ctrl-C again to stop that step now.",
    "interrupt-kernel": "{sig}: stopping the runbook now (the step in progress is interrupted, "
                        "the host lock released). Press Ctrl-C again to kill its kernel.",
    "kill-kernel": "{sig}: the runbook's kernel is killed. If it held the host lock, the lock "
                   "may remain: check with `fxkit runs unlock HOST`.",
}


@contextlib.contextmanager
def stop_on_signals(control: Any, say: Callable[[str], None]) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM ask ``control`` (a ``RunControl``) to stop the run
    cleanly, each one firmer than the last, instead of killing this process."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        what = control.stop()
        say(_SAID[what].format(sig=signal.Signals(signum).name))

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
