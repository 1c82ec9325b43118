"""The app the benchmark measures, with and without the extension.

The variants are the same app, the same Authlib login and the same callback
body; the only difference is ``OAuthRecover(app)`` and
``@recover.callback``. Cookie sessions, as in most apps, so that no
session store adds noise.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask import redirect
from flask import session
from flask import url_for
from werkzeug.wrappers import Response

from flask_oauth_recover.testing import DEFAULT_CLIENT_ID
from flask_oauth_recover.testing import DEFAULT_CLIENT_SECRET

SECRET_KEY = "benchmark-secret-not-for-production"
#: Where the callback sends a signed-in user.
PROFILE = "/profile"


def create_app(
    wrapped: bool | None = None,
    provider_url: str | None = None,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    extension: Any = None,
) -> Flask:
    """Build one variant.

    :param wrapped: use the extension; from ``WRAPPED`` (``1``/``0``) when
        ``None``.
    :param provider_url: the provider emulator; from ``PROVIDER_URL`` when
        ``None``.
    :param client_secret: the client secret; a wrong one makes every token
        request fail with ``incorrect_client_credentials`` (the error page).
    :param extension: the ``OAuthRecover`` class to use when ``wrapped``
        (another revision's, for ``compare.py``); this checkout's when
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
        client_secret=client_secret,
        authorize_url=f"{base}/login/oauth/authorize",
        access_token_url=f"{base}/login/oauth/access_token",
        api_base_url=f"{base}/api/",
        # Both sides get the timeout the extension would otherwise add to the
        # wrapped side only; it also keeps a stuck emulator from hanging a run.
        client_kwargs={"scope": "read:user", "default_timeout": 15.0},
    )
    decorate: Callable[[Callable[..., Any]], Callable[..., Any]] = _unchanged
    if wrapped:
        # Imported here: the bare variant never loads the extension.
        if extension is None:
            from flask_oauth_recover import OAuthRecover as extension

        decorate = extension(app).callback("github")

    @app.route("/health")
    def health() -> str:
        """An unrelated route, for anyone."""
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
        return redirect(PROFILE)

    @app.route(PROFILE)
    def profile() -> str:
        """An unrelated route that reads the session a login left."""
        return f"signed in as {session.get('user')}"

    return app


def _unchanged(view: Callable[..., Any]) -> Callable[..., Any]:
    return view
