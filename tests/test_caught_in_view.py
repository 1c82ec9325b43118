"""Apps that catch Authlib's exception inside their own callback view (a
``try``/``except`` around ``authorize_access_token``): a restart still heals
a transient failure, and anything else keeps the app's own answer, with the
extension's signal and log line."""

from __future__ import annotations

import logging

import pytest
import requests
from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask import redirect
from flask import session
from flask import url_for
from flask.testing import FlaskClient
from werkzeug.wrappers import Response

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover.testing import ProviderEmulator

from .conftest import SECRET_KEY
from .conftest import SignalRecorder


def careful_app(provider: ProviderEmulator) -> Flask:
    """A callback written defensively, as many public apps are."""
    app = Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY=SECRET_KEY)
    oauth = OAuth(app)
    provider.register(oauth, "github")
    recover = OAuthRecover(app)

    @app.route("/")
    def home() -> str:
        return f"home: {session.get('user')}; {session.get('problem')}"

    @app.route("/login")
    def login() -> Response:
        return oauth.github.authorize_redirect(url_for("callback", _external=True))  # type: ignore[no-any-return]

    @app.route("/callback")
    @recover.callback("github")
    def callback() -> Response:
        try:
            token = oauth.github.authorize_access_token()
        except Exception as exc:  # noqa: BLE001 - the pattern under test
            session["problem"] = f"login failed: {exc}"
            return redirect("/")
        session["user"] = oauth.github.get("user", token=token).json()["login"]
        return redirect("/")

    return app


@pytest.fixture
def client(provider: ProviderEmulator) -> FlaskClient:
    return careful_app(provider).test_client()


def test_a_refused_code_still_restarts(
    client: FlaskClient, provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    provider.reject_next_codes(1)

    response, visited = provider.follow(client, client.get("/login"))

    assert response.request.path == "/"
    assert client.get("/").text.startswith("home: octocat")
    assert len([u for u in visited if u.startswith(provider.authorize_url)]) == 2
    assert signals.names == ["authorization_restarted"]


def test_a_wrong_secret_keeps_the_apps_answer_and_alerts(
    client: FlaskClient,
    provider: ProviderEmulator,
    signals: SignalRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    provider.client_secret = "rotated"

    with caplog.at_level(logging.ERROR, logger="flask_oauth_recover"):
        response, _ = provider.follow(client, client.get("/login"))

    assert response.request.path == "/"
    assert "login failed: incorrect_client_credentials" in response.text
    assert signals.names == ["configuration_error"]
    assert "incorrect_client_credentials" in caplog.records[-1].getMessage()


def test_a_cancel_keeps_the_apps_answer(
    client: FlaskClient, provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    provider.deny_next_authorizations("access_denied")

    response, _ = provider.follow(client, client.get("/login"))

    assert "login failed: access_denied" in response.text
    assert signals.names == ["login_cancelled"]


def test_a_stranger_s_link_keeps_the_apps_answer_without_alerting(
    client: FlaskClient, provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    response = client.get("/callback?error=application_suspended&state=forged")

    assert (response.status_code, response.location) == (302, "/")
    assert signals.names == ["invalid_callback"]
    assert provider.authorize_requests == []


def test_exhausted_restarts_keep_the_apps_answer(
    client: FlaskClient, provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    provider.reject_next_codes(5)

    response, _ = provider.follow(client, client.get("/login"))

    assert "login failed: bad_verification_code" in response.text
    assert signals.names == ["authorization_restarted"] * 2 + ["restarts_exhausted"]


def test_a_normal_login_is_untouched(
    client: FlaskClient, provider: ProviderEmulator
) -> None:
    login = client.get("/login")
    callback = requests.get(login.location, allow_redirects=False, timeout=10)

    response = client.get(callback.headers["Location"])

    assert (response.status_code, response.location) == (302, "/")
    assert client.get("/").text == "home: octocat; None"
