"""Shared pieces of the widgets: HTML boxes for plans and errors, figures as PNG bytes."""

from __future__ import annotations

import html
import io
from typing import Any

import ipywidgets as w

from fxkit.errors import FxkitError
from fxkit.plan import Plan

MIB = 1024 * 1024
GIB = 1024 * MIB
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def pre(text: str) -> str:
    return f"<pre style='margin:0'>{html.escape(text)}</pre>"


def error_html(err: BaseException) -> str:
    """An error as a red box: the message says the problem, the object and the fix."""
    kind = type(err).__name__
    return (f"<div class='fxkit-error' style='border-left:4px solid #c0392b;"
            f"padding:4px 8px;background:#fdecea'><b>{html.escape(kind)}</b>: "
            f"{html.escape(str(err))}</div>")


def ok_html(text: str) -> str:
    return (f"<div class='fxkit-ok' style='border-left:4px solid #27ae60;padding:4px 8px;"
            f"background:#eafaf1'>{html.escape(text)}</div>")


def plan_html(plan: Plan) -> str:
    """A plan as HTML (its own ``_repr_html_``), with a class the browser test can find."""
    body = plan._repr_html_() if hasattr(plan, "_repr_html_") else pre(str(plan))
    return f"<div class='fxkit-plan'>{body}</div>"


def figure_png(fig: Any) -> bytes:
    """A matplotlib figure as PNG bytes (fixed dpi, no timestamps)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def guarded(target: w.HTML):
    """Decorator for button handlers: an FxkitError is shown in ``target``, not raised."""
    def wrap(fn):
        def handler(*args: Any) -> None:
            try:
                fn(*args)
            except FxkitError as e:
                target.value = error_html(e)
        handler.__name__ = fn.__name__
        handler.__doc__ = fn.__doc__
        return handler
    return wrap


def human(size_bytes: int | float) -> str:
    """Bytes as LVM prints them with ``--units h`` (binary units, two decimals)."""
    value = float(size_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.2f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    raise AssertionError("unreachable")


class ConfirmedApply:
    """Apply behind a confirmation: a widget with ``host``, ``plan``, ``confirm`` (checkbox),
    ``apply_button`` and ``result`` mixes this in for its two handlers."""

    host: Any
    plan: Any
    confirm: Any
    apply_button: Any
    result: Any

    def _on_confirm(self, change: dict) -> None:
        self.apply_button.disabled = not (change["new"] and self.plan is not None)

    def _on_apply(self, _button: object = None) -> None:
        if self.plan is None or not self.confirm.value:
            self.result.value = error_html(ValueError(
                "nothing applied: make a plan, read it, and tick the box first"))
            return
        plan, self.plan = self.plan, None
        self.apply_button.disabled = True
        self.result.value = ok_html(str(plan.apply(self.host, confirm=plan.destroys())))
        self._after_apply()

    def _after_apply(self) -> None:
        """Called after a successful apply (e.g. to read the facts again)."""

