"""An app that registers its Authlib client inside its login view, each time
someone signs in: ``OAuth(app)`` at setup, but no client until the first
login. GitHub's real URLs are registered in code, credentials come from the
environment. Its tests point it at the emulator with
``ProviderEmulator.stand_in_for``; nothing in it knows about them.
"""

from __future__ import annotations

import os
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
    app.config.update(SECRET_KEY=secrets.token_hex(32))
    app.config.update(config or {})
    oauth = OAuth(app)
    recover = OAuthRecover(app)

    @app.route("/")
    def home() -> str:
        """Who is signed in."""
        user = session.get("user")
        return f"Signed in as {escape(user)}" if user else "Signed out"

    @app.route("/login")
    def login() -> Response:
        """Register the GitHub client, then send the visitor to GitHub."""
        github = oauth.register(
            "github",
            client_id=os.environ.get("GITHUB_CLIENT_ID"),
            client_secret=os.environ.get("GITHUB_CLIENT_SECRET"),
            access_token_url="https://github.com/login/oauth/access_token",
            authorize_url="https://github.com/login/oauth/authorize",
            api_base_url="https://api.github.com/",
            client_kwargs={"scope": "read:user"},
        )
        return github.authorize_redirect(url_for("callback", _external=True))  # type: ignore[no-any-return]

    @app.route("/callback")
    @recover.callback("github")
    def callback() -> Response:
        """Back from GitHub, with the client the login registered."""
        token = oauth.github.authorize_access_token()
        session["user"] = oauth.github.get("user", token=token).json()["login"]
        return redirect(url_for("home"))

    return app
