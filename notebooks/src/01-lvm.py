# %% [markdown] tags=["lang-en"]
# # 01 · LVM: where the domUs' disks come from
#
# *About 45 minutes.*
#
# Every domU on fx needs disks. Giving each one a real partition would be rigid:
# partitions are hard to grow, and the disk has only so many. fx uses **LVM**
# (Logical Volume Manager, version 2) instead: disk space becomes a pool from
# which volumes are cut, grown and removed on the fly, while the system runs.
#
# **In this notebook you will learn**
#
# 1. LVM's three layers: physical volumes, volume groups, logical volumes;
# 2. to read `pvdisplay` line by line;
# 3. what `vgcreate` and `vgextend` do, and why fx has needed them only once;
# 4. to create an LV, put a filesystem on it, and grow both;
# 5. to remove an LV, and why fxkit refuses to remove some that LVM would remove;
# 6. to see how full the volume groups are.

# %% [markdown] tags=["lang-fr"]
# # 01 · LVM : d'où viennent les disques des domU
#
# *Environ 45 minutes.*
#
# Chaque domU de fx a besoin de disques. Donner à chacun une vraie partition serait
# rigide : une partition s'agrandit mal, et un disque n'en a qu'un nombre limité. fx
# utilise plutôt **LVM** (Logical Volume Manager, version 2) : l'espace disque devient
# une réserve où l'on découpe, agrandit et supprime des volumes à la volée, pendant que
# le système tourne.
#
# **Dans ce notebook, vous apprendrez**
#
# 1. les trois couches de LVM : volumes physiques, groupes de volumes, volumes logiques ;
# 2. à lire `pvdisplay` ligne à ligne ;
# 3. ce que font `vgcreate` et `vgextend`, et pourquoi fx n'en a eu besoin qu'une fois ;
# 4. à créer un LV, y mettre un système de fichiers, et agrandir les deux ;
# 5. à supprimer un LV, et pourquoi fxkit refuse d'en supprimer que LVM supprimerait ;
# 6. à voir à quel point les groupes de volumes sont pleins.

# %% tags=["lang-en"]
from fxkit import seminar

fx = seminar.start(lang="en", notebook="01")
# your lab, as you left it; lost? seminar.reset_to("01") starts this notebook again
%load_ext fxkit.magics
%matplotlib inline

# %% tags=["lang-fr"]
from fxkit import seminar

fx = seminar.start(lang="fr", notebook="01")
# votre lab, tel que vous l'avez laissé ; perdu ? seminar.reset_to("01") reprend ce notebook au début
%load_ext fxkit.magics
%matplotlib inline

# %% [markdown] tags=["lang-en"]
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

# %% [markdown] tags=["lang-fr"]
# ## Trois couches
#
# ```
#   LV  secours-root   ns-root   web-root  ...     volumes logiques : les disques des domU
#        └──────────────┬──────────┘
#   VG               lvm                          un groupe de volumes : une réserve
#                       │                         d'extents de 4 Mio
#   PV        /dev/cciss/c0d0p2                   volumes physiques : de vraies partitions
# ```
#
# * Un **volume physique** (PV) est une partition confiée à LVM. Sur fx, c'est la
#   deuxième partition de la grappe RAID1, tout ce qui suit `/boot`.
# * Un **groupe de volumes** (VG) réunit un ou plusieurs PV en une réserve, découpée en
#   *extents* égaux (4 Mio ici). Avec deux PV, un VG peut dépasser chaque disque.
# * Un **volume logique** (LV) est une suite d'extents prise dans un VG. Le système
#   l'utilise comme une partition : `/dev/lvm/web-root`, aussi joignable sous
#   `/dev/mapper/lvm-web--root` (dans les noms du device-mapper, un tiret dans un nom
#   est doublé).
#
# Une courte commande par couche :

# %%
%fx pvs

# %%
%fx vgs

# %%
%fx lvs

# %% [markdown] tags=["lang-en"]
# Each domU has a `-root` and a `-swap` LV; `root` and `swap` are dom0's own. The `o` in
# `-wi-ao----` means *open*: a running domU (or dom0) is using it. The 2007 talk showed
# the layers, not fx's list of LVs: the LVs of `ns`, `web` and `backup` are *(lab)*.

