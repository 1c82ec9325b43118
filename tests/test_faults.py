"""Provider faults on the token request: each ends on its documented page,
within a bounded time, with no traceback and no restart storm."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from collections.abc import Iterator

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from flask_oauth_recover.testing import ProviderEmulator

from .conftest import SignalRecorder
from .conftest import create_app
from .support.servers import free_port

UNAVAILABLE = "<h1>GitHub is not responding</h1>"
NOT_SET_UP = "<h1>Sign-in is not set up correctly</h1>"
FORM = "application/x-www-form-urlencoded; charset=utf-8"

#: Gateway and body faults: (status, body, content type, headers).
BAD_RESPONSES = {
    "502 HTML": (502, "<html><h1>502 Bad Gateway</h1></html>", "text/html", {}),
    "503 HTML": (503, "<html>Unicorn! We're down.</html>", "text/html", {}),
    "500 JSON error": (500, '{"error": "internal"}', "application/json", {}),
    "429": (429, "slow down", "text/plain", {"Retry-After": "120"}),
    "200 HTML": (200, "<!doctype html><title>Sign in</title>", "text/html", {}),
    "200 JSON without access_token": (
        200,
        '{"token_type": "bearer", "scope": "read:user"}',
        "application/json",
        {},
    ),
    "200 JSON array": (200, "[]", "application/json", {}),
    "200 empty form": (200, "", FORM, {}),
    "200 form without access_token": (200, "token_type=bearer", FORM, {}),
}


def sign_in(
    provider: ProviderEmulator, client: FlaskClient, **headers: str
) -> TestResponse:
    """Start a login, let the provider approve it and deliver the callback."""
    login = client.get("/login")
    answer = requests.get(login.location, allow_redirects=False, timeout=10)
    return client.get(answer.headers["Location"], headers=headers or None)


def assert_unavailable_page(response: TestResponse) -> None:
    """The "provider unavailable" page: 503, Retry-After, a way to retry."""
    assert response.status_code == 503
    assert UNAVAILABLE in response.text
    assert response.headers["Retry-After"].isdigit()
    assert 'href="/callback?oauth_recover=retry"' in response.text
    assert "Traceback" not in response.text


@pytest.fixture
def slow_provider() -> Iterator[ProviderEmulator]:
    """An emulator of its own: a held request must not outlive the test and
    then consume another test's faults."""
    with ProviderEmulator() as emulator:
        yield emulator


def test_hanging_provider_is_cut_off_at_the_configured_timeout(
    slow_provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    app = create_app(slow_provider, OAUTH_RECOVER_TIMEOUT=0.5)
    slow_provider.hang_next_token_requests(5)

    started = time.monotonic()
    response = sign_in(slow_provider, app.test_client())
    elapsed = time.monotonic() - started

    assert_unavailable_page(response)
    assert elapsed < 4
    assert len(slow_provider.token_requests) == 1
    assert len(slow_provider.authorize_requests) == 1
    assert signals.names == ["provider_unavailable"]


def test_slow_provider_within_the_timeout_signs_in(
    slow_provider: ProviderEmulator,
) -> None:
    app = create_app(slow_provider, OAUTH_RECOVER_TIMEOUT=5)
    client = app.test_client()
    slow_provider.hang_next_token_requests(0.2)

    response, _ = slow_provider.follow(client, client.get("/login"))

    assert response.text.startswith("signed in as octocat")


@pytest.mark.parametrize(
    ("client_kwargs", "expected"),
    [({}, 10.0), ({"default_timeout": 3}, 3)],
    ids=["default", "client's own"],
)
def test_token_request_timeout_defaults_to_ten_seconds(
    make_app: Callable[..., Flask],
    provider: ProviderEmulator,
    client_kwargs: dict[str, float],
    expected: float,
) -> None:
    kwargs = {"scope": "read:user", **client_kwargs}
    app = make_app(client_overrides={"client_kwargs": kwargs})
    client = app.test_client()

    provider.follow(client, client.get("/login"))

    github = app.extensions["authlib.integrations.flask_client"].github
    with app.test_request_context():
        # Each HTTP session the client opens: the token request's, the API's.
        session = github._get_oauth_client()
    assert session.default_timeout == expected


def test_refused_connection_gets_the_unavailable_page(
    make_app: Callable[..., Flask],
    provider: ProviderEmulator,
    signals: SignalRecorder,
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/login/oauth/access_token"
    app = make_app(client_overrides={"access_token_url": dead})

    response = sign_in(provider, app.test_client())

    assert_unavailable_page(response)
    assert len(provider.authorize_requests) == 1
    assert signals.names == ["provider_unavailable"]


@pytest.mark.parametrize("fault", BAD_RESPONSES)
def test_bad_token_response_gets_the_unavailable_page(
    client: FlaskClient,
    provider: ProviderEmulator,
    signals: SignalRecorder,
    fault: str,
) -> None:
    status, body, content_type, headers = BAD_RESPONSES[fault]
    provider.fail_next_token_requests(status, body, content_type, headers=headers)

    response = sign_in(provider, client)

    assert_unavailable_page(response)
    assert body not in response.text or not body
    assert len(provider.token_requests) == 1
    assert len(provider.authorize_requests) == 1
    assert signals.names == ["provider_unavailable"]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("hang", "provider_timeout"),
        ("refused", "provider_unreachable"),
        ("502 HTML", "provider_bad_response"),
        ("429", "provider_bad_response"),
        ("200 JSON without access_token", "provider_bad_response"),
    ],
)
def test_api_clients_get_the_fault_as_json(
    slow_provider: ProviderEmulator, fault: str, error: str
) -> None:
    overrides: dict[str, str] = {}
    if fault == "refused":
        dead = f"http://127.0.0.1:{free_port()}/login/oauth/access_token"
        overrides = {"access_token_url": dead}
    app = create_app(
        slow_provider, client_overrides=overrides, OAUTH_RECOVER_TIMEOUT=0.5
    )
    if fault == "hang":
        slow_provider.hang_next_token_requests(5)
    elif fault in BAD_RESPONSES:
        status, body, content_type, headers = BAD_RESPONSES[fault]
        slow_provider.fail_next_token_requests(
            status, body, content_type, headers=headers
        )

    response = sign_in(slow_provider, app.test_client(), Accept="application/json")

    assert response.status_code == 503
    answer = response.json
    assert answer is not None
    assert (answer["error"], answer["action"]) == (error, "try_again_later")
    assert set(answer) == {"error", "description", "action", "reference", "provider"}
    assert answer["provider"] == "github"


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("120", "120"), ("86400", "3600"), (None, "60"), ("soon", "60")],
)
def test_rate_limit_passes_on_a_bounded_retry_after(
    client: FlaskClient,
    provider: ProviderEmulator,
    retry_after: str | None,
    expected: str,
) -> None:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    provider.fail_next_token_requests(429, "slow down", "text/plain", headers=headers)

    response = sign_in(provider, client)

    assert_unavailable_page(response)
    assert response.headers["Retry-After"] == expected


