# %% [markdown] tags=["lang-en"]
# # 05 · From notebook to runbook
#
# *About 30 minutes.*
#
# In these notebooks you typed commands and applied plans by hand. On the real fx,
# maintenance goes through **runbooks**: notebooks in `runbooks/` that take
# parameters, show their plan, change the host only when told to (`apply=True`),
# and leave a **record** of what they did. The executed notebook *is* the report.
#
# **In this notebook you will learn**
#
# 1. which runbooks exist, and how their parameters are declared;
# 2. to run one as a dry run, then for real;
# 3. to read its record: parameters, outcome, commands, the executed notebook;
# 4. to verify a run: the record matches the notebook, the audit log is intact, the
#    host is as the run says, and running it again changes nothing.

# %% [markdown] tags=["lang-fr"]
# # 05 · Du notebook au runbook
#
# *Environ 30 minutes.*
#
# Dans ces notebooks, vous avez tapé des commandes et appliqué des plans à la main. Sur
# le vrai fx, la maintenance passe par des **runbooks** : des notebooks de `runbooks/`
# qui prennent des paramètres, montrent leur plan, ne changent l'hôte que sur ordre
# (`apply=True`), et laissent un **enregistrement** de ce qu'ils ont fait. Le notebook
# exécuté *est* le compte rendu.
#
# **Dans ce notebook, vous apprendrez**
#
# 1. quels runbooks existent, et comment leurs paramètres sont déclarés ;
# 2. à en lancer un à blanc, puis pour de vrai ;
# 3. à lire son enregistrement : paramètres, résultat, commandes, notebook exécuté ;
# 4. à vérifier une exécution : l'enregistrement correspond au notebook, le journal
#    d'audit est intact, l'hôte est comme l'exécution le dit, et la relancer ne change
#    rien.

# %% tags=["lang-en"]
from fxkit import seminar

fx = seminar.start(lang="en", notebook="05")
# your lab, as you left it; lost? seminar.reset_to("05") starts this notebook again
%load_ext fxkit.magics
%matplotlib inline

# %% tags=["lang-fr"]
from fxkit import seminar

fx = seminar.start(lang="fr", notebook="05")
# votre lab, tel que vous l'avez laissé ; perdu ? seminar.reset_to("05") reprend ce notebook au début
%load_ext fxkit.magics
%matplotlib inline

# %% [markdown] tags=["lang-en"]
# ## The runbooks
#
# Each is a notebook; `fxkit run NAME` (or the Python function below) executes it
# with papermill, the tool Jupyter users run notebooks with in production.

# %% [markdown] tags=["lang-fr"]
# ## Les runbooks
#
# Chacun est un notebook ; `fxkit run NOM` (ou la fonction Python ci-dessous) l'exécute
# avec papermill, l'outil avec lequel les utilisateurs de Jupyter exécutent des notebooks
# en production.

# %%
from fxkit.runbook import available_runbooks, find_runbook

available_runbooks()

# %% [markdown] tags=["lang-en"]
# A runbook declares its parameters in one cell tagged `parameters`, with their
# defaults and a comment each. fxkit reads them (with papermill's inspection) and
# checks the values you give **before** anything starts. Those of `lv-extend`:

# %% [markdown] tags=["lang-fr"]
# Un runbook déclare ses paramètres dans une cellule marquée `parameters`, avec leur
# valeur par défaut et un commentaire chacun. fxkit les lit (par l'inspection de
# papermill) et vérifie les valeurs données **avant** que rien ne démarre. Ceux de
# `lv-extend` :

# %%
from fxkit.runbook import read_specs

for spec in read_specs(find_runbook("lv-extend")).values():
    print(f"{spec.name:<10} {spec.type:<5} {spec.default:<8} {spec.help}")

# %% [markdown] tags=["lang-en"]
# In this course, `seminar.run_runbook` runs them: it is `fxkit.runbook.run_runbook`
# with the course's own directory for the runs. Bad values never reach the host:

