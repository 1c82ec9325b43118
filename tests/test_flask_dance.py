"""Flask-Dance apps get the whole behaviour table through
``recover.flask_dance(blueprint)``: token exchange over loopback HTTP to the
emulator, Flask-Dance's own signals and token storage watched."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from flask_dance.consumer import oauth_error
from flask_dance.contrib.github import make_github_blueprint
from werkzeug.wrappers import Response

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover.cli import oauth_recover
from flask_oauth_recover.testing import ProviderEmulator

from .apps.dance_app import RecordingStorage
from .apps.dance_app import create_app
from .apps.dance_app import point_at
from .conftest import SignalRecorder


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def storage(app: Flask) -> RecordingStorage:
    store: RecordingStorage = app.extensions["dance_test"]["blueprint"].storage
    return store


def authorized_signals(app: Flask) -> list[str]:
    sent: list[str] = app.extensions["dance_test"]["signals"]
    return sent


def sign_in(provider: ProviderEmulator, client: FlaskClient) -> Any:
    response, _ = provider.follow(client, client.get("/login/github"))
    return response


@pytest.fixture
def app(provider: ProviderEmulator) -> Flask:
    return create_app(provider)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_a_normal_sign_in(
    app: Flask, client: FlaskClient, provider: ProviderEmulator
) -> None:
    response = sign_in(provider, client)

    assert response.request.path == "/"
    assert client.get("/").text == "You are @octocat on GitHub"
    assert authorized_signals(app) == ["oauth_authorized"]
    assert storage(app).writes == ["github"]


def test_the_state_is_minted_by_the_extension(client: FlaskClient) -> None:
    login = client.get("/login/github")

    assert login.status_code == 302
    assert query(login.location)["state"].count(".") == 5


@pytest.mark.parametrize("refusals", [1, 2])
def test_a_rejected_code_restarts_and_ends_signed_in(
    app: Flask,
    client: FlaskClient,
    provider: ProviderEmulator,
    signals: SignalRecorder,
    refusals: int,
) -> None:
    provider.reject_next_codes(refusals)

    response, visited = provider.follow(client, client.get("/login/github"))

    assert response.request.path == "/"
    assert client.get("/").text == "You are @octocat on GitHub"
    authorizations = [url for url in visited if url.startswith(provider.authorize_url)]
    assert len(authorizations) == 1 + refusals
    states = [query(url)["state"] for url in authorizations]
    assert len(set(states)) == len(states)
    assert {query(url)["redirect_uri"] for url in authorizations} == {
        "http://localhost/login/github/authorized"
    }
    assert len(provider.token_requests) == 1 + refusals
    assert authorized_signals(app) == ["oauth_authorized"]
    assert storage(app).writes == ["github"]
    assert signals.names == ["authorization_restarted"] * refusals


def test_restarts_are_bounded(
    app: Flask, client: FlaskClient, provider: ProviderEmulator
) -> None:
    provider.reject_next_codes(10)

    response, visited = provider.follow(client, client.get("/login/github"))

    assert response.status_code == 500
    assert "We could not sign you in" in response.text
    assert len([u for u in visited if u.startswith(provider.authorize_url)]) == 3
    assert storage(app).writes == []
    assert authorized_signals(app) == []


def test_a_wrong_secret_gets_the_credentials_page(
    app: Flask, client: FlaskClient, provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    provider.client_secret = "a-rotated-secret"

    response = sign_in(provider, client)

    assert response.status_code == 500
    assert "Sign-in is not set up correctly" in response.text
    assert signals.names == ["configuration_error"]
    assert signals.sent[0][1]["outcome"].error == "incorrect_client_credentials"
    assert storage(app).writes == []
    assert authorized_signals(app) == []


def test_the_credentials_page_names_flask_dances_config_keys(
    provider: ProviderEmulator,
) -> None:
    app = create_app(provider, OAUTH_RECOVER_SHOW_DETAILS=True)
    client = app.test_client()
    provider.client_secret = "a-rotated-secret"

    response = sign_in(provider, client)

    assert response.status_code == 500
    assert "GITHUB_OAUTH_CLIENT_SECRET" in response.text


def test_a_redirect_uri_mismatch_gets_the_redirect_uri_page(
    provider: ProviderEmulator,
) -> None:
    app = create_app(provider, OAUTH_RECOVER_SHOW_DETAILS=True)
    client = app.test_client()
    provider.callback_url = "http://127.0.0.1/login/github/authorized"
    login = client.get("/login/github")
    # GitHub sends its error to the registered callback, on another host.
    answer = requests.get(login.location, allow_redirects=False, timeout=10)

    response = client.get(answer.headers["Location"])

    assert response.status_code == 500
    assert "redirect_uri_mismatch" in response.text
    assert 'data-diagnosis="redirect_uri.loopback_alias"' in response.text


def test_cancel_gets_the_cancelled_page_and_flask_dance_signal(
    app: Flask, client: FlaskClient, provider: ProviderEmulator
) -> None:
    errors: list[str] = []

    def record(blueprint: Any, error: str, **extra: Any) -> None:
        errors.append(error)

    oauth_error.connect(record)
    try:
        provider.deny_next_authorizations("access_denied")
        response = sign_in(provider, client)
    finally:
        oauth_error.disconnect(record)

    assert response.status_code == 403
    assert "Sign-in cancelled" in response.text
    assert errors == ["access_denied"]
    assert len(provider.authorize_requests) == 1


def test_an_oauth_error_receiver_that_answers_keeps_its_answer(
    app: Flask, client: FlaskClient, provider: ProviderEmulator
) -> None:
    def answer(blueprint: Any, **extra: Any) -> Response:
        return Response("the app's own cancel page", status=200)

    oauth_error.connect(answer)
    try:
        provider.deny_next_authorizations("access_denied")
        response = sign_in(provider, client)
    finally:
        oauth_error.disconnect(answer)

    assert (response.status_code, response.text) == (200, "the app's own cancel page")


def test_a_provider_outage_gets_the_unavailable_page(
    app: Flask, client: FlaskClient, provider: ProviderEmulator
) -> None:
    provider.fail_next_token_requests(502, "<html>Bad gateway</html>")

    response = sign_in(provider, client)

    assert response.status_code == 503
    assert "GitHub is not responding" in response.text
    assert storage(app).writes == []


def test_a_hanging_provider_times_out(provider: ProviderEmulator) -> None:
    app = create_app(provider, OAUTH_RECOVER_TIMEOUT=0.5)
    provider.hang_next_token_requests(3)

    response = sign_in(provider, app.test_client())

    assert response.status_code == 503
    assert len(provider.token_requests) == 1


def test_a_lost_state_restarts_within_the_bound(
    app: Flask, provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    cookieless = app.test_client(use_cookies=False)

    response, visited = provider.follow(cookieless, cookieless.get("/login/github"))

    assert response.status_code == 500
    assert "We could not sign you in" in response.text
    assert len([u for u in visited if u.startswith(provider.authorize_url)]) == 3
    assert signals.names == ["authorization_restarted"] * 2 + ["restarts_exhausted"]
    assert provider.token_requests == []


def test_a_stranger_s_link_is_an_invalid_callback(
    client: FlaskClient, provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    response = client.get("/login/github/authorized?code=abc&state=forged")

    assert response.status_code == 400
    assert signals.names == ["invalid_callback"]
    assert provider.authorize_requests == []


def test_json_clients_get_json(client: FlaskClient, provider: ProviderEmulator) -> None:
    provider.client_secret = "a-rotated-secret"
    login = client.get("/login/github")
    callback = requests.get(login.location, allow_redirects=False, timeout=10)

    response = client.get(
        callback.headers["Location"], headers={"Accept": "application/json"}
    )

    assert response.status_code == 500
    assert json.loads(response.text)["error"] == "incorrect_client_credentials"


def test_wrapping_after_registration_works(provider: ProviderEmulator) -> None:
    app = create_app(provider, wrap_before_registering=False)
    client = app.test_client()
    provider.reject_next_codes(1)

    response = sign_in(provider, client)

    assert response.request.path == "/"
    assert storage(app).writes == ["github"]


@pytest.fixture(scope="module")
def corp_server() -> Iterator[ProviderEmulator]:
    with ProviderEmulator(client_id="corp-app-id", login="tanuki") as server:
        yield server


def test_two_blueprints_each_restart_at_their_own_provider(
    provider: ProviderEmulator, corp_server: ProviderEmulator
) -> None:
    corp_server.reset()
    app = create_app(provider, second=corp_server)
    client = app.test_client()
    corp_server.reject_next_codes(1)

    response, visited = corp_server.follow(client, client.get("/login/corp"))

    assert response.text == "corp token: True"
    authorizations = [u for u in visited if u.startswith(corp_server.authorize_url)]
    assert len(authorizations) == 2
    assert query(authorizations[1])["redirect_uri"] == (
        "http://localhost/login/corp/authorized"
    )
    assert provider.authorize_requests == []


def test_the_factory_pattern(provider: ProviderEmulator) -> None:
    # Module level: one blueprint, one extension; then a factory.
    blueprint = make_github_blueprint(scope="read:user")
    blueprint.storage = RecordingStorage()
    point_at(blueprint, provider)
    recover = OAuthRecover()
    recover.flask_dance(blueprint)

    app = create_app(provider, blueprint=blueprint, recover=recover)
    provider.reject_next_codes(1)

    response = sign_in(provider, app.test_client())

    assert response.request.path == "/"
    assert storage(app).writes == ["github"]


def test_check_covers_the_blueprint(provider: ProviderEmulator) -> None:
    app = create_app(provider, SERVER_NAME="app.test")

    result = app.test_cli_runner().invoke(oauth_recover, ["check", "--probe"])

    assert "Callback 'github.authorized' (client 'github')" in result.output
    assert "http://app.test/login/github/authorized" in result.output
    assert "probe           accepted" in result.output
    assert "authorize probe registered" in result.output
    assert result.exit_code == 0, result.output


def test_check_probe_finds_an_unregistered_redirect_uri(
    provider: ProviderEmulator,
) -> None:
    app = create_app(provider, SERVER_NAME="app.test")
    provider.callback_url = "http://app.test/elsewhere"

    result = app.test_cli_runner().invoke(oauth_recover, ["check", "--probe"])

    assert "authorize probe unregistered" in result.output
    assert "[redirect_uri.unregistered]" in result.output
    assert "Register http://app.test/login/github/authorized" in result.output
    assert result.exit_code == 1, result.output


def test_check_probe_finds_a_wrong_secret(provider: ProviderEmulator) -> None:
    app = create_app(provider, SERVER_NAME="app.test")
    app.config["GITHUB_OAUTH_CLIENT_SECRET"] = "not-the-secret"

    result = app.test_cli_runner().invoke(oauth_recover, ["check", "--probe"])

    assert "credentials.rejected" in result.output
    assert "GITHUB_OAUTH_CLIENT_SECRET" in result.output
    assert result.exit_code == 1, result.output


def test_the_core_does_not_import_flask_dance() -> None:
    import subprocess
    import sys

    code = (
        "import sys, flask_oauth_recover, flask_oauth_recover.extension;"
        "print('flask_dance' in sys.modules, 'oauthlib' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert out.stdout.strip() == "False False"


def test_blueprint_type_is_checked() -> None:
    with pytest.raises(TypeError, match="Flask-Dance OAuth 2 blueprint"):
        OAuthRecover().flask_dance(object())


def test_the_apps_handler_for_oauthlib_errors_wins(
    provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    from oauthlib.oauth2.rfc6749.errors import MissingCodeError

    app = create_app(provider, OAUTH_RECOVER_MAX_RESTARTS=0)

    @app.errorhandler(MissingCodeError)
    def missing_code(error: MissingCodeError) -> tuple[str, int]:
        return "the app's own page for a missing code", 400

    client = app.test_client()
    login = client.get("/login/github")
    state = query(login.location)["state"]

    response = client.get(f"/login/github/authorized?state={state}")

    assert (response.status_code, response.text) == (
        400,
        "the app's own page for a missing code",
    )
    assert signals.names == ["restarts_exhausted"]


def test_check_tells_an_authlib_client_and_a_blueprint_of_one_name_apart(
    provider: ProviderEmulator,
) -> None:
    from authlib.integrations.flask_client import OAuth

    app = create_app(provider, SERVER_NAME="app.test")
    app.config["GITHUB_OAUTH_CLIENT_SECRET"] = "0" * 40
    oauth = OAuth(app)
    provider.register(oauth, "github")

    # The app's second login, through Authlib, on the same extension.
    @app.route("/callback")
    @OAuthRecover().callback("github")
    def callback() -> str:
        return "unused"

    result = app.test_cli_runner().invoke(oauth_recover, ["check", "--probe"])

    assert result.output.count("Client 'github'") == 2, result.output
    assert "credentials.rejected" in result.output
    assert result.exit_code == 1, result.output
