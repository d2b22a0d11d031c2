"""Questions with one right answer: each with its own hint, answers compared for their meaning.

``check_answer(answer, expected, question="cpus")`` looks the question up in ``QUESTIONS``
(its text and hints in both languages); any other text is used as the question itself.
Answers that mean the same as the truth pass: ``"8"`` for 8, ``"PV"`` for ``"pv"``, a list
or tuple for a set. An answer of the wrong kind says which kind the question wants::

    >>> check_answer("8", 8, question="cpus").ok
    True
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fxkit.seminar.checks import Check, recorded
from fxkit.seminar.i18n import LANGUAGES, current_language, say

Pair = tuple[str, str]          # (English, French)


@dataclass(frozen=True)
class Question:
    text: Pair
    hint: Pair
    # (normalised answer, normalised truth) -> a hint for that particular wrong answer
    special: Callable[[object, object], Pair | None] | None = None


def _cpus(answer: object, truth: object) -> Pair | None:
    if answer == 4:
        return ("4 is the cores of one processor: how many processors does fx have?",
                "4, ce sont les cœurs d'un processeur : combien fx a-t-il de processeurs ?")
    return None


def _dom0(answer: object, truth: object) -> Pair | None:
    if isinstance(answer, int) and answer >= 4000:
        return ("that is the whole machine's memory; Xen gives dom0 only a part of it",
                "c'est la mémoire de toute la machine ; Xen n'en donne qu'une partie au dom0")
    if isinstance(answer, int) and isinstance(truth, int) and truth - 64 < answer < truth:
        return ("that is what free -m shows inside dom0, a little less than Xen gives it "
                "(its kernel keeps some): the question asks what Xen says",
                "c'est ce que free -m montre dans le dom0, un peu moins que ce que Xen lui "
                "donne (son noyau en garde) : la question demande ce que dit Xen")
    return None


def _vlan42(answer: object, truth: object) -> Pair | None:
    if isinstance(answer, frozenset) and isinstance(truth, frozenset) and answer - truth:
        extra = ", ".join(sorted(map(str, answer - truth)))
        return (f"{extra}: its config names xenbr1, but a domU that is not running has no vif: "
                "it reaches nothing now. The question asks about the running domUs",
                f"{extra} : sa configuration nomme xenbr1, mais un domU arrêté n'a pas de "
                "vif : il n'atteint rien maintenant. La question porte sur les domU en marche")
    return None


QUESTIONS: dict[str, Question] = {
    "cpus": Question(("CPUs Xen shares", "processeurs (cœurs) que Xen partage"),
                     ("look for nr_cpus in Xen's summary, or count the processor lines of "
                      "/proc/cpuinfo", "cherchez nr_cpus dans le résumé de Xen, ou comptez les "
                      "lignes processor de /proc/cpuinfo"), _cpus),
    "dom0_mem": Question(("dom0's memory in MiB (as Xen sees it)",
                          "mémoire du dom0 en Mio (vue par Xen)"),
                         ("read the Mem column of the Domain-0 line of `%fx xl list`",
                          "lisez la colonne Mem de la ligne Domain-0 de `%fx xl list`"), _dom0),
    "web_type": Question(("web's kind of guest", "type d'invité de web"),
                         ("a PV guest boots a kernel its config names (kernel = ...); "
                          "`%fx xl list -l` says \"type\" for each domain",
                          "un invité PV démarre un noyau que sa configuration nomme (kernel = "
                          "...) ; `%fx xl list -l` donne le \"type\" de chaque domaine")),
    "vlan42": Question(("running domUs on VLAN 42", "domU en marche sur le VLAN 42"),
                       ("follow the vifs in `%fx brctl show` to the bridge whose uplink is "
                        "eth0.42, then vif numbers to domains with `%fx xl list`",
                        "suivez les vifs de `%fx brctl show` jusqu'au pont dont la liaison "
                        "montante est eth0.42, puis les numéros des vifs jusqu'aux domaines "
                        "avec `%fx xl list`"), _vlan42),
}


class _Kind(Exception):
    def __init__(self, want: str) -> None:
        self.want = want


def _word(x: object) -> object:
    return x.strip().casefold() if isinstance(x, str) else x


def _normal(value: object, like: object) -> object:
    """``value`` in the form of ``like`` (the truth), or _Kind if it cannot mean the same."""
    if isinstance(like, bool):
        return value
    if isinstance(like, int):
        if isinstance(value, bool):
            raise _Kind("a_number")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            return int(value)
        raise _Kind("a_number")
    if isinstance(like, str):
        if not isinstance(value, str):
            raise _Kind("a_word")
        return _word(value)
    if isinstance(like, (set, frozenset, list, tuple)):
        if not isinstance(value, (set, frozenset, list, tuple)):
            raise _Kind("a_set")
        return frozenset(_word(v) for v in value)
    return value


@recorded(lambda a: a["question"])
def check_answer(answer: object, expected: object, *, question: str,
                 hint: str | None = None) -> Check:
    """Compare a trainee's answer with the lab's truth, for its meaning (see the module)."""
    lang = LANGUAGES.index(current_language())
    q = QUESTIONS.get(question)
    label = q.text[lang] if q else question
    if answer is None or answer is ...:
        return Check(False, say("answer_missing", question=label))
    truth = _normal(expected, expected)
    try:
        given = _normal(answer, expected)
    except _Kind as k:
        got = say("kind_str") if isinstance(answer, str) else say(
            "kind_other", kind=type(answer).__name__)
        return Check(False, say("answer_kind", question=label, answer=answer, got=got,
                                want=say(k.want)))
    if given == truth:
        return Check(True, say("answer_right", question=label, answer=answer))
    details = []
    if q is not None and q.special is not None and (special := q.special(given, truth)):
        details.append(special[lang])
    if hint or q is not None:
        details.append(hint or q.hint[lang])  # type: ignore[union-attr]
    return Check(False, say("answer_wrong", question=label, answer=answer), details)