# %% [markdown] tags=["lang-fr"]
# Dans ce cours, `seminar.run_runbook` les lance : c'est `fxkit.runbook.run_runbook` avec
# le répertoire d'exécutions du cours. Une mauvaise valeur n'atteint jamais l'hôte :

# %%
with seminar.expect_refusal():
    seminar.run_runbook("lv-extend", {"lv": "backup-root; rm -rf /"})

# %% [markdown] tags=["lang-en"]
# ## A dry run
#
# `backup` *(lab)* keeps nightly copies and its disk is getting full: grow
# `lvm/backup-root` by 1 GiB. Without `apply`, the runbook reads the facts and shows
# its plan, and changes nothing.

# %% [markdown] tags=["lang-fr"]
# ## Un essai à blanc
#
# `backup` *(lab)* garde les copies de chaque nuit et son disque se remplit : agrandissez
# `lvm/backup-root` de 1 Gio. Sans `apply`, le runbook lit les faits et montre son plan,
# sans rien changer.

# %%
rec = seminar.run_runbook("lv-extend", {"lv": "backup-root", "size": "+1G"})
print("status :", rec.status)
print("changed:", rec.changed)
print("outcome:", rec.outcome["reason"])

# %% [markdown] tags=["lang-en"]
# ## For real
#
# Same parameters, with `apply=True`. The runbook takes the host's lock (two admins
# cannot change fx at once), applies the plan step by step, then reads the facts again
# to verify.

# %% [markdown] tags=["lang-fr"]
# ## Pour de vrai
#
# Mêmes paramètres, avec `apply=True`. Le runbook prend le verrou de l'hôte (deux admins
# ne peuvent pas changer fx en même temps), applique le plan étape par étape, puis relit
# les faits pour vérifier.

# %%
rec = seminar.run_runbook("lv-extend", {"lv": "backup-root", "size": "+1G"}, apply=True)
print("status :", rec.status)
print("changed:", rec.changed)
for step in rec.outcome["steps"]:
    print("  done :", step)

# %%
seminar.check_lv(fx, "lvm", "backup-root", size="9G", fs="ext4")

# %% [markdown] tags=["lang-en"]
# ## The record
#
# Next to the executed notebook, a JSON record says who ran what, where, with which
# parameters, and what came of it. (The run's date and time are in it too, and in its
# file name.)

# %% [markdown] tags=["lang-fr"]
# ## L'enregistrement
#
# À côté du notebook exécuté, un enregistrement JSON dit qui a lancé quoi, où, avec quels
# paramètres, et ce qui en est sorti. (La date et l'heure de l'exécution y sont aussi, et
# dans le nom du fichier.)

# %%
import json

record = json.loads(rec.record_path.read_text())
for key in ("runbook", "host", "parameters", "status", "changed"):
    print(f"{key:<11}: {record[key]}")
print(f"{'operator':<11}: {'(you)' if record['operator'] else '?'}")
print(f"{'commands':<11}: {len(record['commands'])}")

# %% [markdown] tags=["lang-en"]
# `commands` holds every command run on the host, from the audit log. Most only read
# facts (`pvs`, `vgs`, `lvs`, `blkid`, `head`...): a plan is re-checked before each step. The
# ones that changed something:

# %% [markdown] tags=["lang-fr"]
# `commands` contient chaque commande lancée sur l'hôte, d'après le journal d'audit. La
# plupart ne font que lire des faits (`pvs`, `vgs`, `lvs`, `blkid`...) : un plan est
# revérifié avant chaque étape. Celles qui ont changé quelque chose :

# %%
READERS = ("pvs", "vgs", "lvs", "blkid", "dumpe2fs", "ls", "head", "cat", "xl list")
for line in rec.audit_lines:
    command = " ".join(line["argv"])
    if not command.startswith(READERS):
        print(f"exit {line['exit_status']}  {command}")

