"""The widgets speak the seminar's language: every label, button, description and message a
widget shows is French after ``set_language("fr")``, English otherwise (issue 19)."""

from __future__ import annotations

import html
import re
import string
from dataclasses import dataclass
from pathlib import Path

import ipywidgets as w
import pytest

import fxkit
from fxkit import lab
from fxkit.seminar.i18n import LANGUAGES, MESSAGES, set_language
from fxkit.widgets.domu_builder import DomuBuilder
from fxkit.widgets.lv_planner import LvPlanner
from fxkit.widgets.messages import WIDGET_MESSAGES, text
from fxkit.widgets.net_explorer import NetExplorer
from fxkit.widgets.runbook_launcher import RunbookLauncher
from fxkit.widgets.vg_usage import VgUsageViewer, vg_usage_figure

# Texts that are the same in both languages: names from the lab (VGs, LVs, domUs, bridges,
# networks, runbook parameters), sizes and numbers, and the words French shares ("mode",
# "VG", "vcpus", "swap", "ext4"...). Anything else equal in both builds is English left over.
SAME = {en for en, fr in WIDGET_MESSAGES.values() if en == fr} | {
    "ext4", "swap", "domu-lifecycle", "host", "domu", "action", "apply", "lvm", "mail",
    "playground", "web", "ns", "titanic"}
DATA = re.compile(r"[\w.-]+ \([\d.]+ \wiB\)\Z|[\w-]+ \([\w ,]+\)\Z|\d+\Z|[\w.-]+\Z")


@pytest.fixture(autouse=True)
def english_after():
    set_language("en")
    yield
    set_language("en")


@pytest.fixture
def fx():
    lab.reset("fx")
    return fxkit.connect("lab")


