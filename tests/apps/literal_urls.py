"""An app written the way public apps are, shown in the documentation's
quick start and tested by its testing example: a module-level ``app`` and
``OAuth(app)``, GitHub's real URLs registered in code, credentials from the
environment, the extension's two lines, and a callback that redirects to
``session.pop("next", "/")``; plus a ``/`` page. Its tests point it at the
emulator with ``ProviderEmulator.stand_in_for``; nothing in it knows about
them.
"""

from __future__ import annotations

import os
import secrets

from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask import redirect
from flask import session
from flask import url_for
from markupsafe import escape
from werkzeug.wrappers import Response

from flask_oauth_recover import OAuthRecover

app = Flask(__name__)
app.secret_key = os.environ.get("SECRET_KEY") or secrets.token_hex(32)
oauth = OAuth(app)
oauth.register(
    "github",
    client_id=os.environ.get("GITHUB_CLIENT_ID"),
    client_secret=os.environ.get("GITHUB_CLIENT_SECRET"),
    access_token_url="https://github.com/login/oauth/access_token",
    authorize_url="https://github.com/login/oauth/authorize",
    api_base_url="https://api.github.com/",
    client_kwargs={"scope": "user:email"},
)
recover = OAuthRecover(app)


@app.route("/")
def home() -> str:
    """Who is signed in."""
    user = session.get("user")
    return f"Signed in as {escape(user)}" if user else "Signed out"


@app.route("/login")
def login() -> Response:
    """Send the visitor to GitHub."""
    return oauth.github.authorize_redirect(url_for("callback", _external=True))  # type: ignore[no-any-return]


@app.route("/callback")
@recover.callback("github")
def callback() -> Response:
    """Back from GitHub: exchange the code, read the user."""
    token = oauth.github.authorize_access_token()
    session["user"] = oauth.github.get("user", token=token).json()["login"]
    return redirect(session.pop("next", "/"))
