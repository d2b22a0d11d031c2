# %% [markdown] tags=["lang-en"]
# # 04 · Guided exercise: a new domU from nothing
#
# *About 45 minutes.*
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
# 6. see why a plan never builds over an existing domU without your say-so;
# 7. do it all again, alone, for a `wiki` server, with one fxkit plan.
#
# The `mail` server: 256 MiB of memory, 1 vcpu, a 4 GiB root disk, 512 MiB of swap,
# on the backbone (`xenbr0`) and the FreeBox (`xenbr2`).

# %% [markdown] tags=["lang-fr"]
# # 04 · Exercice guidé : un nouveau domU à partir de rien
#
# *Environ 45 minutes.*
#
# L'école a besoin d'un serveur de courrier. Vous allez le construire comme un domU
# nommé `mail`, pas à pas, avec ce qu'ont appris les notebooks 01 à 03, puis vérifier
# tout l'hôte avec le **doctor** de fxkit. À la fin, vous en construisez un second seul.
#
# **Dans ce notebook, vous allez**
#
# 1. vérifier qu'il y a la place (disque et mémoire) ;
# 2. faire ses disques : deux LV, un système de fichiers et un espace d'échange ;
# 3. écrire son fichier de configuration, en choisissant ses ponts ;
# 4. le démarrer et le regarder ;
# 5. vérifier l'hôte avec `doctor` ;
# 6. voir pourquoi un plan ne construit jamais par-dessus un domU existant sans votre
#    accord ;
# 7. tout refaire, seul, pour un serveur `wiki`, avec un seul plan fxkit.
#
# Le serveur `mail` : 256 Mio de mémoire, 1 vcpu, un disque racine de 4 Gio, 512 Mio de
# swap, sur le backbone (`xenbr0`) et la FreeBox (`xenbr2`).

# %% tags=["lang-en"]
from fxkit import seminar

fx = seminar.start(lang="en", notebook="04")
# your lab, as you left it; lost? seminar.reset_to("04") starts this notebook again
%load_ext fxkit.magics
%matplotlib inline

# %% tags=["lang-fr"]
from fxkit import seminar

fx = seminar.start(lang="fr", notebook="04")
# votre lab, tel que vous l'avez laissé ; perdu ? seminar.reset_to("04") reprend ce notebook au début
%load_ext fxkit.magics
%matplotlib inline

# %% [markdown] tags=["lang-en"]
# ## Step 1: is there room?
#
# Disk: the VG must have at least 4.5 GiB free. Memory: Xen must have 256 MiB
# that no domain uses yet.

# %% [markdown] tags=["lang-fr"]
# ## Étape 1 : y a-t-il la place ?
#
# Disque : le VG doit avoir au moins 4,5 Gio de libre. Mémoire : Xen doit avoir 256 Mio
# qu'aucun domaine n'utilise encore.

# %%
%fx vgs

# %%
from fxkit.xen import read_xen

read_xen(fx).info.free_memory      # MiB

# %% [markdown] tags=["lang-en"]
# ## Step 2: the disks
#
# Two LVs, named after the domU as on the rest of fx: `mail-root` and `mail-swap`.

# %% [markdown] tags=["lang-fr"]
# ## Étape 2 : les disques
#
# Deux LV, nommés d'après le domU comme ailleurs sur fx : `mail-root` et `mail-swap`.

# %%
%fx lvcreate -L 4G -n mail-root lvm
%fx lvcreate -L 512M -n mail-swap lvm

# %% [markdown] tags=["lang-en"]
# The root disk gets an ext4 filesystem (the installer of the guest fills it later),
# the other becomes swap space:

# %% [markdown] tags=["lang-fr"]
# Le disque racine reçoit un système de fichiers ext4 (l'installateur de l'invité le
# remplira plus tard), l'autre devient de l'espace d'échange (swap) :

# %%
%fx mkfs.ext4 /dev/lvm/mail-root

# %%
%fx mkswap /dev/lvm/mail-swap

# %%
print(seminar.check_lv(fx, "lvm", "mail-root", size="4G", fs="ext4"))
print(seminar.check_lv(fx, "lvm", "mail-swap", size="512M", fs="swap"))

