"""Forcepoint `nextpagetoken`s: standard base64 of a small JSON object, as the real API sends.

Real tokens contain `+`, `/` and `=`, so a client that does not URL-encode them breaks (a `+`
arrives as a space). Base64 of plain JSON text made of digits and letters never yields `+` or `/`,
so each token also carries an opaque `salt` placed so that its base64 always holds all three.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# At a byte offset that is 2 modulo 3, '?' encodes as '/' and '~' as '+'.
_SLASH, _PLUS = "?", "~"

EMPTY = base64.b64encode(b"{}").decode()  # "e30=": the token that comes with a startdate past the end


class InvalidToken(ValueError):
    pass


def encode(fields: dict) -> str:
    if not fields:
        return EMPTY
    head = json.dumps(fields)[:-1] + ', "salt": "'
    seed = hashlib.blake2b(head.encode(), digest_size=16).digest()
    filler = [_ALNUM[b % len(_ALNUM)] for b in seed]
    lead = (2 - len(head)) % 3
    salt = "".join(filler[:lead]) + _SLASH + "".join(filler[lead : lead + 2]) + _PLUS
    text = head + salt + '"}'
    if len(text) % 3 == 0:  # make room for '=' padding
        text = head + salt + filler[-1] + '"}'
    return base64.b64encode(text.encode()).decode()


def decode(token: str) -> dict:
    try:
        raw = base64.b64decode(token.encode("ascii"), validate=True)
        obj = json.loads(raw)
    except (UnicodeError, binascii.Error, ValueError) as e:
        raise InvalidToken(str(e)) from None
    if not isinstance(obj, dict):
        raise InvalidToken("not an object")
    obj.pop("salt", None)
    return obj
