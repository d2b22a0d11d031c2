# %% [markdown]
# # 02 · Xen: one machine, many servers
#
# **In this notebook you will learn**
#
# 1. what a hypervisor is, and what dom0 and the domUs are;
# 2. the two ways Xen runs a guest: paravirtualisation and hardware virtualisation;
# 3. the two toolstacks, `xm` (fx's, in 2007) and `xl` (today's);
# 4. to read a domU's config file line by line, with `titanic` as the example;
# 5. the lifecycle commands: create, console, list, shutdown, reboot, destroy.

# %%
from fxkit import seminar

fx = seminar.start()
%load_ext fxkit.magics
%matplotlib inline

# %% [markdown]
# ## The hypervisor, dom0 and the domUs
#
# Xen is a **hypervisor**: a small program, started by the boot loader before any
# operating system, that shares the processors and the memory between several
# isolated virtual machines, called **domains**. It came out of the University of
# Cambridge.
#
# * **dom0** (*domain zero*) is the first domain, started with the hypervisor. It is
#   **privileged**: it holds the real drivers for disks and network cards, and it runs
#   the tools that create, watch and stop the other domains. You log in to fx in dom0.
# * A **domU** (*unprivileged domain*) is a guest. It reaches only the hardware dom0
#   gives it: here, LVs as disks and bridge ports as network cards.
#
# The boot loader's entry shows the order: the hypervisor (`kernel /boot/xen...`), then
# dom0's Linux kernel as its first *module*:

# %%
%fx cat /boot/grub/menu.lst

# %% [markdown]
# ## Paravirtualisation and hardware virtualisation
#
# Xen runs guests in two ways:
#
# * **Paravirtualisation (PV)**, Xen's original way: the guest's kernel knows it runs on
#   Xen and asks the hypervisor directly for what it needs. It needs a Xen-aware kernel
#   (fx's domUs boot `vmlinuz-2.6.18-5-xen-amd64`), and is fast even without help from
#   the processor.
# * **Hardware virtualisation (HVM)**, since Xen 3.0: processors with Intel VT (or AMD's
#   equivalent, code-named *Pacifica*, now AMD-V) let an unmodified system run as a
#   guest, Windows included.
#
# fx's Xeons have VT, so fx can do both. Xen tells which it can run:

# %%
from fxkit.xen import read_xen

facts = read_xen(fx)
print("virt_caps:", facts.info.fields["virt_caps"])
print("xen_caps :", facts.info.fields["xen_caps"])

# %% [markdown]
# `xen-3.0-x86_64` is PV for 64-bit guests; the `hvm-3.0-...` entries are the hardware
# kinds. Each domain says which it is:

# %%
for d in facts.details:
    print(f"{d.name:<8} {d.type}")

# %% [markdown]
# ## `xm` and `xl`
#
# In 2007 fx was driven with **`xm`**, which talked to a daemon, `xend`. Xen 4.0
# introduced **`xl`**, which talks to the hypervisor through a library, without a
# daemon; it became the default in Xen 4.2, and `xm` and `xend` were removed in 4.5. The config files and most subcommands are the same, so what
# you learn works with both. The lab has both:

# %%
%fx xm list

# %%
%fx xl list

# %% [markdown]
# Columns: the domain's **name**, its **ID** (dom0 is always 0; every new start gets
# a new number), **Mem** in MiB, virtual CPUs, **State** (`r` running, `b` blocked,
# i.e. waiting for work, which is normal for an idle server, `p` paused, `s` shut down,
# `c` crashed), and CPU time used so far.

# %% [markdown]
# ## A config file, line by line
#
# A domU *is* its config file in `/etc/xen`. Here is `titanic`'s:

# %%
%fx cat /etc/xen/titanic.cfg

# %% [markdown]
# | setting | meaning |
# |---|---|
# | `kernel` | the guest's kernel, a file in **dom0**'s `/boot`: PV guests are booted by Xen directly |
# | `ramdisk` | its initial ramdisk, also from dom0 |
# | `memory` | memory given to the guest, in MiB |
# | `name` | the domain's name in `xl list`, unique on the host |
# | `root` | the kernel's root device *inside the guest* (`/dev/hda1`, read-only until init remounts it) |
# | `vif` | one entry per network card: its MAC address and the **bridge** in dom0 its port joins (notebook 03) |
# | `disk` | one entry per disk: `phy:` a block device of dom0, the device name the guest sees, `w` for writable |
#
# fxkit reads it the same way Xen does:

