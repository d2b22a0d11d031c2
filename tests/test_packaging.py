"""Packaging: extras that fit their users, environment files mirroring them, entry points."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _norm(req: str) -> str:
    return re.sub(r"\s+", "", req).lower()


def _requirements(*extras: str) -> set[str]:
    """The base dependencies plus ``extras``, with fxkit's own extras (fxkit[seminar]) expanded."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted, todo = set(project["dependencies"]), list(extras)
    while todo:
        for req in project["optional-dependencies"][todo.pop()]:
            if own := re.fullmatch(r"fxkit\[([a-z,]+)\]", req):
                todo += own.group(1).split(",")
            else:
                wanted.add(req)
    return {_norm(r) for r in wanted}


def _env_pip(name: str) -> set[str]:
    env = (ROOT / name).read_text()
    py = re.search(r"- python(.+)", env)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert py and _norm(py.group(1)) == _norm(project["requires-python"])
    return {_norm(m) for m in re.findall(r"^\s{6}- (.+)$", env, re.M)} - {"-e."}


def test_environment_yml_matches_pyproject():
    """environment.yml is the user's env (base + seminar), environment-dev.yml the dev's
    (base + seminar + test): each lists exactly what pip would install from pyproject."""
    for name, extras in (("environment.yml", ("seminar",)),
                         ("environment-dev.yml", ("seminar", "test"))):
        pip_items, wanted = _env_pip(name), _requirements(*extras)
        assert pip_items == wanted, f"only in {name}: {pip_items - wanted}; " \
                                    f"only in pyproject: {wanted - pip_items}"


def test_extras_fit_their_users():
    """The runner and CLI alone need no JupyterLab, widgets or matplotlib; the tests need
    the seminar's packages (they run it); `make` installs the test extra, hence all."""
    base = {re.split(r"[<>=\[]", r)[0] for r in _requirements()}
    assert {"paramiko", "papermill", "ipykernel", "click", "nbformat", "nbclient",
            "tqdm"} <= base
    assert not base & {"jupyterlab", "ipywidgets", "matplotlib"}
    assert _requirements("seminar") <= _requirements("test")
    assert {"jupyterlab>=4.6,<5", "jsonschema>=4.26,<5"} <= _requirements("test")
    assert "-e '.[test]'" in (ROOT / "Makefile").read_text()


def test_base_code_paths_import_without_the_seminar_packages():
    """What a base install runs (the CLI, the runner, the runbooks' imports) never needs
    matplotlib, ipywidgets or JupyterLab at import time."""
    code = ("import sys\n"
            "for m in ('matplotlib', 'ipywidgets', 'jupyterlab'): sys.modules[m] = None\n"
            "import fxkit, fxkit.runbook, fxkit.inventory, fxkit.topology, fxkit.doctor\n"
            "from fxkit.cli import SUBCOMMANDS\n"
            "import importlib\n"
            "for target, _ in SUBCOMMANDS.values(): importlib.import_module(target.split(':')[0])\n"
            "from fxkit.runbook import topology_picture, vg_usage_chart\n"
            "class Net:\n    domus = ['web']\n    def reaches(self, d): return ['eth0']\n"
            "pic = topology_picture(Net())\n"
            "assert pic._repr_png_() is None and 'fxkit[seminar]' in repr(pic), repr(pic)\n"
            "class Vg:\n    name, size_bytes, free_bytes = 'lvm', 2 << 30, 1 << 30\n"
            "assert vg_usage_chart([Vg()])._repr_png_() is None\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_cli_help():
    for argv in ([str(Path(sys.executable).with_name("fxkit")), "--help"],
                 [sys.executable, "-m", "fxkit", "--help"]):
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        assert "runbooks and training for a Xen host" in out and "audit" in out


def test_every_subcommand_loads_and_has_help():
    from click.testing import CliRunner

    from fxkit.cli import SUBCOMMANDS, cli
    for name in SUBCOMMANDS:
        out = CliRunner().invoke(cli, [name, "--help"])
        assert out.exit_code == 0 and "Usage: " in out.output, (name, out.output)


def test_help_does_not_import_paramiko():
    code = "import sys, fxkit.cli; fxkit.cli.cli.main(['--help'], standalone_mode=False); " \
           "print('paramiko' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("False")


def test_runbooks_and_seminar_ship_in_the_sdist_and_wheel():
    """setup.py copies runbooks/ and notebooks/NN-*.ipynb into the built package;
    MANIFEST.in puts them in the sdist a wheel may be built from."""
    setup = (ROOT / "setup.py").read_text()
    assert '"runbooks": ("runbooks", "*.ipynb")' in setup
    assert '"notebooks": ("notebooks", "**/[0-9][0-9]-*.ipynb")' in setup
    manifest = (ROOT / "MANIFEST.in").read_text()
    assert "include runbooks/*.ipynb" in manifest
    assert "recursive-include notebooks [0-9][0-9]-*.ipynb" in manifest
    assert list((ROOT / "notebooks").glob("**/[0-9][0-9]-*.ipynb")), "nothing to ship"


def test_scenario_files_are_package_data():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = cfg["tool"]["setuptools"]["package-data"]["fxkit.lab"]
    assert "scenarios/**/*" in patterns
    extensionless = [p for p in (ROOT / "fxkit/lab/scenarios").rglob("*")
                     if p.is_file() and not p.suffix]
    assert extensionless, "the check above matters only if such files exist"
