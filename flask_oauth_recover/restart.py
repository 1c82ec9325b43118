"""Start a fresh authorization after a transient failure, within a bound.

The new request repeats what the app's login asked for (redirect URI, scope,
extra parameters) but never reuses a state, code, PKCE verifier or nonce.
The login's history, whose length is the restart count, travels inside the
new state, signed (:mod:`.state`), because the session cookie is exactly
what may be missing when a login loops.

The redirect URI comes only from what the login sent: the state data
Authlib saved, or the origin in the signed state plus the callback's own
path. Nothing from the callback's query is reused or stored: anyone can
put anything there. A signed origin is used only when it is this request's
own or a trusted host's: a state minted for a login sent with a hostile
``Host`` header carries that host, and a victim must not be sent there.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import unquote_plus
from urllib.parse import urlsplit

from flask import current_app
from flask import redirect
from flask import request
from werkzeug.sansio.utils import host_is_trusted
from werkzeug.wrappers import Response

from .diagnose.addresses import Address
from .diagnose.addresses import request_view
from .state import SignedState
from .state import mint_state

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
#: Parameters providers add to the redirect URI on the way back (RFC 6749,
#: RFC 9207's ``iss``, OIDC session management, Google's extras).
PROVIDER_PARAMS = frozenset(
    {
        "code",
        "state",
        "error",
        "error_description",
        "error_uri",
        "iss",
        "session_state",
        "scope",
        "authuser",
        "prompt",
        "hd",
        "oauth_recover",
    }
)


@dataclass
class Recipe:
    """What an authorization request asked for, minus its one-time values.

    :param redirect_uri: the redirect URI the login sent (``None``: the
        client's default).
    :param params: scope and any extra authorize parameters.
    :param destination: where a framework that owns the login sends the
        user once signed in (Flask-AppBuilder's ``next``), for a "try again"
        through its own login.
    """

    redirect_uri: str | None
    params: dict[str, str] = field(default_factory=dict)
    destination: str | None = None


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


def recipe_from_signed_state(signed: SignedState | None) -> Recipe:
    """The login's request when its state data is lost.

    The provider sent the browser to the redirect URI, so the callback URL
    minus what the provider added is it, but anyone can add to a URL: it is
    used only when its digest is the one the signed state carries. Else the
    signed origin plus this callback's path, without a query. Scope and
    extras are the client's defaults. A signed origin that is neither this
    request's nor a trusted host's (``SERVER_NAME``, ``TRUSTED_HOSTS``) is
    replaced by this request's own.

    :param signed: the callback's signed state; ``None`` keeps the client's
        default redirect URI.
    """
    if signed is None or not signed.origin:
        return Recipe(None)
    origin = signed.origin if origin_is_trusted(signed.origin) else _own_origin()
    if origin is None:
        return Recipe(None)
    path = f"{origin}{request.script_root}{request.path}"
    # Kept as the browser sent it: re-encoding would change the digest.
    query = "&".join(
        part
        for part in request.query_string.decode("latin-1").split("&")
        if part and unquote_plus(part.partition("=")[0]) not in PROVIDER_PARAMS
    )
    candidate = f"{path}?{query}" if query else path
    return Recipe(candidate if signed.sent(candidate) else path)


def origin_is_trusted(origin: str) -> bool:
    """May a restart send the browser to ``origin``? Only when it is this
    request's own host, or one the app trusts: the host of ``SERVER_NAME``
    or one ``TRUSTED_HOSTS`` allows.

    :param origin: ``scheme://host[:port]``, e.g. from a signed state.
    """
    address = Address.parse(origin)
    view = request_view()
    if address is None or address.scheme not in ("http", "https"):
        return False
    if view.host_known and address.same_origin(view.seen):
        return True
    server_name = current_app.config.get("SERVER_NAME")
    trusted = list(current_app.config.get("TRUSTED_HOSTS") or ())
    if server_name:
        trusted.append(server_name)
    return bool(trusted) and host_is_trusted(address.host, trusted)


def _own_origin() -> str | None:
    view = request_view()
    return view.seen.origin if view.host_known else None


def recipe_from_request() -> Recipe | None:
    """The request for a "try again" link when nothing was remembered: the
    callback's own URL, without its query; ``None`` when the Host header
    cannot make a URL (no browser sends such a header)."""
    if not request_view().host_known:
        return None
    return Recipe(request.base_url)


def restart_authorization(client: Any, recipe: Recipe, history: str) -> Response:
    """Redirect to the provider's authorize URL with a fresh state.

    :param client: the Authlib OAuth 2 client (or the extension's stand-in
        for a library's client, which restarts through its own login).
    :param recipe: what to ask for.
    :param history: the login's failed attempts, one letter each; its length
        is the restart count the new state carries.
    """
    state = mint_state(str(client.name), history, recipe.redirect_uri)
    rv = client.create_authorization_url(
        recipe.redirect_uri, state=state, **recipe.params
    )
    client.save_authorize_data(redirect_uri=recipe.redirect_uri, **rv)
    return no_store(redirect(rv["url"]))


def no_store(response: Response) -> Response:
    """Keep ``response`` out of caches and its URL out of ``Referer``: it
    sets the cookie holding a state, or leads to one."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
