"""What the extension keeps per app, in ``app.extensions["oauth_recover"]``."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from .clients import EXTENSION_KEY
from .clients import Registry
from .duplicate import LocalClaims
from .framework import Framework
from .used_states import LocalRecord


class AppState:
    """One app's registry and this worker's records of its callbacks.

    :param registry: the app's Authlib registry, as the extension uses it.
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        #: States the app's callbacks have seen (:mod:`.used_states`).
        self.used_states = LocalRecord()
        #: Claims of the callbacks in flight (:mod:`.duplicate`).
        self.claims = LocalClaims()
        #: Operator alerts resting on what only the browser says, each
        #: given once per window (a forged cookie costs an attacker nothing).
        self.alerts = LocalRecord(limit=64)
        #: The libraries owning the app's login whose callbacks are wrapped.
        self.frameworks: list[Framework] = []
        #: Finishes the extension's set-up of the app now, when it waits for
        #: the app's first request (``flask oauth-recover check`` makes none).
        self.set_up: Callable[[], object] | None = None


def current_state() -> AppState:
    """The :class:`AppState` of the current app.

    :raises RuntimeError: the extension was not initialized for this app.
    """
    state: AppState | None = current_app.extensions.get(EXTENSION_KEY)
    if state is None:
        raise RuntimeError(
            "OAuthRecover is not initialized for this app: call "
            "OAuthRecover(app) or recover.init_app(app)"
        )
    return state
