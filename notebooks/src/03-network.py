# %% [markdown] tags=["lang-en"]
# # 03 · The network: bridges and VLANs
#
# *About 40 minutes.*
#
# **In this notebook you will learn**
#
# 1. why fx needs bridges, and what a domU's network card is made of;
# 2. to read `brctl show`, and what the seminar's MAC addresses say;
# 3. how VLANs let one cable carry separate networks, and keep domUs apart;
# 4. to read fx's network diagram, and answer "which domU reaches which network";
# 5. to give a domU access to one more network.

# %% [markdown] tags=["lang-fr"]
# # 03 · Le réseau : ponts et VLAN
#
# *Environ 40 minutes.*
#
# **Dans ce notebook, vous apprendrez**
#
# 1. pourquoi fx a besoin de ponts, et de quoi est faite la carte réseau d'un domU ;
# 2. à lire `brctl show`, et ce que disent les adresses MAC du séminaire ;
# 3. comment les VLAN font passer des réseaux séparés sur un même câble, et isolent les
#    domU ;
# 4. à lire le schéma réseau de fx, et répondre à « quel domU atteint quel réseau » ;
# 5. à donner à un domU l'accès à un réseau de plus.

# %% tags=["lang-en"]
from fxkit import seminar

fx = seminar.start(lang="en", notebook="03")
# your lab, as you left it; lost? seminar.reset_to("03") starts this notebook again
%load_ext fxkit.magics
%matplotlib inline

# %% tags=["lang-fr"]
from fxkit import seminar

fx = seminar.start(lang="fr", notebook="03")
# votre lab, tel que vous l'avez laissé ; perdu ? seminar.reset_to("03") reprend ce notebook au début
%load_ext fxkit.magics
%matplotlib inline

# %% [markdown] tags=["lang-en"]
# ## Why bridges
#
# A domU's network card is virtual. It has two ends:
#
# * inside the guest, an ordinary `eth0`, `eth1`... (the talk's *real interface on the
#   domU*);
# * in dom0, an interface named **`vifDOMID.N`**: `vif3.1` is card number 1 (the
#   second) of the domain with ID 3 (the talk's *virtual interface on fx*).
#
# Something must connect these vifs to the real network cards of fx. That is a
# **bridge**: a switch made of software (the talk's *switch logiciel*), inside dom0.
# Plug the uplink (a real card) and some vifs into the same bridge, and those domUs are
# on that network, exactly as if their cables went into one switch.
#
# fx has three bridges, `xenbr0` to `xenbr2`. `brctl show` lists each with its ports:

# %% [markdown] tags=["lang-fr"]
# ## Pourquoi des ponts
#
# La carte réseau d'un domU est virtuelle. Elle a deux bouts :
#
# * dans l'invité, un `eth0`, `eth1`... ordinaire (l'*interface réelle sur le domU* de la
#   présentation) ;
# * dans le dom0, une interface nommée **`vifDOMID.N`** : `vif3.1` est la carte numéro 1
#   (la deuxième) du domaine d'ID 3 (l'*interface virtuelle sur fx* de la présentation).
#
# Il faut relier ces vifs aux vraies cartes réseau de fx. C'est le rôle du **pont** : un
# switch logiciel, dans le dom0. Branchez la liaison montante (une vraie carte) et des
# vifs sur le même pont, et ces domU sont sur ce réseau, exactement comme si leurs câbles
# allaient dans un même switch.
#
# fx a trois ponts, de `xenbr0` à `xenbr2`. `brctl show` les liste avec leurs ports :

# %%
%fx brctl show

# %% [markdown] tags=["lang-en"]
# Read it by bridge: `xenbr0` has the real card `eth0` and the vifs of domains 1, 2
# and 3; `xenbr2` has `eth1` and two vifs. Which domain is which ID?

# %% [markdown] tags=["lang-fr"]
# Lisez-le pont par pont : `xenbr0` a la vraie carte `eth0` et les vifs des domaines 1,
# 2 et 3 ; `xenbr2` a `eth1` et deux vifs. Quel domaine a quel ID ?

