"""Network explorer: pick a domU, see which networks it reaches and its path on the diagram.

    >>> NetExplorer(fxkit.connect("lab"))                # doctest: +SKIP

The facts are ``fxkit.net.state``'s (links, bridges, the site's external networks);
the graph and the answers are ``fxkit.topology``'s; the drawing is ``fxkit.viz``'s,
restricted to the chosen domU's path (its interfaces, vifs, bridges, uplinks,
external networks) or showing the whole host.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w

from fxkit.host import Host
from fxkit.topology import Topology, path_of, read_topology
from fxkit.widgets._common import figure_png, guarded
from fxkit.widgets.messages import text

ALL = "(whole host)"  # the value of the whole-host choice; its label is text("whole_host")


class NetExplorer(w.VBox):
    """A domU picker, the networks it reaches, and the diagram of its path."""

    def __init__(self, host: Host, *, read: Callable[[Host], Topology] = read_topology,
                 domu: str | None = None):
        self.host, self._read = host, read
        self.topology = read(host)
        names = sorted(self.topology.domus)
        self.domu = w.Dropdown(options=self._options(names), description=text("domu"),
                               value=domu if domu in names else (names[0] if names else ALL))
        self.answer = w.HTML()
        self.image = w.Image(format="png", layout=w.Layout(max_width="900px"))
        self.refresh_button = w.Button(description=text("refresh"), icon="refresh",
                                       tooltip=text("net_refresh_tip"))
        self.refresh_button.on_click(guarded(self.answer)(lambda _b: self.refresh()))
        self.domu.observe(lambda _c: self.show(), names="value")
        super().__init__([w.HBox([self.domu, self.refresh_button]), self.answer, self.image])
        self.add_class("fxkit-net-explorer")
        self.show()

    def __repr__(self) -> str:  # the text/plain of a stored output: short and stable
        return f"{type(self).__name__}()"

    def refresh(self) -> None:
        """Read the facts again (after starting a domU or changing a bridge)."""
        self.topology = self._read(self.host)
        names = sorted(self.topology.domus)
        current = self.domu.value
        self.domu.options = self._options(names)
        self.domu.value = current if current in names else ALL
        self.show()

    def reach_text(self, domu: str) -> str:
        """One sentence: the networks ``domu`` reaches and through which uplinks."""
        reach = self.topology.reaches(domu)
        ups = self.topology.uplinks_of(domu)
        if not reach:
            return text("reach_none", domu=domu)
        return text("reach_through", domu=domu, networks=", ".join(reach),
                    uplinks=", ".join(ups))

    @staticmethod
    def _options(names: list[str]) -> list[tuple[str, str]]:
        return [(text("whole_host"), ALL), *((n, n) for n in names)]

    def show(self) -> None:
        """Redraw for the chosen domU (or the whole host)."""
        from fxkit.viz import draw_topology

        name = self.domu.value
        if name == ALL:
            rows = "".join(f"<li>{html.escape(self.reach_text(d))}</li>"
                           for d in sorted(self.topology.domus))
            self.answer.value = f"<ul class='fxkit-reach'>{rows}</ul>"
            fig = draw_topology(self.topology,
                                title=text("host_title", host=self.topology.host or "dom0"))
        else:
            self.answer.value = (f"<p class='fxkit-reach'>{html.escape(self.reach_text(name))}"
                                 "</p>")
            fig = draw_topology(path_of(self.topology, name),
                                title=text("path_title", host=self.topology.host or "dom0",
                                           domu=name))
        self.image.value = figure_png(fig)
