"""PIN hashes: the scrypt format of [technician] and officers.toml pin_hash, made and checked.

A hash is written "scrypt$N$r$p$salt$hash" (hex salt and hash), as `kiosk hash-pin` prints it;
`read_pin_hash` is the one check of that format when a configuration file is read.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from kiosk.config.reader import Table

PIN_HASH_ALLOWED = 'must be "scrypt$N$r$p$salt$hash" as printed by `kiosk hash-pin`'

_PIN_HASH = re.compile(r"scrypt\$([0-9]+)\$([0-9]+)\$([0-9]+)\$([0-9a-fA-F]+)\$([0-9a-fA-F]+)")

_SCRYPT_N = 16384
_SCRYPT_R = 8
_SCRYPT_P = 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024

# A well-formed hash no PIN matches: checked for an unknown officer code, so that refusing it
# takes as long as refusing a known officer's wrong PIN.
DECOY_PIN_HASH = f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${'00' * 16}${'00' * 32}"


def _parse_pin_hash(text: str) -> tuple[int, int, int, bytes, bytes] | None:
    match = _PIN_HASH.fullmatch(text)
    if match is None:
        return None
    n, r, p = int(match[1]), int(match[2]), int(match[3])
    salt_hex, hash_hex = match[4], match[5]
    if n < 2 or n & (n - 1) or not 1 <= r <= 64 or not 1 <= p <= 16:
        return None
    if 128 * n * r > _SCRYPT_MAXMEM // 2 or len(salt_hex) % 2 or len(hash_hex) % 2:
        return None
    salt, digest = bytes.fromhex(salt_hex), bytes.fromhex(hash_hex)
    if len(salt) < 8 or not 16 <= len(digest) <= 64:
        return None
    return n, r, p, salt, digest


def read_pin_hash(t: Table) -> str:
    """The `pin_hash` key of a table, refused (without showing it) unless it is a PIN hash."""
    pin_hash = t.take("pin_hash", PIN_HASH_ALLOWED)
    if not isinstance(pin_hash, str) or _parse_pin_hash(pin_hash) is None:
        t.fail("pin_hash", PIN_HASH_ALLOWED, show_value=False)
    return pin_hash


def hash_pin(pin: str) -> str:
    """A technician PIN hash for [technician] pin_hash."""
    if not pin:
        raise ValueError("the PIN must not be empty")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        pin.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, pin_hash: str) -> bool:
    """Whether `pin` matches `pin_hash`, compared in constant time."""
    parsed = _parse_pin_hash(pin_hash)
    if parsed is None:
        raise ValueError("malformed PIN hash")
    n, r, p, salt, expected = parsed
    digest = hashlib.scrypt(
        pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM, dklen=len(expected)
    )
    return hmac.compare_digest(digest, expected)