# %% [markdown] tags=["lang-en"]
# ## Step 3: the config file
#
# Like `titanic`'s, with our values. Each network card needs a MAC address that no
# other card on the network has. Xen's own prefix is `00:16:3e` (notebook 03); fxkit
# derives the rest from the domU's name and the card's number, so it is always the same:

# %% [markdown] tags=["lang-fr"]
# ## Étape 3 : le fichier de configuration
#
# Comme celui de `titanic`, avec nos valeurs. Chaque carte réseau a besoin d'une adresse
# MAC qu'aucune autre carte du réseau n'a. Le préfixe propre à Xen est `00:16:3e`
# (notebook 03) ; fxkit tire le reste du nom du domU et du numéro de la carte, elle est
# donc toujours la même :

# %%
from fxkit.xen import stable_mac

macs = [stable_mac("mail", 0), stable_mac("mail", 1)]
macs

# %% [markdown] tags=["lang-en"]
# The bridges must exist (`brctl show` in notebook 03): `xenbr0` for the backbone,
# `xenbr2` for the FreeBox. The disks are the new LVs, seen by the guest as `xvda1`
# and `xvda2`: today's names for a PV guest's disks (`titanic`'s 2007 config says
# `hda1`).

# %% [markdown] tags=["lang-fr"]
# Les ponts doivent exister (`brctl show` au notebook 03) : `xenbr0` pour le backbone,
# `xenbr2` pour la FreeBox. Les disques sont les nouveaux LV, que l'invité voit comme
# `xvda1` et `xvda2` : les noms d'aujourd'hui pour les disques d'un invité PV (la
# configuration de `titanic`, de 2007, dit `hda1`).

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

# %% [markdown] tags=["lang-en"]
# fxkit parses it as Xen will. A typo (a missing quote, a disk line `xl` would refuse)
# is better caught now than by `xl create`:

# %% [markdown] tags=["lang-fr"]
# fxkit le lit comme Xen le lira. Une faute de frappe (un guillemet oublié, une ligne
# `disk` que `xl` refuserait) se voit mieux maintenant qu'au `xl create` :

# %%
from fxkit.xen import DomainConfig

cfg = DomainConfig.parse(fx.read_file("/etc/xen/mail.cfg"), "/etc/xen/mail.cfg")
print([v.bridge for v in cfg.vifs], [d.target for d in cfg.disks])

# %% [markdown] tags=["lang-en"]
# > **2007 / today.** In 2007 a new domU on a Debian dom0 was usually made with xen-tools'
# > `xen-create-image`: it cut the LVs, installed Debian into them and wrote
# > `/etc/xen/NAME.cfg`, in one go and without showing what it would do. xen-tools still
# > exists; fxkit's plan (step 7) does the LV, config and start part, shows it first, and
# > checks the result. The config itself has barely changed: `xvda` instead of `hda`, and
# > Xen's MAC prefix `00:16:3e` rather than hand-made addresses.

# %% [markdown] tags=["lang-fr"]
# > **2007 / aujourd'hui.** En 2007, sur un dom0 Debian, on créait plutôt un domU avec
# > `xen-create-image`, de xen-tools : il découpait les LV, y installait Debian et écrivait
# > `/etc/xen/NOM.cfg`, d'un seul coup et sans montrer ce qu'il allait faire. xen-tools
# > existe toujours ; le plan de fxkit (étape 7) fait la partie LV, configuration et
# > démarrage, la montre d'abord, et vérifie le résultat. La configuration elle-même a peu
# > changé : `xvda` au lieu de `hda`, et le préfixe MAC de Xen `00:16:3e` plutôt que des
# > adresses faites à la main.

# %% [markdown] tags=["lang-en"]
# ## Step 4: start it

# %% [markdown] tags=["lang-fr"]
# ## Étape 4 : le démarrer

# %%
%fx xl create /etc/xen/mail.cfg

# %%
%fx xl list

# %%
%fx xl console mail

# %% [markdown] tags=["lang-en"]
# Its vifs appeared on the bridges, so it reaches the backbone and the FreeBox:

# %% [markdown] tags=["lang-fr"]
# Ses vifs sont apparues sur les ponts, il atteint donc le backbone et la FreeBox :

