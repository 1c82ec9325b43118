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

The signature also binds the state to the app and to the client it was
minted for, without carrying either: the same state presented at another
client's callback, or at another app sharing the secret key, does not
verify. Keys in ``SECRET_KEY_FALLBACKS`` verify too, so rotating the key
does not turn pending logins into strangers' links.

A valid signature proves the state was issued by this app, not that the
browser presenting it is the one it was issued to: it is evidence, never
authentication. Authlib still checks the state against the session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from .signing import b64
from .signing import sign
from .signing import unb64
from .signing import verify

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
_PURPOSE = "state v3"
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


def mint_state(
    client_name: str, history: str = "", redirect_uri: str | None = None
) -> str:
    """A new random state, signed, carrying ``history`` and what the
    redirect URI being sent was.

    :param client_name: the client the state is minted for; it verifies
        only at that client's callback.
    :param history: the login's failed attempts so far (letters above).
    :param redirect_uri: the redirect URI sent with it; ``None`` when the
        client's default is used.
    """
    payload = ".".join(
        (
            secrets.token_urlsafe(16),
            history or "-",
            _base36(int(time.time())),
            b64(origin_of(redirect_uri).encode()),
            uri_digest(redirect_uri or ""),
        )
    )
    return f"{payload}.{sign(payload, client_name, _PURPOSE)}"


def read_state(
    state: str | None, max_age: float, client_name: str
) -> SignedState | None:
    """The :class:`SignedState` in ``state``, or ``None`` when it was not
    minted by this app for ``client_name``, was tampered with, or is older
    than ``max_age`` seconds.

    :param state: the callback's ``state`` parameter (untrusted).
    :param max_age: ``OAUTH_RECOVER_STATE_MAX_AGE``.
    :param client_name: the client whose callback received it.
    """
    if state is None or not looks_minted(state):
        return None
    parts = state.split(".")
    payload, mac = state.rpartition(".")[::2]
    if not verify(payload, mac, client_name, _PURPOSE):
        return None
    _, history, issued, origin, digest = parts[:5]
    try:
        issued_at = int(issued, 36)
        origin_text = unb64(origin)
    except ValueError:
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


def signature_holds(state: str, client_name: str) -> bool:
    """Does ``state``, whatever its age, carry this app's signature for
    ``client_name``?"""
    payload, _, mac = state.rpartition(".")
    return bool(payload) and verify(payload, mac, client_name, _PURPOSE)


def looks_minted(state: str | None) -> bool:
    """Has ``state`` the shape of a state this extension mints, whether or
    not its signature holds? (Evidence for a secret key that differs
    between instances, never a reason to trust it.)"""
    return state is not None and state.count(".") == _FIELDS - 1


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
    return b64(hashlib.sha256(url.encode()).digest()[:_DIGEST_BYTES])


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out
