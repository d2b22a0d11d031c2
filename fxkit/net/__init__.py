"""The network of a dom0: links, bridges and their ports, bridge plans, ifupdown files, drift.

    >>> import fxkit, fxkit.net
    >>> fx = fxkit.connect("lab")                                   # doctest: +SKIP
    >>> [b.name for b in fxkit.net.read_net(fx).bridges]            # doctest: +SKIP
    ['xenbr0', 'xenbr1', 'xenbr2']
    >>> net, files = fxkit.net.read_net(fx), fxkit.net.read_persisted(fx)  # doctest: +SKIP
    >>> fxkit.net.check_drift(net, files)                           # doctest: +SKIP

Which domU a vif belongs to is Xen's knowledge: ``read_net`` takes the domain names as
data (``fxkit.xen.read_domain_names``); ``fxkit.topology`` joins the two.
"""

from fxkit.net.drift import Drift, check_drift
from fxkit.net.ifupdown import Persisted, Stanza, parse_interfaces, parse_persisted, read_persisted
from fxkit.net.plans import (
    bridge_users,
    check_name,
    plan_attach,
    plan_bridge_create,
    plan_bridge_delete,
    plan_detach,
    split_vlan,
)
from fxkit.net.state import (
    Bridge,
    ExternalNetwork,
    Link,
    NetState,
    build_state,
    parse_brctl_show,
    parse_bridge_links,
    parse_externals,
    parse_ip_links,
    read_externals,
    read_net,
)

__all__ = [
    "Bridge", "Drift", "ExternalNetwork", "Link", "NetState", "Persisted", "Stanza",
    "bridge_users", "build_state", "check_drift", "check_name", "parse_bridge_links",
    "parse_brctl_show", "parse_externals", "parse_interfaces", "parse_ip_links",
    "parse_persisted", "plan_attach", "plan_bridge_create", "plan_bridge_delete",
    "plan_detach", "read_externals", "read_net", "read_persisted", "split_vlan",
]
