"""Pure Xen parsers on the fixtures: xl/xm list, list -l, info, vcpu-list; MACs; Domain flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.xen import XlSequenceHost, xl_list_row

from fxkit.errors import ConfirmationRequired, InvalidRequest, ParseError, PreconditionFailed
from fxkit.host import Exec, Host
from fxkit.xen.config import DomainConfig
from fxkit.xen.domains import Domain, parse_info, parse_list, parse_list_long, parse_vcpu_list
from fxkit.xen.macs import check_prefix, duplicate_macs, normalize_mac, stable_mac
from fxkit.xen.toolstack import Toolstack

FIX = Path(__file__).parent / "fixtures" / "xen"
XL_ROWS = [("Domain-0", 0, 750, 4, "r-----", 11794.3), ("win", 1, 1019, 1, "r-----", 0.3),
           ("linux", 2, 2048, 2, "r-----", 5624.2)]


def rows(domains: list[Domain]) -> list[tuple]:
    return [(d.name, d.id, d.memory, d.vcpus, d.state, d.cpu_seconds) for d in domains]


@pytest.mark.parametrize("name", ["xl-list-fromsource.txt", "xl-list-manpage-example.txt",
                                  "xl-list-verbose-fromsource.txt"])
def test_xl_list_layouts(name: str) -> None:
    assert rows(parse_list((FIX / name).read_text())) == XL_ROWS


def test_xl_list_verbose_has_uuids_and_claims_layout_parses() -> None:
    doms = parse_list((FIX / "xl-list-verbose-fromsource.txt").read_text())
    assert doms[1].uuid == "59e1cf6c-6ab9-4879-90e7-adc8d1c63bf5"
    claims = parse_list((FIX / "xl-claims-manpage-example.txt").read_text())
    assert [(d.name, d.state, d.paused) for d in claims][1] == ("OL5", "--p---", True)


@pytest.mark.parametrize("name", ["xm-list-fromsource.txt", "xm-list-manpage-example.txt"])
def test_xm_list_layouts(name: str) -> None:
    doms = parse_list((FIX / name).read_text())
    assert rows(doms)[:3] == [("Domain-0", 0, 98, 1, "r-----", 5068.6),
                              ("Fedora3", 164, 128, 1, "r-----", 7.6),
                              ("Fedora4", 165, 128, 1, "------", 0.6)]
    assert doms[3].name == "Mandrake2006" and doms[3].blocked and doms[3].flags == ("blocked",)
    assert len(doms) == 6


def test_state_flags_decoded() -> None:
    def flags(state: str) -> tuple[str, ...]:
        return Domain("x", 1, 1, 1, state, 0.0).flags
    assert flags("r-----") == ("running",)
    assert flags("-b----") == ("blocked",)
    assert flags("---sc-") == ("shutdown", "crashed")
    assert flags("---sr-") == ("shutdown", "rebooting")
    assert flags("--p--d") == ("paused", "dying")
    assert not Domain("x", 1, 1, 1, "---sc-", 0.0).alive
    assert Domain("x", 1, 1, 1, "------", 0.0).alive


def test_xl_list_long_outer_shape() -> None:
    details = parse_list_long((FIX / "xl-list-l-fromsource.json").read_text())
    pv, hvm = details
    assert (pv.domid, pv.name, pv.type, pv.memory, pv.vcpus) == (1, "test-pv", "pv", 512, 4)
    assert pv.disks[0].path == "/var/lib/xen/images/test-pv.img" and pv.disks[0].vdev == "xvda"
    assert pv.disks[0].writable
    assert (pv.vifs[0].mac, pv.vifs[0].bridge) == ("00:16:3e:3e:86:60", "br0")
    assert (hvm.type, hvm.memory, hvm.disks[0].vdev) == ("hvm", 1024, "hda")
    with pytest.raises(ParseError, match="output_format"):
        parse_list_long("(domain (domid 1))")


def test_xl_info_manpage() -> None:
    info = parse_info((FIX / "xl-info-manpage-example.txt").read_text())
    assert (info.host, info.nr_cpus, info.total_memory, info.free_memory) == (
        "scarlett", 4, 6141, 4274)
    assert info.version == "4.2-unstable"
    assert info.fields["xen_commandline"].endswith("dom0_mem=750M console=com1")


def test_vcpu_list() -> None:
    v = parse_vcpu_list((FIX / "xl-vcpu-list-fromsource.txt").read_text())
    assert len(v) == 7
    assert (v[3].name, v[3].cpu, v[3].state, v[3].seconds) == ("Domain-0", None, "--p", 0.0)
    assert v[-1].affinity == "0-1 / all"


def test_bad_list_line_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="cannot read"):
        parse_list("Name ID\nthis is not a domain line\n")


def test_stable_macs() -> None:
    a = stable_mac("titanic", 0)
    assert a == stable_mac("titanic", 0) and a.startswith("00:16:3e:")
    assert len({stable_mac("titanic", i) for i in range(3)} | {stable_mac("ns", 0)}) == 4
    fx = stable_mac("titanic", 1, prefix="aa:73:65")
    assert fx.startswith("aa:73:65:") and len(fx) == 17
    with pytest.raises(InvalidRequest, match="multicast"):
        check_prefix("01:00:5e")
    with pytest.raises(InvalidRequest, match="locally administered"):
        check_prefix("00:1c:c4")
    assert normalize_mac("00-16-3E-12-34-56") == "00:16:3e:12:34:56"


def test_duplicate_macs_across_configs() -> None:
    a = DomainConfig.parse("name = 'a'\nvif = [ 'mac=AA:73:65:63:6f:75', 'bridge=xenbr1' ]\n")
    b = DomainConfig.parse("name = 'b'\nvif = [ 'mac=aa:73:65:63:6f:75, bridge=xenbr0' ]\n")
    c = DomainConfig.parse("name = 'c'\nvif = [ 'mac=aa:73:65:63:6f:76' ]\n")
    dups = duplicate_macs({"/etc/xen/a.cfg": a, "/etc/xen/b.cfg": b, "/etc/xen/c.cfg": c})
    assert dups == {"aa:73:65:63:6f:75": [("/etc/xen/a.cfg", 0), ("/etc/xen/b.cfg", 0)]}


def test_destroy_needs_the_domain_name_before_running_anything() -> None:
    class NoHost:
        name = "nohost"

        def run(self, *a: object, **k: object) -> None:
            raise AssertionError("destroy ran a command without confirmation")

    ts = Toolstack(NoHost(), "xl")  # type: ignore[arg-type]
    with pytest.raises(ConfirmationRequired, match="confirm='web'"):
        ts.destroy("web")
    with pytest.raises(ConfirmationRequired):
        ts.destroy("web", confirm="titanic")
    with pytest.raises(InvalidRequest):
        Toolstack(NoHost(), "virsh")  # type: ignore[arg-type]


@pytest.mark.parametrize("case", ["xl-list-no-xen", "xl-wrapper-list-no-hypervisor"])
def test_no_hypervisor_is_said_plainly(case: str) -> None:
    from fxkit.errors import CommandFailed

    real = FIX / "real"

    class NoXen(Host):
        def _exec(self, argv, *, timeout, input, read_only):  # type: ignore[no-untyped-def]
            return Exec(1, (real / f"{case}.stdout").read_text(),
                        (real / f"{case}.stderr").read_text())

        def read_file(self, path: str) -> str:
            raise FileNotFoundError(path)

        def write_file(self, path: str, content: str, mode: int | None = None) -> None:
            raise AssertionError("no writes")

    with pytest.raises(CommandFailed, match="not running as a Xen dom0") as e:
        Toolstack(NoXen("plainbox", audit=None)).list()
    assert e.value.result.exit_status == 1


def test_list_long_kernel_from_b_info_and_from_the_old_type_pv() -> None:
    # Xen 4.17 (the real lab) keeps the kernel in b_info; before 4.10 it was in type.pv
    new = [{"domid": 3, "config": {"c_info": {"name": "g", "type": "pv"},
                                   "b_info": {"kernel": "/boot/guest/vmlinuz", "type.pv": {}}}}]
    old = [{"domid": 3, "config": {"c_info": {"name": "g", "type": "pv"},
                                   "b_info": {"type.pv": {"kernel": "/boot/vmlinuz-2.6"}}}}]
    assert parse_list_long(json.dumps(new))[0].kernel == "/boot/guest/vmlinuz"
    assert parse_list_long(json.dumps(old))[0].kernel == "/boot/vmlinuz-2.6"


SHUT_DOWN = Exec(0, "", "Shutting down domain 7\nWaiting for 1 domains\n"
                 "Domain 7 has been shut down, reason code 0\n")
DYING = xl_list_row("web", 7, "--ssd-")


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("fxkit.polling.time.sleep", lambda seconds: None)


def test_shutdown_with_wait_waits_out_the_dying_domain(no_sleep: None) -> None:
    host = XlSequenceHost([DYING, DYING, ""], SHUT_DOWN)
    r = Toolstack(host).shutdown("web")
    assert r.ok and host.ran == [("xl", "shutdown", "-w", "web")]
    assert host.polls == 3                   # two polls saw it dying, the third saw it gone


def test_shutdown_without_wait_returns_at_once() -> None:
    host = XlSequenceHost([DYING, DYING, ""], SHUT_DOWN)
    Toolstack(host).shutdown("web", wait=False)
    assert host.ran == [("xl", "shutdown", "web")] and host.polls == 0


@pytest.mark.slow     # a few seconds of waiting: in make test, not make check
def test_shutdown_that_never_settles_says_so() -> None:
    with pytest.raises(PreconditionFailed, match="web was still listed 1 s after"):
        Toolstack(XlSequenceHost([DYING], SHUT_DOWN)).shutdown("web", timeout=1)
