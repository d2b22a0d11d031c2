"""The seminar's glossary, both ways: the 2007 talk's French terms and today's English ones.

``glossary()`` shows it in the notebook's language (its words first); ``translate`` looks a
term up in either language::

    >>> translate("pont")
    'bridge'
    >>> translate("software switch")
    'switch logiciel'
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from fxkit.errors import InvalidRequest
from fxkit.seminar.i18n import current_language


@dataclass(frozen=True)
class Term:
    french: str
    english: str
    meaning: str          # in English
    sens: str = ""        # the same, in French
    talk: bool = False    # a word of the 2007 talk itself


GLOSSARY: tuple[Term, ...] = (
    Term("volume physique (PV)", "physical volume (PV)",
         "a disk or partition handed to LVM; the bottom layer",
         "un disque ou une partition confiée à LVM ; la couche du bas", True),
    Term("groupe de volumes (VG)", "volume group (VG)",
         "a pool made of one or more PVs, cut into extents",
         "une réserve faite d'un ou plusieurs PV, découpée en extents", True),
    Term("volume logique (LV)", "logical volume (LV)",
         "a slice of a VG used like a partition; a domU's disk on fx",
         "une tranche de VG utilisée comme une partition ; le disque d'un domU sur fx", True),
    Term("extent physique (PE)", "physical extent (PE)",
         "the unit LVM allocates in (4 MiB by default); sizes round up to it",
         "l'unité d'allocation de LVM (4 Mio par défaut) ; les tailles s'y arrondissent"),
    Term("à la volée", "on the fly", "while the system runs, without stopping it",
         "pendant que le système tourne, sans l'arrêter", True),
    Term("redimensionnement à la volée", "online resizing",
         "growing an LV (and its filesystem) without stopping what uses it",
         "agrandir un LV (et son système de fichiers) sans arrêter ce qui l'utilise", True),
    Term("création et suppression à chaud", "hot creation and removal",
         "making or deleting LVs while the machine runs",
         "créer ou supprimer des LV pendant que la machine tourne", True),
    Term("système de fichiers", "filesystem",
         "the structure inside an LV (ext4, swap); it must grow after the LV does",
         "la structure dans un LV (ext4, swap) ; elle doit grandir après le LV"),
    Term("hyperviseur", "hypervisor",
         "the thin layer (Xen) between the hardware and every virtual machine",
         "la fine couche (Xen) entre le matériel et chaque machine virtuelle", True),
    Term("domaine privilégié (dom0)", "privileged domain (dom0)",
         "the first Linux system Xen starts; it runs the tools and drives the hardware",
         "le premier Linux que Xen démarre ; il porte les outils et pilote le matériel", True),
    Term("domaine non privilégié (domU)", "unprivileged domain (domU)",
         "a guest system; it sees only what dom0 gives it",
         "un système invité ; il ne voit que ce que le dom0 lui donne", True),
    Term("système invité", "guest system", "another name for a domU",
         "un autre nom du domU", True),
    Term("paravirtualisation (PV)", "paravirtualisation (PV)",
         "the guest kernel knows it runs on Xen and calls it directly",
         "le noyau invité sait qu'il tourne sur Xen et l'appelle directement", True),
    Term("virtualisation matérielle (HVM)", "hardware virtualisation (HVM)",
         "the CPU's extensions (Intel VT, AMD-V, once called Pacifica) let an unmodified "
         "system run as a guest", "les extensions du processeur (Intel VT, AMD-V, jadis "
         "Pacifica) font tourner un système non modifié comme invité", True),
    Term("fichier de configuration", "config file",
         "a domU's description in /etc/xen: kernel, memory, disks, network",
         "la description d'un domU dans /etc/xen : noyau, mémoire, disques, réseau", True),
    Term("pont", "bridge", "a software switch in dom0 joining domU interfaces to a network",
         "un switch logiciel dans le dom0 qui relie les interfaces des domU à un réseau"),
    Term("switch logiciel", "software switch",
         "the talk's name for a bridge: a switch made of software",
         "le nom que la présentation donne au pont : un switch fait de logiciel", True),
    Term("interface réelle", "real interface",
         "a network card that exists: a physical one of fx (eth0), or a domU's own eth0",
         "une carte réseau qui existe : une carte physique de fx (eth0), ou l'eth0 d'un domU",
         True),
    Term("interface virtuelle (vif)", "virtual interface (vif)",
         "dom0's end of a domU's network card (vifDOMID.N), plugged into a bridge",
         "le bout côté dom0 de la carte réseau d'un domU (vifDOMID.N), branché sur un pont",
         True),
    Term("réseau local virtuel (VLAN)", "virtual LAN (VLAN)",
         "a separate network on the same cable, tagged with a number (802.1Q)",
         "un réseau séparé sur le même câble, marqué d'un numéro (802.1Q)", True),
    Term("lien ethernet physique", "physical Ethernet link", "a real cable",
         "un vrai câble", True),
    Term("dispositif réseau externe", "external network device",
         "something outside fx: the school backbone, the FreeBox",
         "quelque chose hors de fx : le backbone de l'école, la FreeBox", True),
    Term("grappe RAID1 (miroir)", "RAID1 array (mirror)",
         "two disks holding the same data, so one can fail",
         "deux disques qui portent les mêmes données, pour que l'un puisse lâcher"),
)


def _key(text: str) -> str:
    """A term without its abbreviation in brackets, lower-case, for lookups."""
    return _plain(text).casefold()


def translate(term: str, terms: tuple[Term, ...] = GLOSSARY) -> str:
    """The other language's word for ``term``: French -> English, English -> French."""
    wanted = _key(term)
    for t in terms:
        if wanted == _key(t.french):
            return _plain(t.english)
        if wanted == _key(t.english):
            return _plain(t.french)
    raise InvalidRequest(f"{term!r} is not in the seminar's glossary; glossary() lists its "
                         f"{len(terms)} terms")


