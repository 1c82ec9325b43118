"""Point an app's Flask-Dance blueprint at a provider emulator, and back.

A Flask-Dance app written for production makes its blueprint with the real
provider's addresses (``make_github_blueprint()``, ``make_google_blueprint()``
or its own ``OAuth2ConsumerBlueprint``) and its credentials in
``GITHUB_OAUTH_CLIENT_ID`` / ``_SECRET`` (``GOOGLE_OAUTH_...``...)
configuration keys, which Flask-Dance copies onto the blueprint before every
request. :class:`BlueprintStandIn` rewrites that one blueprint, and that
app's keys, in place, so the app's unmodified login talks to the emulator,
and puts everything back when it ends:

- the blueprint's ``authorization_url``, ``token_url``, ``auto_refresh_url``
  (where set) and ``base_url``, which the app's relative API calls
  (``github.get("/user")``, ``google.get("/oauth2/v2/userinfo")``) resolve
  against; a ``base_url`` on one of the provider's API hosts keeps its path;
- its credentials, set where Flask-Dance keeps them rather than through its
  ``client_id`` property, which opens an OAuth session and so needs a
  request (outside one it raises "Working outside of application context");
- the app's configuration keys named in the blueprint's ``from_config``;
- every OAuth session the blueprint opens gets a requests transport adapter
  that sends absolute URLs on the real API (``https://api.github.com/``,
  ``https://www.googleapis.com/``...) to the emulator;
- ``OAUTHLIB_INSECURE_TRANSPORT=1`` in the environment, without which
  oauthlib refuses the emulator's ``http://`` endpoints.

Flask-Dance keeps one blueprint object for every app it is registered on:
the addresses and credentials change for all of them, the configuration
keys for the one app only. Flask-Dance itself is never imported here.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any

from .stand_in import Endpoints
from .stand_in import _api_routes
from .stand_in import _emulated_api_base
from .stand_in import _RouteToEmulator

if TYPE_CHECKING:
    from types import TracebackType

    from flask import Flask

__all__ = ["BlueprintStandIn", "dance_blueprint"]

#: oauthlib's switch for ``http://`` endpoints and redirect URIs.
INSECURE_TRANSPORT = "OAUTHLIB_INSECURE_TRANSPORT"
#: The Authlib registry's key in ``app.extensions``.
_AUTHLIB_EXTENSION = "authlib.integrations.flask_client"
# Blueprint attributes a stand-in replaces, each only where the app set one.
_ADDRESSES = ("authorization_url", "token_url", "auto_refresh_url", "base_url")
_MISSING = object()


def dance_blueprint(app: Flask, target: object) -> Any | None:
    """The Flask-Dance blueprint ``target`` stands for on ``app``, or
    ``None`` when it names an Authlib client (or nothing yet).

    A name means the app's Authlib client of that name when the app has
    registered one, and otherwise the Flask-Dance blueprint of that name
    registered on the app.

    :param app: The Flask app.
    :param target: A client or blueprint name, or a blueprint.
    :raises TypeError: If ``target`` is neither a name nor a Flask-Dance
        blueprint.
    :raises ValueError: If it is a Flask-Dance OAuth 1 blueprint.
    """
    if not isinstance(target, str):
        if not _is_dance_blueprint(target):
            raise TypeError(
                "stand_in_for() takes an Authlib client's name or a Flask-Dance "
                f"blueprint (or its name), not {target!r}"
            )
        return target
    oauth = app.extensions.get(_AUTHLIB_EXTENSION)
    if oauth is not None and target in oauth._registry:
        return None
    for blueprint in app.blueprints.values():
        if blueprint.name == target and _is_dance_blueprint(blueprint):
            return blueprint
    return None


def _is_dance_blueprint(candidate: object) -> bool:
    looks_like_one = hasattr(candidate, "authorized") and hasattr(
        candidate, "from_config"
    )
    if looks_like_one and hasattr(candidate, "request_token_url"):
        raise ValueError(
            f"the Flask-Dance blueprint {getattr(candidate, 'name', candidate)!r} "
            "is an OAuth 1 blueprint; the provider emulator speaks OAuth 2 only"
        )
    return looks_like_one and hasattr(candidate, "token_url")


class BlueprintStandIn:
    """One Flask-Dance OAuth 2 blueprint, and one app's configuration keys,
    pointed at an emulator until :meth:`restore`.

    Made by :meth:`ProviderEmulator.stand_in_for
    <flask_oauth_recover.testing.ProviderEmulator.stand_in_for>`, which
    applies it at once. Used as a context manager, it restores everything on
    exit; otherwise that happens when the emulator stops.

    :param app: The Flask app whose configuration keys to set.
    :param blueprint: The Flask-Dance ``OAuth2ConsumerBlueprint``.
    :param endpoints: Where to point it.
    :param on_restore: Called with the stand-in once it is restored.
    """

    def __init__(
        self,
        app: Flask,
        blueprint: Any,
        endpoints: Endpoints,
        on_restore: Callable[[BlueprintStandIn], None] | None = None,
    ) -> None:
        self.app = app
        self.blueprint = blueprint
        self.name = str(blueprint.name)
        self.endpoints = endpoints
        self._on_restore = on_restore
        self._lock = threading.Lock()
        self._active = False
        self._saved_attributes: dict[str, Any] = {}
        self._saved_config: dict[str, Any] = {}
        self._saved_transport: str | None = None
        self._hook: _SessionHook | None = None
        self._apply()

    def __repr__(self) -> str:
        state = "active" if self._active else "restored"
        target = self.endpoints.authorize_url
        return f"<BlueprintStandIn {self.app.name}:{self.name} -> {target} ({state})>"

    @property
    def active(self) -> bool:
        """Whether the blueprint points at the emulator."""
        return self._active

    @property
    def pending(self) -> bool:
        """Always ``False``: a blueprint is stood in for at once."""
        return False

    def check(self, detail: str | None = None) -> None:
        """Nothing to report: a blueprint stand-in never waits.

        :param detail: Ignored; there for the same call as
            :meth:`StandIn.check
            <flask_oauth_recover.testing.StandIn.check>`.
        """

    def restore(self) -> None:
        """Point the blueprint back where the app made it, restore the app's
        configuration keys and ``OAUTHLIB_INSECURE_TRANSPORT``. Does nothing
        if it is restored already."""
        with self._lock:
            if not self._active:
                return
            self._active = False
            blueprint = self.blueprint
            for attribute, value in self._saved_attributes.items():
                setattr(blueprint, attribute, value)
            for key, value in self._saved_config.items():
                if value is _MISSING:
                    self.app.config.pop(key, None)
                else:
                    self.app.config[key] = value
            if self._saved_transport is None:
                os.environ.pop(INSECURE_TRANSPORT, None)
            else:
                os.environ[INSECURE_TRANSPORT] = self._saved_transport
            if self._hook is not None:
                self._hook.remove()
            _forget_session(blueprint)
        if self._on_restore is not None:
            self._on_restore(self)

    def __enter__(self) -> BlueprintStandIn:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.restore()

    def _apply(self) -> None:
        blueprint, endpoints = self.blueprint, self.endpoints
        base_url = blueprint.base_url
        replacements = {
            "authorization_url": endpoints.authorize_url,
            "token_url": endpoints.access_token_url,
            "auto_refresh_url": endpoints.access_token_url,
            "base_url": _emulated_api_base(_with_slash(base_url), endpoints),
            # Where the client_id property keeps it until a session exists;
            # the property itself would open one.
            "_client_id": endpoints.client_id,
            "client_secret": endpoints.client_secret,
        }
        for attribute, value in replacements.items():
            if attribute in _ADDRESSES and not getattr(blueprint, attribute, None):
                continue
            self._saved_attributes[attribute] = getattr(blueprint, attribute, None)
            setattr(blueprint, attribute, value)
        credentials = {
            "client_id": endpoints.client_id,
            "client_secret": endpoints.client_secret,
        }
        for attribute, key in blueprint.from_config.items():
            credential = credentials.get(str(attribute).rpartition(".")[2])
            if credential is not None:
                self._saved_config.setdefault(key, self.app.config.get(key, _MISSING))
                self.app.config[key] = credential
        self._saved_transport = os.environ.get(INSECURE_TRANSPORT)
        os.environ[INSECURE_TRANSPORT] = "1"
        routes = _api_routes(_with_slash(base_url), endpoints)
        self._hook = _SessionHook(blueprint, routes)
        # A session opened before the stand-in carries the old credentials.
        _forget_session(blueprint)
        self._active = True


class _SessionHook:
    """Mounts the emulator's transport adapter on every OAuth session the
    blueprint opens, through its ``session_created`` hook. Installed on the
    instance, around whatever was there (the extension wraps the same hook)."""

    def __init__(self, blueprint: Any, routes: dict[str, str]) -> None:
        self.blueprint = blueprint
        self.routes: dict[str, str] | None = routes
        self.previous: Callable[[Any], Any] | None = vars(blueprint).get(
            "session_created"
        )
        blueprint.session_created = self

    def __call__(self, session: Any) -> Any:
        if self.previous is not None:
            session = self.previous(session) or session
        else:
            created = type(self.blueprint).session_created
            session = created(self.blueprint, session) or session
        if self.routes:
            adapter = _RouteToEmulator(self.routes)
            for prefix in self.routes:
                session.mount(prefix, adapter)
        return session

    def remove(self) -> None:
        """Stop mounting; unwrap the hook unless something has wrapped it
        since, in which case this one stays in the chain, passing through."""
        self.routes = None
        if vars(self.blueprint).get("session_created") is self:
            if self.previous is None:
                del self.blueprint.session_created
            else:
                self.blueprint.session_created = self.previous


def _forget_session(blueprint: Any) -> None:
    # Flask-Dance caches the session on the blueprint (a cached_property,
    # dropped after each request); the next one is built from the new values.
    vars(blueprint).pop("session", None)


def _with_slash(url: object) -> object:
    """``url`` ending in a slash, as the provider prefixes are written:
    Flask-Dance's Azure blueprint has ``https://graph.microsoft.com``."""
    if isinstance(url, str) and url and not url.endswith("/"):
        return url + "/"
    return url
