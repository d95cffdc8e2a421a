"""The city's CA certificate found by its fingerprint, for a device that has nothing else yet.

A provisioning QR cannot hold a CA certificate, so it holds the certificate's SHA-256. The
device opens a TLS connection to the server *without* trusting it, looks through the chain the
server presents for a certificate with that fingerprint, and keeps it only if one matches; the
enrolment that follows then verifies the server against it, as against any CA bundle. So the
server must present its CA in its chain (the CA appended to the file given to `kiosk-central
serve --tls-cert`, or the proxy's "full chain"), or the technician brings the CA's file.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding


class PinningError(Exception):
    """No certificate with the fingerprint; the message is one plain sentence."""


def fingerprint(der: bytes) -> str:
    """SHA-256 of a certificate's DER bytes, 64 lowercase hex digits (as in the QR)."""
    return hashlib.sha256(der).hexdigest()


def pinned_in_bundle(pem: bytes, sha256: str) -> bytes | None:
    """The certificate of a PEM bundle with that fingerprint, as PEM; None when none has it."""
    for certificate in x509.load_pem_x509_certificates(pem):
        if fingerprint(certificate.public_bytes(Encoding.DER)) == sha256:
            return certificate.public_bytes(Encoding.PEM)
    return None


def pinned_from_server(api_url: str, sha256: str, timeout: float) -> bytes:
    """The certificate with that fingerprint from the chain the server at `api_url` presents,
    as PEM."""
    parts = urllib.parse.urlsplit(api_url)
    if parts.scheme != "https" or not parts.hostname:
        raise PinningError(f"{api_url} is not an https:// address: there is no CA to pin.")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # not trusted: only searched for the fingerprint
    try:
        with (
            socket.create_connection((parts.hostname, parts.port or 443), timeout) as raw,
            context.wrap_socket(raw, server_hostname=parts.hostname) as tls,
        ):
            chain = _presented_chain(tls)
    except OSError as error:  # ssl.SSLError is one
        raise PinningError(
            f"Cannot reach the central server at {api_url}: {error.strerror or error}."
        ) from None
    for der in chain:
        if fingerprint(der) == sha256:
            return x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM)
    raise PinningError(
        f"The central server at {api_url} does not present the CA certificate of the"
        " provisioning code (SHA-256 fingerprint mismatch): it is another server, or its"
        " certificate chain lacks the CA; bring the CA's file (kiosk provision --ca FILE)."
    )


def _presented_chain(tls: ssl.SSLSocket) -> list[bytes]:
    """The certificates the server sent, in DER, unverified."""
    public = getattr(tls, "get_unverified_chain", None)  # Python 3.13 and later
    if public is not None:
        return list(public())
    # Python 3.10 to 3.12 have the same call on the SSL object, not yet public.
    return [cert.public_bytes(ssl._ssl.ENCODING_DER) for cert in tls._sslobj.get_unverified_chain()]  # type: ignore[attr-defined]
