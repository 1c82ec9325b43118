"""A Flask-Dance app as its GitHub quickstart writes it: a module-level
``app``, ``make_github_blueprint()`` under ``/login`` with the credentials in
``GITHUB_OAUTH_CLIENT_ID`` / ``_SECRET`` from the environment, an index that
starts the login when the user is not signed in, plus the extension's two
lines. Nothing in it knows about the emulator.
"""

from __future__ import annotations

import os
import secrets

from flask import Flask
from flask import redirect
from flask import url_for
from flask_dance.contrib.github import github
from flask_dance.contrib.github import make_github_blueprint
from werkzeug.wrappers import Response

from flask_oauth_recover import OAuthRecover

app = Flask(__name__)
app.secret_key = os.environ.get("FLASK_SECRET_KEY") or secrets.token_hex(32)
app.config["GITHUB_OAUTH_CLIENT_ID"] = os.environ.get("GITHUB_OAUTH_CLIENT_ID")
app.config["GITHUB_OAUTH_CLIENT_SECRET"] = os.environ.get("GITHUB_OAUTH_CLIENT_SECRET")
blueprint = make_github_blueprint(scope="read:user")
app.register_blueprint(blueprint, url_prefix="/login")
recover = OAuthRecover(app)
recover.flask_dance(blueprint)


@app.route("/")
def index() -> str | Response:
    """Who is signed in, once GitHub said so."""
    if not github.authorized:
        return redirect(url_for("github.login"))
    resp = github.get("/user")
    assert resp.ok, resp.text
    return f"You are @{resp.json()['login']} on GitHub"
