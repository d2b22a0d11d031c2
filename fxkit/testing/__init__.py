"""What a user of fxkit tests their own code with: hosts that need no machine, a real sshd.

``fxkit.testing.hosts`` (no dependencies beyond fxkit.host)
    ``ScriptedHost(script)``: runs only the scripted commands, in order (a list of
    ``(argv, Exec)``) or in any order (a dict ``{argv: Exec}``), and fails the test on
    any other one, naming it and what was expected; ``assert_done()`` checks that all
    ran. ``FunctionHost(handler)``: every command answered by ``handler(call) -> Exec``.
    ``Call``: what they record in ``host.calls``.
``fxkit.testing.labstate``
    ``StateHost(state)``: the simulated lab's shell on an in-memory ``LabState``, fast
    enough for unit tests of plans (``fxkit.lab.transport.LabHost`` is the persisted lab).
``fxkit.testing.sshd``
    ``TestSshd``: a throw-away OpenSSH ``sshd`` on a loopback port with its own keys and
    user (needs root and Debian's ``openssh-server``; ``sshd_missing_reason()`` says why
    not), for tests of the SSH transport; ``config=``, ``certify()`` (a host certificate)
    and ``netns=`` (inside a network namespace) for real-host tests.
``fxkit.testing.accounts``
    ``Accounts``: throw-away login users (any shell) and sudoers rules, removed at the end.
``fxkit.testing.netchain``
    ``NetChain``: network namespaces in a row, each reachable only from its neighbours
    (ProxyJump tests).

::

    >>> from fxkit.host import Exec
    >>> from fxkit.testing import ScriptedHost
    >>> host = ScriptedHost({("hostname",): Exec(0, "fx\\n", "")})
    >>> host.run(["hostname"]).stdout
    'fx\\n'
    >>> host.assert_done()

The hosts are imported here; ``StateHost`` and ``TestSshd`` are imported when first used
(the lab and paramiko are not needed for the others).
"""

from __future__ import annotations

from typing import Any

from fxkit.testing.hosts import Call, FunctionHost, ScriptedHost

__all__ = ["Accounts", "Call", "FunctionHost", "NetChain", "ScriptedHost", "StateHost",
           "TestSshd", "sshd_missing_reason"]

_LAZY = {"StateHost": "fxkit.testing.labstate", "TestSshd": "fxkit.testing.sshd",
         "sshd_missing_reason": "fxkit.testing.sshd", "Accounts": "fxkit.testing.accounts",
         "NetChain": "fxkit.testing.netchain"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