def _plain(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


# Boxes whose text is not the widgets' own: a plan, a config file, and an error's message
# come from fxkit's planners and parsers (the widgets' own refusals are checked by name).
FOREIGN = re.compile(r"\A<div class='fxkit-(plan|config|error)'")


def shown(widget: w.Widget, path: str = "") -> list[tuple[str, str]]:
    """(where, text) for every text ``widget`` and its children show, hidden ones included."""
    out: list[tuple[str, str]] = []
    for attr in ("description", "tooltip", "placeholder"):
        value = getattr(widget, attr, None)
        if isinstance(value, str) and value.strip("\u200b "):   # ipywidgets' empty one
            out.append((f"{path}.{attr}", value))
    if isinstance(widget, (w.HTML, w.Label)) and widget.value and \
            not FOREIGN.match(widget.value):
        out.append((f"{path}.value", _plain(widget.value)))
    for n, label in enumerate(getattr(widget, "_options_labels", ())):
        out.append((f"{path}.options[{n}]", label))
    for n, child in enumerate(getattr(widget, "children", ())):
        out += shown(child, f"{path}/{n}")
    return out


def build(lang: str, make) -> list[tuple[str, str]]:
    set_language(lang)
    try:
        return shown(make())
    finally:
        set_language("en")


def assert_french(en: list[tuple[str, str]], fr: list[tuple[str, str]]) -> None:
    """Same places, and every text that is the same in both is a name or a shared word."""
    assert [where for where, _ in en] == [where for where, _ in fr]
    left = [(where, e) for (where, e), (_, f) in zip(en, fr, strict=True)
            if e == f and e not in SAME and not DATA.match(e)]
    assert not left, f"English left in the French build: {left}"


def _click_plan(widget):
    widget.plan_button.click()
    return widget


def test_every_widget_text_has_both_languages_with_the_same_fields():
    fields = string.Formatter()
    for table in (WIDGET_MESSAGES, MESSAGES):
        for key, texts in table.items():
            assert len(texts) == len(LANGUAGES) and all(t.strip() for t in texts), key
            names = [sorted(re.sub(r"_(en|fr)\Z", "", f) for _, f, _, _ in fields.parse(t)
                            if f) for t in texts]   # lab_ready's state_en / state_fr
            assert names[0] == names[1], key


def test_outside_the_seminar_the_widgets_speak_english(fx):
    p = LvPlanner(fx)
    assert p.plan_button.description == "Plan" and p.apply_button.description == "Apply"
    assert p.name.description == "LV name" and p.mode.options[0] == ("create a new LV", "create")


def test_lv_planner_in_french(fx):
    def make():
        p = _click_plan(LvPlanner(fx, name="web-root"))  # refused: exists
        return w.VBox([p, _click_plan(LvPlanner(fx, name="playground"))])

    en, fr = build("en", make), build("fr", make)
    assert_french(en, fr)
    texts = dict(fr)
    assert {"Planifier", "Appliquer", "nom du LV", "taille (Mio)", "créer un LV",
            "agrandir un LV", "supprimer un LV", "aucun", "confirmer"} <= set(texts.values())
    assert any(t.startswith("J'ai lu ce plan") for t in texts.values())
    assert any(" libres sur " in t and "(extents de 4 Mio)" in t for t in texts.values())


def test_lv_planner_modes_and_a_destroying_plan_in_french(fx):
    set_language("fr")
    p = LvPlanner(fx)
    p.mode.value = "extend"
    assert p.size.description == "ajout (Mio)"
    p.mode.value = "remove"
    p.lv.value = "scratch" if "scratch" in dict(p.lv.options).values() else p.lv.value
    p.plan_button.click()
    if p.plan is not None and p.plan.destroys():
        assert "Ce plan détruit" in p.confirm_note.value and "pour confirmer" in \
            p.confirm_note.value
    p.confirm.value = False
    p._on_apply()
    assert "rien n'a été appliqué" in _plain(p.result.value)


def test_domu_builder_in_french(fx):
    def make():
        b = _click_plan(DomuBuilder(fx, name="backup"))         # replaces: destroys
        empty = DomuBuilder(fx)
        empty.bridges.value = ()
        return w.VBox([b, _click_plan(empty)])

    en, fr = build("en", make), build("fr", make)
    assert_french(en, fr)
    texts = set(dict(fr).values())
    assert {"nom du domU", "mémoire (Mio)", "racine (Gio)", "ponts", "Planifier",
            "Appliquer"} <= texts
    assert any(t.startswith("Xen peut encore donner") for t in texts)
    assert any("Ce plan détruit" in t for t in texts)
    set_language("fr")
    empty = DomuBuilder(fx)
    empty.bridges.value = ()
    empty.plan_button.click()              # the widget's own refusal, in an error box
    assert "choisissez au moins un pont" in _plain(empty.plan_view.value)


def test_net_explorer_in_french(fx):
    def make():
        e = NetExplorer(fx, domu="web")
        whole = NetExplorer(fx)
        whole.domu.value = "(whole host)"
        return w.VBox([e, whole])

    en, fr = build("en", make), build("fr", make)
    assert_french(en, fr)
    texts = set(dict(fr).values())
    assert {"(tout l'hôte)", "Actualiser"} <= texts
    assert "web atteint Backbone, FreeBox (par eth0, eth1 sur le dom0)" in texts


def test_vg_usage_in_french(fx):
    en, fr = build("en", lambda: VgUsageViewer(fx)), build("fr", lambda: VgUsageViewer(fx))
    assert_french(en, fr)
    assert "VG LV taille occupé libre % occupé" in dict(fr)["/2.value"]
    set_language("fr")
    fig = vg_usage_figure(VgUsageViewer(fx).vgs)
    ax = fig.axes[0]
    assert ax.get_title() == "Groupes de volumes : occupé et libre" and ax.get_xlabel() == "Gio"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["occupé", "libre"]
    assert any(" libres sur " in t.get_text() for t in ax.texts)


@dataclass
class FakeRecord:
    runbook: str = "domu-lifecycle"
    host: str = "lab"
    status: str = "failed"
    changed: bool = True
    notebook: str = "runs/x.ipynb"
    error: dict | None = None
    record_path: Path = Path("runs/x.json")


def test_runbook_launcher_in_french(tmp_path):
    def make():
        rec = FakeRecord(error={"cell": 3, "ename": "PreconditionFailed", "evalue": "x"})
        ui = RunbookLauncher("domu-lifecycle", runs_dir=tmp_path,
                             runner=lambda *a, **k: rec)
        ui.run_button.click()
        empty = RunbookLauncher(names=[], runs_dir=tmp_path)
        return w.VBox([ui, empty])

    # the form's tooltips are the runbook's own comments on its parameters
    en, fr = ([(where, t) for where, t in build(lang, make) if not where.endswith(".tooltip")
               or "/1/" not in where] for lang in LANGUAGES)
    assert_french(en, fr)
    texts = set(dict(fr).values())
    assert "Lancer" in texts and "aucun runbook trouvé" in texts
    result = next(t for t in texts if t.startswith("domu-lifecycle sur lab"))
    assert "a changé l'hôte" in result and "notebook produit" in result
    assert "enregistrement" in result and "cellule 3" in result


def test_text_follows_the_language_at_each_call():
    set_language("fr")
    assert text("plan") == "Planifier"
    set_language("en")
    assert text("plan") == "Plan"
