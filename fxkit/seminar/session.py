"""A notebook's session on the lab: a fresh copy of fx, its language, runbook runs, refusals.

    >>> fx = start(lang="fr")                                      # doctest: +SKIP
    Lab prêt : une copie neuve de 'fx', joignable sous le nom 'lab'. ...
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from fxkit.errors import CommandFailed, FxkitError
from fxkit.host import Host
from fxkit.seminar.i18n import current_language, say, set_language


def start(scenario: str = "fx", *, reset: bool = True, lang: str | None = None) -> Host:
    """Reset the lab to a fresh copy of ``scenario``, point ``%fx`` at it, return its Host.

    ``lang`` ("en" or "fr") is the language the checks and hints speak from now on.
    """
    import fxkit
    from fxkit import lab, magics

    set_language(lang or current_language())
    if reset:
        lab.reset(scenario)
    host = fxkit.connect("lab" if scenario == "fx" else f"lab:{scenario}")
    magics.use_host(host)
    print(say("lab_ready", fresh=reset, scenario=scenario, host=host.name))
    return host


def runs_dir() -> str:
    """Where the notebooks write runbook runs: ``$FXKIT_RUNS_DIR``, else ``runs``."""
    return os.environ.get("FXKIT_RUNS_DIR") or "runs"


def run_runbook(name: str, parameters: dict | None = None, **options: object) -> object:
    """``fxkit.runbook.runner.run_runbook`` for the course: runs go to ``runs_dir()``, and the
    runbook kernel's own log lines (kernel start-up and shutdown chatter on its stderr,
    not the runbook's output, which is in the executed notebook) stay off the page."""
    from fxkit.runbook.runner import run_runbook as run

    options.setdefault("runs_dir", runs_dir())
    with _kernel_stderr_silenced():
        return run(name, parameters, **options)  # type: ignore[arg-type]


@contextmanager
def _kernel_stderr_silenced() -> Iterator[None]:
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)  # inherited by the kernel papermill starts
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@contextmanager
def expect_refusal() -> Iterator[None]:
    """Run a command or plan that should be refused; print the refusal instead of raising."""
    try:
        yield
    except CommandFailed as e:  # the command's own output is already on screen
        print(say("refused_command", command=e.result.command_line, status=e.result.exit_status))
    except FxkitError as e:
        print(say("refused_error", kind=type(e).__name__, error=e))
    else:
        print(say("not_refused"))
