"""``ProviderEmulator.stand_in_for`` on the frameworks that own the login,
with their apps configured for production: a Flask-AppBuilder
``OAUTH_PROVIDERS`` entry on github.com (plain, and in Airflow's shape),
Flask-Security-Too's built-in GitHub and Google providers, and flask-oidc's
client with Google's or a Keycloak server's issuer. Each signs in against
the emulator over loopback HTTP without a line changed, the configuration
the framework keeps the provider in says the emulator's values for the
duration, and everything comes back on exit."""

from __future__ import annotations

import copy
import re
from html import unescape
from typing import Any

import pytest
from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from flask_oauth_recover.testing import ProviderEmulator
from flask_oauth_recover.testing.stand_in_frameworks import FrameworkStandIn

from .apps import fab_app
from .apps import oidc_app
from .apps import security_app
from .test_frameworks_baseline import APP
from .test_frameworks_baseline import FabCase
from .test_frameworks_baseline import query

pytestmark = [
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
    pytest.mark.filterwarnings("ignore:The 'use_signer' option:DeprecationWarning"),
]

AUTHLIB = "authlib.integrations.flask_client"
#: An OAuth App's settings on github.com, as FAB's, Superset's and
#: Airflow's documentation write them.
GITHUB_COM: dict[str, Any] = {
    "client_id": "Ov23liA1b2C3d4E5f6G7",
    "client_secret": "5f0c1d2e3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d",
    "api_base_url": "https://api.github.com/",
    "client_kwargs": {"scope": "read:user"},
    "access_token_url": "https://github.com/login/oauth/access_token",
    "authorize_url": "https://github.com/login/oauth/authorize",
    "request_token_url": None,
}
#: The client attributes a stand-in changes, by the settings' names.
CLIENT_SETTINGS = (
    "client_id",
    "client_secret",
    "api_base_url",
    "access_token_url",
    "authorize_url",
)


def settings_of(client: Any) -> dict[str, Any]:
    return {setting: getattr(client, setting) for setting in CLIENT_SETTINGS}


# -- Flask-AppBuilder --------------------------------------------------------


def github_com_providers() -> list[dict[str, Any]]:
    return [
        {
            "name": "github",
            "icon": "fa-github",
            "token_key": "access_token",
            "remote_app": copy.deepcopy(GITHUB_COM),
        }
    ]


@pytest.fixture(params=["plain", "airflow"])
def fab(request: pytest.FixtureRequest, provider: ProviderEmulator) -> FabCase:
    """A FAB app with the one line, its GitHub entry on github.com."""
    if request.param == "airflow":
        return FabCase(
            fab_app.create_airflow_style_app(
                provider, recover=True, OAUTH_PROVIDERS=github_com_providers()
            ),
            fab_app.AIRFLOW_MOUNT,
        )
    return FabCase(
        fab_app.create_app(
            provider, recover="after", OAUTH_PROVIDERS=github_com_providers()
        )
    )


def test_a_fab_entry_on_github_com_signs_in_on_the_emulator(
    fab: FabCase, provider: ProviderEmulator
) -> None:
    with provider.stand_in_for(fab.app, "github") as stand_in:
        response, visited = provider.follow(fab.client, fab.start())

    assert isinstance(stand_in, FrameworkStandIn)
    assert stand_in.framework == "Flask-AppBuilder"
    assert response.text == "Signed in as github_octocat"
    assert visited[-1] == fab.profile_url
    assert query(visited[0])["client_id"] == provider.client_id
    # The emulator redeemed the code: it took the app's credentials.
    assert len(provider.token_requests) == 1


def test_a_refused_code_restarts_through_fab_s_login_on_the_emulator(
    fab: FabCase, provider: ProviderEmulator
) -> None:
    provider.reject_next_codes(1)

    with provider.stand_in_for(fab.app, "github"):
        response, visited = provider.follow(fab.client, fab.start())

    assert response.text == "Signed in as github_octocat"
    assert visited[2].startswith(f"{APP}{fab.mount}/login/github?")
    assert query(visited[2])["next"] == fab.profile_url
    assert len(provider.token_requests) == 2


