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
import functools
import hashlib
import hmac
import secrets

from flask import Flask
from flask import current_app

_SALT = b"flask-oauth-recover:"
_MAC_BYTES = 16


def sign(payload: str, client_name: str, purpose: str) -> str:
    """A short signature of ``payload`` for ``client_name`` and ``purpose``.

    :param payload: what to sign.
    :param client_name: the client it is for.
    :param purpose: what kind of value it is (``"state v3"``, ...).
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return _mac(_signing_key(app), payload, _prefix(app, client_name, purpose))


def verify(payload: str, mac: str, client_name: str, purpose: str) -> bool:
    """Is ``mac`` the signature of ``payload`` for ``client_name`` and
    ``purpose``, with the secret key or one of its fallbacks?"""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    prefix = _prefix(app, client_name, purpose)
    return any(
        hmac.compare_digest(mac, _mac(key, payload, prefix))
        for key in _verifying_keys(app)
    )


def b64(data: bytes) -> str:
    """URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    """The bytes :func:`b64` encoded.

    :raises ValueError: ``text`` is not URL-safe base64.
    """
    return base64.b64decode(text + "=" * (-len(text) % 4), b"-_", validate=True)


def _signing_key(app: Flask) -> bytes:
    key = app.secret_key
    if not key:
        # Without a secret key nothing can be signed: a random key makes
        # every signature fail, so nothing the browser carries is trusted.
        return secrets.token_bytes(32)
    return key.encode() if isinstance(key, str) else key


def _verifying_keys(app: Flask) -> list[bytes]:
    keys = [_signing_key(app)]
    for key in app.config.get("SECRET_KEY_FALLBACKS") or ():
        if key:
            keys.append(key.encode() if isinstance(key, str) else key)
    return keys


def _prefix(app: Flask, client_name: str, purpose: str) -> bytes:
    return f"{purpose}\0{app.name}\0{client_name}\0".encode()


def _mac(key: bytes, payload: str, prefix: bytes) -> str:
    mac = _keyed(key, prefix).copy()
    mac.update(payload.encode())
    return b64(mac.digest()[:_MAC_BYTES])


@functools.lru_cache(maxsize=32)
def _keyed(key: bytes, prefix: bytes) -> hmac.HMAC:
    # The HMAC of a key, fed what every value signed for one purpose, app
    # and client begins with: copying it costs less than a new HMAC, whose
    # set-up for the key is most of a signature's time. The bytes signed
    # are the same as ever.
    return hmac.new(key, _SALT + prefix, hashlib.sha256)
