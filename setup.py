"""Build step: the wheel also carries the runbooks and the seminar notebooks.

They stay at the top of the repository (runbooks/, notebooks/en/ and notebooks/fr/), where
the design puts them and the docs and tests point, and are copied into the built package as
fxkit/runbooks/ and fxkit/notebooks/, where an installed fxkit finds them (`fxkit
runbooks`, `fxkit run NAME`, `fxkit seminar copy DIR`). Everything else is in
pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# folder in the package -> (folder in the repository, files, searched in subfolders too)
SHIPPED = {"runbooks": ("runbooks", "*.ipynb"),
           "notebooks": ("notebooks", "**/[0-9][0-9]-*.ipynb")}  # each edition: en/, fr/


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        for target, (source, pattern) in SHIPPED.items():
            found = sorted((HERE / source).glob(pattern))
            if not found:
                raise SystemExit(f"setup.py: no {source}/{pattern} to ship: an incomplete sdist?")
            dest = Path(self.build_lib) / "fxkit" / target
            for path in found:
                out = dest / path.relative_to(HERE / source)
                self.mkpath(str(out.parent))
                self.copy_file(str(path), str(out))


setup(cmdclass={"build_py": BuildPy})
