"""Secrets: enrolment codes and bearer tokens, and the hashes the database keeps of them."""

from __future__ import annotations

import hashlib
import secrets

# Crockford's base32: 32 symbols without I, L, O, U, so 12 symbols carry 60 random bits.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_GROUPS = 3
CODE_GROUP_LENGTH = 4
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def digest(secret: str) -> str:
    """SHA-256 in hex: enough for random secrets of ≥ 60 bits (no dictionary to try)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_code() -> str:
    """A one-time enrolment code like `7K3M-Q9XD-2HTB`."""
    groups = (
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH))
        for _ in range(CODE_GROUPS)
    )
    return "-".join(groups)


def normalise_code(text: str) -> str:
    """The canonical form of a typed code: upper case, dashes and spaces ignored, O→0, I/L→1."""
    compact = "".join(text.split()).replace("-", "").upper().translate(_READ_AS)
    size = CODE_GROUP_LENGTH
    return "-".join(compact[i : i + size] for i in range(0, len(compact), size))


def new_token() -> str:
    """A device or viewer bearer token: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)
