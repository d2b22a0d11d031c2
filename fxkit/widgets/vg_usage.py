"""VG usage viewer: a bar of used and free space per volume group, from the host's LVM facts.

    >>> viewer = VgUsageViewer(fxkit.connect("lab"))     # doctest: +SKIP
    >>> viewer                                           # doctest: +SKIP
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as w

from fxkit.host import Host
from fxkit.widgets._backend import VgView, vg_views
from fxkit.widgets._common import GIB, figure_png, guarded, human
from fxkit.widgets.messages import text

USED, FREE = "#2c6fbb", "#d5e3f3"


def vg_usage_figure(vgs: Sequence[VgView], title: str | None = None) -> Any:
    """A horizontal stacked bar per VG (used, then free), sizes in GiB, labelled (in the
    seminar's language)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 0.6 + 0.55 * max(1, len(vgs))))  # no pyplot: nothing global
    ax = fig.add_subplot()
    names = [v.name for v in vgs]
    used = [v.used_bytes / GIB for v in vgs]
    free = [v.free_bytes / GIB for v in vgs]
    ax.barh(names, used, color=USED, label=text("used"))
    ax.barh(names, free, left=used, color=FREE, label=text("free"), edgecolor=USED, linewidth=0.5)
    for y, v in enumerate(vgs):
        ax.text(v.size_bytes / GIB, y,
                "  " + text("free_of", free=human(v.free_bytes), size=human(v.size_bytes)),
                va="center", fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel(text("gib"))
    ax.set_xlim(0, max([v.size_bytes / GIB for v in vgs] + [1]) * 1.6)
    ax.set_title(title or text("vg_title"), fontsize=10)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def usage_table(vgs: Sequence[VgView]) -> str:
    """The numbers behind the bars, as an HTML table."""
    rows = "".join(
        f"<tr><td>{html.escape(v.name)}</td><td>{v.lv_count}</td><td>{human(v.size_bytes)}</td>"
        f"<td>{human(v.used_bytes)}</td><td>{human(v.free_bytes)}</td>"
        f"<td>{100 * v.used_bytes / v.size_bytes if v.size_bytes else 0:.0f}%</td></tr>"
        for v in vgs)
    heads = "".join(f"<th>{html.escape(text(k))}</th>"
                    for k in ("vg", "lvs", "size", "used", "free", "used_pct"))
    return f"<table class='fxkit-vg-usage'><tr>{heads}</tr>{rows}</table>"


class VgUsageViewer(w.VBox):
    """Used and free space of every VG on ``host``; the Refresh button re-reads the facts."""

    def __init__(self, host: Host, *, read: Callable[[Host], list[VgView]] = vg_views):
        self.host, self._read = host, read
        self.vgs: list[VgView] = []
        self.image = w.Image(format="png", layout=w.Layout(max_width="640px"))
        self.table = w.HTML()
        self.status = w.HTML()
        self.refresh_button = w.Button(description=text("refresh"), icon="refresh",
                                       tooltip=text("vg_refresh_tip"))
        self.refresh_button.on_click(guarded(self.status)(lambda _b: self.refresh()))
        super().__init__([w.HBox([self.refresh_button, self.status]), self.image, self.table])
        self.add_class("fxkit-vg-usage")
        self.refresh()

    def __repr__(self) -> str:  # the text/plain of a stored output: short and stable
        return f"{type(self).__name__}()"

    def refresh(self) -> None:
        """Read the VGs and redraw."""
        self.status.value = ""
        self.vgs = self._read(self.host)
        self.image.value = figure_png(vg_usage_figure(self.vgs))
        self.table.value = usage_table(self.vgs)
