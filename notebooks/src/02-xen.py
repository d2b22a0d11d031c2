# %% [markdown] tags=["lang-en"]
# # 02 · Xen: one machine, many servers
#
# *About 40 minutes.*
#
# **In this notebook you will learn**
#
# 1. what a hypervisor is, and what dom0 and the domUs are;
# 2. the ways Xen runs a guest: paravirtualisation and hardware virtualisation (and,
#    today, PVH);
# 3. the two toolstacks, `xm` (fx's, in 2007) and `xl` (today's);
# 4. to read a domU's config file line by line, with `titanic` as the example;
# 5. the lifecycle commands: create, console, list, shutdown, reboot, destroy.

# %% [markdown] tags=["lang-fr"]
# # 02 · Xen : une machine, plusieurs serveurs
#
# *Environ 40 minutes.*
#
# **Dans ce notebook, vous apprendrez**
#
# 1. ce qu'est un hyperviseur, et ce que sont le dom0 et les domU ;
# 2. les façons dont Xen fait tourner un invité : paravirtualisation et virtualisation
#    matérielle (et, aujourd'hui, PVH) ;
# 3. les deux outils de gestion, `xm` (celui de fx en 2007) et `xl` (celui d'aujourd'hui) ;
# 4. à lire ligne à ligne le fichier de configuration d'un domU, avec `titanic` pour
#    exemple ;
# 5. les commandes du cycle de vie : create, console, list, shutdown, reboot, destroy.

# %% tags=["lang-en"]
from fxkit import seminar

fx = seminar.start(lang="en", notebook="02")
# your lab, as you left it; lost? seminar.reset_to("02") starts this notebook again
%load_ext fxkit.magics
%matplotlib inline

# %% tags=["lang-fr"]
from fxkit import seminar

fx = seminar.start(lang="fr", notebook="02")
# votre lab, tel que vous l'avez laissé ; perdu ? seminar.reset_to("02") reprend ce notebook au début
%load_ext fxkit.magics
%matplotlib inline

# %% [markdown] tags=["lang-en"]
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
# The boot loader's entry shows the order: the hypervisor (`kernel /xen...`), then
# dom0's Linux kernel as its first *module*:

# %% [markdown] tags=["lang-fr"]
# ## L'hyperviseur, le dom0 et les domU
#
# Xen est un **hyperviseur** : un petit programme, lancé par le chargeur de démarrage
# avant tout système d'exploitation, qui partage les processeurs et la mémoire entre
# plusieurs machines virtuelles isolées, appelées **domaines**. Il vient de l'université
# de Cambridge.
#
# * Le **dom0** (*domain zero*) est le premier domaine, démarré avec l'hyperviseur. Il
#   est **privilégié** : il a les vrais pilotes des disques et des cartes réseau, et il
#   porte les outils qui créent, surveillent et arrêtent les autres domaines. On se
#   connecte à fx dans le dom0.
# * Un **domU** (*domaine non privilégié*) est un invité. Il n'accède qu'au matériel que
#   le dom0 lui donne : ici, des LV comme disques et des ports de pont comme cartes réseau.
#
# L'entrée du chargeur de démarrage montre l'ordre : l'hyperviseur (`kernel /xen...`),
# puis le noyau Linux du dom0 comme premier *module* :

# %%
%fx cat /boot/grub/menu.lst

# %% [markdown] tags=["lang-en"]
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

# %% [markdown] tags=["lang-fr"]
# ## Paravirtualisation et virtualisation matérielle
#
# Xen fait tourner les invités de deux façons :
#
# * La **paravirtualisation (PV)**, la façon d'origine de Xen : le noyau de l'invité
#   sait qu'il tourne sur Xen et demande directement à l'hyperviseur ce qu'il lui faut. Il
#   faut un noyau adapté à Xen (les domU de fx démarrent `vmlinuz-2.6.18-5-xen-amd64`),
#   et c'est rapide même sans aide du processeur.
# * La **virtualisation matérielle (HVM)**, depuis Xen 3.0 : les processeurs avec Intel VT
#   (ou l'équivalent d'AMD, nom de code *Pacifica*, aujourd'hui AMD-V) font tourner un
#   système non modifié comme invité, Windows compris.
#
# Les Xeon de fx ont VT : fx sait faire les deux. Xen dit ce qu'il sait faire tourner :