# %%
%fx xl list

# %% [markdown] tags=["lang-en"]
# So `vif1.2` is `titanic`'s third card, on `xenbr2`. Compare with `titanic`'s config
# from notebook 02: its third `vif` line says `bridge=xenbr2`. When Xen starts a domU,
# it creates one vif per `vif` line and plugs it into the bridge the line names.

# %% [markdown] tags=["lang-fr"]
# `vif1.2` est donc la troisième carte de `titanic`, sur `xenbr2`. Comparez avec la
# configuration de `titanic` du notebook 02 : sa troisième ligne `vif` dit
# `bridge=xenbr2`. Quand Xen démarre un domU, il crée une vif par ligne `vif` et la
# branche sur le pont que la ligne nomme.

# %% [markdown] tags=["lang-en"]
# ## The seminar's MAC addresses
#
# A network card has a MAC address, six bytes, unique on its network. `titanic`'s three
# cards have `aa:73:65:63:6f:75`, `...:76` and `...:77`, chosen by hand in 2007:
#
# * the first byte, `aa` = `1010 1010` in binary, ends in `10`: its last bit is 0, so the
#   address is *unicast* (one card, not a group); the bit before is 1, so it is *locally
#   administered*: made up by an admin, not burnt in by a manufacturer, so it can never
#   clash with a real card's;
# * the next bytes are ASCII letters: `73 65 63 6f` spell `seco`, and the last byte
#   counts the cards from `75` (`u`): `secou`, `secov`, `secow`. *secou...*: the rescue
#   machine (*secours*) that `titanic` once was.
#
# The other domUs *(lab)* use Xen's prefix `00:16:3e`, a block of addresses Xen's
# makers bought for their guests; `fxkit.xen.stable_mac` derives the rest from the
# domU's name.

# %% [markdown] tags=["lang-fr"]
# ## Les adresses MAC du séminaire
#
# Une carte réseau a une adresse MAC, six octets, unique sur son réseau. Les trois cartes
# de `titanic` ont `aa:73:65:63:6f:75`, `...:76` et `...:77`, choisies à la main en 2007 :
#
# * le premier octet, `aa` = `1010 1010` en binaire, finit par `10` : son dernier bit vaut
#   0, l'adresse est donc *unicast* (une carte, pas un groupe) ; le bit d'avant vaut 1,
#   elle est *administrée localement* : inventée par un admin, pas gravée par un
#   fabricant, elle ne peut donc jamais heurter celle d'une vraie carte ;
# * les octets suivants sont des lettres ASCII : `73 65 63 6f` s'écrit `seco`, et le
#   dernier octet compte les cartes à partir de `75` (`u`) : `secou`, `secov`, `secow`.
#   *secou...* : la machine de secours que `titanic` a été.
#
# Les autres domU *(lab)* utilisent le préfixe de Xen, `00:16:3e`, un bloc d'adresses
# acheté par les auteurs de Xen pour leurs invités ; `fxkit.xen.stable_mac` tire le reste
# du nom du domU.

# %%
from fxkit.xen import DomainConfig

titanic = DomainConfig.parse(fx.read_file("/etc/xen/titanic.cfg"))
for vif in titanic.vifs:
    octets = vif.mac.split(":")
    first = int(octets[0], 16)
    print(vif.mac, f"{first:08b}", bytes.fromhex("".join(octets[1:])).decode("ascii"))

# %% [markdown] tags=["lang-en"]
# ## VLANs: several networks on one cable
#
# fx has two real cards: `eth0` to the school's backbone (the Cr@ns network), `eth1`
# to a FreeBox (an ADSL box). The 2007 talk says bridges also keep VLANs apart (not
# every domU gets the FreeBox); the lab gives that a concrete case *(lab)*: the school
# also runs a separate network, VLAN 42, on the same cable as the backbone. Its frames
# carry a *tag* with the number 42 (IEEE 802.1Q). Linux splits them off into a
# sub-interface, `eth0.42`:

