"""fxkit: runbooks and training for a Xen host on LVM and Linux bridges.

    >>> import fxkit
    >>> with fxkit.connect("lab") as fx:          # doctest: +SKIP
    ...     print(fx.run(["xl", "list"]).stdout)
"""

from fxkit.connect import connect
from fxkit.errors import FxkitError
from fxkit.host import Host
from fxkit.plan import Plan, Step
from fxkit.result import Result

__all__ = ["connect", "FxkitError", "Host", "Result", "Plan", "Step"]
__version__ = "0.1.0"
