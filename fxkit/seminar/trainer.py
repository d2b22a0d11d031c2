"""The trainer's live view of the room: the progress grid, refreshed every few seconds.

    >>> from fxkit import seminar
    >>> seminar.watch_progress(every=5)                 # doctest: +SKIP
"""

from __future__ import annotations

import threading
from typing import Any

from fxkit.seminar.progress import progress_grid


def watch_progress(every: float = 5.0, *, rounds: int | None = None) -> Any:
    """An HTML widget showing ``progress_grid()``, redrawn every ``every`` seconds (for
    ``rounds`` redraws, default: while the kernel runs) by a daemon thread."""
    import ipywidgets as w

    view = w.HTML(progress_grid()._repr_html_())
    view.add_class("fxkit-progress-view")
    stop = threading.Event()

    def loop() -> None:
        n = 0
        while not stop.wait(every) and (rounds is None or n < rounds):
            view.value = progress_grid()._repr_html_()
            n += 1

    threading.Thread(target=loop, daemon=True, name="fxkit-progress").start()
    view.stop = stop.set          # type: ignore[attr-defined]
    return view
