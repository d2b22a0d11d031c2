"""The fx topology (who reaches which uplink), its figure, and the ``fxkit net`` commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from matplotlib.patches import FancyBboxPatch
from matplotlib.text import Annotation

from fxkit.cli import cli
from fxkit.lab.store import build_state
from fxkit.net.state import read_externals, read_net
from fxkit.testing.labstate import StateHost
from fxkit.topology import (
    BRIDGE,
    DOMU,
    EXTERNAL,
    GUEST_IF,
    NIC,
    PHYSICAL_LINK,
    VIRTUAL,
    build_topology,
)
from fxkit.viz import LEGEND, draw_topology, figure_bytes, layout, save_figure
from fxkit.xen.facts import read_domain_names as domain_names

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="module")
def fx_topology():  # noqa: ANN201
    fx = StateHost(build_state("fx"), name="fx")
    return build_topology(read_net(fx, domain_names(fx)), read_externals(fx))


def test_who_reaches_what(fx_topology) -> None:  # noqa: ANN001
    t = fx_topology
    assert sorted(t.domus) == ["ns", "titanic", "web"]
    assert t.reaches("titanic") == ["Backbone", "VLAN 42", "FreeBox"]
    assert t.reaches("ns") == ["Backbone"]
    assert t.reaches("web") == ["Backbone", "FreeBox"]
    assert t.who_reaches("FreeBox") == ["titanic", "web"]     # not every domU: not ns
    assert t.who_reaches("VLAN 42") == ["titanic"]
    assert t.who_reaches("eth0.42") == ["titanic"]             # by uplink interface too
    assert t.uplinks_of("web") == ["eth0", "eth1"]
    with pytest.raises(KeyError, match="backup"):
        t.reaches("backup")                                    # stopped: no vif, no reach


def test_graph_structure(fx_topology) -> None:  # noqa: ANN001
    t = fx_topology
    kinds = {k: sorted(n.label for n in t.of_kind(k))
             for k in (EXTERNAL, NIC, VIRTUAL, BRIDGE, GUEST_IF, DOMU)}
    assert kinds == {
        EXTERNAL: ["Backbone", "FreeBox", "VLAN 42"], NIC: ["eth0", "eth1"],
        VIRTUAL: ["eth0.42", "vif1.0", "vif1.1", "vif1.2", "vif2.0", "vif3.0", "vif3.1"],
        BRIDGE: ["xenbr0", "xenbr1", "xenbr2"],
        GUEST_IF: ["eth0", "eth0", "eth0", "eth1", "eth1", "eth2"],
        DOMU: ["ns", "titanic", "web"]}
    pairs = {(e.a, e.b, e.kind) for e in t.edges}
    assert ("ext:VLAN 42", "if:eth0", PHYSICAL_LINK) in pairs    # tagged on the same cable
    assert ("if:eth0", "if:eth0.42", "virtual") in pairs
    assert ("if:eth0.42", "if:xenbr1", "virtual") in pairs
    assert ("if:xenbr2", "if:vif3.1", "virtual") in pairs
    assert ("if:vif3.1", "guest:web/eth1", "virtual") in pairs
    assert sum(e.kind == PHYSICAL_LINK for e in t.edges) == 3
    assert len(t.edges) == 19


def test_figure_structure_and_artifact(fx_topology) -> None:  # noqa: ANN001
    fig = draw_topology(fx_topology)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.texts if not isinstance(t, Annotation)]
    for name in ("Backbone", "VLAN 42", "FreeBox", "eth0", "eth1", "eth0.42", "xenbr0",
                 "xenbr1", "xenbr2", "vif1.0", "vif3.1", "titanic (domid 1)", "ns (domid 2)",
                 "web (domid 3)", "dom0 (fx)", "tagged 42", "802.1Q 42"):
        assert name in labels, name
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == len(fx_topology.nodes) - 3 + 1 + 3   # nodes less domUs, + frames
    arrows = [t for t in ax.texts if isinstance(t, Annotation)]
    assert len(arrows) == 3                                     # physical links
    assert len(ax.lines) == 16                                  # the virtual links
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == [text for _, text in LEGEND] == [
        "Physical link", "External device", "Real interface on dom0",
        "Virtual interface on dom0", "Interface inside a domU", "Bridge", "dom0", "domU"]
    # layout: left to right, external -> NIC -> VLAN -> bridge -> vif -> domU interface
    pos = layout(fx_topology)
    xs = [pos[n][0] for n in ("ext:Backbone", "if:eth0", "if:eth0.42", "if:xenbr1",
                              "if:vif1.1", "guest:titanic/eth1")]
    assert xs == sorted(xs) and len(set(xs)) == 6
    assert pos["if:eth0.42"][1] == pos["if:xenbr1"][1] == pos["ext:VLAN 42"][1]
    ARTIFACTS.mkdir(exist_ok=True)
    png = save_figure(fig, ARTIFACTS / "net-fx.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_svg_is_deterministic_and_keeps_text(fx_topology) -> None:  # noqa: ANN001
    one = figure_bytes(draw_topology(fx_topology), "svg")
    two = figure_bytes(draw_topology(fx_topology), "svg")  # drawn again: the same bytes
    assert one == two
    svg = one.decode()
    texts = re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)
    for name in ("Backbone", "FreeBox", "xenbr1", "vif1.2", "Bridge", "domU",
                 "Virtual interface on dom0"):
        assert name in texts, name
    assert "<dc:date>" not in svg


def test_cli_show_diagram_plan_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path / "lab"))
    run = CliRunner().invoke
    shown = run(cli, ["net", "show", "lab"])
    assert shown.exit_code == 0, shown.output
    assert "vif3.1       vif       forwarding  web eth1" in shown.output
    assert "ns           reaches Backbone\n" in shown.output
    out = tmp_path / "fx.svg"
    drawn = run(cli, ["net", "diagram", "lab", "-o", str(out)])
    assert drawn.exit_code == 0 and out.read_text().count("<text") > 30
    assert run(cli, ["net", "drift", "lab"]).exit_code == 0
    planned = run(cli, ["net", "plan-bridge", "lab", "xenbr3", "--uplink", "eth1.5"])
    assert planned.exit_code == 0 and "ip link add link eth1 name eth1.5 type vlan id 5" in \
        planned.output and "dry run" in planned.output
    assert run(cli, ["net", "drift", "lab"]).exit_code == 0           # dry run changed nothing
    applied = run(cli, ["net", "plan-bridge", "lab", "xenbr3", "--uplink", "eth1.5", "--apply"])
    assert applied.exit_code == 0, applied.output
    assert "nothing to do" in run(cli, ["net", "plan-bridge", "lab", "xenbr3", "--uplink",
                                        "eth1.5"]).output
    refused = run(cli, ["net", "plan-delete", "lab", "xenbr2"])
    assert refused.exit_code != 0 and "vif3.1 (web)" in str(refused.exception or refused.output)