# %%
print(seminar.check_domu(fx, "mail", memory=256, bridges=["xenbr0", "xenbr2"]))
print(seminar.check_reaches(fx, "mail", "Backbone"))
print(seminar.check_reaches(fx, "mail", "FreeBox"))

# %% [markdown] tags=["lang-en"]
# ## Step 5: the doctor
#
# `doctor` reads LVM, Xen and the network together and looks for what does not fit:
# an LV used by two domUs, a config naming a missing LV or bridge, a MAC used twice,
# more memory promised than fx has, an LV no domU uses... Each finding comes with a fix.

# %% [markdown] tags=["lang-fr"]
# ## Étape 5 : le doctor
#
# `doctor` lit ensemble LVM, Xen et le réseau, et cherche ce qui ne colle pas : un LV
# utilisé par deux domU, une configuration qui nomme un LV ou un pont absent, une MAC en
# double, plus de mémoire promise que fx n'en a, un LV qu'aucun domU n'utilise... Chaque
# remarque vient avec sa correction.

# %%
from fxkit import doctor

findings = doctor.run_doctor(fx)
for finding in findings:
    print(finding)
len(findings)

# %%
seminar.check_doctor(fx)

# %% [markdown] tags=["lang-en"]
# ## Step 6: a name that is taken
#
# fxkit's plan for a new domU (`plan_domu_create`, next step) only does what is
# missing. What if the name is taken? For `backup` *(lab)*, which exists but is
# stopped, the plan would rewrite its config: its bridge `xenbr1` would become
# `xenbr0` (goodbye VLAN 42), `hda1` would become `xvda1`, its MAC and memory would
# change. So the step that replaces the file is marked **DESTROYS** and says what
# changes, and the plan needs the domU's name to go ahead:

# %% [markdown] tags=["lang-fr"]
# ## Étape 6 : un nom déjà pris
#
# Le plan de fxkit pour un nouveau domU (`plan_domu_create`, à l'étape suivante) ne fait
# que ce qui manque. Et si le nom est pris ? Pour `backup` *(lab)*, qui existe mais est
# arrêté, le plan réécrirait sa configuration : son pont `xenbr1` deviendrait `xenbr0`
# (adieu le VLAN 42), `hda1` deviendrait `xvda1`, sa MAC et sa mémoire changeraient. Alors
# l'étape qui remplace le fichier est marquée **DESTROYS** (détruit) et dit ce qui change,
# et le plan exige le nom du domU pour continuer :

# %%
from fxkit.xen import DomuSpec, plan_domu_create, read_domu_facts

over_backup = plan_domu_create(read_domu_facts(fx), DomuSpec("backup", memory=128))
over_backup

# %%
with seminar.expect_refusal():
    over_backup.apply(fx)

# %% [markdown] tags=["lang-en"]
# Nothing ran: `backup.cfg` is as it was. (`over_backup.apply(fx, confirm="backup")`
# would replace it; the domU builder below asks you to type the name.)

# %% [markdown] tags=["lang-fr"]
# Rien n'a tourné : `backup.cfg` est intact. (`over_backup.apply(fx, confirm="backup")`
# le remplacerait ; le constructeur de domU ci-dessous vous demande de taper le nom.)

# %% [markdown] tags=["lang-en"]
# ## Step 7: on your own
#
# Build a `wiki` server: 128 MiB, root disk 2 GiB, swap 256 MiB, on the **backbone
# only** (it must not reach the FreeBox). Use whatever you prefer:
#
# * `%fx` commands, as above;
# * the domU builder below (fill it in, **Plan**, read, tick, **Apply**): each bridge is
#   labelled with the network it reaches, and the memory slider stops at what Xen can
#   still give;
# * or an fxkit plan in Python: `plan_domu_create(read_domu_facts(fx), DomuSpec("wiki", ...))`
#   from `fxkit.xen` (look at `DomuSpec`'s fields with `help(DomuSpec)`).

