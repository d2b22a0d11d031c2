# %% [markdown]
# # 04 · Guided exercise: a new domU from nothing
#
# The school needs a mail server. You will build it as a domU called `mail`, step
# by step, with what notebooks 01 to 03 taught, then verify the whole host with
# fxkit's **doctor**. At the end, you build a second one on your own.
#
# **In this notebook you will**
#
# 1. check there is room for it (disk and memory);
# 2. make its disks: two LVs, a filesystem and a swap area;
# 3. write its config file, choosing its bridges;
# 4. start it and look at it;
# 5. verify the host with `doctor`;
# 6. do it all again, alone, for a `wiki` server, with one fxkit plan.
#
# The `mail` server: 256 MiB of memory, 1 vcpu, a 4 GiB root disk, 512 MiB of swap,
# on the backbone (`xenbr0`) and the FreeBox (`xenbr2`).

# %%
from fxkit import seminar

fx = seminar.start()
%load_ext fxkit.magics
%matplotlib inline

# %% [markdown]
# ## Step 1: is there room?
#
# Disk: the VG must have at least 4.5 GiB free. Memory: Xen must have 256 MiB
# that no domain uses yet.

# %%
%fx vgs

# %%
from fxkit.xen import read_xen

print("memory Xen can still give:", read_xen(fx).info.free_memory, "MiB")

# %% [markdown]
# ## Step 2: the disks
#
# Two LVs, named after the domU as on the rest of fx: `mail-root` and `mail-swap`.

# %%
%fx lvcreate -L 4G -n mail-root lvm
%fx lvcreate -L 512M -n mail-swap lvm

# %% [markdown]
# The root disk gets an ext4 filesystem (the installer of the guest fills it later),
# the other becomes swap space:

# %%
%fx mkfs.ext4 /dev/lvm/mail-root

# %%
%fx mkswap /dev/lvm/mail-swap

# %%
print(seminar.check_lv(fx, "lvm", "mail-root", size="4G", fs="ext4"))
print(seminar.check_lv(fx, "lvm", "mail-swap", size="512M", fs="swap"))

# %% [markdown]
# ## Step 3: the config file
#
# Like `titanic`'s, with our values. Each network card needs a MAC address that no
# other card on the network has. Xen's own prefix is `00:16:3e`; fxkit derives the
# rest from the domU's name and the card's number, so it is always the same:

# %%
from fxkit.xen import stable_mac

macs = [stable_mac("mail", 0), stable_mac("mail", 1)]
macs

# %% [markdown]
# The bridges must exist (`brctl show` in notebook 03): `xenbr0` for the backbone,
# `xenbr2` for the FreeBox. The disks are the new LVs, seen by the guest as `xvda1`
# and `xvda2`.

# %%
config = f"""# mail: the school's mail server
kernel = "/boot/vmlinuz-2.6.18-5-xen-amd64"
ramdisk = "/boot/initrd.img-2.6.18-5-xen-amd64"
memory = 256
vcpus = 1
name = "mail"
root = "/dev/xvda1 ro"
vif = [ 'mac={macs[0]}, bridge=xenbr0', 'mac={macs[1]}, bridge=xenbr2' ]
disk = [ 'phy:/dev/lvm/mail-root,xvda1,w', 'phy:/dev/lvm/mail-swap,xvda2,w' ]
"""
fx.write_file("/etc/xen/mail.cfg", config)
%fx cat /etc/xen/mail.cfg

# %% [markdown]
# fxkit parses it as Xen will. A typo (a missing quote, a bridge name that does
# not exist) is better caught now than by `xl create`:

# %%
from fxkit.xen import DomainConfig

cfg = DomainConfig.parse(fx.read_file("/etc/xen/mail.cfg"), "/etc/xen/mail.cfg")
print([v.bridge for v in cfg.vifs], [d.target for d in cfg.disks])

# %% [markdown]
# ## Step 4: start it

# %%
%fx xl create /etc/xen/mail.cfg

# %%
%fx xl list

# %%
%fx xl console mail

# %% [markdown]
# Its vifs appeared on the bridges, so it reaches the backbone and the FreeBox:

# %%
print(seminar.check_domu(fx, "mail", memory=256, bridges=["xenbr0", "xenbr2"]))
print(seminar.check_reaches(fx, "mail", "Backbone"))
print(seminar.check_reaches(fx, "mail", "FreeBox"))

# %% [markdown]
# ## Step 5: the doctor
#
# `doctor` reads LVM, Xen and the network together and looks for what does not fit:
# an LV used by two domUs, a config naming a missing LV or bridge, a MAC used twice,
# more memory promised than fx has, an LV no domU uses... Each finding comes with a fix.

# %%
from fxkit import doctor

findings = doctor.run_doctor(fx)
for finding in findings:
    print(finding)
print(len(findings), "finding(s)")

# %%
seminar.check_doctor(fx)

# %% [markdown]
# ## Step 6: on your own
#
# Build a `wiki` server: 128 MiB, root disk 2 GiB, swap 256 MiB, on the **backbone
# only** (it must not reach the FreeBox). Use whatever you prefer:
#
# * `%fx` commands, as above;
# * the domU builder below (fill it in, **Plan**, read, tick, **Apply**);
# * or an fxkit plan in Python: `plan_domu_create(read_domu_facts(fx), DomuSpec("wiki", ...))`
#   from `fxkit.xen` (look at `DomuSpec`'s fields with `help(DomuSpec)`).

# %%
from fxkit.widgets import DomuBuilder

DomuBuilder(fx, name="wiki")

# %%
# your commands here


# %%
print(seminar.check_domu(fx, "wiki", memory=128, bridges=["xenbr0"]))
print(seminar.check_lv(fx, "lvm", "wiki-root", size="2G", fs="ext4"))
print(seminar.check_reaches(fx, "wiki", "FreeBox", reaches=False))
print(seminar.check_doctor(fx))

# %% [markdown]
# ### Solution
#
# Try first! One plan does every step: the LVs and their filesystems, the config,
# the start, and a check. It is shown before anything runs.

# %%
from fxkit.xen import DomuSpec, plan_domu_create, read_domu_facts

spec = DomuSpec("wiki", memory=128, root_size="2G", swap_size="256M", bridges=("xenbr0",))
plan = plan_domu_create(read_domu_facts(fx), spec)
plan

# %%
print(plan.apply(fx))

# %% [markdown]
# Applying it again changes nothing: the plan reads the facts first, and there is
# nothing left to do.

# %%
plan_domu_create(read_domu_facts(fx), spec)

# %%
print(seminar.check_domu(fx, "wiki", memory=128, bridges=["xenbr0"]))
print(seminar.check_lv(fx, "lvm", "wiki-root", size="2G", fs="ext4"))
print(seminar.check_reaches(fx, "wiki", "FreeBox", reaches=False))
print(seminar.check_doctor(fx))

# %% [markdown]
# Next: **05-runbooks**, where the same plans run on the real fx, with a record.
