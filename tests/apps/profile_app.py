"""An app signing in with any provider the emulator speaks, the usual
Authlib way, wrapped by the extension."""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask import redirect
from flask import session
from flask import url_for
from werkzeug.wrappers import Response

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover.testing import ProviderEmulator

SECRET_KEY = "profile-app-test-key"
#: Providers only their own hosts identify: an app talking to the emulator
#: on 127.0.0.1 names them, as one behind a custom domain would.
NAMED_BY_THE_APP = frozenset({"apple", "auth0"})


def make_app(
    emulator: ProviderEmulator,
    *,
    name: str | None = None,
    provider: str | None = None,
    client_overrides: dict[str, Any] | None = None,
    token_redirect_uri: str | None = None,
    **config: Any,
) -> Flask:
    """An app signing in with the emulator's provider, the usual Authlib way.

    :param token_redirect_uri: the login sends the client's registered
        default redirect URI, and the callback passes this one to the token
        request, as apps that build it in two places do.
    """
    name = name or emulator.profile
    if provider is None and emulator.profile in NAMED_BY_THE_APP:
        provider = emulator.profile
    app = Flask(__name__)
    app.config.update(
        TESTING=True, SECRET_KEY=SECRET_KEY, OAUTH_RECOVER_SHOW_DETAILS=True, **config
    )
    oauth = OAuth(app)
    emulator.register(oauth, name, **(client_overrides or {}))
    recover = OAuthRecover(app)

    @app.route("/login")
    def login() -> Response:
        client = oauth.create_client(name)
        if token_redirect_uri is not None:
            return client.authorize_redirect()  # type: ignore[no-any-return]
        redirect_uri = url_for("callback", _external=True)
        return client.authorize_redirect(redirect_uri)  # type: ignore[no-any-return]

    # POST too: a provider that posts the callback (response_mode=form_post).
    @app.route("/callback", methods=["GET", "POST"])
    @recover.callback(name, provider=provider)
    def callback() -> Response:
        extra = {"redirect_uri": token_redirect_uri} if token_redirect_uri else {}
        oauth.create_client(name).authorize_access_token(**extra)
        session["user"] = "signed in"
        return redirect("/profile")

    @app.route("/profile")
    def profile() -> str:
        return str(session.get("user"))

    return app
