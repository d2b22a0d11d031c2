"""Shared pieces of the widgets: HTML boxes for plans and errors, figures as PNG bytes."""

from __future__ import annotations

import html
import io
from typing import Any

import ipywidgets as w

from fxkit.errors import FxkitError
from fxkit.plan import Plan
from fxkit.widgets.messages import text

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
    """Apply behind a confirmation, for a widget with ``host`` and ``plan``.

    ``confirm_row`` makes the controls: a box to tick once the plan is read, and, when
    the plan destroys something, a field where the name ``Plan.confirmation()`` asks for
    must be typed (the plan names what it destroys; ticking a box is not naming it).
    Apply is enabled only then, and passes the typed name to ``Plan.apply``."""

    host: Any
    plan: Any
    result: Any

    def confirm_row(self, label: str) -> w.VBox:
        self.confirm = w.Checkbox(description=label, disabled=True, indent=False,
                                  layout=w.Layout(width="auto"))
        self.confirm_note = w.HTML()
        self.confirm_name = w.Text(placeholder=text("confirm_placeholder"),
                                   description=text("confirm"),
                                   layout=w.Layout(width="260px", display="none"),
                                   style={"description_width": "80px"})
        self.apply_button = w.Button(description=text("apply"), icon="play",
                                     button_style="danger", disabled=True)
        self.confirm.observe(self._on_confirm, names="value")
        self.confirm_name.observe(self._on_confirm, names="value")
        self.apply_button.on_click(guarded(self.result)(self._on_apply))
        return w.VBox([self.confirm_note,
                       w.HBox([self.confirm, self.confirm_name, self.apply_button])])

    def show_confirmation(self) -> None:
        """After a new plan: what confirming it takes."""
        plan = self.plan
        destroys = plan.destroys() if plan is not None else []
        self.confirm.value = False
        self.confirm_name.value = ""
        self.confirm.disabled = plan is None or plan.empty
        self.confirm_name.layout.display = None if destroys else "none"
        self.confirm_note.value = "" if not destroys else (
            "<div class='fxkit-destroys' style='color:#b02a1a'>"
            + text("destroys_html", what=html.escape(", ".join(destroys)),
                   name=html.escape(plan.confirmation() or "")) + "</div>")
        self.apply_button.disabled = True

    def forget_confirmation(self) -> None:
        self.confirm.value = False
        self.confirm_name.value = ""
        self.confirm.disabled = self.apply_button.disabled = True
        self.confirm_name.layout.display = "none"
        self.confirm_note.value = ""

    def _ready(self) -> bool:
        plan = self.plan
        if plan is None or not self.confirm.value:
            return False
        return not plan.destroys() or self.confirm_name.value.strip() == plan.confirmation()

    def _on_confirm(self, change: dict) -> None:
        self.apply_button.disabled = not self._ready()

    def _on_apply(self, _button: object = None) -> None:
        if not self._ready():
            need = self.plan.confirmation() if self.plan is not None else None
            self.result.value = error_html(ValueError(
                text("need_name", what=", ".join(self.plan.destroys()), name=need)
                if need and self.confirm.value else text("need_tick")))
            return
        plan, self.plan = self.plan, None
        typed = self.confirm_name.value.strip() or None
        self.forget_confirmation()
        self.result.value = ok_html(str(plan.apply(self.host, confirm=typed)))
        self._after_apply()

    def _after_apply(self) -> None:
        """Called after a successful apply (e.g. to read the facts again)."""
