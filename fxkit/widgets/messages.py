"""Every text the widgets show, in English and French: the seminar's language picks one.

A widget asks for a text by key when it is built or redrawn, so one built after
``seminar.start(lang="fr")`` speaks French; outside the seminar the language is English.
Texts are filled in with ``str.format``; the values are escaped by the caller when the
text goes into HTML (the keys ending in ``_html`` already hold markup)::

    >>> from fxkit.seminar.i18n import set_language
    >>> set_language("fr")
    'fr'
    >>> text("apply")
    'Appliquer'
    >>> set_language("en")
    'en'
"""

from __future__ import annotations

from fxkit.seminar.i18n import LANGUAGES, current_language

WIDGET_MESSAGES: dict[str, tuple[str, str]] = {
    # _common: the confirmation row, shared by the LV planner and the domU builder
    "plan": ("Plan", "Planifier"),
    "apply": ("Apply", "Appliquer"),
    "confirm": ("confirm", "confirmer"),
    "confirm_placeholder": ("name to confirm", "nom à confirmer"),
    "destroys_html": ("<b>This plan destroys {what}.</b> Tick the box and type <code>{name}"
                      "</code> to confirm.", "<b>Ce plan détruit {what}.</b> Cochez la case et "
                      "tapez <code>{name}</code> pour confirmer."),
    "need_name": ("nothing applied: this plan destroys {what}; type {name} in the confirm "
                  "field", "rien n'a été appliqué : ce plan détruit {what} ; tapez {name} dans "
                  "le champ confirmer"),
    "need_tick": ("nothing applied: make a plan, read it, and tick the box first",
                  "rien n'a été appliqué : faites d'abord un plan, lisez-le, et cochez la case"),
    # lv_planner
    "mode": ("mode", "mode"),
    "mode_create": ("create a new LV", "créer un LV"),
    "mode_extend": ("extend an LV", "agrandir un LV"),
    "mode_remove": ("remove an LV", "supprimer un LV"),
    "vg": ("VG", "VG"),
    "lv": ("LV", "LV"),
    "lv_name": ("LV name", "nom du LV"),
    "size_mib": ("size (MiB)", "taille (Mio)"),
    "add_mib": ("add (MiB)", "ajout (Mio)"),
    "filesystem": ("filesystem", "syst. fichiers"),
    "fs_none": ("none", "aucun"),
    "lv_plan_tip": ("Show what would be done; nothing runs",
                    "Montrer ce qui serait fait ; rien n'est exécuté"),
    "lv_confirm": ("I have read this plan: let me apply it",
                   "J'ai lu ce plan : je peux l'appliquer"),
    "vg_free": ("{free} free of {size} in {vg} (extents of {step} MiB)",
                "{free} libres sur {size} dans {vg} (extents de {step} Mio)"),
    # domu_builder
    "domu_name": ("domU name", "nom du domU"),
    "memory_mib": ("memory (MiB)", "mémoire (Mio)"),
    "xen_free": ("Xen can still give {free} MiB to a new domain (xl info free_memory)",
                 "Xen peut encore donner {free} Mio à un nouveau domaine (xl info "
                 "free_memory)"),
    "vcpus": ("vcpus", "vcpus"),
    "root_gib": ("root (GiB)", "racine (Gio)"),
    "swap_mib": ("swap (MiB)", "swap (Mio)"),
    "bridges": ("bridges", "ponts"),
    "no_uplink": ("no uplink: dom0 only", "sans liaison montante : dom0 seul"),
    "domu_plan_tip": ("Show the config file and the plan; nothing runs",
                      "Montrer le fichier de configuration et le plan ; rien n'est exécuté"),
    "domu_confirm": ("I have read the config and the plan: let me apply them",
                     "J'ai lu la configuration et le plan : je peux les appliquer"),
    "need_bridge": ("choose at least one bridge: a domU without a vif reaches no network",
                    "choisissez au moins un pont : un domU sans vif n'atteint aucun réseau"),
    # net_explorer
    "domu": ("domU", "domU"),
    "whole_host": ("(whole host)", "(tout l'hôte)"),
    "refresh": ("Refresh", "Actualiser"),
    "net_refresh_tip": ("Read the network facts again", "Relire l'état du réseau"),
    "reach_none": ("{domu} reaches no external network", "{domu} n'atteint aucun réseau externe"),
    "reach_through": ("{domu} reaches {networks} (through {uplinks} on dom0)",
                      "{domu} atteint {networks} (par {uplinks} sur le dom0)"),
    "host_title": ("{host}: network configuration", "{host} : configuration réseau"),
    "path_title": ("{host}: the path of {domu}", "{host} : le chemin de {domu}"),
    # runbook_launcher
    "runbook": ("runbook", "runbook"),
    "run": ("Run", "Lancer"),
    "run_tip": ("Run the runbook with these parameters",
                "Lancer le runbook avec ces paramètres"),
    "no_runbooks": ("no runbooks found", "aucun runbook trouvé"),
    "running": ("running...", "en cours..."),
    "ran_on_html": ("<b>{runbook}</b> on {host}: <b>{status}</b>, {changed}",
                    "<b>{runbook}</b> sur {host} : <b>{status}</b>, {changed}"),
    "changed_host": ("changed the host", "a changé l'hôte"),
    "changed_nothing": ("changed nothing", "n'a rien changé"),
    "output_notebook": ("output notebook", "notebook produit"),
    "record": ("record", "enregistrement"),
    "open": ("open", "ouvrir"),
    "cell_failed": ("cell {cell}: {ename}: {evalue}", "cellule {cell} : {ename} : {evalue}"),
    # vg_usage
    "vg_title": ("Volume groups: used and free", "Groupes de volumes : occupé et libre"),
    "used": ("used", "occupé"),
    "free": ("free", "libre"),
    "free_of": ("{free} free of {size}", "{free} libres sur {size}"),
    "gib": ("GiB", "Gio"),
    "lvs": ("LVs", "LV"),
    "size": ("size", "taille"),
    "used_pct": ("used %", "% occupé"),
    "vg_refresh_tip": ("Read the VGs again from the host", "Relire les VG sur l'hôte"),
}


def text(key: str, **values: object) -> str:
    """The widget text ``key`` in the seminar's current language, filled in with ``values``."""
    return WIDGET_MESSAGES[key][LANGUAGES.index(current_language())].format(**values)