# %% [markdown] tags=["lang-fr"]
# Chaque domU a un LV `-root` et un `-swap` ; `root` et `swap` sont ceux du dom0. Le `o`
# de `-wi-ao----` veut dire *ouvert* : un domU en marche (ou le dom0) l'utilise. La
# présentation de 2007 montrait les couches, pas la liste des LV de fx : ceux de `ns`,
# `web` et `backup` sont *(lab)*.

# %% [markdown] tags=["lang-en"]
# ## `pvdisplay`, line by line
#
# `pvdisplay` says everything about each PV, in a longer form:

# %% [markdown] tags=["lang-fr"]
# ## `pvdisplay`, ligne à ligne
#
# `pvdisplay` dit tout de chaque PV, en plus long :

# %%
%fx pvdisplay

# %% [markdown] tags=["lang-en"]
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

# %% [markdown] tags=["lang-fr"]
# | ligne | sens |
# |---|---|
# | `PV Name` | la partition |
# | `VG Name` | le VG auquel il appartient |
# | `PV Size` | sa taille ; les quelques Mio *not usable* sont trop peu pour un extent entier |
# | `Allocatable` | si LVM peut y placer de nouveaux extents |
# | `PE Size` | la taille d'un extent physique (PE) |
# | `Total PE` | le nombre d'extents du PV |
# | `Free PE` / `Allocated PE` | extents encore libres / déjà pris par des LV |
# | `PV UUID` | l'identifiant propre à LVM, écrit sur le disque |
#
# Les tailles sont toujours des extents entiers : *Total PE × PE Size* est la taille
# utile. Vérifions-le avec l'analyseur de fxkit, sur le même texte :

# %%
from fxkit.lvm import parse_pvdisplay

pv = parse_pvdisplay(_fx.stdout)[0]      # _fx: the last %fx result / le dernier résultat
print(pv)

# %%
MiB, GiB = 1024**2, 1024**3
pe = pv.pe_size
print(f"Total PE x PE Size = {pv.total_pe} x {pe // MiB} MiB = {pv.total_pe * pe / GiB:.2f} GiB")
print(f"Free PE  x PE Size = {pv.free_pe} x {pe // MiB} MiB = {pv.free_pe * pe / GiB:.2f} GiB")
print(f"Allocated + Free   = {pv.allocated_pe} + {pv.free_pe} = {pv.allocated_pe + pv.free_pe}")

# %% [markdown] tags=["lang-en"]
# The 2007 talk showed the same output from another machine, *fourier*. The lab
# has it too, as a second scenario: the numbers are the talk's.

# %% [markdown] tags=["lang-fr"]
# La présentation de 2007 montrait la même sortie sur une autre machine, *fourier*. Le
# lab l'a aussi, en second scénario : les nombres sont ceux de la présentation.

# %%
import fxkit
from fxkit import lab

lab.reset("fourier")
fourier = fxkit.connect("lab:fourier")
print(fourier.run(["pvdisplay"]).stdout)

# %% [markdown] tags=["lang-en"]
# > **2007 / today.** The talk's `pvdisplay` (lvm2 of Debian etch) printed
# > `PV Size 47.68 GB / not usable 4.12 MB` and `PE Size (KByte) 4096`. Today's lvm2
# > prints `47.68 GiB / not usable 4.12 MiB` and `PE Size 4.00 MiB`: the same numbers,
# > with the binary units named right (a GiB is 1024³ bytes) and the extent size in the
# > unit that fits. The lab answers as today's lvm2. The commands themselves (`pvcreate`,
# > `vgcreate`, `lvcreate -L`, `lvextend`) have not changed; `lvextend -r`, which grows
# > the filesystem too, is one of the few additions.

# %% [markdown] tags=["lang-fr"]
# > **2007 / aujourd'hui.** Le `pvdisplay` de la présentation (lvm2 de Debian etch)
# > affichait `PV Size 47.68 GB / not usable 4.12 MB` et `PE Size (KByte) 4096`. Le lvm2
# > d'aujourd'hui affiche `47.68 GiB / not usable 4.12 MiB` et `PE Size 4.00 MiB` : les
# > mêmes nombres, avec les unités binaires bien nommées (un Gio fait 1024³ octets) et la
# > taille d'extent dans l'unité qui convient. Le lab répond comme le lvm2 d'aujourd'hui.
# > Les commandes elles-mêmes (`pvcreate`, `vgcreate`, `lvcreate -L`, `lvextend`) n'ont
# > pas changé ; `lvextend -r`, qui agrandit aussi le système de fichiers, est l'un des
# > rares ajouts.