# %% [markdown] tags=["lang-fr"]
# ## Les VLAN : plusieurs réseaux sur un câble
#
# fx a deux vraies cartes : `eth0` vers le backbone de l'école (le réseau du Cr@ns),
# `eth1` vers une FreeBox (une box ADSL). La présentation de 2007 dit que les ponts
# séparent aussi les VLAN (tous les domU n'ont pas la FreeBox) ; le lab en donne un cas
# concret *(lab)* : l'école fait aussi passer un réseau séparé, le VLAN 42, sur le même
# câble que le backbone. Ses trames portent une *étiquette* au numéro 42 (IEEE 802.1Q).
# Linux les sépare dans une sous-interface, `eth0.42` :

# %%
%fx ip -br link

# %% [markdown] tags=["lang-en"]
# `eth0.42@eth0` is VLAN 42, on top of `eth0`. It is the uplink of its own bridge,
# `xenbr1`, as dom0's network configuration says:

# %% [markdown] tags=["lang-fr"]
# `eth0.42@eth0`, c'est le VLAN 42, au-dessus d'`eth0`. C'est la liaison montante de son
# propre pont, `xenbr1`, comme le dit la configuration réseau du dom0 :

# %%
%fx cat /etc/network/interfaces.d/xenbr1

# %% [markdown] tags=["lang-en"]
# Frames tagged 42 go to `xenbr1` only; untagged ones to `xenbr0` only. A domU on
# `xenbr0` alone never sees VLAN 42. This is how fx keeps domUs apart: **a domU
# reaches exactly the networks of the bridges its vifs are plugged into**. Not every
# domU gets the FreeBox: only those with a vif on `xenbr2`.

# %% [markdown] tags=["lang-fr"]
# Les trames marquées 42 vont à `xenbr1` seulement ; les autres à `xenbr0` seulement. Un
# domU branché sur `xenbr0` seul ne voit jamais le VLAN 42. C'est ainsi que fx isole les
# domU : **un domU atteint exactement les réseaux des ponts où ses vifs sont
# branchées**. Tous les domU n'ont pas la FreeBox : seulement ceux qui ont une vif sur
# `xenbr2`.

# %% [markdown] tags=["lang-en"]
# > **2007 / today.** In 2007, xend made the bridges itself: its script
# > `network-bridge`, named in `xend-config.sxp`, renamed `eth0` to `peth0` at start-up,
# > created `xenbr0` in its place, and left the network half-configured when it failed.
# > Today `xl` has no daemon and makes no bridge: the distribution's network configuration
# > does (`/etc/network/interfaces` with `bridge_ports`, as above), and Xen's
# > `vif-bridge` script only plugs each new vif into the bridge its `vif` line names.
# > `brctl` (bridge-utils) still works; `ip link` and `bridge` (iproute2) are its
# > successors.

# %% [markdown] tags=["lang-fr"]
# > **2007 / aujourd'hui.** En 2007, xend fabriquait les ponts lui-même : son script
# > `network-bridge`, nommé dans `xend-config.sxp`, renommait `eth0` en `peth0` au
# > démarrage, créait `xenbr0` à sa place, et laissait le réseau à moitié configuré quand
# > il échouait. Aujourd'hui `xl` n'a pas de démon et ne crée aucun pont : c'est la
# > configuration réseau de la distribution (`/etc/network/interfaces` avec
# > `bridge_ports`, comme ci-dessus), et le script `vif-bridge` de Xen se contente de
# > brancher chaque nouvelle vif sur le pont que nomme sa ligne `vif`. `brctl`
# > (bridge-utils) marche encore ; `ip link` et `bridge` (iproute2) lui succèdent.