# %% [markdown] tags=["lang-en"]
# `mkdir` and `rm` of `/run/lock/fxkit.lock` are the lock being taken and released.
#
# The executed notebook shows the plan exactly as the runbook printed it:

# %% [markdown] tags=["lang-fr"]
# `mkdir` et `rm` de `/run/lock/fxkit.lock`, c'est le verrou pris puis rendu.
#
# Le notebook exécuté montre le plan tel que le runbook l'a affiché :

# %%
import nbformat

executed = nbformat.read(rec.notebook, as_version=4)
for cell in executed.cells:
    for output in cell.get("outputs", []):
        text = output.get("data", {}).get("text/plain", "")
        if text.startswith("Plan:"):
            print(text)

# %% [markdown] tags=["lang-en"]
# ## Verifying a run
#
# **1.** The record's checksum matches the executed notebook: it was not edited after
# the run.

# %% [markdown] tags=["lang-fr"]
# ## Vérifier une exécution
#
# **1.** La somme de contrôle de l'enregistrement correspond au notebook exécuté : il n'a
# pas été modifié après coup.

# %%
from fxkit.runbook import sha256_file

sha256_file(rec.notebook) == rec.notebook_sha256

# %% [markdown] tags=["lang-en"]
# **2.** The audit log, where fxkit writes every command it runs on any host, is
# intact: each line carries the hash of the line before, so a removed or edited line
# shows. (`fxkit audit verify` from a terminal.)

# %% [markdown] tags=["lang-fr"]
# **2.** Le journal d'audit, où fxkit écrit chaque commande lancée sur n'importe quel
# hôte, est intact : chaque ligne porte l'empreinte de la précédente, donc une ligne
# supprimée ou modifiée se voit. (`fxkit audit verify` depuis un terminal.)

# %%
from fxkit import audit

audit.verify(rec.audit_log)       # [] : no problem / aucun problème

# %% [markdown] tags=["lang-en"]
# **3.** The host is as the run says (checked above with `check_lv`), and **4.** running
# it again changes nothing: the plan finds the LV already at its new size.

# %% [markdown] tags=["lang-fr"]
# **3.** L'hôte est comme l'exécution le dit (vérifié plus haut avec `check_lv`), et
# **4.** la relancer ne change rien : le plan trouve le LV déjà à sa nouvelle taille.

# %%
again = seminar.run_runbook("lv-extend", {"lv": "backup-root", "size": "9G"}, apply=True)
print(again.status, "| changed:", again.changed, "|", again.outcome["reason"])

# %% [markdown] tags=["lang-en"]
# > **2007 / today.** In 2007 fx's admins typed `xm` and `lvm` commands in a root shell,
# > and what was done lived in their shell history and their memory. A runbook keeps the
# > plan, the commands, their output and who ran them, in a notebook anyone can reopen;
# > the audit log keeps every command fxkit sent, chained so that nothing is quietly
# > removed.

# %% [markdown] tags=["lang-fr"]
# > **2007 / aujourd'hui.** En 2007, les admins de fx tapaient des commandes `xm` et
# > `lvm` dans un shell root, et ce qui avait été fait vivait dans leur historique et leur
# > mémoire. Un runbook garde le plan, les commandes, leur sortie et qui les a lancées,
# > dans un notebook que chacun peut rouvrir ; le journal d'audit garde chaque commande
# > envoyée par fxkit, chaînée pour que rien ne disparaisse en silence.

# %% [markdown] tags=["lang-en"]
# ## The runbook launcher
#
# The same, as a form built from the parameters cell. Keep it in a variable (here
# `launcher`): after **Run**, `launcher.record` is the run's record. A parameter whose
# comment lists its values, such as `action` (start, shutdown or reboot), is a choice.

