# %% [markdown] tags=["lang-en"]
# # 00 · Welcome to fx
#
# *About 20 minutes.*
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
# 4. how the lab relates to the real fx, and to the 2007 talk this course comes from;
# 5. the French words of that talk, and their English names.

# %% [markdown] tags=["lang-fr"]
# # 00 · Bienvenue sur fx
#
# *Environ 20 minutes.*
#
# Ce cours explique comment fonctionne **fx** : un serveur physique qui fait tourner
# beaucoup de petits serveurs virtuels. On l'apprend en pratiquant, sur un *lab* qui
# répond exactement comme fx, et qu'on ne peut pas casser.
#
# **Dans ce notebook, vous apprendrez**
#
# 1. à vous servir de ces notebooks et de la commande `%fx` ;
# 2. de quel matériel fx est fait, et comment son disque est découpé ;
# 3. ce qui tourne où : l'hyperviseur, le dom0, les domU ;
# 4. ce qui sépare le lab du vrai fx, et de la présentation de 2007 d'où vient ce cours ;
# 5. les mots de cette présentation, et leur nom en anglais.

# %% [markdown] tags=["lang-en"]
# ## How to use these notebooks
#
# * Run a cell with **Shift+Enter**. Run them in order, top to bottom.
# * The lab is yours alone, and it keeps what you do from one notebook to the next: each
#   notebook's first cell finds it as you left it. A notebook opened first finds it as
#   if the ones before were done. Lost? `seminar.reset_to("01")` puts it back at the
#   start of notebook 01 (any number works); `seminar.reset()` gives a fresh fx.
# * `%fx COMMAND` runs one command on the lab and prints it as a terminal would,
#   starting with a `$ COMMAND` line. A pipeline works too (`%fx xl list | grep web`).
#   If the command fails, the cell stops with an error, like a script run with `set -e`.
# * The Python objects (`fx`, plans, widgets) come from **fxkit**, the library the
#   admins use for real maintenance.
# * Each notebook ends with exercises. A check cell says **PASS** when the lab is now as
#   the exercise asks, **NOT YET** and why otherwise; your trainer sees the results. The
#   trainer's edition has a *Solution* section after each, for when you are stuck. Then a short recap: what to remember.

# %% [markdown] tags=["lang-fr"]
# ## Comment se servir de ces notebooks
#
# * Exécutez une cellule avec **Maj+Entrée**, dans l'ordre, de haut en bas.
# * Le lab est à vous seul, et il garde ce que vous faites d'un notebook à l'autre : la
#   première cellule de chaque notebook le retrouve tel que vous l'avez laissé. Un notebook
#   ouvert en premier le trouve comme si les précédents avaient été faits. Perdu ?
#   `seminar.reset_to("01")` le remet au début du notebook 01 (tout numéro convient) ;
#   `seminar.reset()` redonne un fx neuf.
# * `%fx COMMANDE` lance une commande sur le lab et l'affiche comme un terminal, en
#   commençant par une ligne `$ COMMANDE`. Un pipeline marche aussi
#   (`%fx xl list | grep web`). Si la commande échoue, la cellule s'arrête sur une erreur,
#   comme un script lancé avec `set -e`.
# * Les objets Python (`fx`, les plans, les widgets) viennent de **fxkit**, la
#   bibliothèque dont les admins se servent pour la vraie maintenance.
# * Chaque notebook finit par des exercices. Une cellule de vérification dit **RÉUSSI**
#   quand le lab est comme l'exercice le demande, **PAS ENCORE** et pourquoi sinon ; votre
#   formateur voit les résultats. L'édition du formateur a une partie *Solution* après
#   chacun, pour quand vous bloquez. Puis un court résumé : à retenir.

# %% tags=["lang-en"]
from fxkit import seminar

fx = seminar.start(lang="en", notebook="00")
# your lab, as you left it; lost? seminar.reset_to("00") starts this notebook again
%load_ext fxkit.magics
%matplotlib inline

# %% tags=["lang-fr"]
from fxkit import seminar

fx = seminar.start(lang="fr", notebook="00")
# votre lab, tel que vous l'avez laissé ; perdu ? seminar.reset_to("00") reprend ce notebook au début
%load_ext fxkit.magics
%matplotlib inline

