# %% [markdown]
# # 05 · From notebook to runbook
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

# %%
from fxkit import seminar

fx = seminar.start()
%load_ext fxkit.magics
%matplotlib inline

# %% [markdown]
# ## The runbooks
#
# Each is a notebook; `fxkit run NAME` (or the Python function below) executes it
# with papermill, the tool Jupyter users run notebooks with in production.

# %%
from fxkit.runbook import available_runbooks, find_runbook

available_runbooks()

# %% [markdown]
# A runbook declares its parameters in one cell tagged `parameters`, with their
# defaults and a comment each. fxkit reads them (with papermill's inspection) and
# checks the values you give **before** anything starts. Those of `lv-extend`:

# %%
from fxkit.runbook import read_specs

for spec in read_specs(find_runbook("lv-extend")).values():
    print(f"{spec.name:<10} {spec.type:<5} default {spec.default:<8} {spec.help}")

# %% [markdown]
# In this course, `seminar.run_runbook` runs them: it is `fxkit.runbook.run_runbook`
# with the course's own directory for the runs. Bad values never reach the host:

# %%
with seminar.expect_refusal():
    seminar.run_runbook("lv-extend", {"lv": "backup-root; rm -rf /"})

# %% [markdown]
# ## A dry run
#
# `backup` keeps nightly copies and its disk is getting full: grow `lvm/backup-root`
# by 1 GiB. Without `apply`, the runbook reads the facts and shows its plan, and
# changes nothing.

# %%
rec = seminar.run_runbook("lv-extend", {"lv": "backup-root", "size": "+1G"})
print("status :", rec.status)
print("changed:", rec.changed)
print("outcome:", rec.outcome["reason"])

# %% [markdown]
# ## For real
#
# Same parameters, with `apply=True`. The runbook takes the host's lock (two admins
# cannot change fx at once), applies the plan step by step, then reads the facts again
# to verify.

# %%
rec = seminar.run_runbook("lv-extend", {"lv": "backup-root", "size": "+1G"}, apply=True)
print("status :", rec.status)
print("changed:", rec.changed)
for step in rec.outcome["steps"]:
    print("  done :", step)

# %%
seminar.check_lv(fx, "lvm", "backup-root", size="9G", fs="ext4")

# %% [markdown]
# ## The record
#
# Next to the executed notebook, a JSON record says who ran what, where, with which
# parameters, and what came of it. (The run's date and time are in it too, and in its
# file name.)

# %%
import json

record = json.loads(rec.record_path.read_text())
for key in ("runbook", "host", "parameters", "status", "changed"):
    print(f"{key:<11}: {record[key]}")
print(f"{'operator':<11}: {'(you)' if record['operator'] else '?'}")
print(f"{'commands':<11}: every command run on the host, from the audit log")

# %% [markdown]
# Most commands only read facts (`pvs`, `vgs`, `lvs`, `blkid`...): a plan is re-checked
# before each step. The ones that changed something:

# %%
READERS = ("pvs", "vgs", "lvs", "blkid", "dumpe2fs", "ls", "xl list")
for line in rec.audit_lines:
    command = " ".join(line["argv"])
    if not command.startswith(READERS):
        print(f"exit {line['exit_status']}  {command}")

# %% [markdown]
# `mkdir` and `rm` of `/run/lock/fxkit.lock` are the lock being taken and released.
#
# The executed notebook shows the plan exactly as the runbook printed it:

# %%
import nbformat

executed = nbformat.read(rec.notebook, as_version=4)
for cell in executed.cells:
    for output in cell.get("outputs", []):
        text = output.get("data", {}).get("text/plain", "")
        if text.startswith("Plan:"):
            print(text)

# %% [markdown]
# ## Verifying a run
#
# **1.** The record's checksum matches the executed notebook: it was not edited after
# the run.

# %%
from fxkit.runbook import sha256_file

sha256_file(rec.notebook) == rec.notebook_sha256

# %% [markdown]
# **2.** The audit log, where fxkit writes every command it runs on any host, is
# intact: each line carries the hash of the line before, so a removed or edited line
# shows. (`fxkit audit verify` from a terminal.)

# %%
from fxkit import audit

problems = audit.verify(rec.audit_log)
print("audit log intact" if not problems else problems)

# %% [markdown]
# **3.** The host is as the run says (checked above with `check_lv`), and **4.** running
# it again changes nothing: the plan finds the LV already at its new size.

# %%
again = seminar.run_runbook("lv-extend", {"lv": "backup-root", "size": "9G"}, apply=True)
print(again.status, "| changed:", again.changed, "|", again.outcome["reason"])

# %% [markdown]
# ## The runbook launcher
#
# The same, as a form built from the parameters cell:

# %%
from fxkit.widgets import RunbookLauncher

RunbookLauncher("domu-lifecycle", runs_dir=seminar.runs_dir())

# %% [markdown]
# ## Exercise
#
# `web` must be stopped for maintenance. Use the `domu-lifecycle` runbook (with the
# launcher above, or `seminar.run_runbook`) to shut it down for real, and keep the record in
# a variable `rec_web`.

# %%
rec_web = None
# your commands here


# %%
print(seminar.check_run(rec_web, changed=True))
print(seminar.check_domu(fx, "web", running=False))

# %% [markdown]
# ### Solution
#
# Try first! Then run these cells.

# %%
rec_web = seminar.run_runbook("domu-lifecycle", {"domu": "web", "action": "shutdown"},
                              apply=True)
print(seminar.check_run(rec_web, changed=True))
print(seminar.check_domu(fx, "web", running=False))

# %% [markdown]
# That is the course. On the real fx, the same runbooks run with `host` set to fx
# (`fxkit run lv-extend --host fx -p lv backup-root -p size +1G`, then `--apply`),
# and their records go to `runs/`. Keep the glossary from notebook 00 at hand.
