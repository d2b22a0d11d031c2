"""known_hosts as OpenSSH reads and writes it, and the host key check built on it.

Keys and certificates are made by OpenSSH's ssh-keygen, and OpenSSH's own ``ssh-keygen -F``
reads back what fxkit writes: both sides agree on hashing and matching.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import paramiko
import pytest

from fxkit.errors import HostKeyRejected
from fxkit.transports import known_hosts as kh
from fxkit.transports.hostkeys import HostKeyCheck, parse_cert

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None,
                                reason="ssh-keygen (openssh-client) is not installed")


def keygen(path: Path, kind: str = "ed25519") -> tuple[str, str]:
    """A fresh key pair; returns (type, base64) of its public half."""
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-f", str(path)], check=True)
    kind_, b64 = path.with_suffix(".pub").read_text().split()[:2]
    return kind_, b64


def pkey(kind: str, b64: str) -> paramiko.PKey:
    blob = base64.b64decode(b64)
    return paramiko.PKey.from_type_string(kind, blob)


def cert_key(cert_pub: Path) -> paramiko.PKey:
    """The key a server presents with its certificate, as Paramiko builds it in the kex."""
    blob = base64.b64decode(cert_pub.read_text().split()[1])
    return paramiko.Ed25519Key(msg=paramiko.Message(blob))


# -- the file format ----------------------------------------------------------------------

def test_lines_markers_and_malformed_lines():
    assert kh.parse_line("# comment", "f", 1) is None
    assert kh.parse_line("   ", "f", 2) is None
    assert kh.parse_line("@bogus h ssh-ed25519 AAAA", "f", 3) is None
    assert kh.parse_line("h ssh-ed25519 not*base64", "f", 4) is None
    assert kh.parse_line("only-two fields", "f", 5) is None
    e = kh.parse_line("@revoked * ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 a comment", "f", 6)
    assert e is not None and (e.marker, e.patterns, e.keytype, e.where) == \
        (kh.REVOKED, "*", "ssh-ed25519", "f:6")
    assert kh.key_name(e.blob) == "ssh-ed25519"


@pytest.mark.parametrize(("patterns", "name", "matches"), [
    ("fx,10.0.0.9", "10.0.0.9", True),
    ("fx,10.0.0.9", "fx", True),
    ("FX.Example", "fx.example", True),                  # host names ignore case
    ("*.example", "fx.example", True),
    ("fx?", "fx1", True),
    ("*.example,!bad.example", "bad.example", False),    # a negated match wins
    ("!bad.example", "fx.example", False),               # negations alone never match
    ("[fx]:2222", "[fx]:2222", True),                    # brackets are literal
    ("[fx]:2222", "fx", False),
    ("fx", "[fx]:2222", False),
    ("[fx]:*", "[fx]:2222", True),
])
def test_patterns_match_as_openssh_match_hostname(patterns, name, matches):
    assert kh.match_host(patterns, name) is matches


def test_hashed_names_agree_with_openssh(tmp_path):
    _, b64 = keygen(tmp_path / "k")
    plain = tmp_path / "plain"
    plain.write_text(f"[fx.example]:2222 ssh-ed25519 {b64}\n")
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", str(plain)], check=True,
                   capture_output=True)                  # OpenSSH hashes the file
    hashed = plain.read_text().split()[0]
    assert hashed.startswith("|1|")
    assert kh.match_host(hashed, "[fx.example]:2222")
    assert not kh.match_host(hashed, "fx.example")
    ours = tmp_path / "ours"                            # and OpenSSH finds what we hash
    ours.write_text(f"{kh.hash_name('[fx.example]:2222')} ssh-ed25519 {b64}\n")
    found = subprocess.run(["ssh-keygen", "-F", "[fx.example]:2222", "-f", str(ours)],
                           capture_output=True, text=True)
    assert found.returncode == 0 and b64 in found.stdout


def test_append_adds_one_line_and_keeps_every_other_byte(tmp_path):
    path = tmp_path / "known_hosts"
    original = ("# my hosts\n\noldhost,10.0.0.9 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== old\n"
                "|1|c2FsdA==|aGFzaA== ssh-rsa AAAAB3NzaC1yc2E=\n"
                "@cert-authority *.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ca\t \n"
                "last-line-without-newline ssh-ed25519 AAAAC3NzaC1lZDI1NTE5")
    path.write_bytes(original.encode())
    kind, b64 = keygen(tmp_path / "new")
    line = kh.append(str(path), "[fx]:2222", kind, base64.b64decode(b64), hashed=False)
    assert path.read_bytes() == (original + "\n" + line).encode()
    assert line == f"[fx]:2222 ssh-ed25519 {b64}\n"
    hashed = kh.append(str(path), "[fx]:2222", kind, base64.b64decode(b64), hashed=True)
    assert path.read_bytes() == (original + "\n" + line + hashed).encode()
    assert hashed.startswith("|1|") and kh.match_host(hashed.split()[0], "[fx]:2222")


def test_append_creates_the_file_and_a_private_directory(tmp_path):
    path = tmp_path / "home" / ".ssh" / "known_hosts"
    kh.append(str(path), "fx", "ssh-ed25519", b"\x00\x00\x00\x0bssh-ed25519", hashed=False)
    assert path.read_text() == "fx ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n"
    assert (path.parent.stat().st_mode & 0o777) == 0o700


def test_load_reads_every_file_in_order_and_skips_missing_ones(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("fx ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n")
    b.write_text("# c\nfx2 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n")
    entries = kh.load([str(a), str(tmp_path / "missing"), str(b)])
    assert [(e.patterns, e.where) for e in entries] == [("fx", f"{a}:1"), ("fx2", f"{b}:2")]


def test_load_sees_every_change_to_a_file_it_has_read(tmp_path):
    """Files are parsed once per change (a fleet connects to fifty hosts at once), never
    answered from an older read: an append, a rewrite, a replacement by rename."""
    path = tmp_path / "known_hosts"
    path.write_text("fx ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n")
    first = kh.load([str(path)])
    assert kh.load([str(path)]) == first
    kh.append(str(path), "fx2", "ssh-ed25519", b"key", hashed=False)
    assert [e.patterns for e in kh.load([str(path)])] == ["fx", "fx2"]
    path.write_text("fy ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n")      # same size, rewritten
    assert [e.patterns for e in kh.load([str(path)])] == ["fy"]
    other = tmp_path / "new"
    other.write_text("fz ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n")
    other.replace(path)
    assert [e.patterns for e in kh.load([str(path)])] == ["fz"]
    path.unlink()
    assert kh.load([str(path)]) == []


def test_matching_finds_what_a_scan_of_every_line_finds(tmp_path):
    """``matching`` looks plain names up instead of testing every line: it must give what
    testing every line gives (order, case, patterns, negations, hashed names, markers)."""
    import random
    rng = random.Random(7)
    names = ["fx", "FX", "fx01", "10.0.0.9", "[127.0.0.1]:2222", "[127.0.0.1]:2223",
             "db.example", "Db.Example", "other"]
    patterns = [*names, "fx*", "fx0?", "*.example", "!fx01", "!db.example", "[127.0.0.1]:*"]
    lines = []
    for _ in range(300):
        marker = rng.choice(["", "", "", "@revoked ", "@cert-authority "])
        field = kh.hash_name(rng.choice(names)) if rng.random() < 0.2 else \
            ",".join(rng.sample(patterns, rng.randint(1, 3)))
        lines.append(f"{marker}{field} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5")
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("\n".join(lines[:150]) + "\n")
    b.write_text("\n".join(lines[150:]) + "\n")
    paths = [str(a), str(tmp_path / "missing"), str(b)]
    for name in [*names, "nowhere", "[127.0.0.1]:9"]:
        scanned = [e for e in kh.load(paths) if e.matches(name)]
        assert kh.matching(paths, name) == scanned, name
    assert any(kh.matching(paths, n) for n in names)


# -- the host key check -------------------------------------------------------------------

@pytest.fixture
def keys(tmp_path):
    return {name: keygen(tmp_path / name) for name in ("host", "other", "ca", "ca2")}


def check_for(tmp_path, text: str, **kw) -> HostKeyCheck:
    path = tmp_path / "known_hosts"
    path.write_text(text)
    return HostKeyCheck("fx", "fx.example", 2222, [str(path)], **kw)


def test_a_known_key_is_accepted_and_a_changed_one_refused(tmp_path, keys):
    kind, b64 = keys["host"]
    check = check_for(tmp_path, f"# x\n[fx.example]:2222 {kind} {b64}\n")
    check.verify(pkey(kind, b64))
    with pytest.raises(HostKeyRejected, match=r"has CHANGED .*known_hosts:2 has") as e:
        check.verify(pkey(*keys["other"]))
    assert "ssh-keygen -R [fx.example]:2222" in str(e.value)


def test_unknown_keys_are_refused_with_the_fix_or_recorded_when_asked(tmp_path, keys):
    kind, b64 = keys["host"]
    check = check_for(tmp_path, "# mine\n")
    with pytest.raises(HostKeyRejected, match="unknown host key") as e:
        check.verify(pkey(kind, b64))
    assert "--accept-new-host-key" in str(e.value) and "accept-new" in str(e.value)
    for accept in (dict(accept_new=True), dict(policy="accept-new")):
        c = check_for(tmp_path, "# mine\n", hash_names=True, **accept)
        c.verify(pkey(kind, b64))
        lines = Path(c.files[0]).read_text().splitlines()
        assert lines[0] == "# mine" and len(lines) == 2 and lines[1].startswith("|1|")
        c.verify(pkey(kind, b64))               # now known: nothing more is written
        assert len(Path(c.files[0]).read_text().splitlines()) == 2


def test_strict_host_key_checking_no_is_never_followed(tmp_path, keys):
    check = check_for(tmp_path, "", policy="no")
    with pytest.raises(HostKeyRejected, match="StrictHostKeyChecking no.*never turns"):
        check.verify(pkey(*keys["host"]))


def test_global_files_are_read_but_never_written(tmp_path, keys):
    kind, b64 = keys["host"]
    glob = tmp_path / "ssh_known_hosts"
    glob.write_text(f"[fx.example]:2222 {kind} {b64}\n")
    check = check_for(tmp_path, "", also=[str(glob)])
    check.verify(pkey(kind, b64))
    assert Path(check.files[0]).read_text() == ""


def test_host_key_alias_is_the_name_looked_up(tmp_path, keys):
    kind, b64 = keys["host"]
    check = check_for(tmp_path, f"fx-alias {kind} {b64}\n", alias="fx-alias")
    check.verify(pkey(kind, b64))


def test_a_revoked_key_is_refused_even_if_also_listed(tmp_path, keys):
    kind, b64 = keys["host"]
    check = check_for(tmp_path, f"[fx.example]:2222 {kind} {b64}\n@revoked * {kind} {b64}\n",
                      accept_new=True)
    with pytest.raises(HostKeyRejected, match=r"known_hosts:2 marks @revoked"):
        check.verify(pkey(kind, b64))


def test_other_key_types_and_a_plain_key_from_a_ca_host_are_explained(tmp_path, keys):
    kind, b64 = keys["host"]
    ca_kind, ca_b64 = keys["ca"]
    rsa_kind, rsa_b64 = keygen(tmp_path / "rsa", "rsa")
    check = check_for(tmp_path, f"[fx.example]:2222 {rsa_kind} {rsa_b64}\n"
                                f"@cert-authority [*.example]:* {ca_kind} {ca_b64}\n")
    with pytest.raises(HostKeyRejected) as e:
        check.verify(pkey(kind, b64))
    assert "other key types" in str(e.value) and "certificate authority" in str(e.value)
    # and the algorithms are offered so that such a server shows its certificate first
    order = check.preferred_types(("ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256"))
    assert order[0] == "ssh-ed25519-cert-v01@openssh.com"
    assert order.index("rsa-sha2-512") < order.index("ssh-ed25519")


def sign(tmp_path: Path, ca: str, *, host: bool = True, principals: str = "fx.example",
         validity: str = "-5m:+1h") -> Path:
    pub = tmp_path / "host.pub"
    argv = ["ssh-keygen", "-q", "-s", str(tmp_path / ca), "-I", "fx-host", "-n", principals,
            "-V", validity, *(["-h"] if host else []), str(pub)]
    subprocess.run(argv, check=True)
    return tmp_path / "host-cert.pub"


def ca_line(keys, name: str = "ca", pattern: str = "[*.example]:*") -> str:
    return f"@cert-authority {pattern} {keys[name][0]} {keys[name][1]}\n"


def test_a_host_certificate_signed_by_a_listed_ca_is_accepted(tmp_path, keys):
    cert = sign(tmp_path, "ca")
    parsed = parse_cert(base64.b64decode(cert.read_text().split()[1]))
    assert parsed.principals == ("fx.example",) and parsed.kind == 2
    check_for(tmp_path, ca_line(keys)).verify(cert_key(cert))


@pytest.mark.parametrize(("case", "message"), [
    ("principal", r"fx.example is not among its principals \(other.example\)"),
    ("expired", "not valid now"),
    ("user-cert", "user certificate, not a host certificate"),
    ("other-ca", "which no @cert-authority line for \\[fx.example\\]:2222 names"),
    ("revoked-ca", "its CA key is marked @revoked"),
])
def test_bad_host_certificates_are_refused_with_the_reason(tmp_path, keys, case, message):
    lines = ca_line(keys)
    cert = sign(tmp_path, "ca", principals="other.example" if case == "principal" else
                "fx.example", validity="-2h:-1h" if case == "expired" else "-5m:+1h",
                host=case != "user-cert")
    if case == "other-ca":
        lines = ca_line(keys, "ca2")
    if case == "revoked-ca":
        lines += f"@revoked * {keys['ca'][0]} {keys['ca'][1]}\n"
    with pytest.raises(HostKeyRejected, match=message) as e:
        check_for(tmp_path, lines).verify(cert_key(cert))
    assert "certificate" in str(e.value)
