"""Minting and reading the signed ``state`` values the app sends.

Every authorization request the app makes carries a state minted here:
random, and signed with the app's secret key together with what a later
callback needs to know even when the session cookie never comes back:

- the history of the login so far, one letter per failed attempt (its
  length is the restart count, the loop guard);
- the origin (``scheme://host:port``) of the redirect URI that was sent,
  the evidence for the host diagnoses, and a digest of the whole URI, so
  that a restart can tell the login's own redirect URI (query included)
  from one an attacker put on the callback's query;
- the time it was issued, so that a signature is accepted only for
  ``OAUTH_RECOVER_STATE_MAX_AGE`` seconds.

A valid signature proves the state was issued by this app, not that the
browser presenting it is the one it was issued to: it is evidence, never
authentication. Authlib still checks the state against the session.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

#: One letter per failed attempt in a signed state's history.
CODE_REFUSED = "c"
STATE_LOST = "s"
COOKIE_MISSING = "k"
CODE_MISSING = "m"
#: An ``invalid_grant`` that may not be transient (see ``Failure.ambiguous``).
GRANT_REFUSED = "g"
HISTORY_LETTERS = frozenset(
    {CODE_REFUSED, STATE_LOST, COOKIE_MISSING, CODE_MISSING, GRANT_REFUSED}
)

#: Longest history a state may carry; the restart bound is far below it.
MAX_HISTORY = 16
#: A state issued this far in the future (clock skew between workers) is
#: still accepted.
CLOCK_SKEW = 60
_SALT = b"flask-oauth-recover state v2:"
_MAC_BYTES = 16
_DIGEST_BYTES = 8
_FIELDS = 6


@dataclass(frozen=True)
class SignedState:
    """What a state minted by this app says about its login.

    :param history: one letter per failed attempt before this one.
    :param origin: ``scheme://host[:port]`` of the redirect URI sent with
        this state, or ``""`` when the client's default was used.
    :param issued_at: when it was minted, in seconds since the epoch.
    :param uri_digest: :func:`uri_digest` of the redirect URI sent.
    """

    history: str
    origin: str
    issued_at: int
    uri_digest: str

    def sent(self, redirect_uri: str) -> bool:
        """Is ``redirect_uri`` the one the login sent with this state?"""
        return hmac.compare_digest(uri_digest(redirect_uri), self.uri_digest)

    @property
    def attempt(self) -> int:
        """How many restarts the login had had when this state was sent."""
        return len(self.history)


def mint_state(history: str = "", redirect_uri: str | None = None) -> str:
    """A new random state, signed, carrying ``history`` and what the
    redirect URI being sent was.

    :param history: the login's failed attempts so far (letters above).
    :param redirect_uri: the redirect URI sent with it; ``None`` when the
        client's default is used.
    """
    payload = ".".join(
        (
            secrets.token_urlsafe(16),
            history or "-",
            _base36(int(time.time())),
            _b64(origin_of(redirect_uri).encode()),
            uri_digest(redirect_uri or ""),
        )
    )
    return f"{payload}.{_mac(payload)}"


def read_state(state: str | None, max_age: float) -> SignedState | None:
    """The :class:`SignedState` in ``state``, or ``None`` when it was not
    minted by this app, was tampered with, or is older than ``max_age``
    seconds.

    :param state: the callback's ``state`` parameter (untrusted).
    :param max_age: ``OAUTH_RECOVER_STATE_MAX_AGE``.
    """
    if not state:
        return None
    parts = state.split(".")
    if len(parts) != _FIELDS:
        return None
    payload, mac = state.rpartition(".")[::2]
    if not hmac.compare_digest(mac, _mac(payload)):
        return None
    _, history, issued, origin, digest = parts[:5]
    try:
        issued_at = int(issued, 36)
        origin_text = base64.urlsafe_b64decode(origin + "=" * (-len(origin) % 4))
    except (ValueError, binascii.Error):
        return None
    age = time.time() - issued_at
    if not -CLOCK_SKEW <= age <= max_age:
        return None
    history = "" if history == "-" else history
    if len(history) > MAX_HISTORY or not set(history) <= HISTORY_LETTERS:
        return None
    return SignedState(
        history, origin_text.decode("utf-8", "replace"), issued_at, digest
    )


def origin_of(url: str | None) -> str:
    """``scheme://host[:port]`` of ``url``, or ``""`` when it has none."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rpartition("@")[2]
    except ValueError:
        return ""
    return f"{parts.scheme.lower()}://{netloc.lower()}" if netloc else ""


def uri_digest(url: str) -> str:
    """A short digest of ``url``, as a state carries it."""
    return _b64(hashlib.sha256(url.encode()).digest()[:_DIGEST_BYTES])


def _mac(payload: str) -> str:
    key = current_app.secret_key
    if not key:
        # Without a secret key nothing can be signed: a random key makes
        # every signature fail, so no lost state is ever trusted.
        key = secrets.token_bytes(32)
    if isinstance(key, str):
        key = key.encode()
    digest = hmac.new(key, _SALT + payload.encode(), hashlib.sha256).digest()
    return _b64(digest[:_MAC_BYTES])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out