# %% [markdown] tags=["lang-en"]
# ## `vgcreate` and `vgextend`
#
# * `vgcreate NAME PV...` makes a new VG from PVs (made first with `pvcreate PV`).
# * `vgextend NAME PV` adds a PV to an existing VG: the way to grow the pool when
#   a new disk arrives.
#
# fx has one VG, `lvm`, made when the server was installed, on its one PV. A PV
# belongs to one VG only, so LVM refuses to build a second VG on it:

# %% [markdown] tags=["lang-fr"]
# ## `vgcreate` et `vgextend`
#
# * `vgcreate NOM PV...` crée un VG à partir de PV (préparés avant par `pvcreate PV`).
# * `vgextend NOM PV` ajoute un PV à un VG existant : c'est ainsi qu'on agrandit la
#   réserve quand un nouveau disque arrive.
#
# fx a un seul VG, `lvm`, créé à l'installation du serveur, sur son unique PV. Un PV
# n'appartient qu'à un VG, donc LVM refuse d'en bâtir un second dessus :

# %%
with seminar.expect_refusal():
    %fx vgcreate data /dev/cciss/c0d0p2

# %% [markdown] tags=["lang-en"]
# With a new disk, say `/dev/sdb1`, you would run `pvcreate /dev/sdb1`, then
# `vgextend lvm /dev/sdb1`; every LV could then grow into the new space.
# fxkit has plans for both (`plan_pv_create`, `plan_vg_extend` in `fxkit.lvm`).

# %% [markdown] tags=["lang-fr"]
# Avec un nouveau disque, disons `/dev/sdb1`, on lancerait `pvcreate /dev/sdb1`, puis
# `vgextend lvm /dev/sdb1` ; chaque LV pourrait ensuite grandir dans ce nouvel espace.
# fxkit a des plans pour les deux (`plan_pv_create`, `plan_vg_extend` dans `fxkit.lvm`).

# %% [markdown] tags=["lang-en"]
# ## Creating an LV
#
# `lvcreate -L SIZE -n NAME VG` takes SIZE from the VG. Sizes round up to whole
# extents, and LVM says so:

# %% [markdown] tags=["lang-fr"]
# ## Créer un LV
#
# `lvcreate -L TAILLE -n NOM VG` prend TAILLE dans le VG. Les tailles s'arrondissent à
# des extents entiers, et LVM le dit :

# %%
%fx lvcreate -L 1001M -n odd lvm

# %% [markdown] tags=["lang-en"]
# A new LV is empty: no filesystem yet. We make one for a 1 GiB LV named `scratch`:

# %% [markdown] tags=["lang-fr"]
# Un LV neuf est vide : pas encore de système de fichiers. On en fait un pour un LV de
# 1 Gio nommé `scratch` :

# %%
%fx lvcreate -L 1G -n scratch lvm

# %%
%fx mkfs.ext4 /dev/lvm/scratch

# %% [markdown] tags=["lang-en"]
# ## Growing an LV, and then its filesystem
#
# `lvextend -L +SIZE VG/LV` adds space to the LV. The filesystem inside does not
# grow by itself: it still ends where it ended.

# %% [markdown] tags=["lang-fr"]
# ## Agrandir un LV, puis son système de fichiers
#
# `lvextend -L +TAILLE VG/LV` ajoute de la place au LV. Le système de fichiers dedans ne
# grandit pas tout seul : il s'arrête toujours au même endroit.

# %%
%fx lvextend -L +1G lvm/scratch

# %%
seminar.check_lv(fx, "lvm", "scratch", size="2G", fs="ext4")

# %% [markdown] tags=["lang-en"]
# The check sees it: the LV is 2 GiB, the filesystem still 1 GiB. `resize2fs`
# grows the filesystem to fill its LV (`lvextend -r` does both steps at once):

# %% [markdown] tags=["lang-fr"]
# La vérification le voit : le LV fait 2 Gio, le système de fichiers toujours 1 Gio.
# `resize2fs` agrandit le système de fichiers jusqu'au bout de son LV (`lvextend -r` fait
# les deux d'un coup) :

# %%
%fx resize2fs /dev/lvm/scratch

# %%
seminar.check_lv(fx, "lvm", "scratch", size="2G", fs="ext4")

