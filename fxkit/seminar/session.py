"""A notebook's session on the trainee's lab: start or reuse it, reset it, put it at a
notebook's checkpoint; the notebook's language, runbook runs, refusals.

    >>> fx = start(lang="fr", notebook="01")                       # doctest: +SKIP
    Lab prêt : votre lab, au début du notebook 01 (tout neuf), joignable sous le nom 'lab'. ...
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from fxkit.errors import CommandFailed, FxkitError
from fxkit.host import Host
from fxkit.seminar.i18n import current_language, say, set_language
from fxkit.seminar.trainee import current_trainee, set_notebook


def start(scenario: str = "fx", *, lang: str | None = None, notebook: str | None = None,
          reset: bool = False) -> Host:
    """Start or reuse this trainee's lab, point ``%fx`` at it, return its Host.

    The lab is never wiped: a lab that exists (another notebook's, an earlier session's) is
    used as it is. One that does not exist yet is created at ``notebook``'s checkpoint (as
    if the notebooks before it were done), or fresh without a notebook. ``reset=True`` is
    ``seminar.reset()`` first. ``lang`` ("en" or "fr") is the language the checks and hints
    speak from now on; ``notebook`` ("01") is where the progress log files this kernel's
    checks.
    """
    import fxkit
    from fxkit import lab, magics
    from fxkit.seminar.checkpoints import check_notebook, install_checkpoint

    set_language(lang or current_language())
    number = check_notebook(notebook) if notebook is not None else None
    set_notebook(number)
    if reset:
        lab.reset(scenario)
        state = "fresh"
    elif scenario == "fx" and number is not None:
        state = "created" if install_checkpoint(number, if_absent=True) else "reused"
    else:
        state = "reused" if lab.LabStore(scenario).exists() else "created"
    host = fxkit.connect("lab" if scenario == "fx" else f"lab:{scenario}")
    magics.use_host(host)
    print(say("lab_ready", state=state, scenario=scenario, host=host.name,
              notebook=number or "", trainee=current_trainee()))
    return host


def reset(scenario: str = "fx") -> Host:
    """Put this trainee's lab back to a fresh copy of ``scenario``: everything done is lost."""
    import fxkit
    from fxkit import lab, magics

    lab.reset(scenario)
    host = fxkit.connect("lab" if scenario == "fx" else f"lab:{scenario}")
    magics.use_host(host)
    print(say("lab_reset", trainee=current_trainee(), scenario=scenario))
    return host


def reset_to(notebook: str) -> Host:
    """Put this trainee's lab at the start of ``notebook`` ("03"): a fresh fx, as if the
    notebooks before it were done. What the lab held is lost."""
    import fxkit
    from fxkit import magics
    from fxkit.seminar.checkpoints import NOTEBOOKS, check_notebook, install_checkpoint

    number = check_notebook(notebook)
    install_checkpoint(number)
    host = fxkit.connect("lab")
    magics.use_host(host)
    done = NOTEBOOKS[:NOTEBOOKS.index(number)]
    print(say("lab_at", trainee=current_trainee(), notebook=number,
              done=f"{done[0]}-{done[-1]}" if done else "-"))
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
