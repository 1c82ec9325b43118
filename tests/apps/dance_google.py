"""A Flask-Dance app as public Google ones are written: a module-level
``app``, ``make_google_blueprint(scope=["profile", "email"])`` under
``/login`` with its credentials passed in from the environment,
``OAUTHLIB_RELAX_TOKEN_SCOPE`` set (Google grants ``openid`` and spells the
scopes out as URLs, which oauthlib otherwise refuses), and an index that reads
``/oauth2/v2/userinfo``, as Flask-Dance's docs do; plus the extension's two
lines. Nothing in it knows about the emulator.
"""

from __future__ import annotations

import os
import secrets

from flask import Flask
from flask import redirect
from flask import url_for
from flask_dance.contrib.google import google
from flask_dance.contrib.google import make_google_blueprint
from werkzeug.wrappers import Response

from flask_oauth_recover import OAuthRecover

os.environ["OAUTHLIB_RELAX_TOKEN_SCOPE"] = "1"

app = Flask(__name__)
app.secret_key = os.environ.get("FLASK_SECRET_KEY") or secrets.token_hex(32)
blueprint = make_google_blueprint(
    client_id=os.environ.get("GOOGLE_CLIENT_ID"),
    client_secret=os.environ.get("GOOGLE_CLIENT_SECRET"),
    scope=["profile", "email"],
)
app.register_blueprint(blueprint, url_prefix="/login")
recover = OAuthRecover(app)
recover.flask_dance(blueprint)


@app.route("/")
def index() -> str | Response:
    """Who is signed in, once Google said so."""
    if not google.authorized:
        return redirect(url_for("google.login"))
    resp = google.get("/oauth2/v2/userinfo")
    assert resp.ok, resp.text
    info = resp.json()
    return f"You are {info['email']} on Google (id {info['id']})"
