"""Packaging: environment.yml mirrors pyproject; both entry points answer --help."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _norm(req: str) -> str:
    return re.sub(r"\s+", "", req).lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_norm(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    env = (ROOT / "environment.yml").read_text()
    pip_items = {_norm(m) for m in re.findall(r"^\s{6}- (.+)$", env, re.M)} - {"-e."}
    assert pip_items == wanted, f"only in environment.yml: {pip_items - wanted}; " \
                                f"only in pyproject: {wanted - pip_items}"
    py = re.search(r"- python(.+)", env)
    assert py and _norm(py.group(1)) == _norm(project["requires-python"])


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


def test_scenario_files_are_package_data():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = cfg["tool"]["setuptools"]["package-data"]["fxkit.lab"]
    assert "scenarios/**/*" in patterns
    extensionless = [p for p in (ROOT / "fxkit/lab/scenarios").rglob("*")
                     if p.is_file() and not p.suffix]
    assert extensionless, "the check above matters only if such files exist"
