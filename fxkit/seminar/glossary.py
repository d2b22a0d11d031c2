"""The seminar's French glossary: the 2007 talk's terms, their English names and meanings."""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    french: str
    english: str
    meaning: str


GLOSSARY: tuple[Term, ...] = (
    Term("volume physique (PV)", "physical volume",
         "a disk or partition handed to LVM; the bottom layer"),
    Term("groupe de volumes (VG)", "volume group",
         "a pool made of one or more PVs, cut into extents"),
    Term("volume logique (LV)", "logical volume",
         "a slice of a VG used like a partition; a domU's disk on fx"),
    Term("extent physique (PE)", "physical extent",
         "the unit LVM allocates in (4 MiB by default); sizes round up to it"),
    Term("redimensionnement à chaud", "online resizing",
         "growing an LV (and its filesystem) without stopping what uses it"),
    Term("système de fichiers", "filesystem",
         "the structure inside an LV (ext4, swap); it must grow after the LV does"),
    Term("hyperviseur", "hypervisor",
         "the thin layer (Xen) between the hardware and every virtual machine"),
    Term("domaine privilégié (dom0)", "privileged domain",
         "the first Linux system Xen starts; it runs the tools and drives the hardware"),
    Term("domaine non privilégié (domU)", "unprivileged domain",
         "a guest system; it sees only what dom0 gives it"),
    Term("système invité", "guest system", "another name for a domU"),
    Term("paravirtualisation", "paravirtualisation (PV)",
         "the guest kernel knows it runs on Xen and calls it directly"),
    Term("virtualisation matérielle", "hardware virtualisation (HVM)",
         "the CPU's extensions (Intel VT, AMD-V, once called Pacifica) let an unmodified "
         "system run as a guest"),
    Term("fichier de configuration", "config file",
         "a domU's description in /etc/xen: kernel, memory, disks, network"),
    Term("pont", "bridge",
         "a software switch in dom0 joining domU interfaces to a network"),
    Term("interface virtuelle (vif)", "virtual interface",
         "dom0's end of a domU's network card (vifDOMID.N), plugged into a bridge"),
    Term("réseau local virtuel (VLAN)", "virtual LAN",
         "a separate network on the same cable, tagged with a number (802.1Q)"),
    Term("lien ethernet physique", "physical Ethernet link", "a real cable"),
    Term("dispositif réseau externe", "external network device",
         "something outside fx: the school backbone, the FreeBox"),
    Term("grappe RAID1 (miroir)", "RAID1 array (mirror)",
         "two disks holding the same data, so one can fail"),
)


def glossary(terms: tuple[Term, ...] = GLOSSARY) -> _Table:
    """The glossary as a table (HTML in a notebook, aligned text elsewhere)."""
    return _Table(terms)


@dataclass(frozen=True)
class _Table:
    terms: tuple[Term, ...]

    def __str__(self) -> str:
        w1 = max(len(t.french) for t in self.terms)
        w2 = max(len(t.english) for t in self.terms)
        return "\n".join(f"{t.french:<{w1}}  {t.english:<{w2}}  {t.meaning}" for t in self.terms)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        e = html.escape
        rows = "".join(f"<tr><td><i>{e(t.french)}</i></td><td>{e(t.english)}</td>"
                       f"<td style='text-align:left'>{e(t.meaning)}</td></tr>" for t in self.terms)
        return ("<table class='fxkit-glossary'><tr><th>français</th><th>English</th>"
                f"<th style='text-align:left'>meaning</th></tr>{rows}</table>")
