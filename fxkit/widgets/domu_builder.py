"""DomU builder: name, memory, vcpus, disk sizes and bridges; shows the config file and the plan.

    >>> DomuBuilder(fxkit.connect("lab"))                # doctest: +SKIP

Bridges are chosen among those that exist on the host, and the plan comes from
``fxkit.xen.plans.plan_domu_create``: the LVs, their filesystems, the config
file in /etc/xen, the start, and the check, each step only if still missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from fxkit.host import Host
from fxkit.plan import Plan
from fxkit.widgets._common import ConfirmedApply, error_html, guarded, plan_html, pre


def _bridges(host: Host) -> list[str]:
    from fxkit.xen.plans import read_bridges
    return sorted(read_bridges(host))


def _vgs(host: Host) -> list[str]:
    from fxkit.widgets._backend import vg_views
    return [v.name for v in vg_views(host)]


def _planner(host: Host, spec: Any) -> Plan:
    from fxkit.xen.plans import plan_domu_create, read_domu_facts
    return plan_domu_create(read_domu_facts(host), spec)


def _spec(**kwargs: Any) -> Any:
    from fxkit.xen.plans import DomuSpec
    return DomuSpec(**kwargs)


class DomuBuilder(ConfirmedApply, w.VBox):
    """Describe a new domU, see its config and plan; Apply behind a confirmation box."""

    def __init__(self, host: Host, *, name: str = "mail",
                 bridges: Callable[[Host], list[str]] = _bridges,
                 vgs: Callable[[Host], list[str]] = _vgs,
                 planner: Callable[[Host, Any], Plan] = _planner,
                 spec: Callable[..., Any] = _spec):
        self.host, self._planner, self._make_spec = host, planner, spec
        self.plan: Plan | None = None
        style = {"description_width": "110px"}
        slider = {"style": style, "continuous_update": False, "layout": w.Layout(width="420px")}
        self.name = w.Text(value=name, description="domU name", style=style)
        self.memory = w.IntSlider(value=128, min=64, max=1024, step=32,
                                  description="memory (MiB)", **slider)
        self.vcpus = w.IntSlider(value=1, min=1, max=8, description="vcpus", **slider)
        self.root_size = w.IntSlider(value=4, min=1, max=32, description="root (GiB)", **slider)
        self.swap_size = w.IntSlider(value=256, min=64, max=2048, step=64,
                                     description="swap (MiB)", **slider)
        vg_names = vgs(host)
        self.vg = w.Dropdown(options=vg_names, value="lvm" if "lvm" in vg_names else
                             (vg_names[0] if vg_names else None), description="VG", style=style)
        existing = bridges(host)
        self.bridges = w.SelectMultiple(options=existing, value=existing[:1], rows=len(existing)
                                        or 1, description="bridges", style=style)
        self.plan_button = w.Button(description="Plan", icon="list", button_style="info",
                                    tooltip="Show the config file and the plan; nothing runs")
        self.config_view = w.HTML()
        self.plan_view = w.HTML()
        self.confirm = w.Checkbox(description="I have read the config and the plan: let me "
                                  "apply them", disabled=True, indent=False,
                                  layout=w.Layout(width="auto"))
        self.apply_button = w.Button(description="Apply", icon="play", button_style="danger",
                                     disabled=True)
        self.result = w.HTML()
        self.plan_button.on_click(guarded(self.plan_view)(self._on_plan))
        self.apply_button.on_click(guarded(self.result)(self._on_apply))
        self.confirm.observe(self._on_confirm, names="value")
        for field in (self.name, self.memory, self.vcpus, self.root_size, self.swap_size,
                      self.vg, self.bridges):
            field.observe(self._forget_plan, names="value")
        super().__init__([self.name, self.memory, self.vcpus, self.root_size, self.swap_size,
                          self.vg, self.bridges, self.plan_button, self.config_view,
                          self.plan_view, w.HBox([self.confirm, self.apply_button]),
                          self.result])
        self.add_class("fxkit-domu-builder")

    def __repr__(self) -> str:  # the text/plain of a stored output: short and stable
        return f"{type(self).__name__}()"

    def spec(self) -> Any:
        """The DomuSpec the form describes."""
        return self._make_spec(name=self.name.value.strip(), memory=self.memory.value,
                               vcpus=self.vcpus.value, root_size=f"{self.root_size.value}G",
                               swap_size=f"{self.swap_size.value}M", vg=self.vg.value,
                               bridges=tuple(self.bridges.value))

    def _forget_plan(self, _change: object = None) -> None:
        self.plan = None
        self.config_view.value = self.plan_view.value = ""
        self.confirm.value = False
        self.confirm.disabled = self.apply_button.disabled = True

    def _on_plan(self, _button: object = None) -> None:
        self._forget_plan()
        self.result.value = ""
        if not self.bridges.value:
            self.plan_view.value = error_html(ValueError(
                "choose at least one bridge: a domU without a vif reaches no network"))
            return
        spec = self.spec()
        self.config_view.value = (f"<div class='fxkit-config'><b>{spec.config_path}</b>"
                                  f"{pre(spec.config().render('xl'))}</div>")
        self.plan = self._planner(self.host, spec)
        self.plan_view.value = plan_html(self.plan)
        self.confirm.disabled = self.plan.empty
