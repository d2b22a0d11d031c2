"""ipywidgets front-ends over fxkit's facts and plans (one module per widget).

    >>> from fxkit.widgets import LvPlanner               # doctest: +SKIP
    >>> LvPlanner(fxkit.connect("lab"))                  # doctest: +SKIP

Imports are lazy, so ``import fxkit.widgets`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "VgUsageViewer": "vg_usage", "vg_usage_figure": "vg_usage",
    "vg_views": "vg_usage",
    "LvPlanner": "lv_planner",
    "DomuBuilder": "domu_builder",
    "NetExplorer": "net_explorer",
    "RunbookLauncher": "runbook_launcher",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'fxkit.widgets' has no attribute {name!r}")
    return getattr(importlib.import_module(f"fxkit.widgets.{_WHERE[name]}"), name)