# %% [markdown] tags=["lang-en"]
# `seminar.start()` finds your lab (made the first time, never wiped) and connects to
# it (`fxkit.connect("lab")`). `fx` is a *host*: fxkit runs commands on it and reads
# their output. `%fx` uses the same host. Try a first command: which system answers?

# %% [markdown] tags=["lang-fr"]
# `seminar.start()` retrouve votre lab (créé la première fois, jamais effacé) et s'y
# connecte (`fxkit.connect("lab")`). `fx` est un *hôte* : fxkit y lance des commandes et lit ce
# qu'elles affichent. `%fx` utilise le même hôte. Première commande : quel système répond ?

# %%
%fx uname -a

# %% [markdown] tags=["lang-en"]
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

# %% [markdown] tags=["lang-fr"]
# ## Le matériel
#
# fx est un serveur HP acheté en 2007 :
#
# | pièce | ce que fx a |
# |---|---|
# | processeurs | deux Intel Xeon E5345 de quatre cœurs (8 cœurs), avec les extensions de virtualisation d'Intel (VT) |
# | mémoire | 4 Go |
# | disques | deux disques de 67 Go en miroir (RAID1) derrière un contrôleur HP Smart Array : le système voit **un seul** disque de 67 Go, `/dev/cciss/c0d0` |
# | partitions | `c0d0p1` : 855 Mo pour `/boot` ; `c0d0p2` : le reste, donné à LVM |
#
# Le miroir écrit chaque bloc sur les deux disques : un disque peut mourir, fx continue.
# Il ne protège *pas* d'un effacement au mauvais endroit ; c'est à cela que sert le soin
# des notebooks suivants.
#
# Voyons ce que dit le lab. Le résumé de la machine par Xen lui-même :

# %%
from fxkit.xen import read_xen

info = read_xen(fx).info
print("nr_cpus          :", info.nr_cpus, f"({info.fields['cores_per_socket']} x 2)")
print("virt_caps        :", info.fields["virt_caps"])
print("total_memory MiB :", info.total_memory)
print("free_memory MiB  :", info.free_memory)

# %% [markdown] tags=["lang-en"]
# `virt_caps: hvm` says the processors have VT: fx can run unmodified systems as
# guests (notebook 02 explains). Xen holds all 4096 MiB; it gave 512 MiB to dom0, the
# system you log in to, at boot: `dom0_mem=524288` (KiB) on the `kernel /xen...` line of
# the boot menu.

# %% [markdown] tags=["lang-fr"]
# `virt_caps: hvm` dit que les processeurs ont VT : fx peut faire tourner des systèmes
# non modifiés comme invités (le notebook 02 l'explique). Xen détient les 4096 Mio ; il en
# a donné 512 au dom0, le système sur lequel on se connecte, au démarrage :
# `dom0_mem=524288` (en Kio) sur la ligne `kernel /xen...` du menu de démarrage.

# %%
%fx grep dom0_mem /boot/grub/menu.lst

# %% [markdown] tags=["lang-en"]
# So dom0 sees much less memory than the machine has. `free -m`, run in dom0, shows a
# little less than 512 MiB: its Linux kernel keeps some for itself. Its swap is the
# 2 GiB LV `lvm/swap` (notebook 01), less the one page `mkswap` writes its header in.

# %% [markdown] tags=["lang-fr"]
# Le dom0 voit donc bien moins de mémoire que la machine n'en a. `free -m`, lancé dans
# le dom0, montre un peu moins de 512 Mio : son noyau Linux en garde pour lui. Son swap
# est le LV de 2 Gio `lvm/swap` (notebook 01), moins la page où `mkswap` écrit son en-tête.

# %%
%fx free -m

# %% [markdown] tags=["lang-en"]
# And how the disk is used, from dom0's `/etc/fstab`: `/boot` on the first
# partition, everything else on LVM volumes (`/dev/mapper/lvm-...`):

# %% [markdown] tags=["lang-fr"]
# Et l'usage du disque, d'après le `/etc/fstab` du dom0 : `/boot` sur la première
# partition, tout le reste sur des volumes LVM (`/dev/mapper/lvm-...`) :

# %%
%fx cat /etc/fstab

# %% [markdown] tags=["lang-en"]
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

