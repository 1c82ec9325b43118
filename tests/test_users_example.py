"""The README's example of flask_oauth_recover.testing in a user's own test
suite, run as written (the example app stands in for "your app")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from example_app import create_app  # your app's factory
from flask_oauth_recover.testing import ProviderEmulator


@pytest.fixture
def github() -> Iterator[ProviderEmulator]:
    """GitHub's OAuth endpoints, served on a loopback port for one test."""
    with ProviderEmulator() as provider:
        yield provider


@pytest.fixture
def client(github: ProviderEmulator) -> FlaskClient:
    """The app, its Authlib client "github" pointed at the emulator through
    Authlib's GITHUB_CLIENT_ID, GITHUB_ACCESS_TOKEN_URL, ... config keys."""
    settings = {
        f"GITHUB_{key.upper()}": value for key, value in github.client_kwargs().items()
    }
    app = create_app({"TESTING": True, "SECRET_KEY": "test", **settings})
    return app.test_client()


def test_login_survives_an_expired_code(
    client: FlaskClient, github: ProviderEmulator
) -> None:
    github.reject_next_codes(1)  # GitHub answers bad_verification_code, once

    response, visited = github.follow(client, client.get("/login?next=/account"))

    assert response.status_code == 200
    assert response.request.path == "/account"  # the `next` it asked for
    assert b"octocat" in response.data
    assert len(github.token_requests) == 2  # the refused code, then a fresh one
