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
from flask import request
from flask import session
from werkzeug.wrappers import Response

from .used_states import cache_add
from .used_states import shared_cache
from .used_states import state_key

#: How long a pending claim holds in a shared cache, in case its worker
#: dies; a released claim lasts as long as a signature (it is also the
#: record that the state was used).
CLAIM_SECONDS = 120
#: Finished claims this worker keeps, with their sessions.
LOCAL_CLAIMS = 1024
_PENDING = "pending"
_FINISHED = "finished "
_RESTARTED = "restarted "
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

    def take(self, key: str, seconds: float = CLAIM_SECONDS) -> Claim | None:
        """A new claim on ``key`` for ``seconds``, or ``None`` when a live
        one exists."""
        now = time.monotonic()
        with self._lock:
            held = self._claims.get(key)
            if held is not None and held.expires > now:
                return None
            claim = Claim(expires=now + seconds)
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


@dataclass
class Hold:
    """This request's claim on its callback's state: what the duplicates of
    the callback will follow once it is released.

    :param key: the state's key (:func:`.used_states.state_key`).
    :param cache: the shared cache the claim is also in, if any.
    :param claim: this worker's claim.
    :param seconds: how long the shared cache keeps the released claim.
    """

    key: str
    cache: Any
    claim: Claim
    seconds: int
    outcome: str = _FINISHED

    def restarted(self, url: str) -> None:
        """Duplicates follow this request's restart to ``url``."""
        self.outcome = _RESTARTED + url

    def finished(self, location: str) -> None:
        """Duplicates go where this request sent the user."""
        self.outcome = _FINISHED + location

    def showed(self, page: Any) -> None:
        """Duplicates show the page this request shows for ``page`` (an
        :class:`~flask_oauth_recover.Outcome`)."""
        self.claim.page = page

    def release(
        self, response: Response | None, app: Any, store: MutableMapping[str, Any]
    ) -> None:
        """Mark the claim finished, with this request's session ``store``.

        Waiters on other workers reload the session once the claim is
        finished, so with a shared cache the session is saved first, here,
        into ``response``: Flask's own save comes too late. ``None`` (the
        view raised) releases without saving.
        """
        cache = self.cache
        if cache is not None:
            interface = app.session_interface
            if response is not None and not interface.is_null_session(store):
                interface.save_session(app, store, response)
                # Saved: Flask need not save it (and set its cookie) again.
                store.modified = False  # type: ignore[attr-defined]
            cache.set(self.key, self.outcome, self.seconds)
        claim = self.claim
        claim.outcome = self.outcome
        if response is not None:
            claim.session = store
        claim.finish()


def claim_callback(
    client: Any, state: str, claims: LocalClaims, seconds: int
) -> Hold | None:
    """Claim the callback for ``state``, a state pending in this request's
    session; ``None`` when another request holds it.

    :param client: the client whose callback it is.
    :param state: the callback's ``state``.
    :param claims: this worker's claims.
    :param seconds: how long the claim lasts once released, as the record
        that the state was used (:mod:`.used_states`).
    """
    key = state_key(client, state)
    cache = shared_cache(client)
    if cache is not None and not cache_add(cache, key, _PENDING, CLAIM_SECONDS):
        return None
    seconds = max(seconds, CLAIM_SECONDS)
    claim = claims.take(key, seconds)
    if claim is None:
        return None
    return Hold(key, cache, claim, seconds)


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
