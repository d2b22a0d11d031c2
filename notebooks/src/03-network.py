# %% [markdown]
# # 03 · The network: bridges and VLANs
#
# **In this notebook you will learn**
#
# 1. why fx needs bridges, and what a domU's network card is made of;
# 2. to read `brctl show`;
# 3. how VLANs let one cable carry separate networks, and keep domUs apart;
# 4. to read fx's network diagram, and answer "which domU reaches which network";
# 5. to give a domU access to one more network.

# %%
from fxkit import seminar

fx = seminar.start()
%load_ext fxkit.magics
%matplotlib inline

# %% [markdown]
# ## Why bridges
#
# A domU's network card is virtual. It has two ends:
#
# * inside the guest, an ordinary `eth0`, `eth1`...;
# * in dom0, an interface named **`vifDOMID.N`**: `vif3.1` is card number 1 (the
#   second) of the domain with ID 3.
#
# Something must connect these vifs to the real network cards of fx. That is a
# **bridge**: a switch made of software, inside dom0. Plug the uplink (a real card)
# and some vifs into the same bridge, and those domUs are on that network, exactly
# as if their cables went into one switch.
#
# fx has three bridges, `xenbr0` to `xenbr2`. `brctl show` lists each with its ports:

# %%
%fx brctl show

# %% [markdown]
# Read it by bridge: `xenbr0` has the real card `eth0` and the vifs of domains 1, 2
# and 3; `xenbr2` has `eth1` and two vifs. Which domain is which ID?

# %%
%fx xl list

# %% [markdown]
# So `vif1.2` is `titanic`'s third card, on `xenbr2`. Compare with `titanic`'s config
# from notebook 02: its third `vif` line says `bridge=xenbr2`. When Xen starts a domU,
# it creates one vif per `vif` line and plugs it into the bridge the line names.

# %% [markdown]
# ## VLANs: several networks on one cable
#
# fx has two real cards: `eth0` to the school's backbone (the Cr@ns network), `eth1`
# to a FreeBox (an ADSL box). But the school also runs a separate network, VLAN 42,
# on the same cable as the backbone: its frames carry a *tag* with the number 42
# (IEEE 802.1Q). Linux splits them off into a sub-interface, `eth0.42`:

# %%
%fx ip -br link

# %% [markdown]
# `eth0.42@eth0` is VLAN 42, on top of `eth0`. It is the uplink of its own bridge,
# `xenbr1`, as dom0's network configuration says:

# %%
%fx cat /etc/network/interfaces.d/xenbr1

# %% [markdown]
# Frames tagged 42 go to `xenbr1` only; untagged ones to `xenbr0` only. A domU on
# `xenbr0` alone never sees VLAN 42. This is how fx keeps domUs apart: **a domU
# reaches exactly the networks of the bridges its vifs are plugged into**. Not every
# domU gets the FreeBox: only those with a vif on `xenbr2`.

# %% [markdown]
# ## The diagram
#
# fxkit draws the same picture from these facts. Read it from left to right:
# external networks (red), fx's real cards (blue), VLAN sub-interfaces and vifs
# (dotted: virtual), bridges (yellow), then each domU with the cards it sees (green).

# %%
from fxkit import topology, viz

topo = topology.read_topology(fx)
viz.draw_topology(topo)

# %% [markdown]
# To find what a domU reaches, follow its cards to the left: card, vif, bridge,
# uplink, external network. fxkit does that walk for you:

# %%
for domu in sorted(topo.domus):
    print(f"{domu:<8} reaches {', '.join(topo.reaches(domu))}")

# %%
print("the FreeBox is reached by:", ", ".join(topo.who_reaches("FreeBox")))

# %% [markdown]
# ## Try it: the network explorer
#
# Pick a domU: the diagram keeps only its way out.

# %%
from fxkit.widgets import NetExplorer

NetExplorer(fx, domu="web")

# %% [markdown]
# ## Bridges in use are not deleted
#
# Deleting a bridge cuts every domU plugged into it. fxkit's plan for it checks both
# the running vifs and the domU configs (a stopped domU would lose its network at
# its next start):

# %%
from fxkit.net import plan_bridge_delete, read_net
from fxkit.xen import read_xen

with seminar.expect_refusal():
    plan_bridge_delete(read_net(fx), "xenbr2", configs=read_xen(fx).configs)

# %% [markdown]
# ## Exercises
#
# **1.** Which domUs reach VLAN 42? Answer with a Python set of names, like
# `{"a", "b"}`. Use the diagram or `brctl show`.

# %%
answer_vlan42 = None

# %%
seminar.check_answer(answer_vlan42, set(topo.who_reaches("VLAN 42")),
                     question="domUs on VLAN 42")

# %% [markdown]
# **2.** The name server `ns` must now also answer on VLAN 42. Give it a second
# card on the right bridge (edit `/etc/xen/ns.cfg`: add a `vif` entry), and restart
# it so that Xen plugs the new vif in. Check that it reaches VLAN 42, and still the
# backbone.
#
# Hint: `DomainConfig` from notebook 02; `cfg.get("vif")` is the list of vif
# entries; `fxkit.xen.stable_mac("ns", 1)` gives a MAC for card 1.

# %%
# your commands here


# %%
seminar.check_reaches(fx, "ns", "VLAN 42")

# %% [markdown]
# ### Solution
#
# Try first! Then run these cells.

# %%
answer_vlan42 = {"titanic"}     # only titanic has a vif on xenbr1 (vif1.1)
print(seminar.check_answer(answer_vlan42, set(topo.who_reaches("VLAN 42")),
                           question="domUs on VLAN 42"))

# %%
from fxkit.xen import DomainConfig, stable_mac

cfg = DomainConfig.parse(fx.read_file("/etc/xen/ns.cfg"), "/etc/xen/ns.cfg")
cfg.set("vif", [*cfg.get("vif"), f"mac={stable_mac('ns', 1)}, bridge=xenbr1"])
fx.write_file("/etc/xen/ns.cfg", cfg.render())
%fx cat /etc/xen/ns.cfg

# %%
%fx xl shutdown -w ns
%fx xl create /etc/xen/ns.cfg

# %%
print(seminar.check_reaches(fx, "ns", "VLAN 42"))
print(seminar.check_reaches(fx, "ns", "Backbone"))

# %% [markdown]
# Next: **04-exercise**, a whole new domU from nothing.
