"""Flask-AppBuilder apps that sign in with GitHub through FAB's own OAuth
views, against the provider emulator.

:func:`create_app` is shaped like FAB's ``examples/oauth``: ``AUTH_TYPE =
AUTH_OAUTH``, an ``OAUTH_PROVIDERS`` entry whose ``remote_app`` FAB passes to
Authlib's ``oauth.register()``, self-registration on, ``db.init_app`` and
``appbuilder.init_app`` inside an app context. FAB owns the login
(``AuthOAuthView.login``, ``/login/<provider>``) and the callback
(``AuthOAuthView.oauth_authorized``, ``/oauth-authorized/<provider>``); the
app adds only a page behind ``@has_access``.

:func:`create_airflow_style_app` follows Apache Airflow's FAB auth manager:
a security manager subclass, named in the configuration, registers a
subclass of ``AuthOAuthView`` (``authoauthview = CustomAuthOAuthView``), so
the callback's endpoint is ``CustomAuthOAuthView.oauth_authorized``; the
sessions live in the database, and the app is mounted under ``/auth`` as
Airflow 3 mounts it in its API server.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import current_app
from flask import g
from flask import request
from flask import session
from flask_appbuilder import AppBuilder
from flask_appbuilder import BaseView
from flask_appbuilder import expose
from flask_appbuilder import has_access
from flask_appbuilder.const import AUTH_OAUTH
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthOAuthView
from flask_appbuilder.utils.legacy import get_sqla_class
from flask_session import Session
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover.testing import ProviderEmulator

SECRET_KEY = "fab-test-secret-key-not-for-production"
#: Where Airflow 3 mounts its Flask (FAB) app inside the API server.
AIRFLOW_MOUNT = "/auth"
#: The role self-registered users get: it may see the profile page.
MEMBER_ROLE = "Member"


def oauth_providers(provider: ProviderEmulator) -> list[dict[str, Any]]:
    """``OAUTH_PROVIDERS`` with one ``github`` entry on the emulator, in the
    shape FAB's docs and Airflow's ``webserver_config.py`` template use."""
    return [
        {
            "name": "github",
            "icon": "fa-github",
            "token_key": "access_token",
            "remote_app": {
                "client_id": provider.client_id,
                "client_secret": provider.client_secret,
                "api_base_url": provider.api_base_url,
                "client_kwargs": {"scope": "read:user"},
                "access_token_url": provider.token_url,
                "authorize_url": provider.authorize_url,
                "request_token_url": None,
            },
        }
    ]


class ProfileView(BaseView):  # type: ignore[misc]
    """The page a signed-in member lands on."""

    route_base = "/profile"
    default_view = "show"

    @expose("/")  # type: ignore[untyped-decorator]
    @has_access  # type: ignore[untyped-decorator]
    def show(self) -> str:
        return f"Signed in as {g.user.username}"


def create_app(
    provider: ProviderEmulator,
    *,
    recover: str | None = None,
    catch_all: bool = False,
    **config: Any,
) -> Flask:
    """A plain FAB app signing in with GitHub on ``provider``.

    :param provider: The running emulator (GitHub profile).
    :param recover: where the app's one line ``OAuthRecover(app)`` goes:
        ``"after"`` FAB is set up, as Superset's ``FLASK_APP_MUTATOR`` runs
        it, ``"before"``, or nowhere (``None``).
    :param catch_all: register error handlers for every exception after
        that line, as Superset does.
    :param config: Configuration that replaces or extends the defaults,
        e.g. ``FAB_SECURITY_MANAGER_CLASS``.
    """
    app = Flask(__name__)
    app.config.update(
        TESTING=True,
        SECRET_KEY=SECRET_KEY,
        SQLALCHEMY_DATABASE_URI="sqlite://",
        AUTH_TYPE=AUTH_OAUTH,
        AUTH_USER_REGISTRATION=True,
        AUTH_USER_REGISTRATION_ROLE=MEMBER_ROLE,
        FAB_ROLES={MEMBER_ROLE: [["ProfileView", "can_show"]]},
        OAUTH_PROVIDERS=oauth_providers(provider),
    )
    app.config.update(config)
    if recover == "before":
        OAuthRecover(app)
    db = get_sqla_class()()
    appbuilder = AppBuilder()
    with app.app_context():
        db.init_app(app)
        if app.config.get("SESSION_TYPE") == "sqlalchemy":
            app.config["SESSION_SQLALCHEMY"] = db
            Session(app)
        appbuilder.init_app(app, db.session)
        appbuilder.add_view_no_menu(ProfileView)
    if recover == "after":
        OAuthRecover(app)
    if catch_all:

        @app.errorhandler(Exception)
        def any_error(error: Exception) -> tuple[str, int]:
            return "the app's own error page", 500

    return app


class CustomAuthOAuthView(AuthOAuthView):  # type: ignore[misc]
    """Airflow's FAB provider's OAuth view: the scheme from
    ``X-Forwarded-Proto`` for the redirect URI, and the session saved
    before the callback's redirect."""

    @expose("/login/")  # type: ignore[untyped-decorator]
    @expose("/login/<provider>")  # type: ignore[untyped-decorator]
    def login(self, provider: str | None = None) -> Response:
        forwarded_proto = request.headers.get("X-Forwarded-Proto")
        if forwarded_proto:
            request.environ["wsgi.url_scheme"] = forwarded_proto
        response: Response = super().login(provider)
        return response

    @expose("/oauth-authorized/<provider>")  # type: ignore[untyped-decorator]
    def oauth_authorized(self, provider: str) -> Response:
        response: Response = super().oauth_authorized(provider)
        session.modified = True
        return response