# %% [markdown] tags=["lang-fr"]
# ## Le lanceur de runbooks
#
# La même chose, en formulaire construit d'après la cellule des paramètres. Gardez-le
# dans une variable (ici `launcher`) : après **Lancer**, `launcher.record` est
# l'enregistrement de l'exécution. Un paramètre dont le commentaire liste les valeurs,
# comme `action` (start, shutdown ou reboot), est un choix.

# %%
from fxkit.widgets import RunbookLauncher

launcher = RunbookLauncher("domu-lifecycle", runs_dir=seminar.runs_dir())
launcher

# %% [markdown] tags=["lang-en"]
# ## Exercise
#
# `web` *(lab)* must be stopped for maintenance. Use the `domu-lifecycle` runbook to
# shut it down for real, and keep the record in a variable `rec_web`: with the launcher
# above (domu `web`, action `shutdown`, tick `apply`, **Run**, then
# `rec_web = launcher.record`), or with `seminar.run_runbook`.

# %% [markdown] tags=["lang-fr"]
# ## Exercice
#
# `web` *(lab)* doit être arrêté pour maintenance. Servez-vous du runbook
# `domu-lifecycle` pour l'arrêter pour de vrai, et gardez l'enregistrement dans une
# variable `rec_web` : avec le lanceur ci-dessus (domu `web`, action `shutdown`, cochez
# `apply`, **Lancer**, puis `rec_web = launcher.record`), ou avec `seminar.run_runbook`.

# %%
rec_web = None
# your commands here / vos commandes ici


# %%
print(seminar.check_run(rec_web, changed=True))
print(seminar.check_domu(fx, "web", running=False))

# %% [markdown] tags=["lang-en", "solution"]
# ### Solution
#
# Try first! Then run these cells.

# %% [markdown] tags=["lang-fr", "solution"]
# ### Solution
#
# Cherchez d'abord ! Puis lancez ces cellules.

# %% tags=["solution"]
from fxkit.xen import plan_domu_start, read_domu_facts

# A shutdown that finds web already stopped changes nothing, and the check asks for a run
# that did: if an earlier try stopped web another way, start it again first.
plan_domu_start(read_domu_facts(fx), "web").apply(fx)
rec_web = seminar.run_runbook("domu-lifecycle", {"domu": "web", "action": "shutdown"},
                              apply=True)
print(seminar.check_run(rec_web, changed=True))
print(seminar.check_domu(fx, "web", running=False))

# %% [markdown] tags=["lang-en"]
# ## To remember
#
# * On the real fx, changes go through runbooks: parameters checked first, a dry run by
#   default, `apply=True` (CLI: `--apply`) to change the host, under its lock.
# * Each run leaves the executed notebook and a record; the audit log holds every
#   command, chained.
# * Verify a run: checksum, audit log, the host itself, and a second run that changes
#   nothing.
#
# That is the course. On the real fx, the same runbooks run with `host` set to fx
# (`fxkit run lv-extend --host fx -p lv backup-root -p size +1G`, then `--apply`),
# and their records go to `runs/`. Keep the glossary from notebook 00 at hand.

# %% [markdown] tags=["lang-fr"]
# ## À retenir
#
# * Sur le vrai fx, les changements passent par des runbooks : paramètres vérifiés
#   d'abord, essai à blanc par défaut, `apply=True` (en ligne de commande : `--apply`)
#   pour changer l'hôte, sous son verrou.
# * Chaque exécution laisse le notebook exécuté et un enregistrement ; le journal d'audit
#   garde chaque commande, chaînée.
# * Vérifier une exécution : somme de contrôle, journal d'audit, l'hôte lui-même, et une
#   seconde exécution qui ne change rien.
#
# Le cours s'arrête là. Sur le vrai fx, les mêmes runbooks tournent avec `host` mis à fx
# (`fxkit run lv-extend --host fx -p lv backup-root -p size +1G`, puis `--apply`), et
# leurs enregistrements vont dans `runs/`. Gardez le glossaire du notebook 00 sous la
# main.
