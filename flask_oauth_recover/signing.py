"""Signatures with the app's secret key, bound to the app and a client.

The extension signs what the browser carries for it (a state, the callback
cookie) with ``SECRET_KEY``, and accepts signatures made with
``SECRET_KEY_FALLBACKS`` too, so that rotating the key does not turn a
pending login into a stranger's link. The app's name, the client's name
and the purpose are signed but not sent: a value signed for one client,
one app or one purpose does not verify for another, even where apps share
a secret key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app

_SALT = b"flask-oauth-recover:"
_MAC_BYTES = 16


def sign(payload: str, client_name: str, purpose: str) -> str:
    """A short signature of ``payload`` for ``client_name`` and ``purpose``.

    :param payload: what to sign.
    :param client_name: the client it is for.
    :param purpose: what kind of value it is (``"state v3"``, ...).
    """
    return _mac(_signing_key(), payload, client_name, purpose)


def verify(payload: str, mac: str, client_name: str, purpose: str) -> bool:
    """Is ``mac`` the signature of ``payload`` for ``client_name`` and
    ``purpose``, with the secret key or one of its fallbacks?"""
    return any(
        hmac.compare_digest(mac, _mac(key, payload, client_name, purpose))
        for key in _verifying_keys()
    )


def b64(data: bytes) -> str:
    """URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    """The bytes :func:`b64` encoded.

    :raises ValueError: ``text`` is not URL-safe base64.
    """
    return base64.b64decode(text + "=" * (-len(text) % 4), b"-_", validate=True)


def _signing_key() -> bytes:
    key = current_app.secret_key
    if not key:
        # Without a secret key nothing can be signed: a random key makes
        # every signature fail, so nothing the browser carries is trusted.
        return secrets.token_bytes(32)
    return key.encode() if isinstance(key, str) else key


def _verifying_keys() -> list[bytes]:
    keys = [_signing_key()]
    for key in current_app.config.get("SECRET_KEY_FALLBACKS") or ():
        if key:
            keys.append(key.encode() if isinstance(key, str) else key)
    return keys


def _mac(key: bytes, payload: str, client_name: str, purpose: str) -> str:
    bound = f"{purpose}\0{current_app.name}\0{client_name}\0{payload}".encode()
    digest = hmac.new(key, _SALT + bound, hashlib.sha256).digest()
    return b64(digest[:_MAC_BYTES])