# %%
from fxkit.xen import DomainConfig

titanic = DomainConfig.parse(fx.read_file("/etc/xen/titanic.cfg"), "/etc/xen/titanic.cfg")
print("name   :", titanic.name, "| memory:", titanic.memory, "MiB | vcpus:", titanic.vcpus)
for n, vif in enumerate(titanic.vifs):
    print(f"vif {n}  : mac {vif.mac} on bridge {vif.bridge}")
for disk in titanic.disks:
    print(f"disk   : {disk.target} -> guest's {disk.vdev} ({disk.access})")

# %% [markdown]
# The disks are LVs from notebook 01, in their device-mapper names:
# `/dev/mapper/lvm-secours--root` is VG `lvm`, LV `secours-root` (the doubled dash
# is a dash inside the name). `titanic` once was the rescue machine, hence `secours`.

# %%
from fxkit.xen import lv_for_path

for disk in titanic.disks:
    print(disk.target, "->", "/".join(lv_for_path(disk.target)))

# %% [markdown]
# ## The lifecycle commands
#
# | command | what it does |
# |---|---|
# | `xl create FILE` | start a domU from its config file (`-c`: and attach to its console) |
# | `xl console NAME` | attach to a domU's console (leave with Ctrl+]) |
# | `xl list` | the running domains |
# | `xl shutdown NAME` | ask the guest to shut down cleanly (`-w`: wait until it has) |
# | `xl reboot NAME` | ask the guest to reboot (like Ctrl+Alt+Del) |
# | `xl destroy NAME` | pull the plug: immediate, the guest's filesystems are not unmounted |
#
# `backup` has a config file but is not running. Start it:

# %%
%fx xl create /etc/xen/backup.cfg

# %%
%fx xl list

# %% [markdown]
# Its console shows it booting. (The lab prints what the console holds and returns;
# on fx, `xl console` stays attached until you press Ctrl+].)

# %%
%fx xl console backup

# %% [markdown]
# A reboot keeps the name but gives a new domain ID:

# %%
%fx xl reboot ns

# %%
%fx xl list ns

# %% [markdown]
# Shut `backup` down again, waiting until it is gone:

# %%
%fx xl shutdown -w backup

# %% [markdown]
# fxkit has these steps as plans too, which check the facts first. Starting a domU
# that already runs is "nothing to do", not an error:

# %%
from fxkit.xen import plan_domu_start, read_domu_facts

plan_domu_start(read_domu_facts(fx), "titanic")

# %%
plan_domu_start(read_domu_facts(fx), "backup")

# %% [markdown]
# ## Exercises
#
# **1.** `web` needs a restart with more memory: shut it down (cleanly, waiting),
# change `memory` in `/etc/xen/web.cfg` to 384, and start it again.
#
# Hint: `fx.read_file(path)` and `fx.write_file(path, text)` read and write a file
# on the host; `DomainConfig` can change a setting and write the file back
# (`cfg.set("memory", 384)`, then `cfg.render()`).

# %%
# your commands here


# %%
seminar.check_domu(fx, "web", running=True, memory=384)

# %% [markdown]
# **2.** Is `web` a PV or an HVM guest? Write `"pv"` or `"hvm"`.

# %%
answer_web_type = None


def web_type(host):
    """The truth, for the check: web's type as the toolstack reports it."""
    return next(d.type for d in read_xen(host).details if d.name == "web")

# %%
seminar.check_answer(answer_web_type, web_type(fx),
                     question="web's kind of guest")

# %% [markdown]
# ### Solution
#
# Try first! Then run these cells.

# %%
%fx xl shutdown -w web
cfg = DomainConfig.parse(fx.read_file("/etc/xen/web.cfg"), "/etc/xen/web.cfg")
cfg.set("memory", 384)
fx.write_file("/etc/xen/web.cfg", cfg.render())
%fx xl create /etc/xen/web.cfg
answer_web_type = "pv"     # its config has a kernel= line, and xl list -l says "type": "pv"

# %%
print(seminar.check_domu(fx, "web", running=True, memory=384))
print(seminar.check_answer(answer_web_type, web_type(fx),
                           question="web's kind of guest"))

# %% [markdown]
# Next: **03-network**, where the `vif` lines lead.
