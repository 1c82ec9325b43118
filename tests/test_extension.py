"""The drop-in API: init patterns, client references, sync and async views,
several apps, and everything that is not an OAuth failure left alone."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
import requests
from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask import session
from werkzeug.wrappers import Response

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover.testing import ProviderEmulator

from .conftest import SECRET_KEY


def bare_app(provider: ProviderEmulator) -> tuple[Flask, OAuth]:
    app = Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY=SECRET_KEY)
    oauth = OAuth(app)
    provider.register(oauth, "github")

    @app.route("/login")
    def login() -> Response:
        return oauth.github.authorize_redirect("http://localhost/callback")  # type: ignore[no-any-return]

    return app, oauth


def land(provider: ProviderEmulator, app: Flask) -> str:
    client = app.test_client()
    provider.reject_next_codes(1)
    response, _ = provider.follow(client, client.get("/login"))
    return response.text


def test_init_app_stores_per_app_state_only(provider: ProviderEmulator) -> None:
    app, _ = bare_app(provider)
    recover = OAuthRecover()

    recover.init_app(app)

    assert "oauth_recover" in app.extensions
    assert not hasattr(recover, "app")
    assert app.config["OAUTH_RECOVER_MAX_RESTARTS"] == 2
    assert app.config["OAUTH_RECOVER_SHOW_DETAILS"] is None


def test_config_set_by_the_app_wins(provider: ProviderEmulator) -> None:
    app, _ = bare_app(provider)
    app.config["OAUTH_RECOVER_MAX_RESTARTS"] = 5

    OAuthRecover(app)

    assert app.config["OAUTH_RECOVER_MAX_RESTARTS"] == 5


@pytest.mark.parametrize("reference", ["name", "object", "omitted", "explicit_oauth"])
def test_client_can_be_named_passed_or_implied(
    provider: ProviderEmulator, reference: str
) -> None:
    app, oauth = bare_app(provider)
    recover = (
        OAuthRecover(app, oauth=oauth)
        if reference == "explicit_oauth"
        else OAuthRecover(app)
    )
    ref = {"name": "github", "object": oauth.github, "omitted": None}.get(
        reference, "github"
    )

    @app.route("/callback")
    @recover.callback(ref)
    def callback() -> str:
        oauth.github.authorize_access_token()
        return "welcome"

    assert land(provider, app) == "welcome"


def test_an_ambiguous_client_leaves_the_view_alone_and_says_why(
    provider: ProviderEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    app, oauth = bare_app(provider)
    provider.register(oauth, "gitlab")
    recover = OAuthRecover(app)

    @app.route("/callback")
    @recover.callback()
    def callback() -> str:
        return "the app's own answer"

    client = app.test_client()
    with caplog.at_level("WARNING", logger="flask_oauth_recover"):
        first = client.get("/callback?code=x&state=y")
        second = client.get("/callback?code=x&state=y")

    assert (first.status_code, first.text) == (200, "the app's own answer")
    assert second.text == "the app's own answer"
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert "'github', 'gitlab'" in warnings[0]
    assert "/auth/<name>" in warnings[0]


def test_async_view(provider: ProviderEmulator) -> None:
    app, oauth = bare_app(provider)
    recover = OAuthRecover(app)

    @app.route("/callback")
    @recover.callback("github")
    async def callback() -> str:
        oauth.github.authorize_access_token()
        return "async welcome"

    assert land(provider, app) == "async welcome"


def test_one_extension_serves_two_apps(provider: ProviderEmulator) -> None:
    recover = OAuthRecover()
    apps = []
    for greeting in ("first", "second"):
        app, oauth = bare_app(provider)
        recover.init_app(app)

        def callback(oauth: OAuth = oauth, greeting: str = greeting) -> str:
            oauth.github.authorize_access_token()
            return greeting

        app.add_url_rule("/callback", "callback", recover.callback("github")(callback))
        apps.append(app)
    apps[1].config["OAUTH_RECOVER_MAX_RESTARTS"] = 0

    assert land(provider, apps[0]) == "first"
    assert "We could not sign you in" in land(provider, apps[1])


def test_view_responses_pass_through_untouched(
    provider: ProviderEmulator,
) -> None:
    app, oauth = bare_app(provider)
    recover = OAuthRecover(app)

    @app.route("/callback")
    @recover.callback("github")
    def callback() -> tuple[str, int, dict[str, str]]:
        oauth.github.authorize_access_token()
        session["user"] = "octocat"
        return "created", 201, {"X-App": "mine"}

    client = app.test_client()
    response, _ = provider.follow(client, client.get("/login"))

    assert (response.status_code, response.text) == (201, "created")
    assert response.headers["X-App"] == "mine"


@pytest.mark.parametrize("error", [KeyError, ValueError, ZeroDivisionError])
def test_app_exceptions_propagate(
    provider: ProviderEmulator, error: type[Exception]
) -> None:
    app, oauth = bare_app(provider)
    recover = OAuthRecover(app)

    @app.route("/callback")
    @recover.callback("github")
    def callback() -> str:
        oauth.github.authorize_access_token()
        raise error("the app's own bug")

    client = app.test_client()
    with pytest.raises(error, match="the app's own bug"):
        provider.follow(client, client.get("/login"))


def test_app_transport_errors_propagate(provider: ProviderEmulator) -> None:
    app, oauth = bare_app(provider)
    recover = OAuthRecover(app)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]

    @app.route("/callback")
    @recover.callback("github")
    def callback() -> str:
        oauth.github.authorize_access_token()
        requests.get(f"http://127.0.0.1:{port}/orders", timeout=2)
        return "never"

    client = app.test_client()
    with pytest.raises(requests.ConnectionError):
        provider.follow(client, client.get("/login"))


def test_uninitialized_app_is_a_clear_error(provider: ProviderEmulator) -> None:
    app, _ = bare_app(provider)
    recover = OAuthRecover()

    @app.route("/callback")
    @recover.callback("github")
    def callback() -> str:
        return "never"

    with pytest.raises(RuntimeError, match="init_app"):
        app.test_client().get("/callback")


def test_factory_with_make_app(make_app: Callable[..., Flask]) -> None:
    app = make_app()

    assert app.extensions["oauth_recover"] is not None
    assert app.jinja_env.get_template("oauth_recover/base.html") is not None
