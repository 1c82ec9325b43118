"""An app built by a factory around module-level extensions: ``oauth =
OAuth()`` registers GitHub's real URLs at import, ``create_app()`` calls
``init_app``. The credentials come from ``GITHUB_CLIENT_ID`` and
``GITHUB_CLIENT_SECRET`` in the app's config, and the callback reads the
API by absolute path and by full URL.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Blueprint
from flask import Flask
from flask import redirect
from flask import session
from flask import url_for
from werkzeug.wrappers import Response

from flask_oauth_recover import OAuthRecover

oauth = OAuth()
recover = OAuthRecover()
oauth.register(
    "github",
    access_token_url="https://github.com/login/oauth/access_token",
    authorize_url="https://github.com/login/oauth/authorize",
    api_base_url="https://api.github.com/",
    client_kwargs={"scope": "user:email"},
)
auth = Blueprint("auth", __name__)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app.

    :param config: Settings that win over the environment's.
    """
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_hex(32),
        GITHUB_CLIENT_ID=os.environ.get("GITHUB_CLIENT_ID"),
        GITHUB_CLIENT_SECRET=os.environ.get("GITHUB_CLIENT_SECRET"),
    )
    app.config.update(config or {})
    oauth.init_app(app)
    recover.init_app(app)
    app.register_blueprint(auth)
    return app


@auth.route("/")
def home() -> dict[str, Any]:
    """The signed-in user, as JSON."""
    return {"user": session.get("user")}


@auth.route("/login")
def login() -> Response:
    """Send the visitor to GitHub."""
    return oauth.github.authorize_redirect(url_for("auth.callback", _external=True))  # type: ignore[no-any-return]


@auth.route("/callback")
@recover.callback("github")
def callback() -> Response:
    """Back from GitHub: the profile, and the primary email address."""
    oauth.github.authorize_access_token()
    profile = oauth.github.get("/user").json()
    emails = oauth.github.get("https://api.github.com/user/emails").json()
    primary = next(entry["email"] for entry in emails if entry["primary"])
    session["user"] = {"login": profile["login"], "email": primary}
    return redirect(url_for("auth.home"))
