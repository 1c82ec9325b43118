"""The :class:`OAuthRecover` extension object."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from typing import TypeVar
from urllib.parse import urlsplit

from flask import Blueprint
from flask import Flask
from flask import current_app
from flask.typing import ResponseReturnValue

from .callback import CallbackRun
from .duplicate import release_claims
from .outcome import Outcome

F = TypeVar("F", bound=Callable[..., Any])
ErrorPageHandler = Callable[[Outcome], "ResponseReturnValue | None"]

EXTENSION_KEY = "oauth_recover"
AUTHLIB_KEY = "authlib.integrations.flask_client"


class OAuthRecover:
    """Recover from failed OAuth callbacks, or explain them.

    ::

        recover = OAuthRecover(app)  # or OAuthRecover(); recover.init_app(app)

        @app.route("/callback")
        @recover.callback("github")
        def callback():
            token = oauth.github.authorize_access_token()
            ...

    :param app: the Flask app, or ``None`` to call :meth:`init_app` later.
    :param oauth: the Authlib ``OAuth`` registry; found in
        ``app.extensions`` when omitted.
    """

    def __init__(self, app: Flask | None = None, *, oauth: Any = None) -> None:
        self._oauth = oauth
        self.error_page_callback: ErrorPageHandler | None = None
        if app is not None:
            self.init_app(app, oauth=oauth)

    def init_app(self, app: Flask, oauth: Any = None) -> None:
        """Set up ``app``: config defaults, templates and per-app state.

        :param app: the Flask app.
        :param oauth: the Authlib registry for this app, overriding the one
            given to the constructor.
        """
        app.config.setdefault("OAUTH_RECOVER_MAX_RESTARTS", 2)
        app.config.setdefault("OAUTH_RECOVER_SHOW_DETAILS", None)
        app.config.setdefault("OAUTH_RECOVER_TIMEOUT", 10.0)
        app.extensions[EXTENSION_KEY] = _AppState(oauth or self._oauth)
        app.teardown_request(release_claims)
        # Route-less: it only adds our templates behind the app's own.
        app.register_blueprint(
            Blueprint("oauth_recover", __name__, template_folder="templates")
        )

    def callback(self, client: Any = None) -> Callable[[F], F]:
        """Decorate an OAuth callback view.

        :param client: the Authlib client's registered name, or the client
            object; may be omitted when the app has one OAuth 2 client.
        """

        def decorator(view: F) -> F:
            @functools.wraps(view)
            def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
                return CallbackRun(self, client)(view, args, kwargs)

            # Markers for `flask oauth-recover check`, which finds wrapped views.
            wrapper._oauth_recover = self  # type: ignore[attr-defined]
            wrapper._oauth_recover_client = client  # type: ignore[attr-defined]
            return wrapper  # type: ignore[return-value]

        return decorator

    def error_page_handler(self, handler: ErrorPageHandler) -> ErrorPageHandler:
        """Register a function that may replace our error pages.

        It receives the :class:`~flask_oauth_recover.Outcome` and returns a
        response, or ``None`` to keep the built-in page. Restarts are never
        passed to it.
        """
        self.error_page_callback = handler
        return handler

    def resolve_client(self, ref: Any) -> tuple[str, Any]:
        """The ``(name, client)`` a decorator's argument stands for."""
        if ref is not None and not isinstance(ref, str):
            client = getattr(ref, "_get_current_object", lambda: ref)()
            return str(client.name), client
        state = _app_state()
        cached = state.clients.get(ref)
        if cached is not None:
            return cached
        registry = self.registry()
        if ref is None:
            names = [
                name
                for name in registry._registry
                if not registry._registry[name][1].get("request_token_url")
            ]
            if len(names) != 1:
                raise RuntimeError(
                    "@recover.callback() needs a client name when the app has "
                    f"{len(names)} OAuth 2 clients registered"
                )
            ref = names[0]
        client = registry.create_client(ref)
        if client is None:
            raise RuntimeError(f"no Authlib OAuth client is registered as {ref!r}")
        state.clients[ref] = (ref, client)
        return ref, client

    def registry(self) -> Any:
        """The Authlib registry of the current app."""
        oauth = _app_state().oauth or current_app.extensions.get(AUTHLIB_KEY)
        if oauth is None:
            raise RuntimeError(
                "no Authlib OAuth registry found: create OAuth(app) or pass "
                "OAuthRecover(app, oauth=oauth)"
            )
        return oauth

    @staticmethod
    def provider_hosts(client: Any) -> frozenset[str]:
        """``host[:port]`` of every URL the client talks to, for telling
        provider transport errors from the app's own."""
        urls = [
            client.access_token_url,
            client.authorize_url,
            client.api_base_url,
            getattr(client, "_server_metadata_url", None),
            client.server_metadata.get("token_endpoint"),
        ]
        return frozenset(urlsplit(url).netloc.lower() for url in urls if url)


class _AppState:
    """What one app keeps in ``app.extensions["oauth_recover"]``."""

    def __init__(self, oauth: Any) -> None:
        self.oauth = oauth
        #: ``(name, client)`` by the name given to the decorator (or
        #: ``None``); client objects are resolved on each request, since a
        #: proxy may stand for another client each time.
        self.clients: dict[str | None, tuple[str, Any]] = {}


def _app_state() -> _AppState:
    state: _AppState | None = current_app.extensions.get(EXTENSION_KEY)
    if state is None:
        raise RuntimeError(
            "OAuthRecover is not initialized for this app: call "
            "OAuthRecover(app) or recover.init_app(app)"
        )
    return state
