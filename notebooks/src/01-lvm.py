# %% [markdown]
# # 01 · LVM: where the domUs' disks come from
#
# Every domU on fx needs disks. Giving each one a real partition would be rigid:
# partitions are hard to grow, and the disk has only so many. fx uses **LVM**
# (Logical Volume Manager, version 2) instead: disk space becomes a pool from
# which volumes are cut, grown and removed while the system runs.
#
# **In this notebook you will learn**
#
# 1. LVM's three layers: physical volumes, volume groups, logical volumes;
# 2. to read `pvdisplay` line by line;
# 3. what `vgcreate` and `vgextend` do, and why fx has needed them only once;
# 4. to create an LV, put a filesystem on it, and grow both;
# 5. to remove an LV, and why fxkit refuses to remove some that LVM would remove;
# 6. to see how full the volume groups are.

# %%
from fxkit import seminar

fx = seminar.start()
%load_ext fxkit.magics
%matplotlib inline

# %% [markdown]
# ## Three layers
#
# ```
#   LV  secours-root   ns-root   web-root  ...     logical volumes: what domUs use as disks
#        └──────────────┬──────────┘
#   VG               lvm                          a volume group: one pool of 4 MiB extents
#                       │
#   PV        /dev/cciss/c0d0p2                   physical volumes: real partitions
# ```
#
# * A **physical volume** (PV) is a partition handed over to LVM. On fx it is the
#   second partition of the RAID1 array, everything after `/boot`.
# * A **volume group** (VG) gathers one or more PVs into one pool, cut into equal
#   *extents* (4 MiB here). With two PVs, a VG can be bigger than either disk.
# * A **logical volume** (LV) is a run of extents taken from a VG. The system uses it
#   like a partition: `/dev/lvm/web-root`, also reachable as `/dev/mapper/lvm-web--root`
#   (in device-mapper names, a dash inside a name is doubled).
#
# One short command per layer:

# %%
%fx pvs

# %%
%fx vgs

# %%
%fx lvs

# %% [markdown]
# Each domU has a `-root` and a `-swap` LV. The `o` in `-wi-ao----` means *open*:
# a running domU is using it.

# %% [markdown]
# ## `pvdisplay`, line by line
#
# `pvdisplay` says everything about each PV, in a longer form:

# %%
%fx pvdisplay

# %% [markdown]
# | line | meaning |
# |---|---|
# | `PV Name` | the partition |
# | `VG Name` | the VG it belongs to |
# | `PV Size` | its size; the few MiB *not usable* are too small to make a whole extent |
# | `Allocatable` | whether LVM may put new extents on it |
# | `PE Size` | the size of one physical extent (PE) |
# | `Total PE` | how many extents the PV holds |
# | `Free PE` / `Allocated PE` | extents still free / already used by LVs |
# | `PV UUID` | LVM's own identifier, written on the disk |
#
# Sizes are always whole extents: *Total PE × PE Size* is the usable size. Let us
# check that with fxkit's parser of the same text:

# %%
from fxkit.lvm import parse_pvdisplay

pv = parse_pvdisplay(_fx.stdout)[0]      # _fx: the last %fx result
print(pv)

# %%
MiB, GiB = 1024**2, 1024**3
pe = pv.pe_size
print(f"Total PE x PE Size = {pv.total_pe} x {pe // MiB} MiB = {pv.total_pe * pe / GiB:.2f} GiB")
print(f"Free PE  x PE Size = {pv.free_pe} x {pe // MiB} MiB = {pv.free_pe * pe / GiB:.2f} GiB free")
print(f"Allocated + Free   = {pv.allocated_pe} + {pv.free_pe} = {pv.allocated_pe + pv.free_pe}")

# %% [markdown]
# The 2007 talk showed the same output from another machine, *fourier*. The lab
# has it too, as a second scenario: the numbers are the talk's.

# %%
import fxkit
from fxkit import lab

lab.reset("fourier")
fourier = fxkit.connect("lab:fourier")
print(fourier.run(["pvdisplay"]).stdout)

# %% [markdown]
# ## `vgcreate` and `vgextend`
#
# * `vgcreate NAME PV...` makes a new VG from PVs (made first with `pvcreate PV`).
# * `vgextend NAME PV` adds a PV to an existing VG: the way to grow the pool when
#   a new disk arrives.
#
# fx has one VG, `lvm`, made when the server was installed, on its one PV. A PV
# belongs to one VG only, so LVM refuses to build a second VG on it:

# %%
with seminar.expect_refusal():
    %fx vgcreate data /dev/cciss/c0d0p2

# %% [markdown]
# With a new disk, say `/dev/sdb1`, you would run `pvcreate /dev/sdb1`, then
# `vgextend lvm /dev/sdb1`; every LV could then grow into the new space.
# fxkit has plans for both (`plan_pv_create`, `plan_vg_extend` in `fxkit.lvm`).

