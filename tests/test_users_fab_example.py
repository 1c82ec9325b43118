"""The README's testing recipe for a Flask-AppBuilder app, run as written:
tests/apps/fab_github/ (FAB's example app with Superset's documented GitHub
settings, plus the extension's one line) stands in for "your app"
(``myapp``), with the provider_emulator fixture of the package's pytest
plugin."""

from __future__ import annotations

from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
from flask import Flask

from flask_oauth_recover.testing import ProviderEmulator
from tests.apps.fab_github import create_app  # your FAB app, unmodified

# FAB signs its state with a 30-character key, which PyJWT warns about.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


@pytest.fixture
def app() -> Flask:
    return create_app()


def test_login(app: Flask, provider_emulator: ProviderEmulator) -> None:
    with provider_emulator.stand_in_for(app, "github"):  # the OAUTH_PROVIDERS entry
        client = app.test_client()
        start = client.get("/login/github?next=/profile/")  # "Sign in with GitHub"
        response, visited = provider_emulator.follow(client, start)

    assert response.text == "Signed in as github_octocat"
    assert visited[0].startswith(provider_emulator.authorize_url)  # not github.com


def test_a_refused_code_restarts_through_fab_s_login(
    app: Flask, provider_emulator: ProviderEmulator
) -> None:
    provider_emulator.reject_next_codes(1)  # bad_verification_code, once

    with provider_emulator.stand_in_for(app, "github"):
        client = app.test_client()
        start = client.get("/login/github?next=/profile/")
        response, visited = provider_emulator.follow(client, start)

    assert response.text == "Signed in as github_octocat"
    restart = urlsplit(visited[2])  # FAB's own login again, with the same next
    assert restart.path == "/login/github"
    assert parse_qs(restart.query)["next"] == ["/profile/"]
    assert len(provider_emulator.token_requests) == 2  # a fresh code the 2nd time
