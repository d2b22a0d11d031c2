# %% [markdown]
# # 00 · Welcome to fx
#
# This course teaches you how **fx** works: one physical server that runs many
# small virtual servers. You learn it by doing, on a *lab* that answers exactly
# like fx does, and that you cannot break.
#
# **In this notebook you will learn**
#
# 1. how to use these notebooks and the `%fx` command;
# 2. what hardware fx is made of, and how its disk is split;
# 3. what runs where: the hypervisor, dom0, the domUs;
# 4. how the lab relates to the real fx;
# 5. the French words you will hear from older admins (the course began as a talk in French, in 2007).

# %% [markdown]
# ## How to use these notebooks
#
# * Run a cell with **Shift+Enter**. Run them in order, top to bottom.
# * Each notebook starts by resetting the lab: you always begin from the same fx.
#   If you get lost, run the first code cell again.
# * `%fx COMMAND` runs one command on the lab and prints it as a terminal would,
#   starting with a `$ COMMAND` line. If the command fails, the cell stops with an error,
#   like a script run with `set -e`.
# * The Python objects (`fx`, plans, widgets) come from **fxkit**, the library the
#   admins use for real maintenance.
# * Each notebook ends with exercises. A `check()` cell tells you whether the lab is
#   now as the exercise asks; a *Solution* section follows, for when you are stuck.

# %%
from fxkit import seminar

fx = seminar.start()        # a fresh copy of fx, for you alone
%load_ext fxkit.magics
%matplotlib inline

# %% [markdown]
# `seminar.start()` resets the lab (`fxkit.lab.reset("fx")`) and connects to it
# (`fxkit.connect("lab")`). `fx` is a *host*: fxkit runs commands on it and reads
# their output. `%fx` uses the same host. Try a first command: which system answers?

# %%
%fx uname -a

# %% [markdown]
# ## The hardware
#
# fx is an HP server bought in 2007:
#
# | part | what fx has |
# |---|---|
# | processors | two Intel Xeon E5345, four cores each (8 cores), with Intel's virtualisation extensions (VT) |
# | memory | 4 GB |
# | disks | two 67 GB disks mirrored (RAID1) by an HP Smart Array controller: the system sees **one** 67 GB disk, `/dev/cciss/c0d0` |
# | partitions | `c0d0p1`: 855 MB for `/boot`; `c0d0p2`: the rest, given to LVM |
#
# Mirroring means every block is written to both disks: one disk can die and fx
# keeps running. It does *not* protect you from deleting the wrong thing; that is
# what the care in the next notebooks is for.
#
# Let us check what the lab says. Xen's own summary of the machine:

# %%
from fxkit.xen import read_xen

info = read_xen(fx).info
print(f"CPUs seen by Xen : {info.nr_cpus} ({info.fields['cores_per_socket']} cores per socket)")
print(f"hardware virt.   : {info.fields['virt_caps']}")
print(f"memory           : {info.total_memory} MiB in all, {info.free_memory} MiB free")

# %% [markdown]
# `virt_caps: hvm` says the processors have VT: fx can run unmodified systems as
# guests (notebook 02 explains). The memory dom0 sees for itself is smaller:

# %%
%fx free -m

# %% [markdown]
# And how the disk is used, from dom0's `/etc/fstab`: `/boot` on the first
# partition, everything else on LVM volumes (`/dev/mapper/lvm-...`):

# %%
%fx cat /etc/fstab

# %% [markdown]
# ## What runs where
#
# ```
#  ┌────────────┐ ┌────────────┐ ┌────────────┐
#  │ domU       │ │ domU       │ │ domU       │   guests: each a complete Debian,
#  │ titanic    │ │ ns         │ │ web        │   with its own disks and network cards
#  └─────┬──────┘ └─────┬──────┘ └─────┬──────┘
#  ┌─────┴──────────────┴──────────────┴──────┐
#  │ dom0: Debian, the admin tools (xl, lvm,  │   the privileged domain: you log in here
#  │ brctl), the disk and network drivers     │
#  ├──────────────────────────────────────────┤
#  │ Xen hypervisor                           │   shares CPUs and memory between domains
#  ├──────────────────────────────────────────┤
#  │ hardware: 8 cores, 4 GB, RAID1 disk, NICs│
#  └──────────────────────────────────────────┘
# ```
#
# * The **hypervisor** (Xen) starts first and owns the CPUs and the memory.
# * **dom0** is the first domain it starts. It is privileged: it drives the disks
#   and network cards, and runs the tools that create the other domains.
# * The **domUs** are the guests: the servers people actually use. Their disks are
#   LVM volumes in dom0 (notebook 01), their network cards are plugged into bridges
#   in dom0 (notebook 03).
#
# The domains running now:

# %%
%fx xl list

# %% [markdown]
# ## The lab and the real fx
#
# | | the lab | the real fx |
# |---|---|---|
# | what it is | a simulation inside fxkit (`fxkit.connect("lab")`) | the server itself, over SSH |
# | commands | `lvs`, `xl`, `brctl`, `ip`... answer with the real tools' text and exit codes | the real tools |
# | mistakes | harmless: `seminar.start()` gives you a fresh copy | real: data can be lost |
# | used for | this course, tests, trying a runbook first | maintenance, with runbooks (notebook 05) |
#
# The same fxkit code works on both: only the host changes
# (`fxkit.connect("lab")` or `fxkit.connect("ssh://admin@fx")`).
# `%fx_host` shows which host `%fx` uses:

# %%
%fx_host

# %% [markdown]
# ## Glossary (*glossaire*)
#
# The words of the original talk, and the ones used in this course:

# %%
seminar.glossary()

# %% [markdown]
# ## Exercises
#
# **1.** How many CPUs (cores) does Xen have to share between the domains?
# Find it in the outputs above, or with a command, and write the number.

# %%
answer_cpus = None    # replace None by your answer

# %%
seminar.check_answer(answer_cpus, info.nr_cpus, question="CPUs Xen shares")

# %% [markdown]
# **2.** How much memory (MiB) does dom0 (`Domain-0`) have? Use `%fx xl list`.

# %%
answer_dom0_mem = None    # replace None by your answer

# %%
seminar.check_answer(answer_dom0_mem, read_xen(fx).domain("Domain-0").memory,
                     question="dom0's memory in MiB")

# %% [markdown]
# ### Solution
#
# Try first! Then run these cells: the checks should now pass.

# %%
answer_cpus = 8            # nr_cpus in the Xen summary; 2 processors x 4 cores
answer_dom0_mem = 512      # the Mem column of Domain-0 in `xl list`
print(seminar.check_answer(answer_cpus, info.nr_cpus, question="CPUs Xen shares"))
print(seminar.check_answer(answer_dom0_mem, read_xen(fx).domain("Domain-0").memory,
                           question="dom0's memory in MiB"))

# %% [markdown]
# Next: **01-lvm**, where the domUs' disks come from.
