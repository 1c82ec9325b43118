"""An app that sets up its Authlib client in a ``before_request`` function,
as authlib/auth-playground does: before every request it calls
``oauth.init_app(app)`` and registers the client again, so the app has no
Authlib registry at all until its first request. GitHub's real URLs are
registered in code, credentials come from the configuration. Its tests point
it at the emulator with ``ProviderEmulator.stand_in_for``; nothing in it
knows about them.
"""

from __future__ import annotations

import secrets
from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask import redirect
from flask import session
from flask import url_for
from markupsafe import escape
from werkzeug.wrappers import Response

from flask_oauth_recover import OAuthRecover


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The app; ``config`` updates its configuration."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_hex(32),
        GITHUB_CLIENT_ID=None,
        GITHUB_CLIENT_SECRET=None,
    )
    app.config.update(config or {})
    # One registry per app here, so that each test's app has its own.
    oauth = OAuth()
    recover = OAuthRecover(app, oauth=oauth)

    @app.before_request
    def setup_oauth() -> None:
        """Register the client from the current configuration."""
        oauth.init_app(app)
        oauth.register(
            "github",
            client_id=app.config["GITHUB_CLIENT_ID"],
            client_secret=app.config["GITHUB_CLIENT_SECRET"],
            access_token_url="https://github.com/login/oauth/access_token",
            authorize_url="https://github.com/login/oauth/authorize",
            api_base_url="https://api.github.com/",
            client_kwargs={"scope": "read:user"},
        )

    @app.route("/")
    def home() -> str:
        """Who is signed in."""
        user = session.get("user")
        return f"Signed in as {escape(user)}" if user else "Signed out"

    @app.route("/login")
    def login() -> Response:
        """Send the visitor to GitHub."""
        redirect_uri = url_for("callback", _external=True)
        return oauth.github.authorize_redirect(redirect_uri)  # type: ignore[no-any-return]

    @app.route("/callback")
    @recover.callback("github")
    def callback() -> Response:
        """Back from GitHub: exchange the code, read the user."""
        token = oauth.github.authorize_access_token()
        session["user"] = oauth.github.get("user", token=token).json()["login"]
        return redirect(url_for("home"))

    return app