# %% [markdown] tags=["lang-en"]
# The other way round is dangerous: `lvreduce` cuts the end off the LV whether or not
# the filesystem ends before. A filesystem larger than its LV has lost its end;
# `e2fsck` then calls it corrupt, and the check says so. Shrink with `lvreduce -r`,
# which shrinks the filesystem first (fxkit's `plan_lv_reduce` does the same).

# %% [markdown] tags=["lang-fr"]
# L'inverse est dangereux : `lvreduce` coupe la fin du LV, que le système de fichiers
# s'arrête avant ou non. Un système de fichiers plus grand que son LV a perdu sa fin ;
# `e2fsck` le dit alors corrompu, et la vérification aussi. On réduit avec
# `lvreduce -r`, qui réduit d'abord le système de fichiers (le `plan_lv_reduce` de fxkit
# fait de même).

# %% [markdown] tags=["lang-en"]
# ### The same, as a plan
#
# fxkit never types commands blindly: it reads the facts, then makes a **plan**
# you read before anything runs. Here, growing `scratch` again, by 512 MiB:

# %% [markdown] tags=["lang-fr"]
# ### La même chose, en plan
#
# fxkit ne tape jamais de commandes à l'aveugle : il lit les faits, puis fait un
# **plan** qu'on lit avant que rien ne tourne. Ici, agrandir encore `scratch` de 512 Mio :

# %%
from fxkit.lvm import plan_lv_extend, plan_lv_remove
from fxkit.xen import read_lvm_facts

plan = plan_lv_extend(read_lvm_facts(fx), "lvm/scratch", "+512M")
plan

# %% [markdown] tags=["lang-en"]
# The filesystem is checked (`e2fsck`) before `resize2fs`, which asks for it when the
# filesystem is not mounted. For the disk of a **running** domU, the plan is different:
# its filesystem is mounted *inside the guest*, and touching it from dom0 would damage it.

# %% [markdown] tags=["lang-fr"]
# Le système de fichiers est vérifié (`e2fsck`) avant `resize2fs`, qui l'exige quand il
# n'est pas monté. Pour le disque d'un domU **en marche**, le plan est différent : son
# système de fichiers est monté *dans l'invité*, et y toucher depuis le dom0 l'abîmerait.

# %%
plan_lv_extend(read_lvm_facts(fx), "lvm/web-root", "+1G")

# %% [markdown] tags=["lang-en"]
# ## Try it: the LV planner
#
# Choose a mode (create, extend or remove), a VG, an LV and a size (the slider stops at
# the free space), press **Plan**, read the plan, tick the box, then **Apply**. A plan
# that destroys something (remove mode) also asks you to type the LV's name.

# %% [markdown] tags=["lang-fr"]
# ## À vous : le planificateur de LV
#
# Choisissez un mode (*créer*, *agrandir* ou *supprimer un LV*), un VG, un LV et une
# taille (le curseur s'arrête à l'espace libre), appuyez sur **Planifier**, lisez le plan,
# cochez la case, puis **Appliquer**. Un plan qui détruit quelque chose (mode *supprimer
# un LV*) demande aussi de taper le nom du LV.

# %%
from fxkit.widgets import LvPlanner

LvPlanner(fx, name="playground")

# %% [markdown] tags=["lang-en"]
# ## Removing an LV, and when fxkit refuses
#
# `lvremove VG/LV` destroys an LV and everything on it. LVM itself refuses only
# when the LV is open, for example the root disk of the running `titanic`:

# %% [markdown] tags=["lang-fr"]
# ## Supprimer un LV, et quand fxkit refuse
#
# `lvremove VG/LV` détruit un LV et tout ce qu'il contient. LVM lui-même ne refuse que
# si le LV est ouvert, par exemple le disque racine de `titanic`, qui tourne :

# %%
with seminar.expect_refusal():
    %fx lvremove -f lvm/secours-root

# %% [markdown] tags=["lang-en"]
# But `backup` *(lab)* is a domU that is **not running**. Its disks are closed, so LVM
# would remove them without a word, and `backup` would never start again.
# fxkit reads the domU configs in `/etc/xen` too, and refuses:

# %% [markdown] tags=["lang-fr"]
# Mais `backup` *(lab)* est un domU **arrêté**. Ses disques sont fermés, donc LVM les
# supprimerait sans un mot, et `backup` ne redémarrerait jamais. fxkit lit aussi les
# configurations des domU dans `/etc/xen`, et refuse :

# %%
with seminar.expect_refusal():
    plan_lv_remove(read_lvm_facts(fx), "lvm/backup-root")

