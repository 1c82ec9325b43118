"""The documentation's example of flask_oauth_recover.testing in a user's
own test suite (docs/testing.rst), run as written: tests/apps/literal_urls.py
stands in for "your app", the Quick start's app (module-level
``OAuth(app)``, github.com URLs registered in code, a callback that
redirects to ``session.pop("next", "/")``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from flask_oauth_recover.testing import ProviderEmulator
from tests.apps.literal_urls import app  # your app, unmodified


@pytest.fixture
def github() -> Iterator[ProviderEmulator]:
    with ProviderEmulator() as provider, provider.stand_in_for(app, "github"):
        yield provider


@pytest.fixture
def client(github: ProviderEmulator) -> FlaskClient:
    return app.test_client()


def test_login_survives_an_expired_code(
    client: FlaskClient, github: ProviderEmulator
) -> None:
    github.reject_next_codes(1)  # GitHub answers bad_verification_code, once

    response, visited = github.follow(client, client.get("/login"))

    assert response.request.path == "/"  # where the callback sent the user
    with client.session_transaction() as session:
        assert session["user"] == "octocat"  # what the callback stored
    assert visited[0].startswith(github.authorize_url)  # not github.com
    assert len(github.token_requests) == 2  # the refused code, then a fresh one
