"""A state is honoured once.

A signed state proves that this app minted it, not that the browser
presenting it is the one it was minted for: anyone can take one from their
own login and send it around. Whatever a first callback with it decided
(a restart, a page, a log line at ERROR), a second one with the same state
is a stranger's link. So the first callback to present a state records it
here, and a later one that finds the record is refused before anything is
spent or announced.

The record lives in the Authlib client's shared ``cache`` when the app has
one (``OAuth(app, cache=...)``), so every worker and host sees it. Without
one it lives in the worker's memory, bounded to :data:`LOCAL_LIMIT` states:
a replay that reaches another worker, or comes after that many newer
states, is honoured once more there. Either way an entry lasts as long as
a signature does (``OAUTH_RECOVER_STATE_MAX_AGE``): after that, the state
is refused by its age alone.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

#: States each worker remembers when the app has no shared cache.
LOCAL_LIMIT = 10_000
_USED = "used"


class LocalRecord:
    """The states one worker has seen, each until it expires, at most
    ``limit`` of them (the oldest are forgotten first).

    :param limit: how many states to remember.
    """

    def __init__(self, limit: int = LOCAL_LIMIT) -> None:
        self.limit = limit
        self._expiries: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, key: str, seconds: float) -> bool:
        """Record ``key`` for ``seconds``; ``False`` when it is already
        recorded and has not expired.

        :param key: what to remember.
        :param seconds: how long.
        """
        now = time.monotonic()
        with self._lock:
            expiry = self._expiries.get(key)
            if expiry is not None and expiry > now:
                return False
            self._expiries[key] = now + seconds
            self._expiries.move_to_end(key)
            expiries = self._expiries
            # Entries share one lifetime, so the oldest expire first.
            while expiries and (
                len(expiries) > self.limit or next(iter(expiries.values())) <= now
            ):
                expiries.popitem(last=False)
            return True

    def __len__(self) -> int:
        return len(self._expiries)


def state_key(client: Any, state: str) -> str:
    """The key under which a client's ``state`` is recorded, in a shared
    cache or in memory (a digest: never the state itself).

    :param client: the Authlib client (or the extension's stand-in for a
        library's client).
    :param state: the ``state`` parameter.
    """
    digest = hashlib.sha256(state.encode()).hexdigest()[:32]
    return f"_oauth_recover_state_{client.name}_{digest}"


def shared_cache(client: Any) -> Any:
    """The client's shared cache, or ``None``."""
    return getattr(client.framework, "cache", None)


def cache_add(cache: Any, key: str, value: str, seconds: int) -> bool:
    """Store ``value`` under ``key`` unless the key is taken; ``True`` when
    it was stored.

    :param cache: an Authlib cache (``get``/``set``, maybe ``add``).
    """
    add = getattr(cache, "add", None)
    if callable(add):
        return bool(add(key, value, seconds))
    # No atomic add: a narrow race remains, in which both requests win.
    if cache.get(key) is not None:
        return False
    cache.set(key, value, seconds)
    return True


def first_use(
    client: Any,
    state: str,
    local: LocalRecord,
    seconds: int,
    seen: Callable[[str], object] | None = None,
) -> bool:
    """Record that a callback presented ``state``; ``False`` when one
    already had.

    :param client: the client whose callback it is.
    :param state: the callback's ``state``.
    :param local: this worker's record, used when there is no shared cache.
    :param seconds: how long the record lasts (the signature's lifetime).
    :param seen: this worker's other record of states, by key (the claims
        of callbacks whose session held the state): a state there was used.
    """
    key = state_key(client, state)
    cache = shared_cache(client)
    if cache is not None:
        return cache_add(cache, key, _USED, seconds)
    if seen is not None and seen(key) is not None:
        return False
    return local.add(key, seconds)
