"""The documentation's testing recipe for a Flask-Dance app, run as written:
tests/apps/dance_github.py (the Flask-Dance GitHub quickstart, with the
extension's two lines) stands in for "your app" (``myapp``), with the
provider_emulator fixture of the package's pytest plugin."""

from __future__ import annotations

from flask_oauth_recover.testing import ProviderEmulator
from tests.apps.dance_github import app  # your app, unmodified
from tests.apps.dance_github import blueprint


def test_login(provider_emulator: ProviderEmulator) -> None:
    with provider_emulator.stand_in_for(app, blueprint):  # or "github"
        client = app.test_client()
        response, visited = provider_emulator.follow(client, client.get("/"))

    assert response.text == "You are @octocat on GitHub"
    assert visited[1].startswith(provider_emulator.authorize_url)  # not github.com


def test_login_survives_a_used_code(provider_emulator: ProviderEmulator) -> None:
    provider_emulator.reject_next_codes(1)  # bad_verification_code, once

    with provider_emulator.stand_in_for(app, blueprint):
        client = app.test_client()
        response, visited = provider_emulator.follow(client, client.get("/"))

    assert response.text == "You are @octocat on GitHub"
    assert len(provider_emulator.token_requests) == 2  # a fresh code the 2nd time
