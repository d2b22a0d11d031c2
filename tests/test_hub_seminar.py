"""A room on real JupyterHub (issue 18): `fxkit seminar hub` with its proxy on loopback,
three trainees log in with headless Debian Chromium (Playwright, never `playwright
install`), run the first exercise of notebook 01 each (one of them wrongly) on their own
lab, and the trainer's grid shows 2 passed and 1 failed with its hint.

The hub's start time and the memory of each server and kernel are printed and written to
tests/artifacts/hub-figures.json (README's "Running a seminar" quotes them).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.support.hub import start_hub

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
RIGHT = "%fx lvcreate -L 3G -n data lvm\n%fx mkfs.ext4 /dev/lvm/data\n"
WRONG = "%fx lvcreate -L 1G -n data lvm\n%fx mkfs.ext4 /dev/lvm/data\n"

pytestmark = [pytest.mark.browser, pytest.mark.notebook]

KERNEL_IDLE = ("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
               " && window.jupyterapp.shell.currentWidget.sessionContext"
               " && window.jupyterapp.shell.currentWidget.sessionContext.session"
               " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
               " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
               ".status === 'idle'")
# Runs the first code cell (start), then the exercise cell with the given code, then its
# check: the cells a trainee runs with Shift+Enter.
RUN_EXERCISE = """async (code) => {
  const app = window.jupyterapp, panel = app.shell.currentWidget, nb = panel.content;
  const src = i => nb.widgets[i].model.sharedModel.getSource();
  const first = nb.widgets.findIndex(c => c.model.type === 'code');
  const ex = nb.widgets.findIndex(c => src(nb.widgets.indexOf(c)).startsWith('# your commands'));
  nb.widgets[ex].model.sharedModel.setSource(code);
  for (const i of [first, ex, ex + 1]) {
    nb.activeCellIndex = i;
    await app.commands.execute('notebook:run-cell');
  }
  return ex;
}"""
# Starts the exercise and returns at once: the three trainees' cells run at the same time.
START_EXERCISE = f"(code) => {{ window.fxkitExercise = ({RUN_EXERCISE})(code); return true; }}"


def _login(page, base: str, name: str, password: str) -> None:
    """Fill and send the login form; the next step waits for the page it leads to."""
    page.goto(f"{base}/hub/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("input[type=submit], button[type=submit]", no_wait_after=True)


def _logged_in(page) -> None:
    page.wait_for_url(lambda url: "/hub/login" not in url, timeout=60_000)


def _open(page, base: str, name: str, notebook: str) -> None:
    """Go to the notebook without waiting: the pages load side by side; see _idle."""
    page.goto(f"{base}/user/{name}/lab/tree/{notebook}", timeout=120_000, wait_until="commit")


def _idle(page) -> None:
    page.wait_for_function(KERNEL_IDLE, timeout=120_000)


@pytest.fixture
def hub(tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    pytest.importorskip("jupyterhub", reason="pip install 'fxkit[hub]'")
    room = start_hub(tmp_path / "room", trainees=3)
    try:
        yield room
    finally:
        room.stop()


def test_a_room_of_three_trainees_and_the_trainers_grid(hub):
    from playwright.sync_api import expect, sync_playwright

    from fxkit.lab import LabHost

    marks, started = {"hub started": hub.started_in}, time.monotonic()
    names = hub.accounts
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            pages = {name: browser.new_context(viewport={"width": 1280, "height": 900})
                     .new_page() for name in ["trainer", *names]}
            for name, page in pages.items():      # each login spawns: all four at once
                _login(page, hub.url, name, hub.password)
            for page in pages.values():
                _logged_in(page)
            for name in names:
                _open(pages[name], hub.url, name, "en/01-lvm.ipynb")
            _open(pages["trainer"], hub.url, "trainer", "trainer.ipynb")
            for name in names:
                _idle(pages[name])
            marks["servers and kernels up"] = time.monotonic() - started
            for n, name in enumerate(names):
                code = (WRONG if n == 2 else RIGHT) + f"%fx lvcreate -L 4M -n mine-{name} lvm\n"
                pages[name].evaluate(START_EXERCISE, code)
            for n, name in enumerate(names):
                mark = ".fxkit-check-fail" if n == 2 else ".fxkit-check-pass"
                expect(pages[name].locator(mark).last).to_be_visible(timeout=60_000)
                assert pages[name].evaluate("window.fxkitExercise") > 0   # it ran, no error
            marks["exercises checked"] = time.monotonic() - started
            memory = hub.memory()
            trainer = pages["trainer"]
            _idle(trainer)
            trainer.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            grid = trainer.locator(".fxkit-progress")
            expect(grid).to_be_visible(timeout=60_000)
            expect(grid.locator(".fxkit-progress-pass")).to_have_count(2, timeout=30_000)
            expect(grid.locator(".fxkit-progress-fail")).to_have_count(1)
            hint = grid.locator(".fxkit-progress-fail").get_attribute("title")
            assert "it is 1.00 GiB, the exercise asks for 3.00 GiB" in hint
            expect(grid).to_contain_text(f"{names[2]} on 01 lvm/data")    # stuck, listed
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            trainer.screenshot(path=str(ARTIFACTS / "hub-trainer-grid.png"))
        finally:
            browser.close()
    for n, name in enumerate(names):             # each lab holds its own trainee's work only
        fx = LabHost(root=str(hub.directory / "seminar" / "labs" / name))
        lvs = fx.run(["lvs", "--noheadings", "-o", "lv_name,lv_size", "--units", "g"]).stdout
        mine = sorted(w for w in lvs.split() if w.startswith("mine-"))
        assert mine == [f"mine-{name}"], lvs
        assert ("1.00g" if n == 2 else "3.00g") in next(ln for ln in lvs.splitlines()
                                                         if ln.split()[0] == "data")
    figures = {"seconds": {k: round(v, 1) for k, v in marks.items()},
               "rss_mib": {k: [round(r / 1024) for r in v] for k, v in memory.items()}}
    (ARTIFACTS / "hub-figures.json").write_text(json.dumps(figures, indent=1))
    print(json.dumps(figures))
    assert len(memory["server"]) >= 3 and len(memory["kernel"]) >= 3
