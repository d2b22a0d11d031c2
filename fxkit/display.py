"""What fxkit shows in a notebook and a terminal: tables, pictures, the VG usage chart.

Each object has an HTML or PNG form for Jupyter and a plain-text form for everything
else, with known secrets masked::

    >>> print(table([("lvm", "40")], ["VG", "GiB"]))
    VG   GiB
    lvm  40
"""
from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from fxkit.secrets import mask


def show(bundle: dict[str, Any], raw: bool = True) -> None:
    try:
        from IPython.display import display
    except ImportError:  # plain Python: print the text form
        print(bundle.get("text/plain", ""))
        return
    display(bundle, raw=raw)


class Table:
    """Rows shown as an HTML table in a notebook and as aligned text elsewhere."""

    def __init__(self, rows: Iterable[Sequence[Any]], columns: Sequence[str],
                 title: str = "") -> None:
        self.columns = [str(c) for c in columns]
        self.rows = [["" if v is None else str(v) for v in row] for row in rows]
        self.title = title

    def __str__(self) -> str:
        widths = [max([len(c)] + [len(r[i]) for r in self.rows])
                  for i, c in enumerate(self.columns)]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        lines = ([self.title] if self.title else []) + [fmt.format(*self.columns).rstrip()]
        lines += [fmt.format(*r).rstrip() for r in self.rows]
        if not self.rows:
            lines.append("(none)")
        return mask("\n".join(lines))

    __repr__ = __str__

    def _repr_html_(self) -> str:
        e = html.escape
        head = "".join(f"<th>{e(c)}</th>" for c in self.columns)
        empty = f'<tr><td colspan="{len(self.columns)}">(none)</td></tr>'
        body = "".join("<tr>" + "".join(f"<td>{e(v)}</td>" for v in r) + "</tr>"
                       for r in self.rows) or empty
        title = f"<p><b>{e(self.title)}</b></p>" if self.title else ""
        return mask(f"{title}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def table(rows: Iterable[Sequence[Any]], columns: Sequence[str], title: str = "") -> Table:
    """A table to display (the last expression of a cell shows it)."""
    return Table(rows, columns, title)


class VgUsageChart:
    """Used and free space per VG: a bar chart (PNG) in a notebook, one line per VG as text."""

    def __init__(self, vgs: Iterable[Any]) -> None:
        # VG-like objects: name, and size and free in bytes (fxkit.lvm.state.VolumeGroup)
        self.vgs = [(v.name, int(_attr(v, "size", "size_bytes")), int(_attr(v, "free",
                                                                            "free_bytes")))
                    for v in vgs]

    def __repr__(self) -> str:
        gib = 1024 ** 3
        lines = [f"{n}: {(s - f) / gib:.2f} GiB used of {s / gib:.2f} GiB "
                 f"({100 * (s - f) / s if s else 0:.0f}%), {f / gib:.2f} GiB free"
                 for n, s, f in self.vgs]
        return "\n".join(lines) or "no volume groups"

    def _repr_png_(self) -> bytes | None:
        try:
            from matplotlib.figure import Figure
        except ImportError:  # base install: the text form is all there is
            return None
        fig = Figure(figsize=(8, 1.2 + 0.6 * max(len(self.vgs), 1)), dpi=80)
        ax = fig.add_subplot()
        gib = 1024 ** 3
        names = [n for n, _, _ in self.vgs]
        used = [(s - f) / gib for _, s, f in self.vgs]
        free = [f / gib for _, _, f in self.vgs]
        ax.barh(names, used, color="#c0504d", label="used")
        ax.barh(names, free, left=used, color="#9bbb59", label="free")
        for y, (u, f) in enumerate(zip(used, free, strict=True)):
            ax.text(u / 2, y, f"{u:.1f} GiB used", ha="center", va="center", color="white")
            ax.text(u + f / 2, y, f"{f:.1f} GiB free", ha="center", va="center")
        ax.set_xlabel("GiB")
        ax.set_title("Volume group usage")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
        fig.tight_layout()
        return Picture(fig, "")._repr_png_()


def vg_usage_chart(vgs: Iterable[Any]) -> VgUsageChart:
    return VgUsageChart(vgs)


def _attr(obj: Any, *names: str) -> Any:
    for n in names:
        if hasattr(obj, n):
            return getattr(obj, n)
    raise AttributeError(f"{type(obj).__name__} has none of {', '.join(names)}")


class Picture:
    """A matplotlib figure shown as PNG in a notebook, with a text summary as its plain form."""

    def __init__(self, fig: Any, text: str) -> None:
        self.fig = fig
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def _repr_png_(self) -> bytes | None:
        if self.fig is None:  # drawn without matplotlib (base install): text only
            return None
        import io
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", metadata={"Software": None}, dpi=90)
        return buf.getvalue()


def picture(fig: Any, text: str) -> Picture:
    """Show ``fig`` (e.g. ``fxkit.viz.draw_topology(...)``) with ``text`` as its summary."""
    return Picture(fig, text)
