"""A seminar notebook, in each edition, in real JupyterLab and headless Debian Chromium: the
widgets render and work, the checks speak the edition's language.

JupyterLab runs on a loopback port with a token, news and update checks off,
on a copy of notebooks/ (JupyterLab autosaves; the stored notebooks stay as they
are) and a fresh lab directory. Playwright drives Debian's own /usr/bin/chromium
(never ``playwright install``). The screenshot goes to tests/artifacts/.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "01-lvm.ipynb"
# what each edition's rendered page must show: a heading, a check's mark, and the LV
# planner's labels in the edition's language (fxkit/widgets/messages.py)
EDITIONS = {"en": ("Three layers", "[PASS]", "LV name", "Plan", "Apply"),
            "fr": ("Trois couches", "[RÉUSSI]", "nom du LV", "Planifier", "Appliquer")}
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

pytestmark = [pytest.mark.browser, pytest.mark.notebook]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, log: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"jupyter lab exited with {proc.returncode}:\n"
                                 f"{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"jupyter lab did not answer {url} in time:\n{log.read_text()[-3000:]}")


@pytest.fixture
def jupyterlab(tmp_path: Path):
    """JupyterLab serving a copy of notebooks/ with a fresh lab; yields (base_url, token)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    pytest.importorskip("playwright.sync_api",
                        reason="pip install playwright (it needs no browser download)")
    root = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ,
               FXKIT_LAB_DIR=str(tmp_path / "lab"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
               JUPYTER_PLATFORM_DIRS="1", MPLBACKEND="module://matplotlib_inline.backend_inline")
    # The news and update prompt is off (no fetch, no toast): a user setting, in a temp dir.
    notify = tmp_path / "lab-settings" / "@jupyterlab" / "apputils-extension"
    notify.mkdir(parents=True)
    (notify / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}')
    log = tmp_path / "jupyter.log"
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.open_browser=False",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.expose_app_in_browser=True",
           f"--LabApp.user_settings_dir={tmp_path / 'lab-settings'}",
           f"--LabApp.workspaces_dir={tmp_path / 'lab-workspaces'}",
           "--LabApp.extension_manager=readonly",   # no PyPI queries
           "--ServerApp.jpserver_extensions={'jupyter_lsp': False, "
           "'jupyter_server_terminals': False}",
           *(["--allow-root"] if os.geteuid() == 0 else [])]
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=root,
                                start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_http(f"{base}/api/status?token={token}", proc, log, time.monotonic() + 60)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("lang", sorted(EDITIONS))
def test_lv_planner_renders_and_plans_in_jupyterlab(jupyterlab, lang):
    from playwright.sync_api import expect, sync_playwright

    base, token = jupyterlab
    heading, passed, name_label, plan_label, apply_label = EDITIONS[lang]
    started = time.monotonic()
    marks = [("start", started)]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"{base}/lab/tree/{lang}/{NOTEBOOK}?token={token}")
            # the notebook is open and its kernel is idle
            page.wait_for_function(
                "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                " && window.jupyterapp.shell.currentWidget.sessionContext"
                " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                ".status === 'idle'", timeout=30_000)
            marks.append(("kernel idle", time.monotonic()))
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            planner = page.locator(".fxkit-lv-planner").last
            expect(planner).to_be_visible(timeout=60_000)
            marks.append(("planner visible", time.monotonic()))
            expect(page.get_by_role("heading", name=heading)).to_be_visible()
            check = page.locator(".fxkit-check-pass").first
            expect(check).to_contain_text(passed, timeout=60_000)
            planner.scroll_into_view_if_needed()
            slider = planner.locator(".widget-slider").first
            expect(slider).to_be_visible()
            expect(planner.get_by_text(name_label, exact=True)).to_be_visible()
            plan_button = planner.get_by_role("button", name=plan_label)
            expect(plan_button).to_be_visible()
            plan_button.click()
            plan = planner.locator(".fxkit-plan")
            expect(plan).to_be_visible(timeout=15_000)
            expect(plan).to_contain_text("lvcreate")
            marks.append(("plan shown", time.monotonic()))
            apply_button = planner.get_by_role("button", name=apply_label)
            if lang != "en":                               # no English button left
                expect(planner.get_by_role("button", name=EDITIONS["en"][4])).to_have_count(0)
            expect(apply_button).to_be_disabled()          # not before the box is ticked
            planner.get_by_role("checkbox").check()
            expect(apply_button).to_be_enabled()
            apply_button.click()
            expect(planner.locator(".fxkit-ok")).to_contain_text("1 step(s) applied",
                                                                 timeout=15_000)
            planner.evaluate("e => e.scrollIntoView({block: 'start'})")
            page.screenshot(path=str(ARTIFACTS / f"browser-lv-planner-{lang}.png"))
        finally:
            browser.close()
    print(" ".join(f"{name}: {t - started:.1f}s" for name, t in marks))
    # ~15 s on an idle 2-core machine; the bound leaves room for a loaded CI runner
    assert time.monotonic() - started < 120
