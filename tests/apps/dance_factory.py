"""A Flask-Dance app with two providers and a factory: module-level
``make_github_blueprint()`` and ``make_google_blueprint()`` and ``recover =
OAuthRecover()``; ``create_app()`` reads the ``*_OAUTH_CLIENT_ID`` /
``_SECRET`` keys from the environment, registers both blueprints and calls
``init_app``. The index reads GitHub's API by full URL and Google's
userinfo by path. Nothing in it knows about the emulator.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_dance.contrib.github import github
from flask_dance.contrib.github import make_github_blueprint
from flask_dance.contrib.google import google
from flask_dance.contrib.google import make_google_blueprint

from flask_oauth_recover import OAuthRecover

github_blueprint = make_github_blueprint(scope="read:user")
google_blueprint = make_google_blueprint(
    scope=[
        "openid",
        "https://www.googleapis.com/auth/userinfo.email",
        "https://www.googleapis.com/auth/userinfo.profile",
    ]
)
recover = OAuthRecover()
recover.flask_dance(github_blueprint)
recover.flask_dance(google_blueprint)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app.

    :param config: Settings that win over the environment's.
    """
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_hex(32),
        GITHUB_OAUTH_CLIENT_ID=os.environ.get("GITHUB_OAUTH_CLIENT_ID"),
        GITHUB_OAUTH_CLIENT_SECRET=os.environ.get("GITHUB_OAUTH_CLIENT_SECRET"),
        GOOGLE_OAUTH_CLIENT_ID=os.environ.get("GOOGLE_OAUTH_CLIENT_ID"),
        GOOGLE_OAUTH_CLIENT_SECRET=os.environ.get("GOOGLE_OAUTH_CLIENT_SECRET"),
    )
    app.config.from_mapping(config or {})
    app.register_blueprint(github_blueprint, url_prefix="/login")
    app.register_blueprint(google_blueprint, url_prefix="/login")
    recover.init_app(app)

    @app.route("/")
    def index() -> dict[str, Any]:
        accounts: dict[str, Any] = {"github": None, "google": None}
        if github.authorized:
            accounts["github"] = github.get("https://api.github.com/user").json()[
                "login"
            ]
        if google.authorized:
            accounts["google"] = google.get("/oauth2/v3/userinfo").json()["email"]
        return accounts

    return app
