"""The host key check as OpenSSH makes it: known_hosts, @revoked, @cert-authority, the policy.

StrictHostKeyChecking ``yes`` refuses an unknown key, ``accept-new`` records it.

A host certificate (``ssh-keygen -s CA -h``) is accepted when a ``@cert-authority``
line for the host names its CA, the certificate is a host certificate, names the
host among its principals and is valid now::

    >>> check = HostKeyCheck("fx", "fx.example", 22, ["~/.ssh/known_hosts"])   # doctest: +SKIP
    >>> check.verify(server_key)                                               # doctest: +SKIP
"""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass, field

import paramiko

from fxkit.errors import HostKeyRejected
from fxkit.transports import known_hosts as kh

# The certificate types Paramiko can parse, by the plain type they certify.
_CERT_SUFFIX = "-cert-v01@openssh.com"
_HOST_CERT = 2
_RSA = ("ssh-rsa", "rsa-sha2-256", "rsa-sha2-512")


@dataclass(frozen=True)
class HostCert:
    """The fields of an OpenSSH certificate that a host check needs (PROTOCOL.certkeys)."""

    kind: int
    key_id: str
    principals: tuple[str, ...]
    valid_after: int
    valid_before: int
    critical: bytes
    ca_blob: bytes
    signed: bytes
    signature: bytes


def parse_cert(blob: bytes) -> HostCert:
    """Parse an OpenSSH certificate blob; ValueError if it is not one Paramiko can check."""
    m = paramiko.Message(blob)
    ctype = m.get_text()
    m.get_string()                                   # nonce
    plain = ctype.removesuffix(_CERT_SUFFIX)
    if plain == "ssh-ed25519":
        m.get_string()
    elif plain.startswith("ecdsa-sha2-"):
        m.get_text()
        m.get_string()
    elif plain in _RSA:
        m.get_mpint()
        m.get_mpint()
    else:
        raise ValueError(f"certificate type {ctype!r} is not supported")
    m.get_int64()                                    # serial
    kind, key_id = m.get_int(), m.get_text()
    names = paramiko.Message(m.get_string())
    principals = []
    while names.get_remainder():
        principals.append(names.get_text())
    valid_after, valid_before = m.get_int64(), m.get_int64()
    critical = m.get_string()
    m.get_string()                                   # extensions
    m.get_string()                                   # reserved
    ca_blob = m.get_string()
    signed = m.get_so_far()
    return HostCert(kind, key_id, tuple(principals), valid_after, valid_before, critical,
                    ca_blob, signed, m.get_string())


