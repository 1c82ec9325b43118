"""Tell a duplicate callback (a double click) from the first one.

Two requests for the same callback URL can arrive together: the second
click comes while the first is still exchanging the code. Each would spend
the code, the second would get ``bad_verification_code`` and restart, and
the browser, which keeps only the last response, would go through a new
authorization although the first one signed the user in.

So the first request to reach a callback *claims* its state, and a request
that finds the state claimed waits, at most ``OAUTH_RECOVER_TIMEOUT``
seconds, until the first has finished, then follows it: to where it sent
the user, or to the authorize URL it restarted to, with the session it
left. Only a request whose own session holds the state as pending may
claim or follow (the caller checks): a state is random and lives in one
browser's session, so that request is the same browser. A state that is
only signed, not pending in the session, never claims and never follows,
and one browser's authorization URL is never handed to another.

Claims live in this worker's memory, with the first request's session, so
a duplicate that reaches the same worker follows it whatever the session
store (cookie sessions included). With a shared Authlib ``cache``
(``OAuth(app, cache=...)``, e.g. on Redis) the claim is also written there,
so a duplicate on another worker or host waits too, then reloads the
session from the store: with server-side sessions it sees the first one's
result. With cookie sessions across workers, a reload finds the same stale
cookie and the duplicate spends the code as before: a restart heals it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import MutableMapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from flask import current_app
from flask import g
from flask import request
from flask import session
from werkzeug.wrappers import Response

from .used_states import LocalRecord
from .used_states import cache_add
from .used_states import shared_cache
from .used_states import state_key

#: How long a pending claim holds, in case its worker dies, and how long
#: this worker keeps a finished one for the duplicates of a double click.
CLAIM_SECONDS = 120
#: Finished claims this worker keeps, with their sessions.
LOCAL_CLAIMS = 1024
_PENDING = "pending"
_FINISHED = "finished "
_RESTARTED = "restarted "
#: Where a request keeps its claims in ``flask.g``.
CLAIMS_KEY = "_oauth_recover_claims"
_POLL_SECONDS = 0.05


#: Guards the moment a claim finishes against a waiter arriving.
_WAKE = threading.Lock()


@dataclass
class Claim:
    """One callback's claim on its state, in this worker.

    :param outcome: ``pending``, ``finished <where the user went>`` or
        ``restarted <the authorize URL>``.
    :param session: the first request's session once it has finished.
    :param page: the outcome whose page it answered with, if it did.
    """

    outcome: str = _PENDING
    session: MutableMapping[str, Any] | None = None
    page: Any = None
    expires: float = 0.0
    finished: bool = False
    # Made by the first waiter: most claims are never waited on, and an
    # Event costs more than the rest of a claim.
    _done: threading.Event | None = field(default=None, init=False, repr=False)

    @property
    def done(self) -> threading.Event:
        """Set once the request holding the claim has finished."""
        with _WAKE:
            if self._done is None:
                self._done = threading.Event()
                if self.finished:
                    self._done.set()
            return self._done

    def finish(self) -> None:
        """Mark the claim finished and wake its waiters."""
        with _WAKE:
            self.finished = True
            done = self._done
        if done is not None:
            done.set()


class LocalClaims:
    """The claims of this worker's recent callbacks, at most ``limit``.

    :param limit: how many to keep.
    """

    def __init__(self, limit: int = LOCAL_CLAIMS) -> None:
        self.limit = limit
        self._claims: OrderedDict[str, Claim] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> Claim | None:
        """A new claim on ``key``, or ``None`` when a live one exists."""
        now = time.monotonic()
        with self._lock:
            held = self._claims.get(key)
            if held is not None and held.expires > now:
                return None
            claim = Claim(expires=now + CLAIM_SECONDS)
            self._claims[key] = claim
            self._claims.move_to_end(key)
            claims = self._claims
            while claims and (
                len(claims) > self.limit or next(iter(claims.values())).expires <= now
            ):
                claims.popitem(last=False)
            return claim

    def get(self, key: str) -> Claim | None:
        """The live claim on ``key``, if any."""
        claim = self._claims.get(key)
        return claim if claim is not None and claim.expires > time.monotonic() else None


@dataclass
class FirstOutcome:
    """What the first request for a callback did, as a duplicate sees it.

    :param restarted_to: the authorize URL it restarted to.
    :param finished_to: where it sent the user when it finished.
    :param outcome: the outcome whose page it answered with, when it ran
        in this worker.
    """

    restarted_to: str | None = None
    finished_to: str | None = None
    outcome: Any = None


def claim_callback(
    client: Any, state: str, claims: LocalClaims, used: LocalRecord, seconds: int
) -> bool:
    """Claim the callback for ``state``, a state pending in this request's
    session; ``False`` when another request holds it.

    :param client: the client whose callback it is.
    :param state: the callback's ``state``.
    :param claims: this worker's claims.
    :param used: this worker's record of used states (see
        :mod:`.used_states`), which the claim also enters.
    :param seconds: how long a used state is remembered.
    """
    key = state_key(client, state)
    cache = shared_cache(client)
    if cache is not None:
        if not cache_add(cache, key, _PENDING, CLAIM_SECONDS):
            return False
    else:
        used.add(key, seconds)
    claim = claims.take(key)
    if claim is None:
        return False
    g.setdefault(CLAIMS_KEY, []).append(
        [key, cache, claim, _FINISHED, max(seconds, CLAIM_SECONDS)]
    )
    return True


def record_restart(url: str) -> None:
    """Let duplicates of this request's callback follow its restart to
    ``url`` (written to the claim when the request ends)."""
    _record(_RESTARTED + url)


def record_success(location: str) -> None:
    """Let duplicates of this request's callback go where it sent the user."""
    _record(_FINISHED + location)