# %%
from fxkit.xen import read_xen

facts = read_xen(fx)
print("virt_caps:", facts.info.fields["virt_caps"])
print("xen_caps :", facts.info.fields["xen_caps"])

# %% [markdown] tags=["lang-en"]
# `xen-3.0-x86_64` is PV for 64-bit guests; the `hvm-3.0-...` entries are the hardware
# kinds. Each domain says which it is:

# %% [markdown] tags=["lang-fr"]
# `xen-3.0-x86_64`, c'est le PV pour les invités 64 bits ; les entrées `hvm-3.0-...` sont
# les sortes matérielles. Chaque domaine dit ce qu'il est :

# %%
for d in facts.details:
    print(f"{d.name:<8} {d.type}")

# %% [markdown] tags=["lang-en"]
# > **2007 / today.** In 2007 a guest was PV or HVM. Since Xen 4.10 there is a third
# > kind, **PVH**: a PV guest that runs in the processor's hardware container, without
# > the emulated PC (QEMU) HVM needs. It is today's advice for Linux guests
# > (`type = "pvh"` in the config); fx's domUs stay PV, with a 2007 kernel that knows
# > nothing of PVH.

# %% [markdown] tags=["lang-fr"]
# > **2007 / aujourd'hui.** En 2007, un invité était PV ou HVM. Depuis Xen 4.10 il y a une
# > troisième sorte, **PVH** : un invité PV qui tourne dans le conteneur matériel du
# > processeur, sans le PC émulé (QEMU) dont HVM a besoin. C'est le conseil d'aujourd'hui
# > pour les invités Linux (`type = "pvh"` dans la configuration) ; les domU de fx restent
# > PV, avec un noyau de 2007 qui ignore tout de PVH.

# %% [markdown] tags=["lang-en"]
# ## `xm` and `xl`
#
# In 2007 fx was driven with **`xm`**, which talked to a daemon, `xend`. **Xen 4.1**
# introduced **`xl`**, which talks to the hypervisor through a library (libxl), without
# a daemon; it became the default in Xen 4.2, and `xm` and `xend` were removed in 4.5.
# The config files and most subcommands are the same, so what you learn works with
# both. The lab has both:

# %% [markdown] tags=["lang-fr"]
# ## `xm` et `xl`
#
# En 2007, fx se pilotait avec **`xm`**, qui parlait à un démon, `xend`. **Xen 4.1** a
# introduit **`xl`**, qui parle à l'hyperviseur par une bibliothèque (libxl), sans démon ;
# il est devenu l'outil par défaut avec Xen 4.2, et `xm` et `xend` ont disparu en 4.5.
# Les fichiers de configuration et la plupart des sous-commandes sont les mêmes : ce que
# vous apprenez vaut pour les deux. Le lab a les deux :

# %%
%fx xm list

# %%
%fx xl list

# %% [markdown] tags=["lang-en"]
# Columns: the domain's **name**, its **ID** (dom0 is always 0; every new start gets
# a new number), **Mem** in MiB, virtual CPUs, **State**, and CPU time used so far.
# State has six places, one letter each when it applies: `r` running, `b` blocked (waiting
# for work: normal for an idle server), `p` paused, `s` shut down, `c` crashed, `d` dying
# (being destroyed: a domain stays listed as `d` for a moment after a shutdown or
# destroy).

# %% [markdown] tags=["lang-fr"]
# Colonnes : le **nom** du domaine, son **ID** (le dom0 a toujours 0 ; chaque démarrage
# reçoit un nouveau numéro), **Mem** en Mio, les processeurs virtuels, **State** (l'état),
# et le temps processeur consommé. L'état a six places, chacune une lettre quand elle
# s'applique : `r` en marche, `b` bloqué (en attente de travail : normal pour un serveur
# au repos), `p` en pause, `s` arrêté, `c` planté, `d` en train de mourir (un domaine
# reste affiché `d` un instant après un shutdown ou un destroy).

# %% [markdown] tags=["lang-en"]
# ## A config file, line by line
#
# A domU *is* its config file in `/etc/xen`. Here is `titanic`'s, as the 2007 talk
# showed it:

# %% [markdown] tags=["lang-fr"]
# ## Un fichier de configuration décortiqué
#
# Un domU, *c'est* son fichier de configuration dans `/etc/xen`. Voici celui de
# `titanic`, tel que le montrait la présentation de 2007 :

# %%
%fx cat /etc/xen/titanic.cfg

# %% [markdown] tags=["lang-en"]
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

# %% [markdown] tags=["lang-fr"]
# | réglage | sens |
# |---|---|
# | `kernel` | le noyau de l'invité, un fichier du `/boot` **du dom0** : Xen démarre lui-même les invités PV |
# | `ramdisk` | son disque mémoire initial, lui aussi pris dans le dom0 |
# | `memory` | la mémoire donnée à l'invité, en Mio |
# | `name` | le nom du domaine dans `xl list`, unique sur l'hôte |
# | `root` | le périphérique racine du noyau *dans l'invité* (`/dev/hda1`, en lecture seule jusqu'à ce qu'init le remonte) |
# | `vif` | une entrée par carte réseau : son adresse MAC et le **pont** du dom0 où son port se branche (notebook 03) |
# | `disk` | une entrée par disque : `phy:` un périphérique bloc du dom0, le nom que l'invité voit, `w` pour écriture |
#
# fxkit le lit comme Xen le lit :

# %%
from fxkit.xen import DomainConfig

titanic = DomainConfig.parse(fx.read_file("/etc/xen/titanic.cfg"), "/etc/xen/titanic.cfg")
print(f"name={titanic.name} memory={titanic.memory} vcpus={titanic.vcpus}")
for n, vif in enumerate(titanic.vifs):
    print(f"vif[{n}]: mac={vif.mac} bridge={vif.bridge}")
for disk in titanic.disks:
    print(f"disk: {disk.target} -> {disk.vdev} ({disk.access})")

# %% [markdown] tags=["lang-en"]
# The disks are LVs from notebook 01, in their device-mapper names:
# `/dev/mapper/lvm-secours--root` is VG `lvm`, LV `secours-root` (the doubled dash
# is a dash inside the name). `titanic` once was the rescue machine, hence `secours`.

# %% [markdown] tags=["lang-fr"]
# Les disques sont des LV du notebook 01, sous leur nom device-mapper :
# `/dev/mapper/lvm-secours--root` est le VG `lvm`, LV `secours-root` (le tiret doublé est
# un tiret dans le nom). `titanic` a été la machine de secours, d'où `secours`.

# %%
from fxkit.xen import lv_for_path

for disk in titanic.disks:
    print(disk.target, "->", "/".join(lv_for_path(disk.target)))

# %% [markdown] tags=["lang-en"]
# fxkit reads the `disk` and `vif` strings with the rules Xen's `xl` applies, and
# refuses what `xl create` would refuse, with `xl`'s own words. A classic: without a
# prefix such as `phy:`, the second field is the *format*, not the guest's device:

# %% [markdown] tags=["lang-fr"]
# fxkit lit les chaînes `disk` et `vif` avec les règles qu'applique le `xl` de Xen, et
# refuse ce que `xl create` refuserait, avec les mots de `xl`. Un classique : sans préfixe
# comme `phy:`, le deuxième champ est le *format*, pas le périphérique de l'invité :

# %%
from fxkit.xen import DiskSpec

with seminar.expect_refusal():
    DiskSpec.parse("/dev/lvm/secours-root,hda1,w")

# %% [markdown] tags=["lang-en"]
# > **2007 / today.** The talk's file was `/etc/xen/titanic`, a Python file `xm` ran;
# > `xm create titanic` looked for it in `/etc/xen`. `xl` reads a plain `key = value`
# > format, and its examples name the files `NAME.cfg`, as the lab does: `/etc/xen` also
# > holds `xl.conf` and the hotplug scripts, and fxkit takes the `*.cfg` files for the
# > domains. The guest's disks were called `hda1`, `hda2`, IDE names, even for PV guests;
# > today a PV disk is `xvda1` (*Xen virtual disk*), as in the domUs you build in
# > notebook 04. `titanic` keeps its 2007 names: `xl` and the old kernel still accept them.

