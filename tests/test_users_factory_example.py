"""The documentation's testing recipe for a factory with blueprints, run as
written: tests/apps/google_factory stands in for "your app" (``myapp``),
with the provider_emulator fixture of the package's pytest plugin."""

from __future__ import annotations

import pytest
from flask import Flask

from flask_oauth_recover.testing import ProviderEmulator
from tests.apps.google_factory import create_app  # your factory, unmodified


@pytest.fixture
def app() -> Flask:
    return create_app({"TESTING": True})


@pytest.mark.parametrize("provider_emulator", ["google"], indirect=True)
def test_login(app: Flask, provider_emulator: ProviderEmulator) -> None:
    with provider_emulator.stand_in_for(app, "google"):
        client = app.test_client()
        response, visited = provider_emulator.follow(client, client.get("/login"))

    assert response.json == {"user": {"email": "octocat@example.com", "locale": "en"}}


@pytest.mark.parametrize(
    "provider_emulator",
    [{"profile": "google", "user": {"locale": None}}],  # Google often omits it
    indirect=True,
)
def test_login_without_a_locale(
    app: Flask, provider_emulator: ProviderEmulator
) -> None:
    with provider_emulator.stand_in_for(app, "google"):
        client = app.test_client()
        response, visited = provider_emulator.follow(client, client.get("/login"))

    assert response.json == {"user": {"email": "octocat@example.com", "locale": None}}


@pytest.mark.parametrize("provider_emulator", ["google"], indirect=True)
def test_oauth_setup(app: Flask, provider_emulator: ProviderEmulator) -> None:
    with provider_emulator.stand_in_for(app, "google"):
        result = app.test_cli_runner().invoke(
            args=["oauth-recover", "check", "--probe", "--base-url", "http://localhost"]
        )

    assert result.exit_code == 0, result.output
    assert "redirect URI    http://localhost/callback" in result.output
