"""The lab's lvm2 2.03.16 (and the e2fsprogs/util-linux tools run on LVs), byte for byte.

``volumes`` (PVs, VGs, LVs, segments), ``model`` (the LVM section holding them, with
lvm2's extent allocation), ``args`` (lvm2's command-line parsing), ``sizeargs``
(-L/-l values, percentages, rounding), ``common`` (exit statuses, ``Failed``, the
``lvm_command`` wrapper, LV references), ``commands`` (pvcreate, pvremove, vg* and
``lvm`` itself with its subcommand table), ``lvcreate``, ``lvcmds`` (lvextend,
lvreduce, lvresize, lvremove, lvchange), ``lvrename``, ``displays`` (*display,
*scan), ``reports`` (pvs, vgs, lvs) laid out by ``report`` from the fields of
``fields`` and ``report_all``, ``fs`` (mkfs, resize2fs, e2fsck, dumpe2fs) and
``blockdev`` (mkswap, blkid, dd, blkdiscard). ``data/`` holds texts lvm2 prints
verbatim. Import the modules themselves: this face re-exports nothing.
"""