# %% [markdown] tags=["lang-fr"]
# ## Qui tourne où
#
# ```
#  ┌────────────┐ ┌────────────┐ ┌────────────┐
#  │ domU       │ │ domU       │ │ domU       │   invités : chacun une Debian complète,
#  │ titanic    │ │ ns         │ │ web        │   avec ses disques et ses cartes réseau
#  └─────┬──────┘ └─────┬──────┘ └─────┬──────┘
#  ┌─────┴──────────────┴──────────────┴──────┐
#  │ dom0 : Debian, les outils (xl, lvm,      │   le domaine privilégié : on s'y connecte
#  │ brctl), les pilotes disque et réseau     │
#  ├──────────────────────────────────────────┤
#  │ hyperviseur Xen                          │   partage processeurs et mémoire
#  ├──────────────────────────────────────────┤
#  │ matériel : 8 cœurs, 4 Go, RAID1, cartes  │
#  └──────────────────────────────────────────┘
# ```
#
# * L'**hyperviseur** (Xen) démarre en premier et possède processeurs et mémoire.
# * Le **dom0** est le premier domaine qu'il démarre. Il est privilégié : il pilote les
#   disques et les cartes réseau, et porte les outils qui créent les autres domaines.
# * Les **domU** sont les invités : les serveurs qu'on utilise vraiment. Leurs disques sont
#   des volumes LVM du dom0 (notebook 01), leurs cartes réseau sont branchées sur des
#   ponts du dom0 (notebook 03).
#
# Les domaines qui tournent maintenant :

# %%
%fx xl list

# %% [markdown] tags=["lang-en"]
# ## The lab, the real fx, and the 2007 talk
#
# | | the lab | the real fx |
# |---|---|---|
# | what it is | a simulation inside fxkit (`fxkit.connect("lab")`) | the server itself, over SSH |
# | commands | `lvs`, `xl`, `brctl`, `ip`... answer with the real tools' text and exit codes | the real tools |
# | mistakes | harmless: `seminar.reset()` gives you a fresh copy | real: data can be lost |
# | used for | this course, tests, trying a runbook first | maintenance, with runbooks (notebook 05) |
#
# The same fxkit code works on both: only the host changes
# (`fxkit.connect("lab")` or `fxkit.connect("ssh://admin@fx")`).
# `%fx_host` shows which host `%fx` uses:

# %% [markdown] tags=["lang-fr"]
# ## Le lab, le vrai fx, et la présentation de 2007
#
# | | le lab | le vrai fx |
# |---|---|---|
# | ce que c'est | une simulation dans fxkit (`fxkit.connect("lab")`) | le serveur lui-même, par SSH |
# | commandes | `lvs`, `xl`, `brctl`, `ip`... répondent avec le texte et les codes de retour des vrais outils | les vrais outils |
# | erreurs | sans danger : `seminar.reset()` redonne une copie neuve | réelles : des données peuvent se perdre |
# | sert à | ce cours, les tests, essayer un runbook d'abord | la maintenance, par des runbooks (notebook 05) |
#
# Le même code fxkit marche sur les deux : seul l'hôte change
# (`fxkit.connect("lab")` ou `fxkit.connect("ssh://admin@fx")`).
# `%fx_host` montre l'hôte qu'utilise `%fx` :

# %%
%fx_host

# %% [markdown] tags=["lang-en"]
# > **2007 / today.** This course began as a talk given in French on 21 November 2007,
# > *Xen & Compagnie*. Its fx ran **Xen 3.0.3** driven by `xm`; the lab answers like a
# > Xen of today (`xl`, Xen 4.17) with the 2007 machine's hardware, disks and configs.
# > Each notebook has a box like this one for what changed since. What the talk showed
# > is in the lab as it was: the hardware, the RAID1 and partitions, LVM's three layers,
# > `titanic`'s config, the bridges to the backbone and the FreeBox. **What the lab
# > invents** beyond the talk is marked *(lab)*: the domUs `ns`, `web` and `backup`,
# > VLAN 42, and fx's disk usage in detail.