# %% [markdown] tags=["lang-fr"]
# ## Étape 7 : seul
#
# Construisez un serveur `wiki` : 128 Mio, disque racine de 2 Gio, swap de 256 Mio, sur
# le **backbone seulement** (il ne doit pas atteindre la FreeBox). Comme vous préférez :
#
# * des commandes `%fx`, comme plus haut ;
# * le constructeur de domU ci-dessous (remplissez-le, **Planifier**, lisez, cochez,
#   **Appliquer**) : chaque pont porte le nom du réseau qu'il atteint, et le curseur de
#   mémoire s'arrête à ce que Xen peut encore donner ;
# * ou un plan fxkit en Python : `plan_domu_create(read_domu_facts(fx), DomuSpec("wiki", ...))`
#   de `fxkit.xen` (voyez les champs de `DomuSpec` avec `help(DomuSpec)`).

# %%
from fxkit.widgets import DomuBuilder

DomuBuilder(fx, name="wiki")

# %%
# your commands here / vos commandes ici


# %%
print(seminar.check_domu(fx, "wiki", memory=128, bridges=["xenbr0"]))
print(seminar.check_lv(fx, "lvm", "wiki-root", size="2G", fs="ext4"))
print(seminar.check_reaches(fx, "wiki", "FreeBox", reaches=False))
print(seminar.check_doctor(fx))

# %% [markdown] tags=["lang-en", "solution"]
# ### Solution
#
# Try first! One plan does every step: the LVs and their filesystems, the config,
# the start, and a check. It is shown before anything runs.

# %% [markdown] tags=["lang-fr", "solution"]
# ### Solution
#
# Cherchez d'abord ! Un seul plan fait toutes les étapes : les LV et leurs systèmes de
# fichiers, la configuration, le démarrage, et une vérification. Il s'affiche avant que
# rien ne tourne.

# %% tags=["solution"]
# The plan never formats an LV that exists: one left empty by a first try is done here.
for lv, mkfs in (("wiki-root", "mkfs.ext4"), ("wiki-swap", "mkswap")):
    if fx.run(["lvs", f"lvm/{lv}"], check=False).exit_status == 0 and \
            "TYPE=" not in fx.run(["blkid", f"/dev/lvm/{lv}"], check=False).stdout:
        fx.run([mkfs, f"/dev/lvm/{lv}"])
spec = DomuSpec("wiki", memory=128, root_size="2G", swap_size="256M", bridges=("xenbr0",))
plan = plan_domu_create(read_domu_facts(fx), spec)
plan

# %% tags=["solution"]
print(plan.apply(fx))

# %% [markdown] tags=["lang-en", "solution"]
# Applying it again changes nothing: the plan reads the facts first, and there is
# nothing left to do.

# %% [markdown] tags=["lang-fr", "solution"]
# L'appliquer de nouveau ne change rien : le plan lit d'abord les faits, et il ne reste
# rien à faire.

# %% tags=["solution"]
plan_domu_create(read_domu_facts(fx), spec)

# %% tags=["solution"]
print(seminar.check_domu(fx, "wiki", memory=128, bridges=["xenbr0"]))
print(seminar.check_lv(fx, "lvm", "wiki-root", size="2G", fs="ext4"))
print(seminar.check_reaches(fx, "wiki", "FreeBox", reaches=False))
print(seminar.check_doctor(fx))

# %% [markdown] tags=["lang-en"]
# ## To remember
#
# * A domU from nothing: room (VG free space, Xen free memory), LVs with a filesystem
#   and a swap area, a config with unique MACs and existing bridges, `xl create`, then
#   verify (`doctor`).
# * fxkit's plan does the same steps, only the missing ones, and verifies after.
# * Over an existing domU, config or LV, a plan refuses, or marks what it replaces as
#   DESTROYS and waits for you to name it.
#
# Next: **05-runbooks**, where the same plans run on the real fx, with a record.

# %% [markdown] tags=["lang-fr"]
# ## À retenir
#
# * Un domU à partir de rien : de la place (espace libre du VG, mémoire libre de Xen),
#   des LV avec un système de fichiers et un swap, une configuration aux MAC uniques et
#   aux ponts existants, `xl create`, puis vérifier (`doctor`).
# * Le plan de fxkit fait les mêmes étapes, seulement celles qui manquent, et vérifie
#   après.
# * Par-dessus un domU, une configuration ou un LV existant, un plan refuse, ou marque ce
#   qu'il remplace comme DESTROYS et attend que vous le nommiez.
#
# Suite : **05-runbooks**, où les mêmes plans tournent sur le vrai fx, avec un
# enregistrement.
