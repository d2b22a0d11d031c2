"""fxkit's own test tooling, kept out of the wheel (what users test with is ``fxkit.testing``).

Tests import it as ``support.X`` (pytest puts ``tests/`` on ``sys.path``; the benchmarks
add it themselves):

``labs``
    the two labs the integration tests run on (``Lab``: the simulated fx or the real
    Xen lab under QEMU); ``restore_real`` puts the real one back from its snapshot.
``labs_real``
    the session's real labs (``REAL_LABS``): the main one, started while the other tiers
    run, and a background one for the jobs of tests marked ``real_job(fn)``.
``xen``
    an in-process fx lab (``fx_lab``) and ``XlSequenceHost``, a scripted dom0 whose
    ``xl list`` changes from poll to poll.
``net``
    one bridge plan scenario run on any Host (lab in memory or a network namespace).
``lvm2``
    ``Lvm2Sandbox``: a throw-away real lvm2 on loop devices (root only).
``argv_batch``
    ``run_batch``: many commands in one round trip; ``ReplayHost`` answers them again.
``lvm_diff``, ``lvm_diff_ops``, ``lvm_diff_hosts``, ``lvm_diff_compare``, ``lvm_diff_real``
    the differential LVM test: random op sequences on the lab and on real lvm2,
    compared, a disagreement shrunk to a minimal one (``lvm_diff_real``: in a real dom0).
"""
