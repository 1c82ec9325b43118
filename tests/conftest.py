"""Fixtures: an app with a real Authlib login against the provider emulator
on a loopback port, its test client, and a signal recorder."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

import pytest
from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask.testing import FlaskClient
from werkzeug.wrappers import Response

import flask_oauth_recover
from flask_oauth_recover import OAuthRecover
from flask_oauth_recover.testing import ProviderEmulator

SECRET_KEY = "test-secret-key-not-for-production"


@pytest.fixture(scope="session")
def provider_server() -> Iterator[ProviderEmulator]:
    with ProviderEmulator() as server:
        yield server


@pytest.fixture
def provider(provider_server: ProviderEmulator) -> Iterator[ProviderEmulator]:
    secret = provider_server.client_secret
    provider_server.reset()
    provider_server.callback_url = None
    yield provider_server
    provider_server.client_secret = secret
    provider_server.callback_url = None
    provider_server.reset()


def create_app(
    provider: ProviderEmulator,
    *,
    recover: OAuthRecover | None = None,
    client_overrides: dict[str, Any] | None = None,
    template_folder: str = "templates",
    import_name: str = __name__,
    cache: Any = None,
    **config: Any,
) -> Flask:
    """A small app with the usual Authlib login, wrapped by the extension.

    :param import_name: the app's name (apps sharing a secret key differ
        by it).
    :param cache: a cache for Authlib's state data (``OAuth(app, cache=...)``).
    """
    app = Flask(import_name, template_folder=template_folder)
    app.config.update(TESTING=True, SECRET_KEY=SECRET_KEY, **config)
    oauth = OAuth(app, cache=cache)
    provider.register(oauth, "github", **(client_overrides or {}))
    recover = recover or OAuthRecover()
    recover.init_app(app)

    @app.route("/")
    def home() -> str:
        return "home"

    @app.route("/login")
    def login() -> Response:
        session["next"] = request.args.get("next", "/profile")
        session["cart"] = ["book", "lamp"]
        redirect_uri = request.args.get("redirect_uri") or url_for(
            "callback", _external=True
        )
        extra = {"prompt": request.args["prompt"]} if "prompt" in request.args else {}
        return oauth.github.authorize_redirect(redirect_uri, **extra)  # type: ignore[no-any-return]

    @app.route("/callback")
    @recover.callback("github")
    def callback() -> Response:
        token = oauth.github.authorize_access_token()
        user = oauth.github.get("user", token=token).json()
        session["user"] = user["login"]
        return redirect(session.pop("next", "/"))

    @app.route("/profile")
    def profile() -> str:
        return f"signed in as {session.get('user')}; cart={session.get('cart')}"

    return app


@pytest.fixture
def make_app(provider: ProviderEmulator) -> Callable[..., Flask]:
    def factory(**kwargs: Any) -> Flask:
        return create_app(provider, **kwargs)

    return factory


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class MemoryCache:
    """The cache interface Authlib's ``OAuth(app, cache=...)`` expects, in
    memory, with the atomic ``add`` Flask-Caching and cachelib have."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def set(self, key: str, value: Any, timeout: int | None = None) -> None:
        self.values[key] = value

    def add(self, key: str, value: Any, timeout: int | None = None) -> bool:
        if key in self.values:
            return False
        self.values[key] = value
        return True

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


class SignalRecorder:
    """Records every signal the extension sends, as (name, kwargs)."""

    NAMES = (
        "authorization_restarted",
        "configuration_error",
        "login_cancelled",
        "restarts_exhausted",
        "provider_unavailable",
        "invalid_callback",
    )

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self._receivers: list[tuple[Any, Callable[..., None]]] = []

    def connect(self) -> None:
        for name in self.NAMES:
            signal = getattr(flask_oauth_recover, name)

            def receiver(sender: Any, _name: str = name, **kwargs: Any) -> None:
                self.sent.append((_name, kwargs))

            signal.connect(receiver)
            self._receivers.append((signal, receiver))

    def disconnect(self) -> None:
        for signal, receiver in self._receivers:
            signal.disconnect(receiver)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.sent]


@pytest.fixture
def signals() -> Iterator[SignalRecorder]:
    recorder = SignalRecorder()
    recorder.connect()
    yield recorder
    recorder.disconnect()
