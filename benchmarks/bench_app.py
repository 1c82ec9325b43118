"""The app the benchmark measures, with and without the extension.

The two variants are the same app, the same Authlib login and the same
callback body; the only difference is ``OAuthRecover`` and its decorator.
Cookie sessions, so that no session store adds noise.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask import redirect
from flask import session
from flask import url_for
from werkzeug.wrappers import Response

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover.testing import DEFAULT_CLIENT_ID
from flask_oauth_recover.testing import DEFAULT_CLIENT_SECRET

SECRET_KEY = "benchmark-secret-not-for-production"


def create_app(wrapped: bool | None = None, provider_url: str | None = None) -> Flask:
    """Build one variant.

    :param wrapped: use the extension; from ``WRAPPED`` (``1``/``0``) when
        ``None``.
    :param provider_url: the provider emulator; from ``PROVIDER_URL`` when
        ``None``.
    """
    if wrapped is None:
        wrapped = os.environ.get("WRAPPED", "1") == "1"
    base = (provider_url or os.environ["PROVIDER_URL"]).rstrip("/")
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET_KEY)
    oauth = OAuth(app)
    oauth.register(
        "github",
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        authorize_url=f"{base}/login/oauth/authorize",
        access_token_url=f"{base}/login/oauth/access_token",
        api_base_url=f"{base}/api/",
        # Both sides get the timeout the extension would otherwise add to the
        # wrapped side only; it also keeps a stuck emulator from hanging a run.
        client_kwargs={"scope": "read:user", "default_timeout": 15.0},
    )
    decorate: Callable[[Callable[..., Any]], Callable[..., Any]] = _unchanged
    if wrapped:
        decorate = OAuthRecover(app).callback("github")

    @app.route("/health")
    def health() -> str:
        return "ok"

    @app.route("/login")
    def login() -> Response:
        session["cart"] = ["book", "lamp"]
        callback = url_for("callback", _external=True)
        return oauth.github.authorize_redirect(callback)  # type: ignore[no-any-return]

    @app.route("/callback")
    @decorate
    def callback() -> Response:
        token = oauth.github.authorize_access_token()
        user = oauth.github.get("user", token=token).json()
        session["user"] = user["login"]
        return redirect("/profile")

    @app.route("/profile")
    def profile() -> str:
        return f"signed in as {session.get('user')}"

    @app.route("/no-io")
    @decorate
    def no_io() -> Response:
        """A callback that does no I/O: what the wrapper alone costs."""
        session["user"] = "octocat"
        return redirect("/profile")

    @app.route("/fails/<error>")
    @decorate
    def fails(error: str) -> Response:
        """A callback whose token exchange failed with ``error``, no I/O."""
        raise OAuthError(error=error, description="benchmark")

    return app


def _unchanged(view: Callable[..., Any]) -> Callable[..., Any]:
    return view
