"""The seminar's two languages: which one the notebook speaks, and its sentences in both.

``seminar.start(lang="fr")`` sets it for the kernel; every check, hint and refusal after
that speaks French. A sentence is looked up by key and formatted with ``str.format``::

    >>> set_language("fr"); say("lab_ready", state="fresh", scenario="fx", host="lab")
    "Lab prêt : une copie neuve de 'fx', joignable sous le nom 'lab'. Les commandes %fx y \
sont exécutées."
    >>> set_language("en")
"""

from __future__ import annotations

from fxkit.errors import InvalidRequest

LANGUAGES = ("en", "fr")
_state = {"lang": "en"}

MESSAGES: dict[str, tuple[str, str]] = {
    "lab_ready": ("Lab ready: {state_en}, reached as {host!r}. %fx commands run there.",
                  "Lab prêt : {state_fr}, joignable sous le nom {host!r}. Les commandes %fx y "
                  "sont exécutées."),
    "lab_reset": ("{trainee}'s lab is a fresh copy of {scenario!r} again: everything done in it "
                  "is gone.", "Le lab de {trainee} est de nouveau une copie neuve de "
                  "{scenario!r} : tout ce qui y avait été fait est effacé."),
    "lab_at": ("{trainee}'s lab is now at the start of notebook {notebook} (as if {done} were "
               "done).", "Le lab de {trainee} est maintenant au début du notebook {notebook} "
               "(comme si {done} avaient été faits)."),
    "pass": ("PASS", "RÉUSSI"),
    "not_yet": ("NOT YET", "PAS ENCORE"),
    # check_lv
    "lv_missing": ("{ref} does not exist", "{ref} n'existe pas"),
    "lv_create_it": ("create it with lvcreate -n {lv} ... {vg}",
                     "créez-le avec lvcreate -n {lv} ... {vg}"),
    "lv_size": ("it is {have}, the exercise asks for {want}",
                "il fait {have}, l'exercice demande {want}"),
    "lv_there": ("{ref} is there: {have}", "{ref} est là : {have}"),
    "lv_fs_ok": (", {fs} filesystem", ", système de fichiers {fs}"),
    "lv_not_as_asked": ("{ref} is not as asked", "{ref} n'est pas comme demandé"),
    "fs_wrong": ("it holds {seen}, not {fs}", "il contient {seen}, pas {fs}"),
    "fs_none": ("no filesystem", "aucun système de fichiers"),
    "fs_short": ("its {fs} filesystem covers {fs_size} of {have}: grow it too (resize2fs, or "
                 "lvextend -r)", "son système de fichiers {fs} couvre {fs_size} sur {have} : "
                 "agrandissez-le aussi (resize2fs, ou lvextend -r)"),
    "fs_larger": ("its {fs} filesystem is {fs_size} but the LV only {have}: the LV was shrunk "
                  "under it and the end of the filesystem is cut off (e2fsck -n: \"{why}\"). "
                  "What was there is lost: restore from a backup, or make a new filesystem "
                  "(mkfs.ext4) if nothing on it matters. Shrink with lvreduce -r, which "
                  "shrinks the filesystem first",
                  "son système de fichiers {fs} fait {fs_size} mais le LV seulement {have} : "
                  "le LV a été réduit sous lui, et la fin du système de fichiers est coupée "
                  "(e2fsck -n : « {why} »). Ce qui s'y trouvait est perdu : restaurez une "
                  "sauvegarde, ou refaites un système de fichiers (mkfs.ext4) si rien ne "
                  "compte dessus. Pour réduire, lvreduce -r, qui réduit d'abord le système "
                  "de fichiers"),
    "fs_errors": ("e2fsck -n finds errors in its {fs} filesystem (exit status {status}): "
                  "\"{why}\"; repair it with e2fsck -f while nothing uses it",
                  "e2fsck -n trouve des erreurs dans son système de fichiers {fs} (code "
                  "{status}) : « {why} » ; réparez-le avec e2fsck -f quand rien ne l'utilise"),
    "fs_in_use": (" (in use by a running domU: only its size was checked)",
                  " (utilisé par un domU en marche : seule sa taille a été vérifiée)"),
    # check_domu
    "domu_no_config": ("no config file in /etc/xen says name = \"{name}\"",
                       "aucun fichier de configuration de /etc/xen ne dit name = \"{name}\""),
    "domu_not_running": ("{name} is not running: start it with xl create /etc/xen/{name}.cfg",
                         "{name} ne tourne pas : démarrez-le avec xl create "
                         "/etc/xen/{name}.cfg"),
    "domu_still_running": ("{name} is still running: shut it down (xl shutdown -w {name})",
                           "{name} tourne encore : arrêtez-le (xl shutdown -w {name})"),
    "domu_memory_cfg": ("its config gives memory = {have}, not {want}",
                        "sa configuration donne memory = {have}, pas {want}"),
    "domu_memory_run": ("it runs with {have} MiB: the config changed, restart the domain "
                        "(shutdown, then create) for it to take effect",
                        "il tourne avec {have} Mio : la configuration a changé, redémarrez "
                        "le domaine (shutdown, puis create) pour qu'elle s'applique"),
    "domu_bridges": ("its vifs are on {have}, the exercise asks for {want}",
                     "ses vifs sont sur {have}, l'exercice demande {want}"),
    "domu_no_bridge": ("no bridge", "aucun pont"),
    "domu_not_as_asked": ("domU {name} is not as asked", "le domU {name} n'est pas comme "
                          "demandé"),
    "domu_ok": ("domU {name} is {state}{mem}{vifs}", "le domU {name} est {state}{mem}{vifs}"),
    "state_running": ("running", "en marche"),
    "state_stopped": ("defined and stopped", "défini et arrêté"),
    "state_defined": ("defined", "défini"),
    "with_mem": (" with {memory} MiB", " avec {memory} Mio"),
    "vifs_on": (", its vifs on {bridges}", ", ses vifs sur {bridges}"),
    # check_reaches
    "reach_not_running": ("{domu} is not running, so it reaches nothing",
                          "{domu} ne tourne pas, il n'atteint donc rien"),
    "reach_start": ("start it: xl create /etc/xen/{domu}.cfg",
                    "démarrez-le : xl create /etc/xen/{domu}.cfg"),
    "reach_yes": ("{domu} reaches {network} (it reaches {now})",
                  "{domu} atteint {network} (il atteint {now})"),
    "reach_no": ("{domu} does not reach {network} (it reaches {now})",
                 "{domu} n'atteint pas {network} (il atteint {now})"),
    "reach_now": ("{domu} reaches {now}", "{domu} atteint {now}"),
    "nothing": ("nothing", "rien"),
    "reach_add": ("give it a vif on a bridge whose uplink leads there, then restart it",
                  "donnez-lui une vif sur un pont dont la liaison montante y mène, puis "
                  "redémarrez-le"),
    "reach_remove": ("remove its vif on the bridge leading there, then restart it",
                     "retirez sa vif sur le pont qui y mène, puis redémarrez-le"),
    # check_doctor, check_run
    "doctor_bad": ("doctor finds {n} error(s)", "doctor trouve {n} erreur(s)"),
    "doctor_ok": ("doctor finds no error ({n} finding(s) in all)",
                  "doctor ne trouve aucune erreur ({n} remarque(s) en tout)"),
    "run_first": ("run the runbook first, and keep the record it returns",
                  "lancez d'abord le runbook, et gardez l'enregistrement qu'il renvoie"),
    "run_status": ("its status is {status!r}", "son statut est {status!r}"),
    "run_nothing": ("it changed nothing: was apply=True?",
                    "il n'a rien changé : apply=True était-il donné ?"),
    "run_changed": ("it changed the host, the exercise asks for a dry run",
                    "il a changé l'hôte, l'exercice demande un essai à blanc"),
    "run_not_as_asked": ("the run of {runbook} is not as asked",
                         "l'exécution de {runbook} n'est pas comme demandé"),
    "run_ok": ("{runbook} {status}{changed}", "{runbook} : {status}{changed}"),
    "run_did_change": (", and changed the host", ", et a changé l'hôte"),
    # expect_refusal
    "refused_command": ("Refused, as expected: `{command}` exited with status {status}.",
                        "Refusé, comme prévu : `{command}` a terminé avec le code {status}."),
    "refused_error": ("Refused, as expected ({kind}):\n{error}",
                      "Refusé, comme prévu ({kind}) :\n{error}"),
    "not_refused": ("Not refused: this went through (was it supposed to?)",
                    "Pas refusé : c'est passé (était-ce prévu ?)"),
    # check_answer
    "answer_missing": ("{question}: write your answer in the cell above",
                       "{question} : écrivez votre réponse dans la cellule au-dessus"),
    "answer_right": ("{question}: {answer!r} is right", "{question} : {answer!r} est juste"),
    "answer_wrong": ("{question}: {answer!r} is not what the lab says",
                     "{question} : {answer!r} n'est pas ce que dit le lab"),
    "answer_kind": ("{question}: {answer!r} is {got}, the question wants {want}",
                    "{question} : {answer!r} est {got}, la question attend {want}"),
    "a_number": ("a whole number, like 3", "un nombre entier, comme 3"),
    "a_word": ("a word in quotes, like \"abc\"", "un mot entre guillemets, comme \"abc\""),
    "a_set": ("a set of names, like {{\"a\", \"b\"}}", "un ensemble de noms, comme "
              "{{\"a\", \"b\"}}"),
    "kind_str": ("text", "du texte"),
    "kind_other": ("a {kind}", "un {kind}"),
}


