"""How the CLI shows a plan and applies it: text or ``--json``; ``Plan.apply`` holds the lock."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import click

from fxkit.cli import jsonout


def show_or_apply(plan: Any, host: Any, apply: bool, confirm: Iterable[str] = (), *,
                  as_json: bool = False, command: str = "fxkit") -> None:
    """Print ``plan`` (a dry-run); with ``apply``, run it: ``Plan.apply`` holds ``host``'s
    apply lock (naming ``command``), so the CLI and runbooks never change a host at once."""
    outcome = None
    if apply and not plan.empty:
        if not as_json:
            click.echo(str(plan))
        outcome = plan.apply(host, confirm=list(confirm), holder=command)
        if not as_json:
            click.echo(str(outcome))
    elif not as_json:
        click.echo(str(plan))
        if not plan.empty:
            need = plan.destroys()
            hint = "".join(f" --confirm {n}" for n in need)
            click.echo(f"(dry run: add --apply{hint} to run it)")
    if as_json:
        jsonout.echo(jsonout.plan_doc(host.name, plan, outcome))
