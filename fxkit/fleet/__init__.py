"""Many hosts: Ansible inventories, ``--limit`` patterns, parallel runs, recap and tables.

    >>> inv = read_inventory_file("inv.ini")                          # doctest: +SKIP
    >>> hosts = resolve_hosts(inv, "dom0s:!fx07")                      # doctest: +SKIP
    >>> results = run_fleet(hosts, lambda h: (False, read(h)), forks=5) # doctest: +SKIP
    >>> print(recap(results))                                          # doctest: +SKIP

``inventory`` and ``formats`` read Ansible's INI and YAML formats (and anything
``ansible-inventory --list`` reads), ``patterns`` selects hosts as Ansible does,
``targets`` maps a host's variables to an fxkit target, ``run`` runs a job per host on
``forks`` threads, ``tables`` builds the fleet-wide tables.
"""

from __future__ import annotations

from typing import Any

from fxkit.fleet.inventory import Group, Inventory, parse_list_json, read_inventory_file
from fxkit.fleet.patterns import select
from fxkit.fleet.run import (
    DEFAULT_FORKS,
    STATUSES,
    HostResult,
    all_succeeded,
    recap,
    run_fleet,
    run_one,
    summary,
)
from fxkit.fleet.tables import domu_table, findings_table, memory_table, vg_free_table
from fxkit.fleet.targets import FleetHost, fleet_host

__all__ = ["DEFAULT_FORKS", "STATUSES", "FleetHost", "Group", "HostResult", "Inventory",
           "all_succeeded", "domu_table", "findings_table", "fleet_host", "memory_table",
           "parse_list_json", "read_inventory_file", "recap", "resolve_hosts", "run_fleet",
           "run_one", "select", "summary", "vg_free_table"]


def resolve_hosts(inv: Inventory, pattern: str | None = None, **options: Any) -> list[FleetHost]:
    """The hosts ``pattern`` selects, each with how to reach it (``fleet_host`` options:
    ssh_config, sudo, accept_new_host_key from the command line)."""
    return [fleet_host(name, inv.host_vars(name), **options) for name in select(inv, pattern)]
