"""An app whose factory gives each app its own ``OAuth(app)``, with the
client registered without URLs: Authlib reads GitHub's endpoints and the
credentials from the ``GITHUB_*`` configuration keys. The callback reads the
user by full URL.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask import redirect
from flask import session
from flask import url_for
from werkzeug.wrappers import Response

from flask_oauth_recover import OAuthRecover

#: GitHub's endpoints, as Authlib configuration keys for the client "github".
GITHUB_ENDPOINTS = {
    "GITHUB_AUTHORIZE_URL": "https://github.com/login/oauth/authorize",
    "GITHUB_ACCESS_TOKEN_URL": "https://github.com/login/oauth/access_token",
    "GITHUB_API_BASE_URL": "https://api.github.com/",
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app.

    :param config: Settings that win over the environment's.
    """
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_hex(32),
        GITHUB_CLIENT_ID=os.environ.get("GITHUB_CLIENT_ID"),
        GITHUB_CLIENT_SECRET=os.environ.get("GITHUB_CLIENT_SECRET"),
        **GITHUB_ENDPOINTS,
    )
    app.config.update(config or {})
    oauth = OAuth(app)
    oauth.register("github", client_kwargs={"scope": "read:user"})
    recover = OAuthRecover(app)

    @app.route("/")
    def home() -> str:
        return f"user={session.get('user')}"

    @app.route("/login")
    def login() -> Response:
        return oauth.github.authorize_redirect(url_for("callback", _external=True))  # type: ignore[no-any-return]

    @app.route("/callback")
    @recover.callback("github")
    def callback() -> Response:
        token = oauth.github.authorize_access_token()
        profile = oauth.github.get("https://api.github.com/user", token=token).json()
        session["user"] = profile["login"]
        return redirect(url_for("home"))

    return app
