"""What the onboarding notebooks use: the trainee's lab, its checkpoints, exercise checks and
their progress log, the glossary, in English or French.

    >>> from fxkit import seminar
    >>> fx = seminar.start(lang="fr", notebook="01")                      # doctest: +SKIP
    >>> seminar.check_lv(fx, "lvm", "scratch", size="2G", fs="ext4")     # doctest: +SKIP
    >>> seminar.reset_to("03")                                           # doctest: +SKIP
"""

from fxkit.seminar.answers import QUESTIONS, check_answer
from fxkit.seminar.checkpoints import NOTEBOOKS, checkpoint_text, install_checkpoint
from fxkit.seminar.checks import (
    Check,
    check_doctor,
    check_domu,
    check_lv,
    check_reaches,
    check_run,
)
from fxkit.seminar.editions import copy_edition, student_edition
from fxkit.seminar.glossary import GLOSSARY, Term, glossary, translate
from fxkit.seminar.i18n import current_language, set_language
from fxkit.seminar.progress import progress_grid, progress_log, read_progress
from fxkit.seminar.session import expect_refusal, reset, reset_to, run_runbook, runs_dir, start
from fxkit.seminar.trainee import current_trainee
from fxkit.seminar.trainer import watch_progress

__all__ = ["GLOSSARY", "NOTEBOOKS", "QUESTIONS", "Check", "Term", "check_answer",
           "check_doctor", "check_domu", "check_lv", "check_reaches", "check_run",
           "checkpoint_text", "copy_edition", "current_language", "current_trainee",
           "expect_refusal", "glossary", "install_checkpoint", "progress_grid", "progress_log",
           "read_progress", "reset", "reset_to", "run_runbook", "runs_dir", "set_language",
           "start", "student_edition", "translate", "watch_progress"]