# %% [markdown] tags=["lang-en"]
# ## The diagram
#
# fxkit draws the talk's picture from these facts. Read it from left to right:
# external networks (red), fx's real cards (blue), VLAN sub-interfaces and vifs
# (dotted: virtual), bridges (yellow), then each domU with the cards it sees (green).

# %% [markdown] tags=["lang-fr"]
# ## Le schéma
#
# fxkit dessine le schéma de la présentation à partir de ces faits. Lisez-le de gauche à
# droite : réseaux externes (rouge), vraies cartes de fx (bleu), sous-interfaces VLAN et
# vifs (pointillés : virtuelles), ponts (jaune), puis chaque domU avec les cartes qu'il
# voit (vert).

# %%
from fxkit import topology, viz

topo = topology.read_topology(fx)
viz.draw_topology(topo)

# %% [markdown] tags=["lang-en"]
# To find what a domU reaches, follow its cards to the left: card, vif, bridge,
# uplink, external network. fxkit does that walk for you:

# %% [markdown] tags=["lang-fr"]
# Pour savoir ce qu'atteint un domU, suivez ses cartes vers la gauche : carte, vif, pont,
# liaison montante, réseau externe. fxkit fait ce chemin pour vous :

# %%
for domu in sorted(topo.domus):
    print(f"{domu:<8} -> {', '.join(topo.reaches(domu))}")

# %%
topo.who_reaches("FreeBox")

# %% [markdown] tags=["lang-en"]
# ## Try it: the network explorer
#
# Pick a domU: the diagram keeps only its way out.

# %% [markdown] tags=["lang-fr"]
# ## À vous : l'explorateur réseau
#
# Choisissez un domU : le schéma ne garde que son chemin vers l'extérieur.

# %%
from fxkit.widgets import NetExplorer

NetExplorer(fx, domu="web")

# %% [markdown] tags=["lang-en"]
# ## Bridges in use are not deleted
#
# Deleting a bridge cuts every domU plugged into it. fxkit's plan for it checks both
# the running vifs and the domU configs (a stopped domU would lose its network at
# its next start):

# %% [markdown] tags=["lang-fr"]
# ## On ne supprime pas un pont utilisé
#
# Supprimer un pont coupe tous les domU qui y sont branchés. Le plan de fxkit vérifie à
# la fois les vifs en service et les configurations des domU (un domU arrêté perdrait son
# réseau au prochain démarrage) :

# %%
from fxkit.net import plan_bridge_delete, read_net
from fxkit.xen import read_xen

with seminar.expect_refusal():
    plan_bridge_delete(read_net(fx), "xenbr2", configs=read_xen(fx).configs)

# %% [markdown] tags=["lang-en"]
# ## Exercises
#
# **1.** Which domUs reach VLAN 42 **now**, among the running ones? (A stopped domU has
# no vif, so it reaches nothing, whatever its config says.) Answer with a Python set of
# names, like `{"a", "b"}`. Use the diagram or `brctl show`.

# %% [markdown] tags=["lang-fr"]
# ## Exercices
#
# **1.** Quels domU atteignent le VLAN 42 **maintenant**, parmi ceux qui tournent ? (Un
# domU arrêté n'a pas de vif, il n'atteint donc rien, quoi que dise sa configuration.)
# Répondez par un ensemble Python de noms, comme `{"a", "b"}`. Servez-vous du schéma ou
# de `brctl show`.

# %%
answer_vlan42 = None

# %%
seminar.check_answer(answer_vlan42, set(topo.who_reaches("VLAN 42")), question="vlan42")

# %% [markdown] tags=["lang-en"]
# **2.** The name server `ns` must now also answer on VLAN 42. Give it a second
# card on the right bridge (edit `/etc/xen/ns.cfg`: add a `vif` entry), and restart
# it so that Xen plugs the new vif in. Check that it reaches VLAN 42, and still the
# backbone.
#
# Hint: `DomainConfig` from notebook 02; `cfg.get("vif")` is the list of vif
# entries; `fxkit.xen.stable_mac("ns", 1)` gives a MAC for card 1.

