"""The lab's Xen toolstacks: ``xl`` (Xen 4.17) and ``xm`` (xend, Xen 3.0), byte for byte.

``model`` (Domain-0 and the running domUs, built from their config files, with
ids, CPU time, UUIDs and MACs derived from the lab's clock and seed), ``text``
(the printf layouts of ``xl list``, ``xm list``, ``xl info``, ``xl vcpu-list``) and
``commands`` (``xl``/``xm`` and their subcommands: list, create, shutdown, reboot,
destroy, info, vcpu-list, console, uptime, domid, domname). Import the modules
themselves: this face re-exports nothing.
"""
