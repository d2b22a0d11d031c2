"""`fxkit ...` with two proposed runner fixes monkeypatched in (a what-if for the runbook bench).

Fix A: never import ``rfc3987_syntax``: jsonschema (imported by nbformat, imported by
papermill) builds a Lark grammar when that optional package is installed, which is most
of ``import papermill``. Fix B: papermill's kernel is shut down ``immediate``, not
``graceful`` (the run is over; its outputs are already in the notebook).

    .venv/bin/python bench/whatif_run.py run lv-extend -p lv secours-root
"""

from __future__ import annotations

import sys


def main() -> None:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # fix A
    import papermill

    real = papermill.execute_notebook

    def execute_notebook(*args, **kwargs):  # fix B
        kwargs.setdefault("shutdown_kernel", "immediate")
        return real(*args, **kwargs)

    papermill.execute_notebook = execute_notebook
    from fxkit.cli import main as fxkit_main
    sys.argv = ["fxkit", *sys.argv[1:]]
    fxkit_main()


if __name__ == "__main__":
    main()
