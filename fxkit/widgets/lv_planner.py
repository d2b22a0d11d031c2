"""LV planner: pick a VG, a name and a size bounded by the free space; see the plan; apply it.

    >>> planner = LvPlanner(fxkit.connect("lab"))        # doctest: +SKIP
    >>> planner.name.value = "scratch"; planner.size.value = 512
    >>> planner.plan_button.click()                      # the plan appears in planner.plan_view
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w

from fxkit.host import Host
from fxkit.plan import Plan
from fxkit.widgets import _backend
from fxkit.widgets._backend import VgView
from fxkit.widgets._common import MIB, ConfirmedApply, guarded, human, plan_html

Planner = Callable[[Host, str, str, int, "str | None"], Plan]


class LvPlanner(ConfirmedApply, w.VBox):
    """Plan a new LV; Apply stays disabled until a plan is shown and the box is ticked."""

    def __init__(self, host: Host, *, read: Callable[[Host], list[VgView]] = _backend.vg_views,
                 planner: Planner = _backend.plan_lv_create, name: str = "scratch"):
        self.host, self._read, self._planner = host, read, planner
        self.plan: Plan | None = None
        self.vgs: dict[str, VgView] = {}
        style = {"description_width": "90px"}
        self.vg = w.Dropdown(description="VG", style=style)
        self.name = w.Text(value=name, description="LV name", style=style)
        self.size = w.IntSlider(description="size (MiB)", min=4, max=1024, step=4, value=1024,
                                style=style, continuous_update=False,
                                layout=w.Layout(width="420px"))  # 1 GiB unless less is free
        self.filesystem = w.Dropdown(description="filesystem", options=["none", "ext4", "swap"],
                                     style=style)
        self.free = w.HTML()
        self.plan_button = w.Button(description="Plan", icon="list", button_style="info",
                                    tooltip="Show what would be done; nothing runs")
        self.plan_view = w.HTML()
        self.confirm = w.Checkbox(description="I have read this plan: let me apply it",
                                  disabled=True, indent=False, layout=w.Layout(width="auto"))
        self.apply_button = w.Button(description="Apply", icon="play", button_style="danger",
                                     disabled=True)
        self.result = w.HTML()
        self.plan_button.on_click(guarded(self.plan_view)(self._on_plan))
        self.apply_button.on_click(guarded(self.result)(self._on_apply))
        self.confirm.observe(self._on_confirm, names="value")
        self.vg.observe(self._on_vg, names="value")
        for field in (self.name, self.size, self.filesystem):
            field.observe(self._forget_plan, names="value")

        super().__init__([self.vg, self.free, self.name, self.size, self.filesystem,
                          self.plan_button, self.plan_view,
                          w.HBox([self.confirm, self.apply_button]), self.result])
        self.add_class("fxkit-lv-planner")
        self.refresh()

    def __repr__(self) -> str:  # the text/plain of a stored output: short and stable
        return f"{type(self).__name__}()"

    def refresh(self) -> None:
        """Read the VGs again (after an apply, the free space changed)."""
        current = self.vg.value
        self.vgs = {v.name: v for v in self._read(self.host)}
        self.vg.options = list(self.vgs)
        self.vg.value = current if current in self.vgs else next(iter(self.vgs), None)
        self._on_vg()

    def _on_vg(self, _change: object = None) -> None:
        vg = self.vgs.get(self.vg.value)
        if vg is None:
            return
        step = max(1, vg.extent_bytes // MIB)
        top = max(step, (vg.free_bytes // MIB) // step * step)
        with self.size.hold_trait_notifications():  # min/max/value are validated together
            self.size.step, self.size.max, self.size.min = step, top, step
            self.size.value = min(max(self.size.value // step * step, step), top)
        self.free.value = (f"<span class='fxkit-free'>{human(vg.free_bytes)} free of "
                           f"{human(vg.size_bytes)} in {vg.name} (extents of {step} MiB)</span>")
        self._forget_plan()

    def _forget_plan(self, _change: object = None) -> None:
        """Any change to the request makes the shown plan stale: it cannot be applied."""
        self.plan = None
        self.plan_view.value = ""
        self.confirm.value = False
        self.confirm.disabled = True
        self.apply_button.disabled = True

    def _on_plan(self, _button: object = None) -> None:
        self._forget_plan()
        fs = None if self.filesystem.value == "none" else self.filesystem.value
        self.plan = self._planner(self.host, self.vg.value, self.name.value.strip(),
                                  self.size.value * MIB, fs)
        self.plan_view.value = plan_html(self.plan)
        self.confirm.disabled = self.plan.empty
        self.result.value = ""

    def _after_apply(self) -> None:
        self.refresh()  # the free space changed
