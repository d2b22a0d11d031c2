"""DomU builder: name, memory, vcpus, disk sizes and bridges; shows the config file and the plan.

    >>> DomuBuilder(fxkit.connect("lab"))                # doctest: +SKIP

Bridges are chosen among those that exist on the host, each labelled with the networks
it reaches; memory is bounded by what Xen can still give. The plan comes from
``fxkit.xen.plans.plan_domu_create``: the LVs, their filesystems, the config file in
/etc/xen, the start, and the check, each step only if still missing. A plan that
replaces an existing config destroys it: Apply then needs the domU's name typed.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from fxkit.host import Host
from fxkit.plan import Plan
from fxkit.widgets._common import ConfirmedApply, error_html, guarded, plan_html, pre
from fxkit.widgets.messages import text

MIN_MEMORY = 64


def _bridges(host: Host) -> list[tuple[str, str]]:
    """(label, bridge): ``xenbr1 (VLAN 42)``, from the bridges' uplinks."""
    from fxkit.widgets._backend import bridge_networks
    return [(f"{b} ({', '.join(nets) or text('no_uplink')})", b)
            for b, nets in sorted(bridge_networks(host).items())]


def _free_memory(host: Host) -> int | None:
    from fxkit.widgets._backend import xen_free_memory
    return xen_free_memory(host)


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
                 bridges: Callable[[Host], list[str] | list[tuple[str, str]]] = _bridges,
                 free_memory: Callable[[Host], int | None] = _free_memory,
                 vgs: Callable[[Host], list[str]] = _vgs,
                 planner: Callable[[Host, Any], Plan] = _planner,
                 spec: Callable[..., Any] = _spec):
        self.host, self._planner, self._make_spec = host, planner, spec
        self.plan: Plan | None = None
        style = {"description_width": "120px"}
        slider = {"style": style, "continuous_update": False, "layout": w.Layout(width="420px")}
        self.name = w.Text(value=name, description=text("domu_name"), style=style)
        free = free_memory(host)
        top = max(MIN_MEMORY, free // 32 * 32) if free is not None else 1024
        self.memory = w.IntSlider(value=min(128, top), min=MIN_MEMORY, max=top, step=32,
                                  description=text("memory_mib"), **slider)
        self.memory_note = w.HTML(
            "" if free is None else
            f"<span class='fxkit-free'>{html.escape(text('xen_free', free=free))}</span>")
        self.vcpus = w.IntSlider(value=1, min=1, max=8, description=text("vcpus"), **slider)
        self.root_size = w.IntSlider(value=4, min=1, max=32, description=text("root_gib"),
                                     **slider)
        self.swap_size = w.IntSlider(value=256, min=64, max=2048, step=64,
                                     description=text("swap_mib"), **slider)
        vg_names = vgs(host)
        self.vg = w.Dropdown(options=vg_names, value="lvm" if "lvm" in vg_names else
                             (vg_names[0] if vg_names else None), description=text("vg"),
                             style=style)
        existing = bridges(host)
        first = [b[1] if isinstance(b, tuple) else b for b in existing[:1]]
        self.bridges = w.SelectMultiple(options=existing, value=first, rows=len(existing)
                                        or 1, description=text("bridges"), style=style,
                                        layout=w.Layout(width="420px"))
        self.plan_button = w.Button(description=text("plan"), icon="list", button_style="info",
                                    tooltip=text("domu_plan_tip"))
        self.config_view = w.HTML()
        self.plan_view = w.HTML()
        self.result = w.HTML()
        confirm = self.confirm_row(text("domu_confirm"))
        self.plan_button.on_click(guarded(self.plan_view)(self._on_plan))
        for field in (self.name, self.memory, self.vcpus, self.root_size, self.swap_size,
                      self.vg, self.bridges):
            field.observe(self._forget_plan, names="value")
        super().__init__([self.name, self.memory, self.memory_note, self.vcpus, self.root_size,
                          self.swap_size, self.vg, self.bridges, self.plan_button,
                          self.config_view, self.plan_view, confirm, self.result])
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
        self.forget_confirmation()

    def _on_plan(self, _button: object = None) -> None:
        self._forget_plan()
        self.result.value = ""
        if not self.bridges.value:
            self.plan_view.value = error_html(ValueError(text("need_bridge")))
            return
        spec = self.spec()
        self.config_view.value = (f"<div class='fxkit-config'><b>{spec.config_path}</b>"
                                  f"{pre(spec.config().render('xl'))}</div>")
        self.plan = self._planner(self.host, spec)
        self.plan_view.value = plan_html(self.plan)
        self.show_confirmation()
