"""The :class:`OAuthRecover` extension object."""

from __future__ import annotations

import functools
import inspect
import logging
import weakref
from collections.abc import Callable
from typing import Any
from typing import TypeVar

from flask import Blueprint
from flask import Flask
from flask import after_this_request
from flask import current_app
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from .app_state import AppState
from .callback import CallbackRun
from .callback import ErrorPageHandler
from .cli import oauth_recover
from .clients import EXTENSION_KEY
from .clients import Registry
from .clients import current_registry
from .clients import resolve
from .framework import Framework
from .integrations import install_frameworks
from .providers import profile_named

F = TypeVar("F", bound=Callable[..., Any])
logger = logging.getLogger("flask_oauth_recover")


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
        #: Flask-Dance blueprints given to :meth:`flask_dance`.
        self.dance_blueprints: list[Any] = []
        # The apps this object serves, for wrapping a Flask-Dance blueprint
        # they registered before flask_dance() was called. Weak: the
        # extension never keeps an app alive.
        self._apps: weakref.WeakSet[Flask] = weakref.WeakSet()
        if app is not None:
            self.init_app(app, oauth=oauth)

    def init_app(self, app: Flask, oauth: Any = None) -> None:
        """Set up ``app``: config defaults, templates and per-app state, and
        the callbacks of the libraries that own its login (Flask-AppBuilder
        under Superset and Airflow, Flask-Security-Too, flask-oidc), now or,
        when they are not set up yet, at the app's first request.

        :param app: the Flask app, or ``current_app``.
        :param oauth: the Authlib registry for this app, overriding the one
            given to the constructor.
        """
        # current_app works too (Airflow's security manager has no other).
        app = getattr(app, "_get_current_object", lambda: app)()
        app.config.setdefault("OAUTH_RECOVER_MAX_RESTARTS", 2)
        app.config.setdefault("OAUTH_RECOVER_SHOW_DETAILS", None)
        app.config.setdefault("OAUTH_RECOVER_TIMEOUT", 10.0)
        app.config.setdefault("OAUTH_RECOVER_STATE_MAX_AGE", 600)
        app.config.setdefault("OAUTH_RECOVER_PROVIDERS", {})
        for profile in app.config["OAUTH_RECOVER_PROVIDERS"].values():
            profile_named(profile)
        state = AppState(Registry(oauth or self._oauth))
        state.set_up = functools.partial(self._set_up, app)
        app.extensions[EXTENSION_KEY] = state
        self._apps.add(app)
        if self.dance_blueprints:
            from .integrations.flask_dance import wrap_view

            for blueprint in self.dance_blueprints:
                wrap_view(app, blueprint)
        # Route-less: it only adds our templates behind the app's own.
        app.register_blueprint(
            Blueprint("oauth_recover", __name__, template_folder="templates")
        )
        # On the app too, not only through the flask.commands entry point:
        # app.test_cli_runner() reaches only app.cli.
        app.cli.add_command(oauth_recover)
        # Before any login, so that the app's own login view, which is
        # never wrapped, already sends a state minted by the extension.
        if not self._set_up(app) or not _serves_something(app):
            self._set_up_at_first_request(app)

    def _set_up(self, app: Flask) -> bool:
        """Prepare the app's Authlib clients and wrap its frameworks'
        callbacks; ``False`` while the app has no Authlib registry yet."""
        state: AppState = app.extensions[EXTENSION_KEY]
        attached = state.registry.attach(app)
        state.frameworks = install_frameworks(self, app)
        return attached or bool(state.frameworks)

    def _set_up_at_first_request(self, app: Flask) -> None:
        """Finish :meth:`_set_up` before the app's first request, in a hook
        that then removes itself, so no later request pays for it; say once
        when there is nothing to serve."""

        def set_up() -> None:
            _remove_hook(app, set_up)
            if not self._set_up(app):
                # The app may create its registry in a before_request
                # function that runs after this one.
                @after_this_request
                def look_again(response: Response) -> Response:
                    self._set_up(app)
                    return response

            if not _serves_something(app):
                logger.warning(
                    "OAuthRecover(app) found no OAuth callback to serve in %r: no "
                    "view decorated with @recover.callback, no Flask-Dance "
                    "blueprint given to recover.flask_dance(), and no "
                    "Flask-AppBuilder (Superset, Airflow), Flask-Security-Too or "
                    "flask-oidc login; so it changes nothing",
                    app.name,
                )

        app.before_request(set_up)

    def callback(
        self, client: Any = None, *, provider: str | None = None
    ) -> Callable[[F], F]:
        """Decorate an OAuth callback view.

        :param client: what the view serves: the Authlib client's registered
            name, the client object, or a callable returning either on each
            request. Omitted: the app's single OAuth 2 client, or the client
            a view argument (``name``, ``provider``, ``client``) names. A
            view serving an OAuth 1 client or an unknown name runs untouched.
        :param provider: the provider profile, where the client's endpoints
            do not say which it is (``"gitlab"``, ``"keycloak"``...).
        """

        if provider is not None:
            profile_named(provider)  # a typo fails at import, not at a login

        def decorator(view: F) -> F:
            return self.wrap(view, client, provider=provider)

        return decorator

    def wrap(
        self,
        view: F,
        client: Any = None,
        *,
        provider: str | None = None,
        framework: Framework | None = None,
    ) -> F:
        """``view`` with the callback handling of :meth:`callback`; for the
        adapters in :mod:`~flask_oauth_recover.integrations`, which wrap a
        library's own callback view.

        :param view: the callback view.
        :param client: as for :meth:`callback`.
        :param provider: as for :meth:`callback`.
        :param framework: the library that owns the view; its clients are
            looked up in its own Authlib registry.
        """
        is_async = inspect.iscoroutinefunction(view)

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            run = current_app.ensure_sync(view) if is_async else view
            registry = framework.registry if framework else current_registry()
            resolved = resolve(registry, client, kwargs)
            if resolved is None:
                return run(*args, **kwargs)  # type: ignore[no-any-return]
            return CallbackRun(
                self.error_page_callback, *resolved, provider, framework
            )(run, args, kwargs)

        # Markers for `flask oauth-recover check`, which finds wrapped views.
        wrapper._oauth_recover = self  # type: ignore[attr-defined]
        wrapper._oauth_recover_client = client  # type: ignore[attr-defined]
        wrapper._oauth_recover_provider = provider  # type: ignore[attr-defined]
        wrapper._oauth_recover_framework = framework  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    def error_page_handler(self, handler: ErrorPageHandler) -> ErrorPageHandler:
        """Register a function that may replace our error pages.

        It receives the :class:`~flask_oauth_recover.Outcome` and returns a
        response, or ``None`` to keep the built-in page. Restarts are never
        passed to it.

        :param handler: called with the outcome; returns a response or
            ``None``.
        """
        self.error_page_callback = handler
        return handler

    def flask_dance(self, blueprint: Any, *, provider: str | None = None) -> None:
        """Give a Flask-Dance OAuth 2 blueprint's ``authorized`` view the
        same recovery as :meth:`callback`, before or after the blueprint is
        registered on an app.

        :param blueprint: e.g. ``make_github_blueprint(...)``.
        :param provider: the provider profile, where the blueprint's
            endpoints do not say.
        """
        from .integrations.flask_dance import install as install_dance
        from .integrations.flask_dance import wrap_view

        if provider is not None:
            profile_named(provider)
        install_dance(self, blueprint, provider)
        if blueprint not in self.dance_blueprints:
            self.dance_blueprints.append(blueprint)
        for app in self._apps:
            wrap_view(app, blueprint)

    def registry(self) -> Any:
        """The Authlib registry of the current app."""
        oauth = current_registry().oauth()
        if oauth is None:
            raise RuntimeError(
                "no Authlib OAuth registry found: create OAuth(app) or pass "
                "OAuthRecover(app, oauth=oauth)"
            )
        return oauth


def _serves_something(app: Flask) -> bool:
    """Has ``app`` a callback view the extension wraps?"""
    return any(
        getattr(view, "_oauth_recover", None) is not None
        for view in app.view_functions.values()
    )


def _remove_hook(app: Flask, hook: Callable[[], None]) -> None:
    hooks = app.before_request_funcs
    # A new list, not an edit: Flask may be iterating over the old one.
    remaining = [other for other in hooks.get(None, ()) if other is not hook]
    if remaining:
        hooks[None] = remaining
    else:
        hooks.pop(None, None)
