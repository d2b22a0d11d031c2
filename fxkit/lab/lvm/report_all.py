"""The ``pv_all``, ``vg_all`` and ``lv_all`` field sets of the lab's reports.

Field order is lvm2 2.03.16's (as its ``-o help`` lists them); most of these
fields are about features the lab does not model (RAID, thin, cache, VDO,
lvmlockd) and print empty, as on a real host without them. The metadata area
sizes are the values lvm2 prints for a small VG, not modelled.

``ALL_FIELDS`` is every field a report can name: ``fields.FIELDS``, the extra
fields below, and an empty one for each other name of the sets. It is built once
here, as a new table: ``fields.FIELDS`` is never changed.
"""

from __future__ import annotations

from fxkit.lab.lvm.fields import FIELDS, Field, Row, lv_of

ALL = {
    "lv_all": "lv_uuid,lv_name,lv_full_name,lv_path,lv_dm_path,lv_parent,lv_layout,lv_role,"
              "lv_initial_image_sync,lv_image_synced,lv_merging,lv_converting,"
              "lv_allocation_policy,lv_allocation_locked,lv_fixed_minor,lv_skip_activation,"
              "lv_autoactivation,lv_when_full,lv_active,lv_active_locally,lv_active_remotely,"
              "lv_active_exclusively,lv_major,lv_minor,lv_read_ahead,lv_size,lv_metadata_size,"
              "seg_count,origin,origin_uuid,origin_size,lv_ancestors,lv_full_ancestors,"
              "lv_descendants,lv_full_descendants,raid_mismatch_count,raid_sync_action,"
              "raid_write_behind,raid_min_recovery_rate,raid_max_recovery_rate,"
              "raidintegritymode,raidintegrityblocksize,integritymismatches,move_pv,"
              "move_pv_uuid,convert_lv,convert_lv_uuid,mirror_log,mirror_log_uuid,data_lv,"
              "data_lv_uuid,metadata_lv,metadata_lv_uuid,pool_lv,pool_lv_uuid,lv_tags,lv_profile,"
              "lv_lockargs,lv_time,lv_time_removed,lv_host,lv_modules,lv_historical,"
              "writecache_block_size,lv_kernel_major,lv_kernel_minor,lv_kernel_read_ahead,"
              "lv_permissions,lv_suspended,lv_live_table,lv_inactive_table,lv_device_open,"
              "data_percent,snap_percent,metadata_percent,copy_percent,sync_percent,"
              "cache_total_blocks,cache_used_blocks,cache_dirty_blocks,cache_read_hits,"
              "cache_read_misses,cache_write_hits,cache_write_misses,kernel_cache_settings,"
              "kernel_cache_policy,kernel_metadata_format,lv_health_status,kernel_discards,"
              "lv_check_needed,lv_merge_failed,lv_snapshot_invalid,vdo_operating_mode,"
              "vdo_compression_state,vdo_index_state,vdo_used_size,vdo_saving_percent,"
              "writecache_total_blocks,writecache_free_blocks,writecache_writeback_blocks,"
              "writecache_error,lv_attr",
    "pv_all": "pv_fmt,pv_uuid,dev_size,pv_name,pv_major,pv_minor,pv_mda_free,pv_mda_size,"
              "pv_ext_vsn,pe_start,pv_size,pv_free,pv_used,pv_attr,pv_allocatable,pv_exported,"
              "pv_missing,pv_pe_count,pv_pe_alloc_count,pv_tags,pv_mda_count,pv_mda_used_count,"
              "pv_ba_start,pv_ba_size,pv_in_use,pv_duplicate,pv_device_id,pv_device_id_type",
    "vg_all": "vg_fmt,vg_uuid,vg_name,vg_attr,vg_permissions,vg_extendable,vg_exported,"
              "vg_autoactivation,vg_partial,vg_allocation_policy,vg_clustered,vg_shared,vg_size,"
              "vg_free,vg_sysid,vg_systemid,vg_lock_type,vg_lock_args,vg_extent_size,"
              "vg_extent_count,vg_free_count,max_lv,max_pv,pv_count,vg_missing_pv_count,lv_count,"
              "snap_count,vg_seqno,vg_tags,vg_profile,vg_mda_count,vg_mda_used_count,vg_mda_free,"
              "vg_mda_size,vg_mda_copies",
}
MDA_FREE, MDA_SIZE = 518656, 1044480      # "506.50k" of "1020.00k"


def _active(r: Row, yes: str, no: str = "") -> str:
    return yes if lv_of(r).active else no


def _dev_numbers(name: str) -> tuple[int, int]:
    """Major/minor of a lab block device, as Linux numbers them (loop 7, sd 8, cciss 104)."""
    if name.startswith("/dev/loop"):
        return 7, int(name[len("/dev/loop"):] or 0)
    if name.startswith("/dev/sd"):
        letter, part = name[7:8], name[8:]
        return 8, 16 * (ord(letter) - ord("a")) + int(part or 0)
    if name.startswith("/dev/cciss/c0d"):
        disk, _, part = name[len("/dev/cciss/c0d"):].partition("p")
        return 104, 16 * int(disk) + int(part or 0)
    return 253, 0


