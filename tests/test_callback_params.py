"""Hostile callbacks get a 400 page, no token request, nothing echoed."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from flask_oauth_recover.callback_params import InvalidCallback
from flask_oauth_recover.callback_params import read_callback_params
from flask_oauth_recover.testing import ProviderEmulator

from .conftest import SignalRecorder

HOSTILE = [
    "code=abc&state=" + "s" * 513,
    "code=" + "c" * 513 + "&state=abc",
    "code=abc%00&state=abc",
    "code=abc&state=abc%0d%0aSet-Cookie:%20pwned=1",
    "code=abc&state=abc%7f",
    "code=abc&code=def&state=abc",
    "code=abc&state=abc&state=def",
    "error=access_denied&error=server_error&state=abc",
    "code=abc&error=access_denied&state=abc",
    'error=access"denied&state=abc',
    "error=access%5cdenied&state=abc",
    "error=access_denied&error_description=" + "d" * 1025,
    "error=access_denied&error_description=line%0abreak",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_callback_is_refused_without_a_token_request(
    client: FlaskClient,
    provider: ProviderEmulator,
    signals: SignalRecorder,
    query: str,
) -> None:
    client.get("/login")

    response = client.get(f"/callback?{query}")

    assert response.status_code == 400
    assert "<h1>This sign-in link is not valid</h1>" in response.text
    assert provider.token_requests == []
    assert "pwned" not in str(response.headers)
    assert "Set-Cookie" not in response.text
    assert signals.names == ["invalid_callback"]


def test_hostile_callback_keeps_the_login_pending(
    client: FlaskClient, provider: ProviderEmulator
) -> None:
    login = client.get("/login")
    client.get("/callback?code=abc&code=def")

    response, _ = provider.follow(client, login)

    assert response.text.startswith("signed in as octocat")


def test_hostile_callback_as_json(client: FlaskClient) -> None:
    response = client.get(
        "/callback?code=a&code=b", headers={"Accept": "application/json"}
    )

    assert response.status_code == 400
    assert response.json is not None
    assert response.json["error"] == "invalid_callback"
    assert response.json["action"] == "start_over"


def test_valid_parameters_are_read() -> None:
    params = read_callback_params(
        MultiDict({"code": "0123abcd", "state": "xyz", "unrelated": "kept"})
    )

    assert (params.code, params.state, params.error) == ("0123abcd", "xyz", None)


def test_reason_never_contains_the_input() -> None:
    with pytest.raises(InvalidCallback) as info:
        read_callback_params(MultiDict({"state": "<b>" * 300}))

    assert "<b>" not in info.value.reason