# %% [markdown]
# ## Creating an LV
#
# `lvcreate -L SIZE -n NAME VG` takes SIZE from the VG. Sizes round up to whole
# extents, and LVM says so:

# %%
%fx lvcreate -L 1001M -n odd lvm

# %% [markdown]
# A new LV is empty: no filesystem yet. We make one for a 1 GiB LV named `scratch`:

# %%
%fx lvcreate -L 1G -n scratch lvm

# %%
%fx mkfs.ext4 /dev/lvm/scratch

# %% [markdown]
# ## Growing an LV, and then its filesystem
#
# `lvextend -L +SIZE VG/LV` adds space to the LV. The filesystem inside does not
# grow by itself: it still ends where it ended.

# %%
%fx lvextend -L +1G lvm/scratch

# %%
seminar.check_lv(fx, "lvm", "scratch", size="2G", fs="ext4")

# %% [markdown]
# The check sees it: the LV is 2 GiB, the filesystem still 1 GiB. `resize2fs`
# grows the filesystem to fill its LV (`lvextend -r` does both steps at once):

# %%
%fx resize2fs /dev/lvm/scratch

# %%
seminar.check_lv(fx, "lvm", "scratch", size="2G", fs="ext4")

# %% [markdown]
# ### The same, as a plan
#
# fxkit never types commands blindly: it reads the facts, then makes a **plan**
# you read before anything runs. Here, growing `scratch` again, by 512 MiB:

# %%
from fxkit.lvm import plan_lv_extend, plan_lv_remove
from fxkit.xen import read_lvm_facts

plan = plan_lv_extend(read_lvm_facts(fx), "lvm/scratch", "+512M")
plan

# %% [markdown]
# The filesystem is checked (`e2fsck`) before `resize2fs`, which asks for it when the
# filesystem is not mounted. For the disk of a **running** domU, the plan is different:
# its filesystem is mounted *inside the guest*, and touching it from dom0 would damage it.

# %%
plan_lv_extend(read_lvm_facts(fx), "lvm/web-root", "+1G")

# %% [markdown]
# ## Try it: the LV planner
#
# Choose a VG, a name and a size (the slider stops at the free space), press
# **Plan**, read the plan, tick the box, then **Apply**.

# %%
from fxkit.widgets import LvPlanner

LvPlanner(fx, name="playground")

# %% [markdown]
# ## Removing an LV, and when fxkit refuses
#
# `lvremove VG/LV` destroys an LV and everything on it. LVM itself refuses only
# when the LV is open, for example the root disk of the running `titanic`:

# %%
with seminar.expect_refusal():
    %fx lvremove -f lvm/secours-root

# %% [markdown]
# But `backup` is a domU that is **not running**. Its disks are closed, so LVM
# would remove them without a word, and `backup` would never start again.
# fxkit reads the domU configs in `/etc/xen` too, and refuses:

# %%
with seminar.expect_refusal():
    plan_lv_remove(read_lvm_facts(fx), "lvm/backup-root")

# %% [markdown]
# An LV no domU uses can go, but the plan marks the step **DESTROYS**: applying it
# needs you to name what is destroyed (`confirm="lvm/odd"`).

# %%
plan = plan_lv_remove(read_lvm_facts(fx), "lvm/odd")
print(plan)

# %%
with seminar.expect_refusal():
    plan.apply(fx)

# %%
print(plan.apply(fx, confirm="lvm/odd"))

# %% [markdown]
# ## How full are the volume groups?

# %%
from fxkit.widgets import vg_usage_figure, vg_views

vg_usage_figure(vg_views(fx))

# %% [markdown]
# The same in a widget, with a **Refresh** button for after your changes:

# %%
from fxkit.widgets import VgUsageViewer

VgUsageViewer(fx)

# %% [markdown]
# ## Exercises
#
# **1.** Create an LV `data` of 2 GiB in the VG `lvm`, with an ext4 filesystem.
#
# **2.** Then grow it to 3 GiB, **with** its filesystem.
#
# Use `%fx` commands, the planner above, or fxkit plans. Then run the check.

# %%
# your commands here


# %%
seminar.check_lv(fx, "lvm", "data", size="3G", fs="ext4")

# %% [markdown]
# ### Solution
#
# Try first! Then run these cells.

# %%
%fx lvcreate -L 2G -n data lvm
%fx mkfs.ext4 /dev/lvm/data
%fx lvextend -r -L 3G lvm/data

# %%
seminar.check_lv(fx, "lvm", "data", size="3G", fs="ext4")

# %% [markdown]
# Next: **02-xen**, where these LVs become the disks of virtual machines.