# %% [markdown] tags=["lang-fr"]
# > **2007 / aujourd'hui.** Le fichier de la présentation était `/etc/xen/titanic`, un
# > fichier Python qu'exécutait `xm` ; `xm create titanic` le cherchait dans `/etc/xen`.
# > `xl` lit un format simple `clé = valeur`, et ses exemples nomment les fichiers
# > `NOM.cfg`, comme le lab : `/etc/xen` contient aussi `xl.conf` et les scripts de
# > branchement, et fxkit prend les fichiers `*.cfg` pour les domaines. Les disques de
# > l'invité s'appelaient `hda1`, `hda2`, des noms IDE, même pour un invité PV ;
# > aujourd'hui un disque PV est `xvda1` (*Xen virtual disk*), comme dans les domU que
# > vous construirez au notebook 04. `titanic` garde ses noms de 2007 : `xl` et le vieux
# > noyau les acceptent encore.

# %% [markdown] tags=["lang-en"]
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
# `backup` *(lab)* has a config file but is not running. Start it:

# %% [markdown] tags=["lang-fr"]
# ## Les commandes du cycle de vie
#
# | commande | ce qu'elle fait |
# |---|---|
# | `xl create FICHIER` | démarre un domU d'après son fichier de configuration (`-c` : et s'attache à sa console) |
# | `xl console NOM` | s'attache à la console d'un domU (on en sort par Ctrl+]) |
# | `xl list` | les domaines qui tournent |
# | `xl shutdown NOM` | demande à l'invité de s'arrêter proprement (`-w` : attend qu'il l'ait fait) |
# | `xl reboot NOM` | demande à l'invité de redémarrer (comme Ctrl+Alt+Suppr) |
# | `xl destroy NOM` | débranche la prise : immédiat, les systèmes de fichiers de l'invité ne sont pas démontés |
#
# `backup` *(lab)* a un fichier de configuration mais ne tourne pas. Démarrez-le :

# %%
%fx xl create /etc/xen/backup.cfg

# %%
%fx xl list

# %% [markdown] tags=["lang-en"]
# Its console shows it booting. (The lab prints what the console holds and returns;
# on fx, `xl console` stays attached until you press Ctrl+].)

# %% [markdown] tags=["lang-fr"]
# Sa console le montre qui démarre. (Le lab affiche ce que contient la console et rend
# la main ; sur fx, `xl console` reste attaché jusqu'à Ctrl+].)

# %%
%fx xl console backup

# %% [markdown] tags=["lang-en"]
# A reboot keeps the name but gives a new domain ID:

# %% [markdown] tags=["lang-fr"]
# Un redémarrage garde le nom mais donne un nouvel ID de domaine :

# %%
%fx xl reboot ns

# %%
%fx xl list ns

# %% [markdown] tags=["lang-en"]
# Shut `backup` down again, waiting until it is gone:

# %% [markdown] tags=["lang-fr"]
# Arrêtez de nouveau `backup`, en attendant qu'il soit parti :

# %%
%fx xl shutdown -w backup

# %% [markdown] tags=["lang-en"]
# The lab simulates the `xl` subcommands of this course. For the others it says what to
# use instead:

# %% [markdown] tags=["lang-fr"]
# Le lab simule les sous-commandes `xl` de ce cours. Pour les autres, il dit quoi
# utiliser à la place :

# %%
with seminar.expect_refusal():
    %fx xl mem-set web 384

# %% [markdown] tags=["lang-en"]
# fxkit has these steps as plans too, which check the facts first. Starting a domU
# that already runs is "nothing to do", not an error:

# %% [markdown] tags=["lang-fr"]
# fxkit a aussi ces étapes en plans, qui vérifient d'abord les faits. Démarrer un domU
# qui tourne déjà, c'est « rien à faire », pas une erreur :

# %%
from fxkit.xen import plan_domu_start, read_domu_facts

plan_domu_start(read_domu_facts(fx), "titanic")

# %%
plan_domu_start(read_domu_facts(fx), "backup")

# %% [markdown] tags=["lang-en"]
# ## Exercises
#
# **1.** `web` *(lab)* needs a restart with more memory: shut it down (cleanly, waiting),
# change `memory` in `/etc/xen/web.cfg` to 384, and start it again.
#
# Hint: `fx.read_file(path)` and `fx.write_file(path, text)` read and write a file
# on the host; `DomainConfig` can change a setting and write the file back
# (`cfg.set("memory", 384)`, then `cfg.render()`).

