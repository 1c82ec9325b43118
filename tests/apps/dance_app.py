"""A Flask-Dance app shaped like its quickstart: ``make_github_blueprint``
under ``/login``, credentials from ``GITHUB_OAUTH_CLIENT_ID`` / ``_SECRET``,
an index that starts the login when the user is not signed in."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from flask import redirect
from flask import url_for
from flask_dance.consumer import OAuth2ConsumerBlueprint
from flask_dance.consumer import oauth_authorized
from flask_dance.consumer.storage import BaseStorage
from flask_dance.contrib.github import github
from flask_dance.contrib.github import make_github_blueprint
from werkzeug.wrappers import Response

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover.testing import ProviderEmulator

# oauthlib refuses http redirect URIs otherwise; Flask-Dance's docs set it
# for local development the same way.
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"


class RecordingStorage(BaseStorage):  # type: ignore[misc]
    """Session-less token storage that counts its writes."""

    def __init__(self) -> None:
        self.tokens: dict[str, Any] = {}
        self.writes: list[str] = []

    def get(self, blueprint: Any) -> Any:
        return self.tokens.get(blueprint.name)

    def set(self, blueprint: Any, token: Any) -> None:
        self.writes.append(blueprint.name)
        self.tokens[blueprint.name] = token

    def delete(self, blueprint: Any) -> None:
        self.tokens.pop(blueprint.name, None)


def point_at(blueprint: Any, provider: ProviderEmulator) -> None:
    """What a test does instead of reaching github.com."""
    blueprint.authorization_url = provider.authorize_url
    blueprint.token_url = provider.token_url
    blueprint.base_url = provider.api_base_url


def github_blueprint(provider: ProviderEmulator) -> OAuth2ConsumerBlueprint:
    blueprint = make_github_blueprint(scope="read:user")
    blueprint.storage = RecordingStorage()
    point_at(blueprint, provider)
    return blueprint


def second_blueprint(provider: ProviderEmulator) -> OAuth2ConsumerBlueprint:
    blueprint = OAuth2ConsumerBlueprint(
        "corp",
        __name__,
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        scope="read_user",
        base_url=provider.api_base_url,
        authorization_url=provider.authorize_url,
        token_url=provider.token_url,
        redirect_to="corp_home",
    )
    blueprint.storage = RecordingStorage()
    return blueprint


def create_app(
    provider: ProviderEmulator,
    *,
    blueprint: OAuth2ConsumerBlueprint | None = None,
    recover: OAuthRecover | None = None,
    wrap_before_registering: bool = True,
    second: ProviderEmulator | None = None,
    **config: Any,
) -> Flask:
    """The quickstart app, with the extension's two lines."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="dance-test",
        TESTING=True,
        GITHUB_OAUTH_CLIENT_ID=provider.client_id,
        GITHUB_OAUTH_CLIENT_SECRET=provider.client_secret,
        **config,
    )
    blueprint = blueprint or github_blueprint(provider)
    recover = recover or OAuthRecover()
    if wrap_before_registering:
        recover.flask_dance(blueprint)
    app.register_blueprint(blueprint, url_prefix="/login")
    recover.init_app(app)
    if not wrap_before_registering:
        recover.flask_dance(blueprint)
    if second is not None:
        corp = second_blueprint(second)
        recover.flask_dance(corp)
        app.register_blueprint(corp, url_prefix="/login")

        @app.route("/corp")
        def corp_home() -> str:
            return f"corp token: {bool(corp.token)}"

    app.extensions["dance_test"] = {"blueprint": blueprint, "signals": []}

    def logged_in(bp: Any, token: Any) -> None:
        app.extensions["dance_test"]["signals"].append("oauth_authorized")

    oauth_authorized.connect_via(blueprint, weak=False)(logged_in)

    @app.route("/")
    def index() -> str | Response:
        if not github.authorized:
            return redirect(url_for("github.login"))
        user = github.get("user").json()
        return f"You are @{user['login']} on GitHub"

    return app