def record_outcome(outcome: Any) -> None:
    """Let duplicates of this request's callback show the page it shows
    for ``outcome`` (an :class:`~flask_oauth_recover.Outcome`)."""
    for entry in g.get(CLAIMS_KEY, ()):
        entry[2].page = outcome


def _record(outcome: str) -> None:
    for entry in g.get(CLAIMS_KEY, ()):
        entry[3] = outcome


def wait_for_first_callback(
    client: Any, state: str, claims: LocalClaims
) -> FirstOutcome:
    """Wait until the request holding the claim on ``state`` has finished,
    then take over the session it left: its own, when it ran in this
    worker, else what the session store now holds.

    :param client: the client whose callback it is.
    :param state: the callback's ``state``.
    :param claims: this worker's claims.
    """
    key = state_key(client, state)
    timeout = float(current_app.config["OAUTH_RECOVER_TIMEOUT"])
    local = claims.get(key)
    cache = shared_cache(client)
    if cache is not None:
        deadline = time.monotonic() + timeout
        value = cache.get(key)
        while _is_pending(value) and time.monotonic() < deadline:
            time.sleep(_POLL_SECONDS)
            value = cache.get(key)
    elif local is not None:
        local.done.wait(timeout)
        value = local.outcome
    else:
        value = None
    if local is not None and local.session is not None:
        _adopt_session(local.session)
    else:
        _reload_session()
    page = local.page if local is not None else None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return FirstOutcome(outcome=page)
    if value.startswith(_RESTARTED):
        return FirstOutcome(restarted_to=value[len(_RESTARTED) :])
    if value.startswith(_FINISHED):
        return FirstOutcome(finished_to=value[len(_FINISHED) :] or None, outcome=page)
    return FirstOutcome(outcome=page)


def release_claims(response: Response | None) -> None:
    """Mark this request's claims finished, if it made any.

    Waiters on other workers reload the session once the claim is
    finished, so the session is saved first, here, into ``response``:
    Flask's own save comes too late. ``None`` (the view raised) releases
    without saving.
    """
    entries = g.pop(CLAIMS_KEY, None)
    if not entries:
        return
    current = session._get_current_object()  # type: ignore[attr-defined]
    if response is not None and any(entry[1] is not None for entry in entries):
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        interface = app.session_interface
        if not interface.is_null_session(current):
            interface.save_session(app, current, response)
            # Saved: Flask need not save it (and set its cookie) again.
            current.modified = False
    for key, cache, claim, outcome, seconds in entries:
        if cache is not None:
            cache.set(key, outcome, seconds)
        claim.outcome = outcome
        if response is not None:
            claim.session = current
        claim.finish()


def _is_pending(value: object) -> bool:
    return value in (_PENDING, _PENDING.encode())


def _adopt_session(first: MutableMapping[str, Any]) -> None:
    # The contents, not the object: Flask then saves what the first
    # request saved as this request's session.
    session.clear()
    session.update(first)


def _reload_session() -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    fresh = app.session_interface.open_session(app, request)
    if fresh is None:
        return
    session.clear()
    session.update(fresh)
