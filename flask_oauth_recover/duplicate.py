"""Tell a duplicate callback (a double click) from the first one, across
workers and hosts.

Two requests for the same callback URL can arrive together: the second
click comes while the first is still exchanging the code. Each would spend
the code, the second would get ``bad_verification_code`` and restart, and
the browser, which keeps only the last response, would go through a new
authorization although the first one signed the user in.

When the Authlib client has a shared ``cache`` (``OAuth(app, cache=...)``,
e.g. on Redis), the first request to reach the callback *claims* its state
there. A request that finds the state claimed waits, at most
``OAUTH_RECOVER_TIMEOUT`` seconds, until the first has finished and saved
its session, then reloads the session from the session store: with
server-side sessions it now sees the first one's result and is sent where
the first one went. When the first one restarted the authorization, the
claim records the authorize URL it sent the browser to, and the duplicate
is sent to the same URL: one state, one chain of restarts, whichever
response the browser keeps. Without a cache, or with cookie sessions (a
reload finds the same stale cookie), the duplicate is handled as before: it
restarts.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from flask import current_app
from flask import g
from flask import request
from flask import session
from werkzeug.wrappers import Response

#: How long a claim lives in the cache, in case its worker dies.
CLAIM_SECONDS = 120
_PENDING = "pending"
_FINISHED = "finished"
_RESTARTED = "restarted "
#: Where a request keeps its claims in ``flask.g``.
CLAIMS_KEY = "_oauth_recover_claims"
_POLL_SECONDS = 0.05


def claim_callback(client: Any, state: str | None) -> bool:
    """Claim the callback for ``state``; ``False`` when another request
    holds it. Always ``True`` when the client has no shared cache.

    :param client: the Authlib client.
    :param state: the callback's ``state``.
    """
    cache = getattr(client.framework, "cache", None)
    if cache is None or not state:
        return True
    key = _claim_key(client, state)
    add = getattr(cache, "add", None)
    if callable(add):
        claimed = bool(add(key, _PENDING, CLAIM_SECONDS))
    else:
        # No atomic add: a narrow race remains, and costs only a restart.
        claimed = cache.get(key) is None
        if claimed:
            cache.set(key, _PENDING, CLAIM_SECONDS)
    if claimed:
        g.setdefault(CLAIMS_KEY, {})[key] = (cache, _FINISHED)
    return claimed


def record_restart(url: str) -> None:
    """Let duplicates of this request's callback follow its restart to
    ``url`` (written to the claim when the request ends)."""
    claims = g.get(CLAIMS_KEY)
    if claims:
        for key, (cache, _) in claims.items():
            claims[key] = (cache, _RESTARTED + url)


def wait_for_first_callback(client: Any, state: str) -> str | None:
    """Wait until the request holding the claim on ``state`` has finished,
    then reload the session so this request sees what it saved.

    :param client: the Authlib client.
    :param state: the callback's ``state``.
    :return: the authorize URL the first request restarted to, if it did.
    """
    cache = client.framework.cache
    key = _claim_key(client, state)
    deadline = time.monotonic() + float(current_app.config["OAUTH_RECOVER_TIMEOUT"])
    value = cache.get(key)
    while _is_pending(value) and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        value = cache.get(key)
    _reload_session()
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str) and value.startswith(_RESTARTED):
        return value[len(_RESTARTED) :]
    return None


def release_claims(response: Response | None) -> None:
    """Mark this request's claims finished, if it made any.

    Waiters reload the session once the claim is finished, so the session
    is saved first, here, into ``response``: Flask's own save comes too
    late. ``None`` (the view raised) releases without saving.
    """
    claims = g.pop(CLAIMS_KEY, None)
    if not claims:
        return
    if response is not None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        interface = app.session_interface
        if not interface.is_null_session(session):
            interface.save_session(app, session._get_current_object(), response)  # type: ignore[attr-defined]
            # Saved: Flask need not save it (and set its cookie) again.
            session.modified = False
    for key, (cache, value) in claims.items():
        cache.set(key, value, CLAIM_SECONDS)


def _is_pending(value: object) -> bool:
    return value in (_PENDING, _PENDING.encode())


def _claim_key(client: Any, state: str) -> str:
    digest = hashlib.sha256(state.encode()).hexdigest()[:32]
    return f"_oauth_recover_claim_{client.name}_{digest}"


def _reload_session() -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    fresh = app.session_interface.open_session(app, request)
    if fresh is None:
        return
    # Replace the contents rather than the object, so that Flask saves what
    # the first request saved instead of this request's stale copy.
    session.clear()
    session.update(fresh)