# %% [markdown] tags=["lang-fr"]
# ## Exercices
#
# **1.** `web` *(lab)* doit redémarrer avec plus de mémoire : arrêtez-le (proprement, en
# attendant), passez `memory` à 384 dans `/etc/xen/web.cfg`, et redémarrez-le.
#
# Indice : `fx.read_file(chemin)` et `fx.write_file(chemin, texte)` lisent et écrivent un
# fichier sur l'hôte ; `DomainConfig` sait changer un réglage et réécrire le fichier
# (`cfg.set("memory", 384)`, puis `cfg.render()`).

# %%
# your commands here / vos commandes ici


# %%
seminar.check_domu(fx, "web", running=True, memory=384)

# %% [markdown] tags=["lang-en"]
# **2.** Is `web` a PV or an HVM guest? Write `"pv"` or `"hvm"`.

# %% [markdown] tags=["lang-fr"]
# **2.** `web` est-il un invité PV ou HVM ? Écrivez `"pv"` ou `"hvm"`.

# %%
answer_web_type = None


def web_type(host):
    """The truth, for the check: web's type as the toolstack reports it; when web is
    stopped, as its config says (xl's rule: type =, else builder =, else PV)."""
    running = [d.type for d in read_xen(host).details if d.name == "web"]
    if running:
        return running[0]
    cfg = DomainConfig.parse(host.read_file("/etc/xen/web.cfg"), "/etc/xen/web.cfg")
    return cfg.get("type") or ("hvm" if cfg.get("builder") == "hvm" else "pv")

# %%
seminar.check_answer(answer_web_type, web_type(fx), question="web_type")

# %% [markdown] tags=["lang-en", "solution"]
# ### Solution
#
# Try first! Then run these cells.

# %% [markdown] tags=["lang-fr", "solution"]
# ### Solution
#
# Cherchez d'abord ! Puis lancez ces cellules.

# %% tags=["solution"]
# The plans do only what is needed: shutting down a stopped web, or starting a running
# one, is nothing to do. So the solution also works after a first try.
from fxkit.xen import plan_domu_shutdown

cfg = DomainConfig.parse(fx.read_file("/etc/xen/web.cfg"), "/etc/xen/web.cfg")
if cfg.memory != 384 or read_xen(fx).domain("web") is None \
        or read_xen(fx).domain("web").memory != 384:
    plan_domu_shutdown(read_domu_facts(fx), "web").apply(fx)
    cfg.set("memory", 384)
    fx.write_file("/etc/xen/web.cfg", cfg.render())
plan_domu_start(read_domu_facts(fx), "web").apply(fx)
%fx xl list web
answer_web_type = "pv"     # its config has a kernel= line, and xl list -l says "type": "pv"

# %% tags=["solution"]
print(seminar.check_domu(fx, "web", running=True, memory=384))
print(seminar.check_answer(answer_web_type, web_type(fx), question="web_type"))

# %% [markdown] tags=["lang-en"]
# ## To remember
#
# * Xen boots first; dom0 is its first, privileged domain; a domU is a config file in
#   `/etc/xen` that `xl create` turns into a running domain (a new ID each time).
# * PV guests boot a Xen-aware kernel from dom0's `/boot`; HVM needs VT; PVH is today's
#   choice for Linux.
# * `xm` was 2007's tool, `xl` (Xen 4.1 and later) today's: same configs, same verbs.
# * A changed config reaches a running domU only at its next start.
#
# Next: **03-network**, where the `vif` lines lead.

# %% [markdown] tags=["lang-fr"]
# ## À retenir
#
# * Xen démarre en premier ; le dom0 est son premier domaine, privilégié ; un domU est un
#   fichier de configuration de `/etc/xen` que `xl create` change en domaine qui tourne
#   (avec un nouvel ID à chaque fois).
# * Un invité PV démarre un noyau adapté à Xen pris dans le `/boot` du dom0 ; HVM exige
#   VT ; PVH est le choix d'aujourd'hui pour Linux.
# * `xm` était l'outil de 2007, `xl` (Xen 4.1 et après) celui d'aujourd'hui : mêmes
#   configurations, mêmes verbes.
# * Une configuration modifiée n'atteint un domU en marche qu'à son prochain démarrage.
#
# Suite : **03-network**, où mènent les lignes `vif`.
