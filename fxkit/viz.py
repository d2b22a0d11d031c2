"""The seminar's network figure, drawn from a Topology: deterministic SVG and PNG with matplotlib.

Columns from left to right: external devices, the dom0's NICs, its VLAN sub-interfaces,
bridges, vifs, then each domU with its interfaces. Same facts, same bytes: the layout
is computed (no physics), the SVG has no date and a fixed id salt, and its labels stay
``<text>`` (``svg.fonttype = none``) so they can be searched and selected::

    >>> fig = draw_topology(build_topology(net, externals))       # doctest: +SKIP
    >>> save_figure(fig, "fx.svg")                                 # doctest: +SKIP
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Patch

from fxkit.topology import (
    BRIDGE,
    DOMU,
    EXTERNAL,
    GUEST_IF,
    NIC,
    PHYSICAL_LINK,
    VIRTUAL,
    Topology,
    read_topology,
)

if TYPE_CHECKING:
    from fxkit.host import Host

RC: Any = {"svg.fonttype": "none", "svg.hashsalt": "fxkit-net", "font.family": "DejaVu Sans"}
X = {EXTERNAL: 0.0, NIC: 2.7, "vlan": 4.7, BRIDGE: 6.8, "vif": 9.0, GUEST_IF: 11.5}
BOX_W, BOX_H = 1.55, 0.56
STYLE: dict[str, tuple[str, str, Any, float]] = {  # (face, edge, linestyle, linewidth)
    EXTERNAL: ("#fbe3e0", "#c0392b", "-", 1.6),
    NIC: ("#dce9f7", "#1f5fa8", "-", 1.5),
    VIRTUAL: ("#ffffff", "#1f5fa8", ":", 1.6),
    GUEST_IF: ("#e0f3e1", "#2e8b3a", "-", 1.5),
    BRIDGE: ("#fff0c7", "#b7791f", "-", 2.0),
    "dom0": ("#fdf6f5", "#c0392b", "-", 2.0),
    DOMU: ("#e9f8fb", "#1798ab", "-", 1.8),
}
LEGEND = [
    ("line", "Physical link"), (EXTERNAL, "External device"),
    (NIC, "Real interface on dom0"), (VIRTUAL, "Virtual interface on dom0"),
    (GUEST_IF, "Interface inside a domU"), (BRIDGE, "Bridge"), ("dom0", "dom0"), (DOMU, "domU"),
]


def layout(topo: Topology) -> dict[str, tuple[float, float]]:
    """Node id -> (x, y) centre; y grows downwards as rows, negated for drawing."""
    pos: dict[str, tuple[float, float]] = {}
    row = 0.0
    guests = sorted(topo.of_kind(DOMU), key=lambda n: (_domid(n.detail), n.label))
    for dom in guests:
        ifs = sorted((n for n in topo.of_kind(GUEST_IF) if n.group == dom.label),
                     key=lambda n: n.label)
        for n in ifs:
            pos[n.id] = (X[GUEST_IF], row)
            vif = next((e.a for e in topo.edges if e.b == n.id), None)
            if vif:
                pos[vif] = (X["vif"], row)
            row += 1.0
        row += 0.9                                   # room for the next domU's title
    taps = [e.b for e in topo.edges if e.b not in pos and topo.nodes[e.b].detail == "tap"]
    for tap in sorted(taps):                         # dom0 taps: in the vif column, below
        pos[tap] = (X["vif"], row)
        row += 1.0
    row += 0.9 if taps else 0.0
    bridges = sorted(topo.of_kind(BRIDGE), key=lambda n: n.label)
    height = max(row - 0.9, len(bridges) * 1.4, 1.0)
    for i, br in enumerate(bridges):
        pos[br.id] = (X[BRIDGE], (i + 0.5) * height / max(len(bridges), 1) - 0.5)
    extra = height + 0.6
    for br in bridges:                               # uplinks sit level with their bridge
        ports = [e.a for e in topo.edges if e.b == br.id and e.a.startswith("if:")]
        for k, p in enumerate(sorted(ports)):
            node = topo.nodes[p]
            col = "vlan" if node.detail.startswith("VLAN") else NIC
            pos.setdefault(p, (X[col], pos[br.id][1] + 0.75 * k))
    for n in sorted(topo.nodes.values(), key=lambda n: n.id):
        if n.id in pos or n.kind in (EXTERNAL, DOMU):
            continue
        col = "vlan" if n.detail.startswith("VLAN") else (
            NIC if n.kind in (NIC, VIRTUAL) else n.kind)
        pos[n.id] = (X.get(col, X[NIC]), extra)
        extra += 1.0
    for n in topo.of_kind(NIC):                      # a NIC carrying VLANs but no bridge
        if pos[n.id][1] >= height + 0.6:
            kids = [pos[e.b][1] for e in topo.edges if e.a == n.id and e.b in pos]
            if kids:
                pos[n.id] = (X[NIC], min(kids))
    taken: set[float] = set()
    for ext in sorted(topo.of_kind(EXTERNAL), key=lambda n: n.id):
        target = next((e.b for e in topo.edges if e.a == ext.id), None)
        tagged = next((e for e in topo.edges if e.a == ext.id and e.label), None)
        y = pos[target][1] if target in pos else extra
        if tagged is not None:                       # level with its VLAN sub-interface
            vlan = next((e.b for e in topo.edges if e.a == target and e.label.endswith(
                tagged.label.split()[-1]) and e.b in pos), None)
            y = pos[vlan][1] if vlan else y
        while round(y, 2) in taken:
            y += 0.8
        taken.add(round(y, 2))
        pos[ext.id] = (X[EXTERNAL], y)
    return {k: (x, -y) for k, (x, y) in pos.items()}


def _domid(detail: str) -> int:
    digits = "".join(c for c in detail if c.isdigit())
    return int(digits) if digits else 1 << 20


def draw_topology(topo: Topology, title: str | None = None) -> Figure:
    """A matplotlib Figure of ``topo`` (no pyplot state involved)."""
    pos = layout(topo)
    ys = [y for _, y in pos.values()] or [0.0]
    top, bottom = max(ys) + 1.3, min(ys) - 0.75
    frame_top = top
    height_in = max(3.6, (top - bottom) * 0.62 + 1.2)
    # keep 0.62 inch per row whatever the figure's height: pad the data range, never stretch
    pad = ((height_in - 1.2) / 0.62 - (top - bottom)) / 2
    top, bottom = top + pad, bottom - pad
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(13.5, height_in), dpi=100)
        ax = fig.add_axes((0.01, 0.8 / height_in, 0.98, 1 - 1.2 / height_in))
        ax.set_xlim(-1.0, 13.2)
        ax.set_ylim(bottom, top)
        ax.set_axis_off()
        _frames(ax, topo, pos, frame_top)
        ends = _ports(topo, pos)
        for i, e in enumerate(topo.edges):
            if (i, "R") in ends:
                _edge(ax, ends[(i, "R")], ends[(i, "L")], e.kind, e.label)
        for n in sorted(topo.nodes.values(), key=lambda n: n.id):
            if n.id in pos and n.kind != DOMU:
                _box(ax, pos[n.id], n.kind, n.label, n.detail)
        ax.set_title(title or f"{topo.host or 'dom0'}: network configuration", fontsize=14,
                     loc="left", fontweight="bold")
        fig.legend(handles=_legend_handles(), loc="lower center", ncol=4, fontsize=9,
                   frameon=False, bbox_to_anchor=(0.5, 0.0))
    return fig


def _frames(ax, topo: Topology, pos, top: float) -> None:  # noqa: ANN001
    dom0 = [pos[n.id] for n in topo.nodes.values() if n.group == "dom0" and n.id in pos]
    if dom0:
        _frame(ax, min(x for x, _ in dom0) - 1.05, max(x for x, _ in dom0) + 1.05,
               min(y for _, y in dom0) - 0.65, top - 0.35, "dom0", f"dom0 ({topo.host or 'host'})")
    for dom in topo.of_kind(DOMU):
        ys = [pos[n.id][1] for n in topo.of_kind(GUEST_IF) if n.group == dom.label]
        if ys:
            _frame(ax, X[GUEST_IF] - 1.05, X[GUEST_IF] + 1.05, min(ys) - 0.45, max(ys) + 0.75,
                   DOMU, f"{dom.label} ({dom.detail})" if dom.detail else dom.label)


def _frame(ax, x0, x1, y0, y1, kind: str, label: str) -> None:  # noqa: ANN001
    face, edge, ls, lw = STYLE[kind]
    ax.add_patch(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0,
                                boxstyle="round,pad=0,rounding_size=0.15", facecolor=face,
                                edgecolor=edge, linestyle=ls, linewidth=lw, zorder=0))
    ax.text(x0 + 0.12, y1 - 0.12, label, ha="left", va="top", fontsize=10, fontweight="bold",
            color=edge, zorder=1)


def _box(ax, xy, kind: str, label: str, detail: str) -> None:  # noqa: ANN001
    face, edge, ls, lw = STYLE.get(kind, STYLE[VIRTUAL])
    x, y = xy
    ax.add_patch(FancyBboxPatch((x - BOX_W / 2, y - BOX_H / 2), BOX_W, BOX_H,
                                boxstyle="round,pad=0,rounding_size=0.08", facecolor=face,
                                edgecolor=edge, linestyle=ls, linewidth=lw, zorder=3))
    bold = "bold" if kind in (BRIDGE, EXTERNAL) else "normal"
    if detail:
        ax.text(x, y + 0.09, label, ha="center", va="center", fontsize=9.5, fontweight=bold,
                zorder=4)
        ax.text(x, y - 0.15, detail, ha="center", va="center", fontsize=6.5, color="#444444",
                zorder=4)
    else:
        ax.text(x, y, label, ha="center", va="center", fontsize=9.5, fontweight=bold, zorder=4)


def _ports(topo: Topology, pos) -> dict[tuple[int, str], tuple[float, float]]:  # noqa: ANN001
    """Edge endpoints: right side of the left node, left side of the right one.

    Several edges on the same side of a box are spread along it, ordered by where
    their other ends are, so that they neither overlap nor cross at the box.
    """
    sides: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for i, e in enumerate(topo.edges):
        if e.a not in pos or e.b not in pos:
            continue
        left, right = sorted([e.a, e.b], key=lambda n: pos[n])
        sides.setdefault((left, "R"), []).append((pos[right][1], i))
        sides.setdefault((right, "L"), []).append((pos[left][1], i))
    out: dict[tuple[int, str], tuple[float, float]] = {}
    for (node, side), ends in sides.items():
        x, y = pos[node]
        ends.sort(reverse=True)
        n = len(ends)
        for k, (_, i) in enumerate(ends):
            dy = 0.0 if n == 1 else BOX_H * 0.32 * (1 - 2 * k / (n - 1))
            out[(i, side)] = (x + (BOX_W / 2 if side == "R" else -BOX_W / 2), y + dy)
    return out


def _edge(ax, start, end, kind: str, label: str) -> None:  # noqa: ANN001
    if kind == PHYSICAL_LINK:
        ax.annotate("", xy=end, xytext=start, zorder=2,
                    arrowprops={"arrowstyle": "<|-|>", "color": "black", "lw": 2.0,
                                "shrinkA": 0, "shrinkB": 0, "mutation_scale": 12})
    else:
        ax.plot([start[0], end[0]], [start[1], end[1]], color="#5a5a5a", lw=1.2, zorder=2,
                solid_capstyle="round")
    if label:
        ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, label, ha="center",
                va="center", fontsize=7, color="#333333", zorder=5,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"})


def _legend_handles() -> list:
    handles: list = []
    for kind, text in LEGEND:
        if kind == "line":
            handles.append(Line2D([0], [0], color="black", lw=2.0, marker=None, label=text))
        else:
            face, edge, ls, lw = STYLE[kind]
            handles.append(Patch(facecolor=face, edgecolor=edge, linestyle=ls, linewidth=lw,
                                 label=text))
    return handles


def diagram(host: Host, title: str | None = None) -> Figure:
    """Read ``host``'s network and Xen facts and draw them (what ``fxkit net diagram`` does)."""
    return draw_topology(read_topology(host), title)


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """The figure as SVG or PNG bytes, free of dates and run-dependent ids."""
    buf = io.BytesIO()
    meta = {"Date": None} if fmt == "svg" else {"Software": None} if fmt == "png" else {}
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format=fmt, metadata=meta, dpi=110 if fmt == "png" else None)
    return buf.getvalue()


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` as SVG or PNG, chosen by the file's suffix."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in ("svg", "png"):
        raise ValueError(f"{path}: give a .svg or .png file name")
    path.write_bytes(figure_bytes(fig, fmt))
    return path