def test_the_oauth_providers_entry_says_the_emulator_s_values_until_exit(
    fab: FabCase, provider: ProviderEmulator
) -> None:
    app = fab.app
    security_manager = app.extensions["appbuilder"].sm
    client = security_manager.oauth_remotes["github"]
    registry = security_manager.oauth
    own_list = app.config["OAUTH_PROVIDERS"]
    as_written = copy.deepcopy(own_list)

    with provider.stand_in_for(app, "github"):
        [entry] = app.config["OAUTH_PROVIDERS"]
        remote_app = entry["remote_app"]
        during = settings_of(client)
        registered = registry._registry["github"][1]

    assert {key: remote_app[key] for key in CLIENT_SETTINGS} == during
    assert during["client_id"] == provider.client_id
    assert during["client_secret"] == provider.client_secret
    assert during["authorize_url"] == provider.authorize_url
    assert during["access_token_url"] == provider.token_url
    assert during["api_base_url"].startswith(provider.base_url)
    assert {key: registered[key] for key in CLIENT_SETTINGS} == during
    # What the stand-in has no reason to change stays as the app wrote it.
    assert remote_app["client_kwargs"] == {"scope": "read:user"}
    assert remote_app["request_token_url"] is None
    assert {key: entry[key] for key in ("name", "icon", "token_key")} == {
        "name": "github",
        "icon": "fa-github",
        "token_key": "access_token",
    }
    # Undone: the app's own list (never changed), client and registration.
    assert app.config["OAUTH_PROVIDERS"] is own_list
    assert own_list == as_written
    expected = {key: GITHUB_COM[key] for key in CLIENT_SETTINGS}
    assert settings_of(client) == expected
    registered = registry._registry["github"][1]
    assert {key: registered[key] for key in CLIENT_SETTINGS} == expected


def test_fab_s_registry_is_found_behind_one_the_app_made_after_it(
    provider: ProviderEmulator,
) -> None:
    fab = FabCase(
        fab_app.create_app(
            provider, recover="after", OAUTH_PROVIDERS=github_com_providers()
        )
    )
    own = OAuth(fab.app)  # the app's own registry now owns app.extensions
    own.register("gitlab", **provider.client_kwargs())
    assert fab.app.extensions[AUTHLIB] is own

    with provider.stand_in_for(fab.app, "github"):
        response, _ = provider.follow(fab.client, fab.start())

    assert response.text == "Signed in as github_octocat"
    assert "github" not in own._registry


def test_check_probes_fab_s_provider_on_the_emulator(
    provider: ProviderEmulator,
) -> None:
    app = fab_app.create_app(
        provider, recover="after", OAUTH_PROVIDERS=github_com_providers()
    )

    with provider.stand_in_for(app, "github"):
        result = app.test_cli_runner().invoke(
            args=["oauth-recover", "check", "--probe", "--base-url", APP]
        )

    assert result.exit_code == 0, result.output
    assert "owned by        Flask-AppBuilder" in result.output
    assert f"token endpoint  {provider.token_url}" in result.output
    assert "probe           accepted" in result.output


# -- Flask-Security-Too ------------------------------------------------------

#: Flask-Security's built-in providers (github.com's and Google's
#: addresses), with credentials in Authlib's configuration keys.
BUILT_IN_PROVIDERS: dict[str, Any] = {
    "SECURITY_OAUTH_BUILTIN_PROVIDERS": ["github", "google"],
    "GITHUB_CLIENT_ID": GITHUB_COM["client_id"],
    "GITHUB_CLIENT_SECRET": GITHUB_COM["client_secret"],
    "GOOGLE_CLIENT_ID": "123456789012-a1b2c3d4e5f6.apps.googleusercontent.com",
    "GOOGLE_CLIENT_SECRET": "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",
}


def security_start(client: FlaskClient, name: str) -> TestResponse:
    """What the login page's "Continue with <name>" button does: a POST,
    with the page's CSRF token, to Flask-Security's OAuth start."""
    page = client.get("/login", query_string={"next": "/home"})
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    action = re.search(rf'id="{name}"[^>]* formaction="([^"]+)"', page.text)
    assert token is not None and action is not None, page.text
    return client.post(unescape(action.group(1)), data={"csrf_token": token.group(1)})


@pytest.mark.parametrize("provider_emulator", ["github", "google"], indirect=True)
def test_flask_security_s_built_in_providers_sign_in_on_the_emulator(
    provider_emulator: ProviderEmulator,
) -> None:
    app = security_app.create_app(
        provider_emulator, emulated=False, recover="after", **BUILT_IN_PROVIDERS
    )
    name = provider_emulator.profile
    prefix = name.upper()
    client = app.extensions["security"].oauthglue.oauth._clients[name]
    as_written = settings_of(client)
    browser = app.test_client()

    with provider_emulator.stand_in_for(app, name) as stand_in:
        during = (
            app.config[f"{prefix}_CLIENT_ID"],
            app.config[f"{prefix}_CLIENT_SECRET"],
        )
        response, visited = provider_emulator.follow(
            browser, security_start(browser, name)
        )

    assert isinstance(stand_in, FrameworkStandIn)
    assert stand_in.framework == "Flask-Security"
    assert response.text == "Hello octocat@example.com"
    assert visited[0].startswith(provider_emulator.authorize_url + "?")
    assert during == (provider_emulator.client_id, provider_emulator.client_secret)
    assert (
        app.config[f"{prefix}_CLIENT_ID"] == BUILT_IN_PROVIDERS[f"{prefix}_CLIENT_ID"]
    )
    assert (
        app.config[f"{prefix}_CLIENT_SECRET"]
        == (BUILT_IN_PROVIDERS[f"{prefix}_CLIENT_SECRET"])
    )
    assert settings_of(client) == as_written