# %% [markdown] tags=["lang-fr"]
# > **2007 / aujourd'hui.** Ce cours vient d'une présentation faite le 21 novembre 2007,
# > *Xen & Compagnie*. Son fx tournait sous **Xen 3.0.3**, piloté par `xm` ; le lab
# > répond comme un Xen d'aujourd'hui (`xl`, Xen 4.17), avec le matériel, les disques et
# > les configurations de la machine de 2007. Chaque notebook a un encadré comme celui-ci
# > pour ce qui a changé depuis. Ce que montrait la présentation est dans le lab tel
# > quel : le matériel, le RAID1 et les partitions, les trois couches de LVM, la
# > configuration de `titanic`, les ponts vers le backbone et la FreeBox. **Ce que le lab
# > invente** en plus est marqué *(lab)* : les domU `ns`, `web` et `backup`, le VLAN 42,
# > et le détail de l'usage des disques de fx.

# %% [markdown] tags=["lang-en"]
# ## Glossary
#
# The words of the 2007 talk (marked \*) and the ones used in this course, English
# first. `seminar.translate("pont")` gives the other language's word, both ways.

# %% [markdown] tags=["lang-fr"]
# ## Glossaire
#
# Les mots de la présentation de 2007 (marqués \*) et ceux de ce cours, en français
# d'abord. `seminar.translate("bridge")` donne le mot de l'autre langue, dans les deux sens.

# %%
seminar.glossary()

# %%
seminar.translate("switch logiciel"), seminar.translate("virtual interface")

# %% [markdown] tags=["lang-en"]
# ## Exercises
#
# **1.** How many CPUs (cores) does Xen have to share between the domains?
# Find it in the outputs above, or with a command, and write the number.

# %% [markdown] tags=["lang-fr"]
# ## Exercices
#
# **1.** Combien de processeurs (cœurs) Xen partage-t-il entre les domaines ?
# Trouvez-le dans ce qui précède, ou avec une commande, et écrivez le nombre.

# %%
answer_cpus = None    # replace None by your answer / remplacez None par votre réponse

# %%
seminar.check_answer(answer_cpus, info.nr_cpus, question="cpus")

# %% [markdown] tags=["lang-en"]
# **2.** How much memory (MiB) does Xen give dom0 (`Domain-0`)? Use `%fx xl list`.

# %% [markdown] tags=["lang-fr"]
# **2.** Combien de mémoire (en Mio) Xen donne-t-il au dom0 (`Domain-0`) ? Utilisez
# `%fx xl list`.

# %%
answer_dom0_mem = None    # replace None by your answer / remplacez None par votre réponse

# %%
seminar.check_answer(answer_dom0_mem, read_xen(fx).domain("Domain-0").memory,
                     question="dom0_mem")

# %% [markdown] tags=["lang-en", "solution"]
# ### Solution
#
# Try first! Then run these cells: the checks should now pass.

# %% [markdown] tags=["lang-fr", "solution"]
# ### Solution
#
# Cherchez d'abord ! Puis lancez ces cellules : les vérifications doivent passer.

# %% tags=["solution"]
answer_cpus = 8            # nr_cpus in Xen's summary: 2 processors x 4 cores
answer_dom0_mem = 512      # the Mem column of Domain-0 in `xl list` (dom0_mem in menu.lst)
print(seminar.check_answer(answer_cpus, info.nr_cpus, question="cpus"))
print(seminar.check_answer(answer_dom0_mem, read_xen(fx).domain("Domain-0").memory,
                           question="dom0_mem"))

# %% [markdown] tags=["lang-en"]
# ## To remember
#
# * fx = Xen hypervisor + dom0 (where you log in and where the tools run) + domUs (the
#   guests); dom0 is a domain too, with its own share of memory (512 MiB).
# * Every `%fx` command runs on the lab; the same fxkit code runs on the real fx.
# * The talk was 2007 (Xen 3.0.3, `xm`); the lab answers as today's Xen (`xl`).
#
# Next: **01-lvm**, where the domUs' disks come from.

# %% [markdown] tags=["lang-fr"]
# ## À retenir
#
# * fx = l'hyperviseur Xen + le dom0 (où l'on se connecte, où tournent les outils) + les
#   domU (les invités) ; le dom0 est un domaine lui aussi, avec sa part de mémoire
#   (512 Mio).
# * Chaque commande `%fx` tourne sur le lab ; le même code fxkit tourne sur le vrai fx.
# * La présentation date de 2007 (Xen 3.0.3, `xm`) ; le lab répond comme le Xen
#   d'aujourd'hui (`xl`).
#
# Suite : **01-lvm**, d'où viennent les disques des domU.
