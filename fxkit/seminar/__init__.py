"""What the onboarding notebooks use: the trainee's lab, exercise checks, the glossary.

    >>> from fxkit import seminar
    >>> fx = seminar.start()                                              # doctest: +SKIP
    >>> seminar.check_lv(fx, "lvm", "scratch", size="2G", fs="ext4")     # doctest: +SKIP
"""

from fxkit.seminar.checks import (
    Check,
    check_answer,
    check_doctor,
    check_domu,
    check_lv,
    check_reaches,
    check_run,
    expect_refusal,
    run_runbook,
    runs_dir,
    start,
)
from fxkit.seminar.glossary import GLOSSARY, Term, glossary

__all__ = ["GLOSSARY", "Check", "Term", "check_answer", "check_doctor", "check_domu",
           "check_lv", "check_reaches", "check_run", "expect_refusal", "glossary",
           "run_runbook", "runs_dir", "start"]