def test_a_refused_code_restarts_flask_security_s_login_on_the_emulator(
    provider: ProviderEmulator,
) -> None:
    app = security_app.create_app(
        provider, emulated=False, recover="after", **BUILT_IN_PROVIDERS
    )
    browser = app.test_client()
    provider.reject_next_codes(1)

    with provider.stand_in_for(app, "github"):
        response, visited = provider.follow(browser, security_start(browser, "github"))

    assert response.text == "Hello octocat@example.com"
    assert visited[-1] == f"{APP}/home"
    assert len(provider.token_requests) == 2


# -- flask-oidc --------------------------------------------------------------

#: Each profile's issuer in production: Google's, and a Keycloak server's.
ISSUERS = {
    "google": "https://accounts.google.com",
    "keycloak": "https://sso.example.com/realms/myrealm",
}


def oidc_for_production(provider: ProviderEmulator) -> Flask:
    """flask-oidc's quickstart with the one line, its client secrets those
    of the real issuer of ``provider``'s profile."""
    secrets = {
        "web": {
            "client_id": "my-app-in-production",
            "client_secret": "the-production-client-secret",
            "issuer": ISSUERS[provider.profile],
            "redirect_uris": [],
        }
    }
    return oidc_app.create_app(provider, recover=True, OIDC_CLIENT_SECRETS=secrets)


@pytest.mark.parametrize("provider_emulator", list(ISSUERS), indirect=True)
def test_flask_oidc_s_client_signs_in_on_the_emulator(
    provider_emulator: ProviderEmulator,
) -> None:
    app = oidc_for_production(provider_emulator)
    issuer = ISSUERS[provider_emulator.profile]
    browser = app.test_client()

    with provider_emulator.stand_in_for(app, "oidc") as stand_in:
        during = {
            key: app.config[key]
            for key in (
                "OIDC_CLIENT_ID",
                "OIDC_CLIENT_SECRET",
                "OIDC_SERVER_METADATA_URL",
            )
        }
        response, visited = provider_emulator.follow(browser, browser.get("/private"))

    assert isinstance(stand_in, FrameworkStandIn)
    assert stand_in.framework == "flask-oidc"
    assert response.text == "Private page of octocat@example.com"
    assert visited[1].startswith(provider_emulator.authorize_url + "?")
    assert during == {
        "OIDC_CLIENT_ID": provider_emulator.client_id,
        "OIDC_CLIENT_SECRET": provider_emulator.client_secret,
        "OIDC_SERVER_METADATA_URL": provider_emulator.server_metadata_url,
    }
    assert app.config["OIDC_CLIENT_ID"] == "my-app-in-production"
    assert app.config["OIDC_CLIENT_SECRET"] == "the-production-client-secret"
    assert app.config["OIDC_SERVER_METADATA_URL"] == (
        f"{issuer}/.well-known/openid-configuration"
    )


@pytest.mark.parametrize("provider_emulator", ["keycloak"], indirect=True)
def test_flask_oidc_s_registry_is_found_behind_one_the_app_made_after_it(
    provider_emulator: ProviderEmulator,
) -> None:
    app = oidc_for_production(provider_emulator)
    own = OAuth(app)  # the app's own registry now owns app.extensions
    own.register("github", **GITHUB_COM)
    assert app.extensions[AUTHLIB] is own
    browser = app.test_client()
    provider_emulator.reject_next_codes(1)

    with provider_emulator.stand_in_for(app, "oidc"):
        response, visited = provider_emulator.follow(browser, browser.get("/private"))

    assert response.text == "Private page of octocat@example.com"
    assert visited[-1] == f"{APP}/private"
    assert len(provider_emulator.token_requests) == 2


def test_check_names_fab_s_setting_for_a_secret_the_provider_refuses(
    provider: ProviderEmulator,
) -> None:
    app = fab_app.create_app(
        provider, recover="after", OAUTH_PROVIDERS=github_com_providers()
    )

    with provider.stand_in_for(app, "github"):
        provider.client_secret = "f" * 40  # the app still has the old one
        result = app.test_cli_runner().invoke(
            args=["oauth-recover", "check", "--probe", "--base-url", APP]
        )

    assert result.exit_code == 1, result.output
    assert "credentials.rejected" in result.output
    where = 'the OAUTH_PROVIDERS entry named "github": ["remote_app"]["client_secret"]'
    assert where in result.output
    assert "oauth.register(" not in result.output
