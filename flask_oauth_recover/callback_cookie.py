"""What the browser keeps for a callback, for a few minutes after a login:
where a finished login went, so that a repeat of its callback (the back
button, a reload) lands there again instead of spending a used code; or
what a failed login asked for, so that "try again" repeats it.

It is a cookie of its own, not a session key: scoped to the callback's
path, so no other request carries it or pays for reading it, and set to
expire after :data:`REPLAY_SECONDS`, so it leaves nothing behind. Its value
is signed with the app's secret key and bound to the app and the client
(:mod:`.signing`); one that does not verify is ignored.
"""

from __future__ import annotations

import functools
import json
import time
from typing import Any
from urllib.parse import quote

from flask import request
from werkzeug.wrappers import Response

from .restart import Recipe
from .signing import b64
from .signing import sign
from .signing import unb64
from .signing import verify

#: The cookie's name.
COOKIE_NAME = "oauth_recover"
#: How long a finished login's callback URL still leads to where it went,
#: and a failed one's "try again" repeats it.
REPLAY_SECONDS = 600
_PURPOSE = "callback cookie v1"
_FINISHED = "d"
_RECIPE = "r"


def remember_finished(
    response: Response, client_name: str, state: str, location: str
) -> None:
    """Let a repeat of this callback (same ``state``) go to ``location``.

    :param response: the callback's response, which sets the cookie.
    :param client_name: the client whose callback it is.
    :param state: the callback's ``state``.
    :param location: where the callback sent the user (a path or a URL on
        this host).
    """
    payload = f"{_FINISHED}.{int(time.time())}.{b64(location.encode())}"
    # The state is signed, not sent: the record verifies only for it.
    _set(response, f"{payload}.{sign(_bound(payload, state), client_name, _PURPOSE)}")


def finished_location(client_name: str, state: str) -> str | None:
    """Where a finished login with ``state`` sent the user, if this browser
    finished it lately."""
    fields = _read(client_name, state)
    if fields is None or len(fields) != 3 or fields[0] != _FINISHED:
        return None
    _, finished_at, location = fields
    if not finished_at.isdigit():
        return None
    if time.time() - int(finished_at) >= REPLAY_SECONDS:
        return None
    try:
        return unb64(location).decode() or None
    except ValueError:
        return None


def remember_recipe(response: Response, client_name: str, recipe: Recipe) -> None:
    """Let "try again" repeat the login ``recipe`` describes.

    :param response: the response that sets the cookie.
    :param client_name: the client whose callback it is.
    :param recipe: what the login asked for.
    """
    fields: list[Any] = [recipe.redirect_uri, recipe.params]
    if recipe.destination is not None:
        fields.append(recipe.destination)
    data = json.dumps(fields, separators=(",", ":"))
    payload = f"{_RECIPE}.{b64(data.encode())}"
    _set(response, f"{payload}.{sign(payload, client_name, _PURPOSE)}")


def remembered_recipe(client_name: str) -> Recipe | None:
    """The recipe :func:`remember_recipe` kept for this client, if any."""
    fields = _read(client_name)
    if fields is None or len(fields) != 2 or fields[0] != _RECIPE:
        return None
    try:
        redirect_uri, params, *rest = json.loads(unb64(fields[1]))
    except (ValueError, TypeError):
        return None
    destination = rest[0] if len(rest) == 1 else None
    if not (redirect_uri is None or isinstance(redirect_uri, str)):
        return None
    if not isinstance(params, dict) or len(rest) > 1:
        return None
    if not (destination is None or isinstance(destination, str)):
        return None
    return Recipe(
        redirect_uri, {str(k): str(v) for k, v in params.items()}, destination
    )


def _set(response: Response, value: str) -> None:
    # Written out rather than through set_cookie: werkzeug's dump_cookie
    # costs more than the rest of a finished login's record (the Expires
    # date it computes, the quoting checks); the value is URL-safe base64,
    # digits and dots, and Max-Age alone is what every browser honours.
    current = request._get_current_object()  # type: ignore[attr-defined]
    secure = "; Secure" if current.is_secure else ""
    response.headers.add(
        "Set-Cookie",
        f"{COOKIE_NAME}={value}; Max-Age={REPLAY_SECONDS}{secure}; HttpOnly; "
        f"Path={_callback_path(current.script_root + current.path)}; SameSite=Lax",
    )


def _read(client_name: str, state: str | None = None) -> list[str] | None:
    value = request.cookies.get(COOKIE_NAME)
    if not value:
        return None
    payload, _, mac = value.rpartition(".")
    signed = payload if state is None else _bound(payload, state)
    if not payload or not verify(signed, mac, client_name, _PURPOSE):
        return None
    return payload.split(".")


def _bound(payload: str, state: str) -> str:
    # A state never holds a NUL (read_callback_params refuses control
    # characters), so the two cannot be shifted into each other.
    return f"{payload}\0{state}"


@functools.lru_cache(maxsize=256)
def _callback_path(path: str) -> str:
    # As the browser sends it: the cookie comes back only to this path. A
    # semicolon is quoted, as it would end the attribute.
    return quote(path, safe="/:@!$&'()*+,=-._~")