# %% [markdown] tags=["lang-fr"]
# **2.** Le serveur de noms `ns` doit désormais répondre aussi sur le VLAN 42.
# Donnez-lui une deuxième carte sur le bon pont (modifiez `/etc/xen/ns.cfg` : ajoutez une
# entrée `vif`), et redémarrez-le pour que Xen branche la nouvelle vif. Vérifiez qu'il
# atteint le VLAN 42, et toujours le backbone.
#
# Indice : `DomainConfig` du notebook 02 ; `cfg.get("vif")` est la liste des entrées vif ;
# `fxkit.xen.stable_mac("ns", 1)` donne une MAC pour la carte 1.

# %%
# your commands here / vos commandes ici


# %%
seminar.check_reaches(fx, "ns", "VLAN 42")

# %% [markdown] tags=["lang-en", "solution"]
# ### Solution
#
# Try first! Then run these cells.

# %% [markdown] tags=["lang-fr", "solution"]
# ### Solution
#
# Cherchez d'abord ! Puis lancez ces cellules.

# %% tags=["solution"]
answer_vlan42 = {"titanic"}     # only titanic has a vif on xenbr1 (vif1.1); backup stopped
print(seminar.check_answer(answer_vlan42, set(topo.who_reaches("VLAN 42")),
                           question="vlan42"))

# %% tags=["solution"]
from fxkit.xen import DomainConfig, stable_mac

cfg = DomainConfig.parse(fx.read_file("/etc/xen/ns.cfg"), "/etc/xen/ns.cfg")
if "xenbr1" not in [v.bridge for v in cfg.vifs]:      # not twice, if run again
    cfg.set("vif", [*cfg.get("vif"), f"mac={stable_mac('ns', 1)}, bridge=xenbr1"])
    fx.write_file("/etc/xen/ns.cfg", cfg.render())
%fx cat /etc/xen/ns.cfg

# %% tags=["solution"]
# Restart ns, whether it runs or not (the plans do only what is needed).
from fxkit.xen import plan_domu_shutdown, plan_domu_start, read_domu_facts

print(plan_domu_shutdown(read_domu_facts(fx), "ns").apply(fx))
print(plan_domu_start(read_domu_facts(fx), "ns").apply(fx))

# %% tags=["solution"]
print(seminar.check_reaches(fx, "ns", "VLAN 42"))
print(seminar.check_reaches(fx, "ns", "Backbone"))

# %% [markdown] tags=["lang-en"]
# ## To remember
#
# * A domU's card is `ethN` in the guest and `vifDOMID.N` in dom0; the vif is plugged
#   into the bridge its `vif` line names.
# * A bridge is a software switch: a domU reaches exactly the networks of its bridges'
#   uplinks; a VLAN sub-interface (`eth0.42`) makes a separate network on one cable.
# * Only running domUs have vifs; a config change reaches the network at the next start.
# * Locally administered MACs have the second-lowest bit of the first byte set (`aa`,
#   `02`...); Xen's own prefix is `00:16:3e`.
#
# Next: **04-exercise**, a whole new domU from nothing.

# %% [markdown] tags=["lang-fr"]
# ## À retenir
#
# * La carte d'un domU est `ethN` dans l'invité et `vifDOMID.N` dans le dom0 ; la vif est
#   branchée sur le pont que nomme sa ligne `vif`.
# * Un pont est un switch logiciel : un domU atteint exactement les réseaux des liaisons
#   montantes de ses ponts ; une sous-interface VLAN (`eth0.42`) fait un réseau séparé sur
#   un seul câble.
# * Seuls les domU en marche ont des vifs ; un changement de configuration n'atteint le
#   réseau qu'au prochain démarrage.
# * Une MAC administrée localement a le deuxième bit de poids faible du premier octet à 1
#   (`aa`, `02`...) ; le préfixe propre à Xen est `00:16:3e`.
#
# Suite : **04-exercise**, un domU entier à partir de rien.