def set_language(lang: str) -> str:
    """Make ``lang`` ("en" or "fr") the seminar's language; return it."""
    if lang not in LANGUAGES:
        raise InvalidRequest(f"language {lang!r}: the seminar speaks {' and '.join(LANGUAGES)}"
                             "; use lang=\"en\" or lang=\"fr\"")
    _state["lang"] = lang
    return lang


def current_language() -> str:
    return _state["lang"]


def say(key: str, lang: str | None = None, **values: object) -> str:
    """The sentence ``key`` in ``lang`` (default: the current language), filled in."""
    text = MESSAGES[key][LANGUAGES.index(lang or _state["lang"])]
    if key == "lab_ready":
        values.update(_lab_state(values))
    return text.format(**values)


def _lab_state(values: dict[str, object]) -> dict[str, str]:
    """How ``start`` found the lab, in both languages (see MESSAGES["lab_ready"])."""
    state, scenario, nb = values.get("state"), values.get("scenario"), values.get("notebook")
    who = values.get("trainee")
    if state == "fresh":
        return {"state_en": f"a fresh copy of {scenario!r}",
                "state_fr": f"une copie neuve de {scenario!r}"}
    if state == "created" and nb:
        return {"state_en": f"{who}'s new lab, at the start of notebook {nb}",
                "state_fr": f"le nouveau lab de {who}, au début du notebook {nb}"}
    if state == "created":
        return {"state_en": f"{who}'s new lab, a fresh copy of {scenario!r}",
                "state_fr": f"le nouveau lab de {who}, une copie neuve de {scenario!r}"}
    return {"state_en": f"{who}'s lab {scenario!r}, as you left it (nothing was reset)",
            "state_fr": f"le lab {scenario!r} de {who}, tel que vous l'avez laissé (rien n'a "
                        "été remis à zéro)"}