@dataclass
class HostKeyCheck:
    """What one connection checks its server's key against, and whether it may record it."""

    label: str                          # the target as the user wrote it, for messages
    hostname: str
    port: int
    files: list[str]                    # read in order; the first one receives new keys
    also: list[str] = field(default_factory=list)  # read only (GlobalKnownHostsFile, ...)
    policy: str = "yes"                 # StrictHostKeyChecking: yes, accept-new, ask, no
    accept_new: bool = False            # the caller's explicit opt-in (--accept-new-host-key)
    hash_names: bool = False            # HashKnownHosts
    alias: str | None = None            # HostKeyAlias

    @property
    def name(self) -> str:
        return kh.host_name(self.hostname, self.port, self.alias)

    def entries(self) -> list[kh.Entry]:
        return kh.matching([*self.files, *self.also], self.name)

    def preferred_types(self, available: tuple[str, ...]) -> list[str]:
        """Host key algorithms in the order to offer them: certificates first when a CA is
        trusted for this host, then the types known_hosts has for it (as OpenSSH orders)."""
        entries = self.entries()
        known = {kh.key_name(e.blob) for e in entries if not e.marker}
        if known & {"ssh-rsa"}:
            known |= set(_RSA)
        # Paramiko knows the certificate type of each plain type it offers (its own
        # preferred_keys appends them, after the plain ones: servers would pick those)
        first = [t + _CERT_SUFFIX for t in available] \
            if any(e.marker == kh.CERT_AUTHORITY for e in entries) else []
        return first + [t for t in available if t in known] + \
            [t for t in available if t not in known]

    def verify(self, key: paramiko.PKey) -> None:
        """Accept ``key``, record it (accept-new), or raise HostKeyRejected naming the fix."""
        entries = self.entries()
        blob = key.asbytes()
        revoked = {e.blob: e for e in entries if e.marker == kh.REVOKED}
        if blob in revoked:
            raise HostKeyRejected(
                f"{self.label}: {self._where()} offered the {_describe(key)}, which "
                f"{revoked[blob].where} marks @revoked: fxkit never uses a revoked key. Ask the "
                "host's administrator for its new key")
        cert = key.public_blob if key.public_blob and \
            key.public_blob.key_type.endswith(_CERT_SUFFIX) else None
        cas = [e for e in entries if e.marker == kh.CERT_AUTHORITY]
        if cert is not None and cas:
            self._check_cert(cert.key_blob, cas, revoked)
            return
        plain = [e for e in entries if not e.marker]
        if any(e.blob == blob for e in plain):
            return
        same = [e for e in plain if kh.key_name(e.blob) == kh.key_name(blob)]
        if same:
            raise HostKeyRejected(
                f"{self.label}: the host key of {self._where()} has CHANGED (now "
                f"{_describe(key)}; {same[0].where} has {_fingerprint_blob(same[0].blob)}). "
                "Someone may be intercepting the connection, or the host was reinstalled. If "
                f"you know why, remove the old key with `ssh-keygen -R {self.name} -f "
                f"{same[0].path}`{self._no_note()}")
        self._unknown(key, cas, plain)

    def _unknown(self, key: paramiko.PKey, cas: list[kh.Entry], plain: list[kh.Entry]) -> None:
        accept = self.accept_new or self.policy == "accept-new"
        if accept and self.files:
            kh.append(self.files[0], self.name, key.get_name(), key.asbytes(),
                      hashed=self.hash_names)
            return
        notes = []
        if cas:
            notes.append(f" {cas[0].where} trusts a certificate authority for {self.name}, "
                         "but the host offered a plain key, not a certificate signed by it")
        if plain:
            notes.append(f" known_hosts has other key types for {self.name} "
                         f"({', '.join(sorted({e.keytype for e in plain}))}); it offered none")
        if accept:
            raise HostKeyRejected(
                f"{self.label}: {self._where()} offered an unknown host key ({_describe(key)})"
                " and there is no UserKnownHostsFile to record it in (it is 'none'). Set "
                "UserKnownHostsFile for this host in ssh_config")
        raise HostKeyRejected(
            f"{self.label}: {self._where()} offered an unknown host key {_describe(key)}; it "
            f"is not in {', '.join(self.files + self.also) or 'any known_hosts file'}."
            f"{''.join(notes)} Check the fingerprint with the host's administrator, then "
            "connect once with accept_new_host_key=True (CLI: --accept-new-host-key) to "
            f"record it, or set `StrictHostKeyChecking accept-new` for it{self._no_note()}")

    def _check_cert(self, blob: bytes, cas: list[kh.Entry], revoked: dict[bytes, kh.Entry]) -> None:
        try:
            cert = parse_cert(blob)
        except (ValueError, paramiko.SSHException) as e:
            raise HostKeyRejected(f"{self.label}: {self._where()} offered a host certificate "
                                  f"fxkit cannot read ({e})") from None
        problem = self._cert_problem(cert, cas, revoked)
        if problem:
            raise HostKeyRejected(
                f"{self.label}: {self._where()} offered a host certificate (key id "
                f"{cert.key_id!r}) that fxkit refuses: {problem}. Ask the host's administrator "
                "to re-sign the host key (ssh-keygen -s CA -h -n NAME), or fix the "
                f"@cert-authority line ({cas[0].where})")

    def _cert_problem(self, cert: HostCert, cas: list[kh.Entry],
                      revoked: dict[bytes, kh.Entry]) -> str:
        if cert.kind != _HOST_CERT:
            return "it is a user certificate, not a host certificate (ssh-keygen -h)"
        if cert.ca_blob in revoked:
            return f"its CA key is marked @revoked in {revoked[cert.ca_blob].where}"
        ca = next((e for e in cas if e.blob == cert.ca_blob), None)
        if ca is None:
            return (f"it is signed by CA {_fingerprint_blob(cert.ca_blob)}, which no "
                    f"@cert-authority line for {self.name} names")
        try:
            ca_key = paramiko.PKey.from_type_string(kh.key_name(ca.blob), ca.blob)
            good = ca_key.verify_ssh_sig(cert.signed, paramiko.Message(cert.signature))
        except (paramiko.SSHException, ValueError, TypeError) as e:
            return (f"Paramiko cannot check a signature by a {ca.keytype} CA ({e}); fxkit "
                    "verifies host certificates only with the key types Paramiko supports")
        if not good:
            return "its signature does not verify with the CA key"
        names = [n for n in (self.hostname, self.alias) if n]
        if not any(kh.match_host(p, n) for p in cert.principals for n in names):
            return (f"{self.hostname} is not among its principals "
                    f"({', '.join(cert.principals) or 'none'})")
        now = int(time.time())
        if not cert.valid_after <= now < cert.valid_before:
            return "it is not valid now (expired, or not yet valid)"
        if cert.critical:
            return "it has critical options, which host certificates must not have"
        return ""

    def _where(self) -> str:
        return f"{self.hostname}:{self.port}"

    def _no_note(self) -> str:
        if self.policy != "no":
            return ""
        return (". (ssh_config says `StrictHostKeyChecking no` for this host: fxkit never "
                "turns host-key checking off; use accept-new)")


def _describe(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.fingerprint}"


def _fingerprint_blob(blob: bytes) -> str:
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"{kh.key_name(blob)} SHA256:{digest}"
