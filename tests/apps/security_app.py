"""A Flask-Security-Too app that signs in with GitHub through its OAuth
glue, against the provider emulator.

Shaped like Flask-Security's ``examples/oauth/server``: models from
``fsqla_v3`` on Flask-SQLAlchemy (SQLite in memory), ``CSRFProtect``,
``SECURITY_OAUTH_ENABLE``, the client credentials in ``GITHUB_CLIENT_ID`` and
``GITHUB_CLIENT_SECRET`` (Authlib reads them from the config by the client's
name), a ``/home`` page behind ``@auth_required()``. The GitHub provider is
registered as a subclass of Flask-Security's own ``GitHubFsOauthProvider``
whose Authlib configuration names the emulator's endpoints, as an app on
GitHub Enterprise Server would name its own host.

Flask-Security owns the login (``security.oauthstart``, POST
``/login/oauthstart/<name>``, with the ``next`` kept in the session as
``fs_oauth_next``) and the callback (``security.oauthresponse``, GET
``/login/oauthresponse/<name>``). OAuth only signs in users already
registered: :func:`create_app` registers the emulator's user by email.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask
from flask import render_template_string
from flask_security import Security
from flask_security import SQLAlchemyUserDatastore
from flask_security import auth_required
from flask_security.models import fsqla_v3 as fsqla
from flask_security.models.fsqla import FsModels
from flask_security.oauth_provider import GitHubFsOauthProvider
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover.testing import ProviderEmulator

SECRET_KEY = "security-test-secret-key-not-for-production"

db = SQLAlchemy()
FsModels.set_db_info(db)  # type: ignore[no-untyped-call]


class Role(db.Model, fsqla.FsRoleMixin):  # type: ignore[name-defined,misc]
    pass


class User(db.Model, fsqla.FsUserMixin):  # type: ignore[name-defined,misc]
    pass


class WebAuthn(db.Model, fsqla.FsWebAuthnMixin):  # type: ignore[name-defined,misc]
    pass


class EmulatedGitHub(GitHubFsOauthProvider):  # type: ignore[misc]
    """Flask-Security's GitHub provider, on the emulator's endpoints.

    :param name: The provider's name: the Authlib client's name and the
        ``<name>`` in Flask-Security's OAuth URLs.
    :param provider: The running emulator (GitHub profile).
    """

    def __init__(self, name: str, provider: ProviderEmulator) -> None:
        super().__init__(name)
        self.addresses = provider.addresses

    def authlib_config(self) -> dict[str, Any]:
        return {
            "access_token_url": self.addresses.token_url,
            "access_token_params": None,
            "authorize_url": self.addresses.authorize_url,
            "authorize_params": None,
            "api_base_url": self.addresses.api_base_url,
            "client_kwargs": {"scope": "user:email"},
        }


def create_app(
    provider: ProviderEmulator,
    *,
    registered: Iterable[str] = ("octocat@example.com",),
    recover: str | None = None,
    emulated: bool = True,
    **config: Any,
) -> Flask:
    """A Flask-Security app signing in with GitHub on ``provider``.

    :param provider: The running emulator (GitHub profile).
    :param registered: Email addresses of the users to register.
    :param recover: where the app's one line ``OAuthRecover(app)`` goes:
        ``"after"`` Flask-Security is set up, ``"before"``, or nowhere.
    :param emulated: register :class:`EmulatedGitHub`; without it, the app
        has the providers ``SECURITY_OAUTH_BUILTIN_PROVIDERS`` names, on
        github.com's and Google's addresses.
    :param config: Configuration that replaces or extends the defaults.
    """
    app = Flask(__name__)
    app.config.update(
        TESTING=True,
        SECRET_KEY=SECRET_KEY,
        SECURITY_PASSWORD_SALT="156043940537155509276282232127182067465",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        SQLALCHEMY_TRACK_MODIFICATIONS=False,
        SECURITY_OAUTH_ENABLE=True,
        # The built-in "github" points at github.com: the app registers its
        # own, as Flask-Security's docs show for other providers.
        SECURITY_OAUTH_BUILTIN_PROVIDERS=[],
        GITHUB_CLIENT_ID=provider.client_id,
        GITHUB_CLIENT_SECRET=provider.client_secret,
    )
    app.config.update(config)

    if recover == "before":
        OAuthRecover(app)
    CSRFProtect(app)
    db.init_app(app)
    security = Security(app, SQLAlchemyUserDatastore(db, User, Role, WebAuthn))
    assert security.oauthglue is not None
    if emulated:
        security.oauthglue.register_provider_ext(EmulatedGitHub("github", provider))
    if recover == "after":
        OAuthRecover(app)

    @app.route("/home")
    @auth_required()  # type: ignore[untyped-decorator]
    def home() -> str:
        return render_template_string("Hello {{ current_user.email }}")

    with app.app_context():
        db.create_all()
        for email in registered:
            security.datastore.create_user(email=email, password=None)
        db.session.commit()
    return app
