"""The lab's dom0 networking: iproute2 6.1, bridge-utils 1.7.1 and ifupdown, byte for byte.

``model`` (links: physical NICs, bridges, vifs, taps, veths, VLANs, with the
kernel's rules for addresses and ifindexes), ``render`` (per-link facts and the
JSON of ``ip -j`` and ``bridge -j``), ``text`` (the same as text lines), ``addr``
(``ip addr`` listings), ``route`` (``ip route``, ``ip addr add|del|flush``),
``commands`` (``ip``), ``brctl`` (``bridge`` and ``brctl``) and ``ifup``
(``ifup``/``ifdown`` from the lab's /etc/network/interfaces). Import the modules
themselves: this face re-exports nothing.
"""