# %% [markdown] tags=["lang-en"]
# An LV no domU uses can go, but the plan marks the step **DESTROYS**: applying it
# needs you to name what is destroyed (`confirm="lvm/odd"`).

# %% [markdown] tags=["lang-fr"]
# Un LV qu'aucun domU n'utilise peut partir, mais le plan marque l'étape **DESTROYS**
# (détruit) : l'appliquer exige de nommer ce qui est détruit (`confirm="lvm/odd"`).

# %%
plan = plan_lv_remove(read_lvm_facts(fx), "lvm/odd")
print(plan)

# %%
with seminar.expect_refusal():
    plan.apply(fx)

# %%
print(plan.apply(fx, confirm="lvm/odd"))

# %% [markdown] tags=["lang-en"]
# ## How full are the volume groups?

# %% [markdown] tags=["lang-fr"]
# ## À quel point les groupes de volumes sont-ils pleins ?

# %%
from fxkit.widgets import vg_usage_figure, vg_views

vg_usage_figure(vg_views(fx))

# %% [markdown] tags=["lang-en"]
# The same in a widget, with a **Refresh** button for after your changes:

# %% [markdown] tags=["lang-fr"]
# La même chose dans un widget, avec un bouton **Actualiser** pour après vos
# changements :

# %%
from fxkit.widgets import VgUsageViewer

VgUsageViewer(fx)

# %% [markdown] tags=["lang-en"]
# ## Exercises
#
# **1.** Create an LV `data` of 2 GiB in the VG `lvm`, with an ext4 filesystem.
#
# **2.** Then grow it to 3 GiB, **with** its filesystem.
#
# Use `%fx` commands, the planner above, or fxkit plans. Then run the check.

# %% [markdown] tags=["lang-fr"]
# ## Exercices
#
# **1.** Créez un LV `data` de 2 Gio dans le VG `lvm`, avec un système de fichiers ext4.
#
# **2.** Puis agrandissez-le à 3 Gio, **avec** son système de fichiers.
#
# Avec des commandes `%fx`, le planificateur ci-dessus, ou des plans fxkit. Puis lancez
# la vérification.

# %%
# your commands here / vos commandes ici


# %%
seminar.check_lv(fx, "lvm", "data", size="3G", fs="ext4")

# %% [markdown] tags=["lang-en", "solution"]
# ### Solution
#
# Try first! Then run these cells.

# %% [markdown] tags=["lang-fr", "solution"]
# ### Solution
#
# Cherchez d'abord ! Puis lancez ces cellules.

# %% tags=["solution"]
# Each step only if it is still missing: the solution also works after a first try.
if fx.run(["lvs", "lvm/data"], check=False).exit_status != 0:
    %fx lvcreate -L 2G -n data lvm
if 'TYPE="ext4"' not in fx.run(["blkid", "/dev/lvm/data"], check=False).stdout:
    %fx mkfs.ext4 /dev/lvm/data
print(plan_lv_extend(read_lvm_facts(fx), "lvm/data", "3G").apply(fx))  # LV and filesystem

# %% tags=["solution"]
seminar.check_lv(fx, "lvm", "data", size="3G", fs="ext4")

# %% [markdown] tags=["lang-en"]
# ## To remember
#
# * PV (a partition) → VG (a pool of extents) → LV (a domU's disk). Sizes are whole
#   extents.
# * Growing is two steps, the LV then its filesystem: `lvextend -r` does both.
#   Shrinking the other way round destroys data: `lvreduce -r`, never a bare `lvreduce`.
# * LVM only refuses open LVs; fxkit also refuses the disks of stopped domUs, and a
#   destructive plan must be confirmed by naming what it destroys.
#
# Next: **02-xen**, where these LVs become the disks of virtual machines.

# %% [markdown] tags=["lang-fr"]
# ## À retenir
#
# * PV (une partition) → VG (une réserve d'extents) → LV (le disque d'un domU). Les
#   tailles sont des extents entiers.
# * Agrandir se fait en deux temps, le LV puis son système de fichiers : `lvextend -r`
#   fait les deux. Réduire dans l'autre ordre détruit des données : `lvreduce -r`,
#   jamais un `lvreduce` seul.
# * LVM ne refuse que les LV ouverts ; fxkit refuse aussi les disques des domU arrêtés,
#   et un plan destructeur se confirme en nommant ce qu'il détruit.
#
# Suite : **02-xen**, où ces LV deviennent les disques de machines virtuelles.