def _lv_role(r: Row) -> str:
    lv = lv_of(r)
    if lv.origin:
        return "public,snapshot,thicksnapshot"
    if any(o.origin == lv.name for o in (r.vg.lvs if r.vg else [])):
        return "public,origin,thickorigin"
    return "public"


def _origin_uuid(r: Row) -> str:
    lv = lv_of(r)
    origin = r.vg.lv(lv.origin) if (r.vg and lv.origin) else None
    return origin.uuid if origin else ""


_EXTRA: dict[str, Field] = {
    "lv_layout": Field("lv", "Layout", 10, "str", lambda r: "linear"),
    "lv_role": Field("lv", "Role", 10, "str", _lv_role),
    "lv_allocation_policy": Field("lv", "AllocPol", 10, "str", lambda r: "inherit"),
    "lv_autoactivation": Field("lv", "AutoAct", 0, "str", lambda r: "enabled"),
    "lv_active_locally": Field("lv", "ActLocal", 10, "str",
                               lambda r: _active(r, "active locally")),
    "lv_active_exclusively": Field("lv", "ActExcl", 10, "str",
                                   lambda r: _active(r, "active exclusively")),
    "lv_major": Field("lv", "Maj", 0, "num", lambda r: -1),
    "lv_minor": Field("lv", "Min", 0, "num", lambda r: -1),
    "origin_uuid": Field("lv", "Origin UUID", 38, "str", _origin_uuid),
    "raidintegrityblocksize": Field("lv", "IntegBlkSize", 0, "num", lambda r: -1),
    "writecache_block_size": Field("lv", "WCacheBlkSize", 0, "num", lambda r: -1),
    "lv_modules": Field("lv", "Modules", 0, "str", lambda r: "snapshot" if lv_of(r).origin else ""),
    "lv_kernel_read_ahead": Field("lv", "KRahead", 0, "str",
                                  lambda r: _active(r, "128.00k", "-1")),
    "lv_permissions": Field("lv", "LPerms", 8, "str", lambda r: _active(r, "writeable", "unknown")),
    "lv_live_table": Field("lv", "LiveTable", 20, "str",
                           lambda r: _active(r, "live table present")),
    "pv_major": Field("pv", "Maj", 0, "num", lambda r: _dev_numbers(r.pv.name)[0]),  # type: ignore
    "pv_minor": Field("pv", "Min", 0, "num", lambda r: _dev_numbers(r.pv.name)[1]),  # type: ignore
    "pv_mda_free": Field("pv", "PMdaFree", 9, "size", lambda r: MDA_FREE),
    "pv_mda_size": Field("pv", "PMdaSize", 9, "size", lambda r: MDA_SIZE),
    "pv_ext_vsn": Field("pv", "PExtVsn", 0, "num", lambda r: 2),
    "pv_allocatable": Field("pv", "Allocatable", 0, "str",
                            lambda r: "allocatable" if r.vg else ""),
    "pv_mda_used_count": Field("pv", "#PMdaUse", 0, "num", lambda r: 1),
    "pv_ba_start": Field("pv", "BA Start", 0, "size", lambda r: 0),
    "pv_ba_size": Field("pv", "BA Size", 0, "size", lambda r: 0),
    "pv_in_use": Field("pv", "PInUse", 0, "str", lambda r: "used" if r.vg else ""),
    "vg_permissions": Field("vg", "VPerms", 10, "str", lambda r: "writeable"),
    "vg_extendable": Field("vg", "Extendable", 0, "str", lambda r: "extendable"),
    "vg_autoactivation": Field("vg", "AutoAct", 0, "str", lambda r: "enabled"),
    "vg_allocation_policy": Field("vg", "AllocPol", 10, "str", lambda r: "normal"),
    "vg_missing_pv_count": Field("vg", "#PV Missing", 0, "num", lambda r: 0),
    "vg_mda_used_count": Field("vg", "#VMdaUse", 0, "num",
                               lambda r: len(r.vg.pvs) if r.vg else 0),
    "vg_mda_free": Field("vg", "VMdaFree", 9, "size", lambda r: MDA_FREE),
    "vg_mda_size": Field("vg", "VMdaSize", 9, "size", lambda r: MDA_SIZE),
    "vg_mda_copies": Field("vg", "#VMdaCps", 0, "str", lambda r: "unmanaged"),
}


def _every_field() -> dict[str, Field]:
    """FIELDS, then the extra fields, then an empty field for any other name of a set
    (the first definition of a name wins)."""
    table = dict(FIELDS)
    for name, field in _EXTRA.items():
        table.setdefault(name, field)
    for group in ALL.values():
        for name in group.split(","):
            scope = "lv" if not name.startswith(("pv_", "vg_", "dev_", "pe_", "max_")) else \
                "pv" if name.startswith(("pv_", "dev_", "pe_")) else "vg"
            table.setdefault(name, Field(scope, name, 0, "str", lambda r: ""))
    return table


ALL_FIELDS: dict[str, Field] = _every_field()
