"""An app shaped like Authlib's own multi-login demo: several providers
behind one ``/login/<name>`` and one ``/auth/<name>`` route, an OAuth 1
client among them, a blueprint with its own ``OAuthError`` page."""

from __future__ import annotations

import functools
from typing import Any

from authlib.integrations.flask_client import OAuth
from authlib.integrations.flask_client import OAuthError
from flask import Blueprint
from flask import Flask
from flask import abort
from flask import session
from flask import url_for
from werkzeug.wrappers import Response

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover.testing import ProviderEmulator

#: Scopes the app asks each provider for.
SCOPES = {"github": "read:user", "gitlab": "read_user openid"}


def create_app(
    github: ProviderEmulator,
    gitlab: ProviderEmulator,
    *,
    with_recover: bool = True,
    decorator_argument: Any = None,
    **config: Any,
) -> Flask:
    """The app, with the extension's two lines or without them.

    :param decorator_argument: what ``@recover.callback(...)`` is given;
        a callable receives the OAuth registry.
    """
    app = Flask(__name__)
    app.config.update(SECRET_KEY="multi-provider-test", TESTING=True, **config)
    oauth = OAuth(app)
    github.register(oauth, "github", client_kwargs={"scope": SCOPES["github"]})
    gitlab.register(oauth, "gitlab", client_kwargs={"scope": SCOPES["gitlab"]})
    oauth.register(
        "twitter",
        client_id="twitter-id",
        client_secret="twitter-secret",
        request_token_url="http://127.0.0.1:9/oauth/request_token",
        access_token_url="http://127.0.0.1:9/oauth/access_token",
        authorize_url="http://127.0.0.1:9/oauth/authenticate",
    )
    recover = OAuthRecover(app) if with_recover else None
    argument = decorator_argument
    if callable(argument):
        argument = argument(oauth)

    def callback(view: Any, argument: Any = argument) -> Any:
        return recover.callback(argument)(view) if recover is not None else view

    @app.route("/login/<name>")
    def login(name: str) -> Response:
        client = oauth.create_client(name)
        if client is None:
            abort(404)
        session["next"] = f"/hello/{name}"
        redirect_uri = url_for("auth", name=name, _external=True)
        return client.authorize_redirect(redirect_uri)  # type: ignore[no-any-return]

    @app.route("/auth/<name>")
    @callback
    def auth(name: str) -> Response | str:
        client = oauth.create_client(name)
        if client is None:
            abort(404)
        token = client.authorize_access_token()
        session["user"] = f"{name}:{client.get('user', token=token).json()['login']}"
        return f"signed in as {session['user']}"

    @app.route("/whoami")
    def whoami() -> str:
        return str(session.get("user"))

    team = Blueprint("team", __name__, url_prefix="/team")

    @team.route("/auth")
    @functools.partial(callback, argument="github")
    def team_auth() -> str:
        oauth.github.authorize_access_token()
        return "team member"

    @team.errorhandler(OAuthError)
    def team_oauth_error(error: OAuthError) -> tuple[str, int]:
        return f"team page: GitHub said {error.error}", 418

    @team.route("/login")
    def team_login() -> Response:
        redirect_uri = url_for("team.team_auth", _external=True)
        return oauth.github.authorize_redirect(redirect_uri)  # type: ignore[no-any-return]

    app.register_blueprint(team)
    return app
