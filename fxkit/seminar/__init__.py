"""What the onboarding notebooks use: the trainee's lab, exercise checks, the glossary, in
English or French.

    >>> from fxkit import seminar
    >>> fx = seminar.start(lang="fr")                                     # doctest: +SKIP
    >>> seminar.check_lv(fx, "lvm", "scratch", size="2G", fs="ext4")     # doctest: +SKIP
"""

from fxkit.seminar.answers import QUESTIONS, check_answer
from fxkit.seminar.checks import (
    Check,
    check_doctor,
    check_domu,
    check_lv,
    check_reaches,
    check_run,
)
from fxkit.seminar.glossary import GLOSSARY, Term, glossary, translate
from fxkit.seminar.i18n import current_language, set_language
from fxkit.seminar.session import expect_refusal, run_runbook, runs_dir, start

__all__ = ["GLOSSARY", "QUESTIONS", "Check", "Term", "check_answer", "check_doctor",
           "check_domu", "check_lv", "check_reaches", "check_run", "current_language",
           "expect_refusal", "glossary", "run_runbook", "runs_dir", "set_language", "start",
           "translate"]