def test_form_encoded_rejected_code_restarts_once(
    client: FlaskClient, provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    provider.fail_next_token_requests(
        200, "error=bad_verification_code&error_description=The+code+is+bad", FORM
    )

    response, _ = provider.follow(client, client.get("/login"))

    assert response.text == "signed in as octocat; cart=['book', 'lamp']"
    assert len(provider.token_requests) == 2
    assert len(provider.authorize_requests) == 2
    assert signals.names == ["authorization_restarted"]


@pytest.mark.parametrize(
    ("error", "status", "headline"),
    [
        ("incorrect_client_credentials", 500, NOT_SET_UP),
        ("redirect_uri_mismatch", 500, NOT_SET_UP),
        ("server_error", 503, UNAVAILABLE),
        ("temporarily_unavailable", 503, UNAVAILABLE),
    ],
)
def test_form_encoded_error_gets_its_page(
    client: FlaskClient,
    provider: ProviderEmulator,
    error: str,
    status: int,
    headline: str,
) -> None:
    provider.fail_next_token_requests(200, f"error={error}&error_description=x", FORM)

    response = sign_in(provider, client)

    assert response.status_code == status
    assert headline in response.text
    assert "Traceback" not in response.text
    assert len(provider.authorize_requests) == 1


def test_an_outage_never_becomes_a_restart_storm(
    client: FlaskClient, provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    provider.fail_next_token_requests(503, "<html>down</html>", n=3)
    response = sign_in(provider, client)

    for _ in range(2):
        assert_unavailable_page(response)
        response, _ = provider.follow(client, client.get(retry_link(response)))

    assert_unavailable_page(response)
    assert len(provider.token_requests) == 3
    assert len(provider.authorize_requests) == 3
    assert "authorization_restarted" not in signals.names


def test_try_again_after_an_outage_signs_in(
    client: FlaskClient, provider: ProviderEmulator
) -> None:
    provider.fail_next_token_requests(502, "<html>Bad Gateway</html>")
    page = sign_in(provider, client)

    response, _ = provider.follow(client, client.get(retry_link(page)))

    assert response.text == "signed in as octocat; cart=['book', 'lamp']"


def test_error_body_from_the_provider_is_not_shown(
    client: FlaskClient, provider: ProviderEmulator
) -> None:
    secretish = json.dumps({"message": "<b>internal stack</b>", "trace": "at x.y"})
    provider.fail_next_token_requests(500, secretish, "application/json")

    response = sign_in(provider, client)

    assert_unavailable_page(response)
    assert "internal stack" not in response.text
    assert "at x.y" not in response.text


def retry_link(page: TestResponse) -> str:
    """The page's "try again" link, checked to be there."""
    assert 'href="/callback?oauth_recover=retry"' in page.text
    return "/callback?oauth_recover=retry"