def _plain(text: str) -> str:
    return re.sub(r"\s*\([^)]*\)", "", text).strip()


def glossary(terms: tuple[Term, ...] = GLOSSARY, lang: str | None = None) -> _Table:
    """The glossary as a table in ``lang`` (default: the seminar's language): HTML in a
    notebook, aligned text elsewhere. Terms of the 2007 talk are marked *."""
    return _Table(terms, lang or current_language())


@dataclass(frozen=True)
class _Table:
    terms: tuple[Term, ...]
    lang: str = "en"

    def rows(self) -> list[tuple[str, str, str]]:
        if self.lang == "fr":
            return [(t.french + (" *" if t.talk else ""), t.english, t.sens or t.meaning)
                    for t in self.terms]
        return [(t.english, t.french + (" *" if t.talk else ""), t.meaning) for t in self.terms]

    def head(self) -> tuple[str, str, str]:
        return (("français", "English", "sens") if self.lang == "fr"
                else ("English", "français", "meaning"))

    def note(self) -> str:
        return ("* : mot de la présentation de 2007" if self.lang == "fr"
                else "*: a word of the 2007 talk")

    def __str__(self) -> str:
        rows = self.rows()
        w1, w2 = (max(len(r[i]) for r in rows) for i in (0, 1))
        return "\n".join([f"{a:<{w1}}  {b:<{w2}}  {c}" for a, b, c in rows] + [self.note()])

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        e = html.escape
        body = "".join(f"<tr><td>{e(a)}</td><td><i>{e(b)}</i></td>"
                       f"<td style='text-align:left'>{e(c)}</td></tr>" for a, b, c in self.rows())
        h = self.head()
        return (f"<table class='fxkit-glossary'><tr><th>{h[0]}</th><th>{h[1]}</th>"
                f"<th style='text-align:left'>{h[2]}</th></tr>{body}</table>"
                f"<p><small>{e(self.note())}</small></p>")
