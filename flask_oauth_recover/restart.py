"""Start a fresh authorization after a transient failure, within a bound.

The new request repeats what the app's login asked for (redirect URI, scope,
extra parameters) but never reuses a state, code, PKCE verifier or nonce.
How many restarts a login has had travels inside the state value, signed
with the app's secret key, because the session cookie is exactly what may
be missing when a login loops.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from flask import current_app
from flask import redirect
from flask import request
from flask import session
from werkzeug.wrappers import Response

#: Query parameters of an authorization URL that belong to one attempt only.
ATTEMPT_PARAMS = frozenset(
    {
        "client_id",
        "response_type",
        "redirect_uri",
        "state",
        "code_challenge",
        "code_challenge_method",
        "nonce",
    }
)
#: Parameters a provider adds to the callback URL.
CALLBACK_PARAMS = frozenset(
    {"code", "state", "error", "error_description", "error_uri", "oauth_recover"}
)
RETRY_KEY = "_oauth_recover_retry"
_MAC_LENGTH = 12


@dataclass
class Recipe:
    """What an authorization request asked for, minus its one-time values.

    :param redirect_uri: the redirect URI the login sent (``None``: the
        client's default).
    :param params: scope and any extra authorize parameters.
    """

    redirect_uri: str | None
    params: dict[str, str] = field(default_factory=dict)

    def to_session(self) -> dict[str, Any]:
        return {"redirect_uri": self.redirect_uri, "params": self.params}

    @classmethod
    def from_session(cls, data: object) -> Recipe | None:
        if not isinstance(data, dict):
            return None
        redirect_uri = data.get("redirect_uri")
        params = data.get("params")
        if not isinstance(params, dict) or not (
            redirect_uri is None or isinstance(redirect_uri, str)
        ):
            return None
        return cls(redirect_uri, {str(k): str(v) for k, v in params.items()})


def recipe_from_state_data(state_data: dict[str, Any]) -> Recipe:
    """Rebuild the login's request from the state data Authlib saved."""
    url = state_data.get("url") or ""
    params = {
        key: value
        for key, value in parse_qsl(urlsplit(url).query)
        if key not in ATTEMPT_PARAMS
    }
    redirect_uri = state_data.get("redirect_uri")
    return Recipe(redirect_uri if isinstance(redirect_uri, str) else None, params)


def recipe_from_callback_url() -> Recipe:
    """Best guess when the state data is lost: the provider sent the browser
    to the redirect URI, so the callback URL without the provider's
    parameters is it; scope and extras fall back to the client's defaults.
    """
    parts = urlsplit(request.url)
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key not in CALLBACK_PARAMS
    ]
    return Recipe(urlunsplit(parts._replace(query=urlencode(query), fragment="")))


def restart_authorization(client: Any, recipe: Recipe, attempt: int) -> Response:
    """Redirect to the provider's authorize URL with a fresh state.

    :param client: the Authlib OAuth 2 client.
    :param recipe: what to ask for.
    :param attempt: how many restarts this login has had, this one included.
    """
    state = make_state(attempt)
    rv = client.create_authorization_url(
        recipe.redirect_uri, state=state, **recipe.params
    )
    client.save_authorize_data(redirect_uri=recipe.redirect_uri, **rv)
    return redirect(rv["url"])


def make_state(attempt: int) -> str:
    """A new random state value that carries ``attempt``, signed."""
    nonce = secrets.token_urlsafe(18)
    payload = f"{nonce}.{attempt}"
    return f"{payload}.{_mac(payload)}"


def read_attempt(state: str | None) -> int:
    """How many restarts the login that issued ``state`` had had.

    States the app's own login made, and anything forged, count as zero: a
    forged count can only make the guard trip sooner, never later, since the
    provider hands back exactly the state we sent.
    """
    if not state or state.count(".") != 2:
        return 0
    payload, _, mac = state.rpartition(".")
    attempt = payload.rpartition(".")[2]
    if not attempt.isdigit() or len(attempt) > 3:
        return 0
    if not hmac.compare_digest(mac, _mac(payload)):
        return 0
    return int(attempt)


def remember_recipe(client_name: str, recipe: Recipe) -> None:
    """Keep the recipe so a "try again" link can repeat the login."""
    session[RETRY_KEY] = {"client": client_name, **recipe.to_session()}


def remembered_recipe(client_name: str) -> Recipe | None:
    """The recipe :func:`remember_recipe` kept for this client, if any."""
    data = session.get(RETRY_KEY)
    if not isinstance(data, dict) or data.get("client") != client_name:
        return None
    return Recipe.from_session(data)


def _mac(payload: str) -> str:
    key = str(current_app.secret_key or "").encode()
    digest = hmac.new(key, b"oauth-recover-state:" + payload.encode(), hashlib.sha256)
    return digest.hexdigest()[:_MAC_LENGTH]
