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
