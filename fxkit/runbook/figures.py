"""Figures a runbook shows, with their text form alone when matplotlib is not installed.

The base install (``pip install fxkit``: the CLI and the runbook runner) has no
matplotlib; ``fxkit[seminar]`` adds it. A runbook still runs on a base install: a
figure is then its text summary plus one line saying how to get the drawing::

    >>> topology_picture(network)                   # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from fxkit.display import Picture, picture

NO_MATPLOTLIB = "(the drawing needs matplotlib: pip install 'fxkit[seminar]')"


def topology_picture(network: Any) -> Picture:
    """The network drawing (``fxkit.viz.draw_topology``) with "who reaches what" as text."""
    text = "\n".join(f"{d} reaches {', '.join(network.reaches(d)) or 'nothing'}"
                     for d in sorted(network.domus))
    try:
        from fxkit import viz
    except ImportError:
        return picture(None, f"{text}\n{NO_MATPLOTLIB}")
    return picture(viz.draw_topology(network), text)
