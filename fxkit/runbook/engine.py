"""The papermill engine ``fxkit run`` uses: papermill's own, minus re-validating every save.

Papermill writes the output notebook when the run starts, when each cell starts and ends,
and when the run ends, each time through ``nbformat.writes``, which validates the whole
notebook against its schema first: 24 validations for a runbook of 11 cells, about a
tenth of a warm run. This engine still writes at every one of those moments (the notebook
on disk shows how far a run got, even one killed with -9), with the same bytes, but
validates only the last write, the notebook the run leaves.
"""

from __future__ import annotations

from typing import Any

ENGINE = "fxkit"


def register() -> str:
    """Register the engine with papermill (once per process) and return its name."""
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.iorw import papermill_io

    if ENGINE in papermill_engines._engines:   # noqa: SLF001 - papermill has no lookup API
        return ENGINE

    def save(nb_man: Any, **_: Any) -> None:
        from nbformat import v4
        if nb_man.output_path:
            papermill_io.write(v4.writes(nb_man.nb), nb_man.output_path)
        nb_man.last_save_time = nb_man.now()

    class FxkitEngine(NBClientEngine):   # type: ignore[misc]
        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> Any:
            # papermill's NotebookExecutionManager.notebook_complete() saves once more
            # after this returns, through the validating save it is given back here
            nb_man.save = lambda **kw: save(nb_man, **kw)
            try:
                return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
            finally:
                del nb_man.save

    papermill_engines.register(ENGINE, FxkitEngine)
    return ENGINE
