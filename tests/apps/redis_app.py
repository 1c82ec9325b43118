"""The app the distributed tests run under gunicorn: server-side sessions in
Redis (Flask-Session), Authlib's state data in Redis (``cache=``), and the
callback wrapped by the extension.

Configured by environment variables, so that several gunicorn instances can
share one Redis and one provider::

    REDIS_URL=redis://127.0.0.1:6390/0 PROVIDER_URL=http://127.0.0.1:5001 \\
    SECRET_KEY=... SERVER_LABEL=a \\
    gunicorn -w 2 -b 127.0.0.1:8001 'tests.apps.redis_app:create_app()'
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlencode

import redis
from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask import jsonify
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask_session import Session
from werkzeug.wrappers import Response

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover.testing import DEFAULT_CLIENT_ID
from flask_oauth_recover.testing import DEFAULT_CLIENT_SECRET


class RedisCache:
    """The cache interface Authlib's ``OAuth(cache=...)`` expects, over
    redis-py: ``get``, ``set(key, value, expires)`` and ``delete``, plus an
    atomic ``add`` (set if absent), as Flask-Caching and cachelib have.

    :param client: a ``redis.Redis`` that decodes responses to ``str``.
    :param prefix: prepended to every key.
    """

    def __init__(self, client: redis.Redis, prefix: str = "authlib:") -> None:
        self.client = client
        self.prefix = prefix

    def get(self, key: str) -> str | None:
        """The value stored under ``key``, or ``None``."""
        value = self.client.get(self.prefix + key)
        return value if isinstance(value, str) else None

    def set(self, key: str, value: str, expires: int | None = None) -> None:
        """Store ``value`` under ``key`` for ``expires`` seconds (forever
        when ``None``)."""
        self.client.set(self.prefix + key, value, ex=expires or None)

    def add(self, key: str, value: str, expires: int | None = None) -> bool:
        """Store ``value`` only if ``key`` is absent; ``True`` if stored."""
        return bool(self.client.set(self.prefix + key, value, ex=expires, nx=True))

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        self.client.delete(self.prefix + key)


def create_app(**config: Any) -> Flask:
    """Build the app from the environment; ``config`` overrides it.

    :param config: Flask config keys, e.g. ``OAUTH_RECOVER_MAX_RESTARTS``.
    """
    app = Flask(__name__)
    redis_url = os.environ["REDIS_URL"]
    provider_url = os.environ["PROVIDER_URL"].rstrip("/")
    app.config.update(
        SECRET_KEY=os.environ["SECRET_KEY"],
        SESSION_TYPE="redis",
        SESSION_REDIS=redis.Redis.from_url(redis_url),
        OAUTH_RECOVER_MAX_RESTARTS=int(os.environ.get("MAX_RESTARTS", "2")),
        OAUTH_RECOVER_TIMEOUT=float(os.environ.get("TOKEN_TIMEOUT", "10")),
        SERVER_LABEL=os.environ.get("SERVER_LABEL", "?"),
    )
    app.config.update(config)
    Session(app)
    state_cache = RedisCache(redis.Redis.from_url(redis_url, decode_responses=True))
    oauth = OAuth(app, cache=state_cache)
    oauth.register(
        "github",
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        authorize_url=f"{provider_url}/login/oauth/authorize",
        access_token_url=f"{provider_url}/login/oauth/access_token",
        api_base_url=f"{provider_url}/api/",
        client_kwargs={"scope": "read:user"},
    )
    recover = OAuthRecover(app)

    @app.after_request
    def label(response: Response) -> Response:
        response.headers["X-Server"] = app.config["SERVER_LABEL"]
        return response

    @app.route("/health")
    def health() -> str:
        return "ok"

    @app.route("/")
    def home() -> str:
        session.setdefault("visits", 0)
        session["visits"] += 1
        return "home"

    @app.route("/login")
    def login() -> Response:
        # App-set keys that a login must never lose.
        session["cart"] = request.args.get("cart", "book,lamp").split(",")
        session.setdefault("theme", "dark")
        # Test-only: the callback may be on another server, and the place to
        # land travels in the redirect URI, so two tabs each keep their own.
        callback = request.args.get("callback") or url_for("callback", _external=True)
        target = request.args.get("next", "/profile")
        redirect_uri = f"{callback}?{urlencode({'next': target})}"
        return oauth.github.authorize_redirect(redirect_uri)  # type: ignore[no-any-return]

    @app.route("/callback")
    @recover.callback("github")
    def callback() -> Response:
        token = oauth.github.authorize_access_token()
        user = oauth.github.get("user", token=token).json()
        session["user"] = user["login"]
        target = request.args.get("next", "/profile")
        return redirect(target if _is_local(target) else "/profile")

    @app.route("/profile")
    @app.route("/tab/<name>")
    def profile(name: str | None = None) -> Response:
        return jsonify(
            user=session.get("user"),
            cart=session.get("cart"),
            theme=session.get("theme"),
            tab=name,
            server=app.config["SERVER_LABEL"],
        )

    return app


def _is_local(target: str) -> bool:
    return target.startswith("/") and not target.startswith(("//", "/\\"))
