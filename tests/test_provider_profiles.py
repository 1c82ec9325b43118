"""Each provider profile against the emulator speaking that provider's wire
format over real loopback HTTP: restarts on used and expired codes, the
credentials page and its diagnoses, PKCE, the ambiguous ``invalid_grant``,
recognition of self-hosted servers and the override."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests
from flask.testing import FlaskClient
from markupsafe import escape
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from flask_oauth_recover.clients import provider_of
from flask_oauth_recover.diagnose import fingerprint
from flask_oauth_recover.testing import ProviderEmulator
from flask_oauth_recover.testing.dialect import read_form_post
from flask_oauth_recover.testing.keycloak import KeycloakDialect

from .apps.profile_app import make_app

WAVE_1 = ["github", "google", "microsoft", "gitlab", "keycloak"]
WAVE_2 = ["apple", "slack", "facebook", "okta", "discord", "auth0"]
PROFILES = WAVE_1 + WAVE_2
#: The name each profile shows on the pages.
SHOWN = {
    "github": "GitHub",
    "google": "Google",
    "microsoft": "Microsoft",
    "gitlab": "GitLab",
    "keycloak": "Keycloak",
    "apple": "Apple",
    "slack": "Slack",
    "facebook": "Facebook",
    "okta": "Okta",
    "discord": "Discord",
    "auth0": "Auth0",
}
#: The error code each provider answers a wrong client secret with.
WRONG_SECRET_ERROR = {
    "github": "incorrect_client_credentials",
    "google": "invalid_client",
    "microsoft": "invalid_client",
    "gitlab": "invalid_client",
    "keycloak": "unauthorized_client",
    "apple": "invalid_client",
    "slack": "bad_client_secret",
    # A Graph API error object: its type, with code 1.
    "facebook": "OAuthException",
    "okta": "invalid_client",
    "discord": "invalid_client",
    # 401 access_denied: a bad credential, not a user who pressed Cancel.
    "auth0": "access_denied",
}
#: The error code each provider answers a used or expired code with.
USED_CODE_ERROR = {
    "github": "bad_verification_code",
    "google": "invalid_grant",
    "microsoft": "invalid_grant",
    "gitlab": "invalid_grant",
    "keycloak": "invalid_grant",
    "apple": "invalid_grant",
    "slack": "invalid_code",
    "facebook": "OAuthException",
    "okta": "invalid_grant",
    "discord": "invalid_grant",
    "auth0": "invalid_grant",
}
JSON = "application/json"
REDIRECTS = frozenset({301, 302, 303, 307, 308})


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, ProviderEmulator]]:
    emulators = {name: ProviderEmulator(profile=name).start() for name in PROFILES}
    yield emulators
    for emulator in emulators.values():
        emulator.stop()


@pytest.fixture(params=PROFILES)
def emulator(
    request: pytest.FixtureRequest, servers: dict[str, ProviderEmulator]
) -> Iterator[ProviderEmulator]:
    server = servers[request.param]
    secret = server.client_secret
    server.reset()
    yield server
    server.client_secret = secret
    server.callback_url = None
    server.reset()


def sign_in(
    emulator: ProviderEmulator, client: FlaskClient, accept: str = JSON
) -> tuple[TestResponse, list[str]]:
    client.environ_base["HTTP_ACCEPT"] = accept
    return emulator.follow(client, client.get("/login"))


def diagnosis(response: TestResponse) -> list[str]:
    return [finding["id"] for finding in response.get_json()["diagnosis"]]


def finding(response: TestResponse, finding_id: str) -> dict[str, str]:
    [found] = [f for f in response.get_json()["diagnosis"] if f["id"] == finding_id]
    return found  # type: ignore[no-any-return]


def back_to_app(client: FlaskClient, answer: requests.Response) -> TestResponse:
    """The provider's answer delivered to the app: a redirect followed, or
    a form_post page submitted (with the test client's cookies: these
    tests are not about SameSite)."""
    posted = read_form_post(answer.text) if answer.status_code == 200 else None
    if posted is not None:
        action, fields = posted
        return client.post(action, data=MultiDict(fields))
    return client.get(answer.headers["Location"])


def authorizations(emulator: ProviderEmulator, visited: list[str]) -> int:
    return sum(url.startswith(emulator.authorize_url) for url in visited)


# -- restarts ----------------------------------------------------------------------


def test_a_sound_login_signs_in(emulator: ProviderEmulator) -> None:
    response, visited = sign_in(emulator, make_app(emulator).test_client())

    assert response.text == "signed in"
    assert authorizations(emulator, visited) == 1


def test_a_used_code_restarts_in_every_dialect(
    emulator: ProviderEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.reject_next_codes(1)

    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        response, visited = sign_in(emulator, make_app(emulator).test_client())

    assert response.text == "signed in"
    assert authorizations(emulator, visited) == 2
    [restart] = [r.getMessage() for r in caplog.records if "restarted" in r.message]
    assert f'("{USED_CODE_ERROR[emulator.profile]}")' in restart
    assert f'provider profile="{emulator.profile}"' in restart


def test_an_expired_code_restarts_in_every_dialect(emulator: ProviderEmulator) -> None:
    client = make_app(emulator).test_client()
    client.environ_base["HTTP_ACCEPT"] = JSON
    authorize = client.get("/login")
    answer = requests.get(authorize.location, allow_redirects=False, timeout=10)
    emulator.advance_clock(emulator.code_lifetime + 1)

    restart = back_to_app(client, answer)
    response, visited = emulator.follow(client, restart)

    assert restart.status_code == 302
    assert restart.location.startswith(emulator.authorize_url)
    assert response.text == "signed in"
    codes = [sent.get("code") for sent in emulator.token_requests]
    assert len(codes) == len(set(codes)) == 2


# -- credentials -------------------------------------------------------------------


def test_a_wrong_secret_gets_the_credentials_page(emulator: ProviderEmulator) -> None:
    secret = emulator.client_secret
    # Another secret of the right shape: only the provider can tell.
    wrong = secret[:-4] + ("0000" if not secret.endswith("0000") else "1111")
    app = make_app(emulator, client_overrides={"client_secret": wrong})

    response, _ = sign_in(emulator, app.test_client())
    page, _ = sign_in(emulator, app.test_client(), accept="text/html")

    assert response.status_code == 500
    body = response.get_json()
    assert body["error"] == WRONG_SECRET_ERROR[emulator.profile]
    assert body["provider"] == emulator.profile
    assert body["details"]["client_secret SHA-256"] == fingerprint(wrong)
    assert page.status_code == 500
    shown = f"{SHOWN[emulator.profile]} refused this site's sign-in request"
    assert str(escape(shown)) in page.text
    assert wrong not in page.text and wrong not in response.text


#: Secrets of the wrong shape, per provider, and the words that say so. (A
#: client ID of the wrong shape never reaches the callback: the provider
#: refuses it on its own page; ``check`` names it, see test_cli.)
MISSHAPEN = {
    "github": ({"client_secret": "ghp_" + "a1B2c3D4e5" * 3 + "f6G7h8"}, "ghp_"),
    "google": ({"client_secret": "AIzaSyA-" + "a1B2c3D4e5" * 3}, "API key"),
    "microsoft": ({"client_secret": "a1B2c3D4e5"}, "10 characters long"),
    "gitlab": ({"client_secret": "glpat-" + "a1B2c3D4e5F6g7H8i9J0"}, "glpat-"),
}


@pytest.mark.parametrize("name", sorted(MISSHAPEN))
def test_each_providers_shapes(name: str, servers: dict[str, ProviderEmulator]) -> None:
    emulator = servers[name]
    overrides, words = MISSHAPEN[name]
    app = make_app(emulator, client_overrides=overrides)

    response, _ = sign_in(emulator, app.test_client())

    assert response.status_code == 500
    shape = finding(response, "credentials.shape")
    assert words in shape["cause"]
    for value in overrides.values():
        assert value not in response.text


def test_entra_secret_id_pasted_as_the_secret(
    servers: dict[str, ProviderEmulator],
) -> None:
    emulator = servers["microsoft"]
    secret_id = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
    app = make_app(emulator, client_overrides={"client_secret": secret_id})

    response, _ = sign_in(emulator, app.test_client())

    body = response.get_json()
    assert (body["error"], body["details"]["provider's own error code"]) == (
        "invalid_client",
        "AADSTS7000215",
    )
    assert diagnosis(response) == ["credentials.secret_id"]
    found = finding(response, "credentials.secret_id")
    assert "Secret ID" in found["cause"]
    assert found["console"].endswith(f"/~/Credentials/appId/{emulator.client_id}")
    page, _ = sign_in(emulator, app.test_client(), accept="text/html")
    assert 'data-diagnosis="credentials.secret_id"' in page.text
    assert f"Where to change it: <code>{escape(found['console'])}</code>" in page.text
    assert secret_id not in page.text


def test_entra_expired_secret(servers: dict[str, ProviderEmulator]) -> None:
    emulator = servers["microsoft"]
    emulator.client_secret_expired = True
    try:
        response, _ = sign_in(emulator, make_app(emulator).test_client())
    finally:
        emulator.client_secret_expired = False

    assert response.status_code == 500
    assert diagnosis(response) == ["credentials.expired"]
    assert "(AADSTS7000222)" in finding(response, "credentials.expired")["cause"]


def test_entra_app_not_in_the_tenant_of_the_token_endpoint(
    servers: dict[str, ProviderEmulator],
) -> None:
    emulator = servers["microsoft"]
    token_url = emulator.token_url.replace(
        urlsplit(emulator.token_url).path.split("/")[1], "contoso.onmicrosoft.com"
    )
    app = make_app(emulator, client_overrides={"access_token_url": token_url})

    response, _ = sign_in(emulator, app.test_client())

    assert response.status_code == 500
    assert diagnosis(response) == ["credentials.wrong_tenant"]
    found = finding(response, "credentials.wrong_tenant")
    assert "contoso.onmicrosoft.com" in found["cause"]
    assert "(AADSTS700016)" in found["cause"]


# -- redirect URI ------------------------------------------------------------------

#: What each provider's matching rule says in the fix.
RULE_WORDS = {
    "github": "path is the registered path or below it",
    "google": "letter case and the trailing slash",
    "microsoft": "ignores the port for localhost",
    "gitlab": "ignored for 127.0.0.1 and [::1] (not for localhost)",
    "keycloak": "ending in * matches",
    "slack": "OAuth & Permissions",
    "facebook": "Valid OAuth Redirect URIs",
    "okta": "Sign-in redirect URIs",
    "discord": "OAuth2, Redirects",
    "auth0": "Allowed Callback URLs",
}


def test_a_token_step_redirect_uri_error_names_the_rule(
    emulator: ProviderEmulator,
) -> None:
    # The redirect URI the token request sends differs from the login's.
    client = make_app(emulator).test_client()
    client.environ_base["HTTP_ACCEPT"] = JSON
    authorize = client.get("/login")
    [state] = parse_qs(urlsplit(authorize.location).query)["state"]
    answer = requests.get(authorize.location, allow_redirects=False, timeout=10)
    tamper_next_state(
        client, emulator.profile, redirect_uri="http://localhost/callback/other"
    )
    response = back_to_app(client, answer)
    if emulator.profile in ("gitlab", "keycloak"):
        # They say invalid_grant for this: one restart, which is clean.
        assert response.location.startswith(emulator.authorize_url)
        return
    if emulator.profile == "apple":
        # Apple's bare invalid_client, which it also gives for this.
        assert response.status_code == 500
        rejected = finding(response, "credentials.rejected")
        assert "a redirect URI not registered" in rejected["cause"]
        return

    assert response.status_code == 500
    register = finding(response, "redirect_uri.register")
    assert RULE_WORDS[emulator.profile] in register["fix"]
    assert response.get_json()["provider"] == emulator.profile


# -- PKCE and the ambiguous invalid_grant --------------------------------------------


def tamper_next_state(client: FlaskClient, name: str, **changes: str) -> None:
    """Change what the session keeps for every pending login of ``name``, as
    an app whose verifier or redirect URI does not belong to the login."""
    with client.session_transaction() as stored:
        for key in [k for k in stored if k.startswith(f"_state_{name}_")]:
            entry = dict(stored[key])
            entry["data"] = {**entry["data"], **changes}
            stored[key] = entry


def login_tampered(
    emulator: ProviderEmulator, client: FlaskClient, **changes: str
) -> TestResponse:
    """Sign in, changing the pending login's state data before every
    callback."""
    client.environ_base["HTTP_ACCEPT"] = JSON
    response = client.get("/login")
    for _ in range(6):
        if response.status_code not in REDIRECTS:
            return response
        if not response.location.startswith(emulator.base_url):
            response = client.get(response.location)
            continue
        tamper_next_state(client, emulator.profile, **changes)
        answer = requests.get(response.location, allow_redirects=False, timeout=10)
        response = back_to_app(client, answer)
    raise AssertionError("redirect loop")


PKCE_KWARGS = {"client_kwargs": {"code_challenge_method": "S256", "scope": "openid"}}


@pytest.mark.parametrize("name", ["google", "microsoft", "keycloak"])
def test_a_verifier_from_another_login_is_pkce_mismatch(
    name: str, servers: dict[str, ProviderEmulator]
) -> None:
    emulator = servers[name]
    app = make_app(emulator, client_overrides=PKCE_KWARGS)
    client = app.test_client()

    response = login_tampered(emulator, client, code_verifier="x" * 64)

    assert response.status_code == 500
    assert response.get_json()["error"] == "invalid_grant"
    assert diagnosis(response) == ["pkce.mismatch"]
    found = finding(response, "pkce.mismatch")
    assert "does not match the code_challenge" in found["cause"]
    assert '"code_challenge_method": "S256"' in found["snippet"]
    assert response.get_json()["details"]["PKCE code_verifier"] == "sent"
    assert len(emulator.authorize_requests) == 1


@pytest.mark.parametrize("name", ["gitlab", "keycloak"])
def test_an_ambiguous_refusal_restarts_once_then_names_its_causes(
    name: str, servers: dict[str, ProviderEmulator], caplog: pytest.LogCaptureFixture
) -> None:
    emulator = servers[name]
    emulator.reject_next_codes(2)

    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        response, visited = sign_in(emulator, make_app(emulator).test_client())

    assert authorizations(emulator, visited) == 2
    body = response.get_json()
    assert (response.status_code, body["error"]) == (500, "restarts_exhausted")
    assert diagnosis(response) == ["token.invalid_grant_repeated"]
    found = finding(response, "token.invalid_grant_repeated")
    assert "2 times in a row" in found["cause"]
    assert "Both steps sent the redirect URI http://localhost/callback" in found["fix"]
    assert "PKCE is off" in found["fix"]
    details = body["details"]
    assert details["redirect_uri at the authorization step"] == (
        "http://localhost/callback"
    )
    assert details["redirect_uri at the token step"] == "http://localhost/callback"
    assert details["PKCE code_verifier"] == "not sent"
    assert "token.invalid_grant_repeated" in caplog.records[-1].getMessage()


def test_a_redirect_uri_differing_between_the_steps_is_named(
    servers: dict[str, ProviderEmulator],
) -> None:
    emulator = servers["gitlab"]
    app = make_app(
        emulator,
        client_overrides={"redirect_uri": "http://localhost/callback"},
        token_redirect_uri="http://localhost/callback/other",
    )

    response, visited = sign_in(emulator, app.test_client())

    assert authorizations(emulator, visited) == 2
    assert response.get_json()["error"] == "restarts_exhausted"
    found = finding(response, "token.invalid_grant_repeated")
    assert (
        "http://localhost/callback to the authorization endpoint and "
        "http://localhost/callback/other to the token endpoint"
    ) in found["fix"]
    assert found["snippet"] == "token = oauth.gitlab.authorize_access_token()"
    details = response.get_json()["details"]
    assert details["redirect_uri at the token step"] == (
        "http://localhost/callback/other"
    )


def test_pkce_on_is_said_when_gitlab_refuses_the_verifier(
    servers: dict[str, ProviderEmulator],
) -> None:
    emulator = servers["gitlab"]
    app = make_app(emulator, client_overrides=PKCE_KWARGS)

    response = login_tampered(emulator, app.test_client(), code_verifier="y" * 64)

    found = finding(response, "token.invalid_grant_repeated")
    assert "PKCE is on" in found["fix"]
    assert response.get_json()["details"]["PKCE code_verifier"] == "sent"


def test_a_plain_used_code_restarts_freely_where_the_code_is_not_ambiguous(
    servers: dict[str, ProviderEmulator],
) -> None:
    emulator = servers["google"]
    emulator.reject_next_codes(2)

    response, visited = sign_in(emulator, make_app(emulator).test_client())

    assert response.text == "signed in"
    assert authorizations(emulator, visited) == 3


# -- the provider that answered ------------------------------------------------------


def test_pages_and_json_name_the_provider(emulator: ProviderEmulator) -> None:
    emulator.fail_next_token_requests(502, "<html>Bad gateway</html>")
    app = make_app(emulator, name="corp")

    response, _ = sign_in(emulator, app.test_client())
    emulator.fail_next_token_requests(502, "<html>Bad gateway</html>")
    page, _ = sign_in(emulator, app.test_client(), accept="text/html")

    assert response.get_json()["provider"] == emulator.profile
    assert f"<h1>{SHOWN[emulator.profile]} is not responding</h1>" in page.text


def test_an_error_uri_to_the_providers_documentation_is_a_link(
    servers: dict[str, ProviderEmulator],
) -> None:
    emulator = servers["microsoft"]
    uri = "https://learn.microsoft.com/entra/identity-platform/reference-error-codes"
    body = (
        '{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid '
        f'client secret provided.", "error_codes": [7000215], "error_uri": "{uri}"}}'
    )
    emulator.fail_next_token_requests(401, body, "application/json; charset=utf-8")

    page, _ = sign_in(emulator, make_app(emulator).test_client(), accept="text/html")

    assert f'<a href="{uri}"' in page.text


class GatewayKeycloak(KeycloakDialect):
    """A Keycloak realm published by a gateway under paths of its own."""

    @property
    def realm_path(self) -> str:
        return "/sso"


@pytest.fixture(scope="module")
def gateway() -> Iterator[ProviderEmulator]:
    with ProviderEmulator(profile=GatewayKeycloak()) as server:
        yield server


@pytest.mark.parametrize("how", ["decorator", "config"])
def test_the_app_names_the_profile_the_endpoints_do_not_show(
    how: str, gateway: ProviderEmulator
) -> None:
    gateway.reset()
    gateway.reject_next_codes(2)
    if how == "decorator":
        app = make_app(gateway, name="corp", provider="keycloak")
    else:
        app = make_app(
            gateway, name="corp", OAUTH_RECOVER_PROVIDERS={"corp": "keycloak"}
        )

    response, _ = sign_in(gateway, app.test_client())

    body = response.get_json()
    assert body["provider"] == "keycloak"
    assert diagnosis(response) == ["token.invalid_grant_repeated"]


def test_without_a_name_the_gateway_gets_the_baseline(
    gateway: ProviderEmulator,
) -> None:
    gateway.reset()
    gateway.fail_next_token_requests(503, "<html>down</html>")
    app = make_app(gateway, name="corp")

    response, _ = sign_in(gateway, app.test_client())

    assert response.get_json()["provider"] == "oauth2"
    gateway.fail_next_token_requests(503, "<html>down</html>")
    page, _ = sign_in(gateway, app.test_client(), accept="text/html")
    assert "<h1>Corp is not responding</h1>" in page.text


def test_an_unknown_profile_name_is_refused(
    servers: dict[str, ProviderEmulator],
) -> None:
    with pytest.raises(ValueError, match="unknown provider profile 'gitlub'"):
        make_app(servers["gitlab"], OAUTH_RECOVER_PROVIDERS={"gitlab": "gitlub"})
    app = make_app(servers["gitlab"])
    app.config["OAUTH_RECOVER_PROVIDERS"] = {"gitlab": "gitlub"}

    with app.test_request_context():
        client = app.extensions["authlib.integrations.flask_client"].gitlab
        with pytest.raises(ValueError, match="unknown provider profile 'gitlub'"):
            provider_of(client, "gitlab")


def test_self_managed_gitlab_is_recognized_by_its_paths(
    servers: dict[str, ProviderEmulator],
) -> None:
    emulator = servers["gitlab"]
    app = make_app(emulator, name="git")

    with app.test_request_context():
        client = app.extensions["authlib.integrations.flask_client"].git
        client.load_server_metadata()
        match = provider_of(client, "git")

    assert (match.profile.name, match.display_name, match.certain) == (
        "gitlab",
        "GitLab",
        False,
    )