class AirflowStyleSecurityManager(SecurityManager):  # type: ignore[misc]
    """A security manager that registers its own OAuth view, as
    ``FabAirflowSecurityManagerOverride`` does. It stands for Airflow's: the
    extension tells Airflow from a plain FAB app by the module of that
    class."""

    authoauthview = CustomAuthOAuthView


AirflowStyleSecurityManager.__module__ = (
    "airflow.providers.fab.auth_manager.security_manager.override"
)


class SupersetSecurityManager(SecurityManager):  # type: ignore[misc]
    """Stands for Superset's own security manager: the extension tells
    Superset from a plain FAB app by the module of that class."""


SupersetSecurityManager.__module__ = "superset.security.manager"


class RecoveringSecurityManager(AirflowStyleSecurityManager):
    """The one line as Airflow's users write it, in ``webserver_config.py``:
    in the constructor of their security manager, before FAB registers its
    views, with ``current_app``."""

    def __init__(self, appbuilder: Any) -> None:
        super().__init__(appbuilder)
        OAuthRecover(current_app)


def create_airflow_style_app(
    provider: ProviderEmulator, *, recover: bool = False, **config: Any
) -> Flask:
    """A FAB app in Airflow's shape: :class:`AirflowStyleSecurityManager`
    named by ``FAB_SECURITY_MANAGER_CLASS``, sessions in the database
    (Flask-Session's SQLAlchemy store, set up as Airflow's
    ``init_airflow_session_interface`` sets it up), mounted under
    :data:`AIRFLOW_MOUNT`.

    :param provider: The running emulator (GitHub profile).
    :param recover: with Airflow's users' one line, in the security
        manager (:class:`RecoveringSecurityManager`).
    :param config: Configuration that replaces or extends the defaults.
    """
    manager = "RecoveringSecurityManager" if recover else "AirflowStyleSecurityManager"
    app = create_app(
        provider,
        **{
            "FAB_SECURITY_MANAGER_CLASS": f"{__name__}.{manager}",
            # Airflow's "database" session backend: Flask-Session's
            # SQLAlchemy store, table "session", no key prefix, the session
            # id cookie signed with SECRET_KEY.
            "SESSION_TYPE": "sqlalchemy",
            "SESSION_SQLALCHEMY_TABLE": "session",
            "SESSION_KEY_PREFIX": "",
            "SESSION_USE_SIGNER": True,
            **config,
        },
    )
    app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        NotFound(), {AIRFLOW_MOUNT: app.wsgi_app}
    )
    return app
