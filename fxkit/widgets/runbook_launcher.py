"""Runbook launcher: a form built from a runbook's parameters cell; runs it, links the record.

    >>> RunbookLauncher()                                # doctest: +SKIP

The form comes from papermill's inspection of the ``parameters`` cell (through
``fxkit.runbook.params.read_specs``): a checkbox for a bool, a number box for an
int, a choice when the parameter's comment lists the values (``# start, shutdown or
reboot``, its default among them), a text box otherwise. Run calls
``fxkit.runbook.runner.run_runbook``, so the same checks, lock and record apply as with
``fxkit run``.
"""

from __future__ import annotations

import ast
import html
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w

from fxkit.widgets._common import error_html, guarded
from fxkit.widgets.messages import text

Runner = Callable[..., Any]


def _default(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def choices(help_text: str, default: object) -> list[str] | None:
    """The values a comment such as ``start, shutdown or reboot`` lists, when the default
    is one of them; None otherwise."""
    m = re.fullmatch(r"\s*([\w-]+(?:\s*,\s*[\w-]+)*)\s*,?\s+or\s+([\w-]+)\s*", help_text or "")
    if m is None:
        return None
    values = [v.strip() for v in m.group(1).split(",")] + [m.group(2)]
    return values if default in values else None


def field_for(name: str, kind: str, default: str, help_text: str = "") -> w.Widget:
    """The input widget for one parameter, pre-filled with its default."""
    value = _default(default)
    style = {"description_width": "110px"}
    kind = kind.lower()
    options = choices(help_text, value) if kind == "str" else None
    if options:
        box = w.Dropdown(options=options, value=value, description=name, style=style)
    elif kind == "bool":
        box = w.Checkbox(value=bool(value), description=name, style=style, indent=True)
    elif kind == "int":
        box = w.IntText(value=int(value or 0), description=name, style=style)
    elif kind == "float":
        box = w.FloatText(value=float(value or 0), description=name, style=style)
    else:
        box = w.Text(value="" if value is None else str(value), description=name, style=style)
    box.tooltip = help_text or None
    return box


def _link(path: str, label: str) -> str:
    """A link a notebook can open: relative to the working directory when possible."""
    try:
        shown = os.path.relpath(path)
    except ValueError:
        shown = path
    if shown.startswith(".."):
        shown = path
    return (f"<a href='{html.escape(shown)}' target='_blank'>{html.escape(label)}</a> "
            f"<code>{html.escape(shown)}</code>")


class RunbookLauncher(w.VBox):
    """Choose a runbook, fill its parameters, run it, and follow the links to what it did."""

    def __init__(self, runbook: str | None = None, *, runs_dir: str | Path = "runs",
                 runner: Runner | None = None, names: list[str] | None = None,
                 specs: Callable[[str], dict] | None = None):
        from fxkit.runbook import runner as rb
        from fxkit.runbook.params import read_specs

        self.runs_dir = runs_dir
        self._runner = runner or rb.run_runbook
        self._specs = specs or (lambda name: read_specs(rb.find_runbook(name)))
        self.record: Any = None
        options = names if names is not None else rb.available_runbooks()
        self.runbook = w.Dropdown(options=options, description=text("runbook"),
                                  value=runbook if runbook in options else
                                  (options[0] if options else None))
        self.form = w.VBox()
        self.fields: dict[str, w.Widget] = {}
        self.run_button = w.Button(description=text("run"), icon="play", button_style="primary",
                                   tooltip=text("run_tip"))
        self.result = w.HTML()
        self.runbook.observe(lambda _c: self.build_form(), names="value")
        self.run_button.on_click(guarded(self.result)(self._on_run))
        super().__init__([self.runbook, self.form, self.run_button, self.result])
        self.add_class("fxkit-runbook-launcher")
        self.build_form()

    def __repr__(self) -> str:  # the text/plain of a stored output: short and stable
        return f"{type(self).__name__}()"

    def build_form(self) -> None:
        """One input per parameter of the chosen runbook."""
        self.result.value = ""
        if not self.runbook.value:
            self.fields = {}
            self.form.children = [w.HTML(f"<i>{html.escape(text('no_runbooks'))}</i>")]
            return
        found = self._specs(self.runbook.value)
        self.fields = {name: field_for(name, s.type, s.default, s.help)
                       for name, s in found.items()}
        self.form.children = list(self.fields.values())

    def values(self) -> dict[str, Any]:
        """The parameters as the form holds them (empty text means: keep the default)."""
        return {name: box.value for name, box in self.fields.items()
                if not (isinstance(box, w.Text) and box.value == "")}

    def _on_run(self, _button: object = None) -> None:
        self.result.value = f"<i>{html.escape(text('running'))}</i>"
        self.run_button.disabled = True
        try:
            rec = self._runner(self.runbook.value, self.values(), runs_dir=self.runs_dir)
        finally:
            self.run_button.disabled = False
        self.record = rec
        colour = "#27ae60" if rec.status == "succeeded" else "#c0392b"
        changed = text("changed_host" if rec.changed else "changed_nothing")
        lines = [f"<div class='fxkit-run' style='border-left:4px solid {colour};"
                 "padding:4px 8px'>" + text("ran_on_html", runbook=html.escape(rec.runbook),
                                             host=html.escape(rec.host),
                                             status=html.escape(rec.status),
                                             changed=html.escape(changed)),
                 f"<br>{html.escape(text('output_notebook'))}: "
                 f"{_link(rec.notebook, text('open'))}",
                 f"<br>{html.escape(text('record'))}: "
                 f"{_link(str(rec.record_path), text('open'))}"]
        if rec.error:
            lines.append("<br>" + error_html(RuntimeError(text(
                "cell_failed", cell=rec.error.get("cell"), ename=rec.error.get("ename"),
                evalue=rec.error.get("evalue")))))
        self.result.value = "".join(lines) + "</div>"
