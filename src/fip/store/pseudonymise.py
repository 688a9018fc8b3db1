"""Keyed pseudonyms for CPR-like ids, and detection of CPR numbers in text.

A CPR number (Danish personal identity number) is ``ddmmyy-xxxx`` or ten digits, with other
separators and a lost leading zero as :mod:`fip.personal` (the one detector) says. An id
cell that *is* such a number is replaced by a keyed hash: HMAC-SHA256 of the ten digits
(separator removed, so ``010190-1234``, ``010190 1234`` and ``0101901234`` give the same
pseudonym), truncated to 128 bits (RFC 2104 allows truncation to half the hash length) and
written as 32 hexadecimal digits in the alphabet ``a``-``p`` (``0``->``a`` ... ``f``->``p``,
the convention of Chrome extension ids). The letters-only hex matters: ordinary hex has runs of ten decimal digits in
about 7 % of 64-digit hashes, and such a pseudonym would itself look like a CPR number to
every scanner (and to :func:`fip.errors.mask_personal`).

The key comes from the caller (bytes or a key file) or the environment variable
``FIP_PSEUDONYM_KEY``; it is never stored. A store keeps only :func:`key_fingerprint`, an HMAC
of a fixed label, so a later import with another key is refused instead of silently
splitting persons in two.

Examples
--------
>>> key = b"a test key of 16+ bytes"
>>> p = pseudonym("010190-1234", key)
>>> len(p), p == pseudonym("0101901234", key), any(ch.isdigit() for ch in p)
(32, True, False)
"""

from __future__ import annotations

import hmac
import os
from pathlib import Path

import numpy as np
import pandas as pd

from fip.errors import FipError
from fip.personal import contains_cpr, cpr_digits, is_cpr

__all__ = [
    "KEY_ENV",
    "MIN_KEY_BYTES",
    "contains_cpr",
    "is_cpr",
    "key_fingerprint",
    "keyed_hash",
    "pseudonym",
    "pseudonymise",
    "resolve_key",
]

#: Environment variable holding the pseudonym key (used when no key is given).
KEY_ENV = "FIP_PSEUDONYM_KEY"
#: Shortest key accepted, in bytes.
MIN_KEY_BYTES = 16

_HEX_TO_AP = str.maketrans("0123456789abcdef", "abcdefghijklmnop")
_FINGERPRINT_LABEL = b"fip pseudonym key check v1"


def keyed_hash(message: str, key: bytes) -> str:
    """Full HMAC-SHA256 of ``message`` (UTF-8) as 64 hex digits written ``a``-``p``.

    Examples
    --------
    >>> keyed_hash("what do ya want for nothing?", b"Jefe")[:8]  # RFC 4231 case 2: 5bdcc146
    'flnmmbeg'
    """
    return hmac.digest(key, message.encode("utf-8"), "sha256").hex().translate(_HEX_TO_AP)


def pseudonym(cpr: str, key: bytes) -> str:
    """The pseudonym of one CPR-like id: 32 letters ``a``-``p`` (128 bits of HMAC-SHA256).

    The hash is of the ten digits (:func:`fip.personal.cpr_digits`: separators and
    surrounding spaces removed, a lost leading zero restored), so every spelling of one
    number gives one pseudonym.

    Raises
    ------
    ValueError
        If ``cpr`` is not a CPR-like number.
    """
    digits = cpr_digits(cpr)
    if digits is None:
        raise ValueError("not a CPR-like number")
    return keyed_hash(digits, key)[:32]


def key_fingerprint(key: bytes) -> str:
    """A value identifying ``key`` without revealing it (HMAC of a fixed label), for the store."""
    return keyed_hash(_FINGERPRINT_LABEL.decode(), key)[:32]


def _pseudonyms(digits: list[str], key: bytes) -> list[str]:
    """:func:`pseudonym` of many digit strings (one hex/translate pass over all of them)."""
    if not digits:
        return []
    blob = b"".join(hmac.digest(key, d.encode("utf-8"), "sha256")[:16] for d in digits)
    text = blob.hex().translate(_HEX_TO_AP)
    return [text[32 * k: 32 * k + 32] for k in range(len(digits))]


def pseudonymise(values: pd.Series, key: bytes, cache: dict[str, str] | None = None) -> tuple[pd.Series, int]:
    """Replace CPR-like cells of ``values`` by their pseudonyms; other cells are kept.

    Each distinct value is hashed once; ``cache`` (raw value -> pseudonym), if given, is
    consulted and filled, so the same ids in several tables are hashed once. Returns the
    new column (string dtype, same index) and the number of distinct CPR numbers hashed
    (``010190-1234``, ``010190 1234`` and ``0101901234`` count once).

    Examples
    --------
    >>> out, n = pseudonymise(pd.Series(["p1", "010190-1234", "0101901234"]), b"0123456789abcdef")
    >>> out[0], out[1] == out[2], n
    ('p1', True, 1)
    """
    text = pd.Series(values, dtype="str")
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    uniques = pd.Series(uniques, dtype="str")
    hit = is_cpr(uniques)
    if not hit.any():
        return text, 0
    cache = {} if cache is None else cache
    mapped = uniques.to_numpy(dtype=object, na_value=None).copy()
    positions = np.flatnonzero(hit)
    todo = [k for k in positions if mapped[k] not in cache]
    digits = [cpr_digits(mapped[k]) for k in todo]
    for k, p in zip(todo, _pseudonyms(digits, key)):
        cache[mapped[k]] = p
    distinct = {cpr_digits(mapped[k]) for k in positions}
    for k in positions:
        mapped[k] = cache[mapped[k]]
    out = pd.array(mapped, dtype="str").take(codes, allow_fill=True)
    return pd.Series(out, index=text.index), len(distinct)


def resolve_key(key: bytes | None = None, key_file: str | Path | None = None) -> bytes | None:
    """The pseudonym key: ``key``, else the contents of ``key_file``, else ``$FIP_PSEUDONYM_KEY``.

    Trailing line breaks and spaces of a key file are dropped. Returns ``None`` when no key
    is given anywhere.

    Raises
    ------
    ValueError
        If both ``key`` and ``key_file`` are given.
    FipError
        If the key file cannot be read or a key is shorter than :data:`MIN_KEY_BYTES`.
        Messages never contain the key.
    """
    if key is not None and key_file is not None:
        raise ValueError("give key or key_file, not both")
    source = "the key"
    if key is None and key_file is not None:
        path = Path(key_file)
        try:
            key = path.read_bytes().rstrip(b"\r\n \t")
        except OSError as exc:
            raise FipError(f"{path.name}: cannot read the pseudonym key file ({exc.strerror})") from None
        source = f"the key file {path.name}"
    elif key is None:
        env = os.environ.get(KEY_ENV)
        if not env:
            return None
        key, source = env.encode("utf-8"), f"the environment variable {KEY_ENV}"
    if not isinstance(key, bytes):
        raise FipError("the pseudonym key must be bytes")
    if len(key) < MIN_KEY_BYTES:
        raise FipError(f"{source}: a pseudonym key needs at least {MIN_KEY_BYTES} bytes "
                       f"(got {len(key)}); use a long random secret")
    return key
