"""LV planner: create, extend or remove an LV; sizes bounded by the free space; plan, then apply.

    >>> planner = LvPlanner(fxkit.connect("lab"))        # doctest: +SKIP
    >>> planner.name.value = "scratch"; planner.size.value = 512
    >>> planner.plan_button.click()                      # the plan appears in planner.plan_view
    >>> planner.mode.value = "extend"                    # grow an LV (and its filesystem)

The plans are fxkit.lvm's: ``plan_lv_create``, ``plan_lv_extend`` (which grows the
filesystem too, and treats a running domU's disk differently) and ``plan_lv_remove``
(refused while a domU config names the LV; it destroys, so Apply needs its name typed).
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w

from fxkit.host import Host
from fxkit.plan import Plan
from fxkit.widgets import _backend
from fxkit.widgets._backend import VgView
from fxkit.widgets._common import MIB, ConfirmedApply, guarded, human, plan_html
from fxkit.widgets.messages import text

Planner = Callable[[Host, str, str, int, "str | None"], Plan]
MODES = ("create", "extend", "remove")


class LvPlanner(ConfirmedApply, w.VBox):
    """Plan an LV change; Apply stays disabled until a plan is shown and confirmed."""

    def __init__(self, host: Host, *, read: Callable[[Host], list[VgView]] = _backend.vg_views,
                 planner: Planner = _backend.plan_lv_create, name: str = "scratch",
                 lvs: Callable[[Host, str], list[tuple[str, int]]] = _backend.lv_names,
                 grower: Callable[[Host, str, str, int], Plan] = _backend.plan_lv_grow,
                 dropper: Callable[[Host, str, str], Plan] = _backend.plan_lv_drop):
        self.host, self._read, self._planner = host, read, planner
        self._lvs, self._grower, self._dropper = lvs, grower, dropper
        self.plan: Plan | None = None
        self.vgs: dict[str, VgView] = {}
        style = {"description_width": "100px"}
        self.mode = w.ToggleButtons(options=[(text(f"mode_{m}"), m) for m in MODES],
                                    value="create", description=text("mode"),
                                    style={"description_width": "100px", "button_width": "130px"})
        self.vg = w.Dropdown(description=text("vg"), style=style)
        self.name = w.Text(value=name, description=text("lv_name"), style=style)
        self.lv = w.Dropdown(description=text("lv"), style=style, layout=w.Layout(display="none"))
        self.size = w.IntSlider(description=text("size_mib"), min=4, max=1024, step=4,
                                value=1024, style=style, continuous_update=False,
                                layout=w.Layout(width="420px"))  # 1 GiB unless less is free
        self.filesystem = w.Dropdown(description=text("filesystem"), style=style,
                                     options=[(text("fs_none"), "none"), ("ext4", "ext4"),
                                              ("swap", "swap")])
        self.free = w.HTML()
        self.plan_button = w.Button(description=text("plan"), icon="list", button_style="info",
                                    tooltip=text("lv_plan_tip"))
        self.plan_view = w.HTML()
        self.result = w.HTML()
        confirm = self.confirm_row(text("lv_confirm"))
        self.plan_button.on_click(guarded(self.plan_view)(self._on_plan))
        self.vg.observe(self._on_vg, names="value")
        self.mode.observe(self._on_mode, names="value")
        for field in (self.name, self.size, self.filesystem, self.lv):
            field.observe(self._forget_plan, names="value")

        super().__init__([self.mode, self.vg, self.free, self.name, self.lv, self.size,
                          self.filesystem, self.plan_button, self.plan_view, confirm,
                          self.result])
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

    def _on_mode(self, _change: object = None) -> None:
        mode = self.mode.value
        show = {self.name: mode == "create", self.filesystem: mode == "create",
                self.lv: mode != "create", self.size: mode != "remove"}
        for field, visible in show.items():
            field.layout.display = None if visible else "none"
        self.size.description = text("add_mib" if mode == "extend" else "size_mib")
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
        self.free.value = ("<span class='fxkit-free'>" + html.escape(text(
            "vg_free", free=human(vg.free_bytes), size=human(vg.size_bytes), vg=vg.name,
            step=step)) + "</span>")
        if self.mode.value != "create":
            current = self.lv.value
            self.lv.options = [(f"{n} ({human(size)})", n)
                               for n, size in self._lvs(self.host, vg.name)]
            names = [n for _label, n in self.lv.options]
            self.lv.value = current if current in names else (names[0] if names else None)
        self._forget_plan()

    def _forget_plan(self, _change: object = None) -> None:
        """Any change to the request makes the shown plan stale: it cannot be applied."""
        self.plan = None
        self.plan_view.value = ""
        self.forget_confirmation()

    def _on_plan(self, _button: object = None) -> None:
        self._forget_plan()
        self.result.value = ""
        mode = self.mode.value
        if mode == "create":
            fs = None if self.filesystem.value == "none" else self.filesystem.value
            plan = self._planner(self.host, self.vg.value, self.name.value.strip(),
                                 self.size.value * MIB, fs)
        elif mode == "extend":
            plan = self._grower(self.host, self.vg.value, self.lv.value, self.size.value * MIB)
        else:
            plan = self._dropper(self.host, self.vg.value, self.lv.value)
        self.plan = plan
        self.plan_view.value = plan_html(plan)
        self.show_confirmation()

    def _after_apply(self) -> None:
        self.refresh()  # the free space changed
