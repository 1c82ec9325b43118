"""The second wave's own ways, against the emulator over real loopback HTTP:
Slack's HTTP 200 errors and user tokens, Facebook's error objects, Auth0's
401 ``access_denied``, Okta's worded ``invalid_grant``, Discord's answers,
and Sign in with Apple's form_post callback, cancel and JWT client secret.
Each test asserts what the user or the operator sees: the status, the page,
the JSON, the log line, the signal."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask import url_for
from flask.testing import FlaskClient
from markupsafe import escape
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover.diagnose import fingerprint
from flask_oauth_recover.testing import AppleDialect
from flask_oauth_recover.testing import ProviderEmulator
from flask_oauth_recover.testing.dialect import read_form_post

from .apps.profile_app import make_app
from .conftest import SignalRecorder

WAVE_2 = ["apple", "slack", "facebook", "okta", "discord", "auth0"]
JSON = "application/json"
HTML = "text/html"
REDIRECTS = frozenset({301, 302, 303, 307, 308})


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, ProviderEmulator]]:
    emulators = {name: ProviderEmulator(profile=name).start() for name in WAVE_2}
    yield emulators
    for emulator in emulators.values():
        emulator.stop()


@pytest.fixture
def fresh(
    servers: dict[str, ProviderEmulator],
) -> Iterator[dict[str, ProviderEmulator]]:
    for server in servers.values():
        server.reset()
    yield servers
    for server in servers.values():
        server.callback_url = None
        server.reset()


def sign_in(
    emulator: ProviderEmulator, client: FlaskClient, accept: str = JSON
) -> tuple[TestResponse, list[str]]:
    client.environ_base["HTTP_ACCEPT"] = accept
    return emulator.follow(client, client.get("/login"))


def ids(response: TestResponse) -> list[str]:
    return [finding["id"] for finding in response.get_json()["diagnosis"]]


def finding(response: TestResponse, finding_id: str) -> dict[str, str]:
    [found] = [f for f in response.get_json()["diagnosis"] if f["id"] == finding_id]
    return found  # type: ignore[no-any-return]


def authorizations(emulator: ProviderEmulator, visited: list[str]) -> int:
    return sum(url.startswith(emulator.authorize_url) for url in visited)


def last_log(caplog: pytest.LogCaptureFixture) -> str:
    records = [r for r in caplog.records if r.name == "flask_oauth_recover"]
    return records[-1].getMessage()


# -- Slack: HTTP 200 errors, and a user token under authed_user -------------------


def test_slacks_used_code_restarts_instead_of_a_500(
    fresh: dict[str, ProviderEmulator], caplog: pytest.LogCaptureFixture
) -> None:
    slack = fresh["slack"]
    slack.reject_next_codes(1)

    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        response, visited = sign_in(slack, make_app(slack).test_client())

    assert response.text == "signed in"
    assert authorizations(slack, visited) == 2
    restart = next(r.getMessage() for r in caplog.records if "restarted" in r.message)
    assert 'restarted ("invalid_code")' in restart
    assert "(HTTP 200)" in restart


def test_slacks_bad_client_secret_gets_the_credentials_page(
    fresh: dict[str, ProviderEmulator],
) -> None:
    slack = fresh["slack"]
    app = make_app(slack, client_overrides={"client_secret": "0" * 32})

    response, visited = sign_in(slack, app.test_client())

    assert authorizations(slack, visited) == 1
    assert response.status_code == 500
    body = response.get_json()
    assert (body["error"], body["provider"]) == ("bad_client_secret", "slack")
    assert ids(response) == ["credentials.rejected"]
    assert finding(response, "credentials.rejected")["console"] == (
        "https://api.slack.com/apps"
    )


def test_slacks_bad_redirect_uri_names_where_to_register_it(
    fresh: dict[str, ProviderEmulator],
) -> None:
    slack = fresh["slack"]
    app = make_app(
        slack,
        client_overrides={"redirect_uri": "http://localhost/callback"},
        token_redirect_uri="http://localhost/callback/other",
    )

    response, visited = sign_in(slack, app.test_client())

    assert authorizations(slack, visited) == 1
    assert response.status_code == 500
    assert response.get_json()["error"] == "bad_redirect_uri"
    register = finding(response, "redirect_uri.register")
    assert '"OAuth & Permissions"' in register["fix"]


@pytest.mark.parametrize(
    ("authorize_params", "bot"),
    [
        ({"user_scope": "identity.basic,identity.email"}, False),
        ({"user_scope": "identity.basic", "scope": "chat:write"}, True),
    ],
    ids=["user scope only", "bot and user scopes"],
)
def test_a_slack_user_token_under_authed_user_signs_in(
    fresh: dict[str, ProviderEmulator], authorize_params: dict[str, str], bot: bool
) -> None:
    slack = fresh["slack"]
    tokens: list[dict[str, Any]] = []
    app = make_app(slack, client_overrides={"authorize_params": authorize_params})
    oauth = app.extensions["authlib.integrations.flask_client"]

    @app.route("/whoami")
    def whoami() -> Any:
        token = tokens[-1]
        user_token = token["authed_user"]["access_token"]
        return oauth.slack.get(
            "users.identity", token={"access_token": user_token, "token_type": "bearer"}
        ).json()

    original = oauth.slack.authorize_access_token

    def keep(**kwargs: Any) -> Any:
        tokens.append(original(**kwargs))
        return tokens[-1]

    oauth.slack.authorize_access_token = keep
    client = app.test_client()

    response, _ = sign_in(slack, client)

    assert response.text == "signed in"
    [token] = tokens
    assert ("access_token" in token) is bot
    assert token["authed_user"]["access_token"].startswith("xoxp-")
    identity = client.get("/whoami").get_json()
    assert identity["ok"] is True
    assert identity["user"]["id"].startswith("U")


def test_a_slack_answer_with_no_token_anywhere_is_unavailable(
    fresh: dict[str, ProviderEmulator],
) -> None:
    slack = fresh["slack"]
    slack.fail_next_token_requests(
        200, '{"ok": true, "authed_user": {"id": "U1"}}', JSON
    )

    response, _ = sign_in(slack, make_app(slack).test_client())

    assert response.status_code == 503
    assert response.get_json()["error"] == "provider_bad_response"


# -- Facebook: Graph API error objects ------------------------------------------------


def test_facebooks_used_code_restarts_instead_of_a_503(
    fresh: dict[str, ProviderEmulator], caplog: pytest.LogCaptureFixture
) -> None:
    facebook = fresh["facebook"]
    facebook.reject_next_codes(2)

    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        response, visited = sign_in(facebook, make_app(facebook).test_client())

    assert response.text == "signed in"
    assert authorizations(facebook, visited) == 3
    restarts = [r.getMessage() for r in caplog.records if "restarted" in r.message]
    assert len(restarts) == 2
    assert '"provider\'s own error code"="error_subcode 36009"' in restarts[0]


def test_facebooks_expired_code_restarts(fresh: dict[str, ProviderEmulator]) -> None:
    facebook = fresh["facebook"]
    client = make_app(facebook).test_client()
    client.environ_base["HTTP_ACCEPT"] = JSON
    authorize = client.get("/login")
    answer = requests.get(authorize.location, allow_redirects=False, timeout=10)
    facebook.advance_clock(facebook.code_lifetime + 1)

    restart = client.get(answer.headers["Location"])

    assert restart.status_code == 302
    assert restart.location.startswith(facebook.authorize_url)
    assert facebook.token_requests and len(facebook.token_requests) == 1


@pytest.mark.parametrize(
    ("body", "kind", "error", "code"),
    [
        (
            {"message": "Error validating client secret.", "type": "OAuthException",
             "code": 1, "fbtrace_id": "AbC"},
            "credentials.rejected",
            "OAuthException",
            "code 1",
        ),
        (
            {"message": "Error validating verification code. Please make sure your "
             "redirect_uri is identical to the one you used in the OAuth dialog "
             "request", "type": "OAuthException", "code": 100,
             "error_subcode": 36008, "fbtrace_id": "AbC"},
            "redirect_uri.register",
            "OAuthException",
            "error_subcode 36008",
        ),
    ],
    ids=["code 1", "subcode 36008"],
)  # fmt: skip
def test_facebooks_configuration_errors_get_the_page_that_names_the_fix(
    fresh: dict[str, ProviderEmulator],
    body: dict[str, Any],
    kind: str,
    error: str,
    code: str,
    signals: SignalRecorder,
) -> None:
    facebook = fresh["facebook"]
    facebook.fail_next_token_requests(400, json.dumps({"error": body}), JSON)

    response, visited = sign_in(facebook, make_app(facebook).test_client())

    assert response.status_code == 500
    answer = response.get_json()
    assert (answer["error"], answer["provider"]) == (error, "facebook")
    assert answer["details"]["provider's own error code"] == code
    assert kind in ids(response)
    assert authorizations(facebook, visited) == 1
    assert signals.names == ["configuration_error"]


def test_facebooks_free_text_never_decides(fresh: dict[str, ProviderEmulator]) -> None:
    facebook = fresh["facebook"]
    error = {
        "message": "This authorization code has been used.",
        "type": "OAuthException",
        "code": 100,
        "fbtrace_id": "AbC",
    }
    facebook.fail_next_token_requests(400, json.dumps({"error": error}), JSON)

    response, visited = sign_in(facebook, make_app(facebook).test_client())

    # Code 100 without a subcode this profile knows: never a restart loop.
    assert response.status_code == 500
    assert authorizations(facebook, visited) == 1


def test_facebooks_cancel_gets_the_cancelled_page(
    fresh: dict[str, ProviderEmulator], signals: SignalRecorder
) -> None:
    facebook = fresh["facebook"]
    facebook.deny_next_authorizations()

    response, _ = sign_in(facebook, make_app(facebook).test_client(), accept=HTML)

    assert response.status_code == 403
    assert "You chose not to sign in with Facebook." in response.text
    assert signals.names == ["login_cancelled"]


# -- Auth0: 401 access_denied is a bad credential, not a cancel ------------------------


def test_auth0s_401_access_denied_is_a_credentials_error(
    fresh: dict[str, ProviderEmulator],
    signals: SignalRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    auth0 = fresh["auth0"]
    wrong = "x" + auth0.client_secret[1:]
    app = make_app(auth0, client_overrides={"client_secret": wrong})

    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        response, _ = sign_in(auth0, app.test_client())
        page, _ = sign_in(auth0, app.test_client(), accept=HTML)

    assert response.status_code == 500
    body = response.get_json()
    assert (body["error"], body["provider"]) == ("access_denied", "auth0")
    assert ids(response) == ["credentials.rejected"]
    rejected = finding(response, "credentials.rejected")
    assert "Auth0 refused the client credentials" in rejected["cause"]
    assert rejected["console"] == "https://manage.auth0.com/#/applications"
    assert "You chose not to sign in" not in page.text
    assert str(escape("Auth0 refused this site's sign-in request")) in page.text
    assert signals.names == ["configuration_error", "configuration_error"]
    assert "Diagnosis: credentials.rejected." in last_log(caplog)
    assert wrong not in page.text and wrong not in last_log(caplog)


def test_auth0s_cancel_is_a_cancel(
    fresh: dict[str, ProviderEmulator], signals: SignalRecorder
) -> None:
    auth0 = fresh["auth0"]
    auth0.deny_next_authorizations()

    response, _ = sign_in(auth0, make_app(auth0).test_client())

    assert response.status_code == 403
    assert response.get_json()["error"] == "access_denied"
    assert signals.names == ["login_cancelled"]


def test_auth0s_wrong_redirect_uri_names_the_allowed_callbacks(
    fresh: dict[str, ProviderEmulator],
) -> None:
    auth0 = fresh["auth0"]
    app = make_app(
        auth0,
        client_overrides={"redirect_uri": "http://localhost/callback"},
        token_redirect_uri="http://localhost/callback/other",
    )

    response, visited = sign_in(auth0, app.test_client())

    assert authorizations(auth0, visited) == 1
    assert response.get_json()["error"] == "unauthorized_client"
    assert "Allowed Callback URLs" in finding(response, "redirect_uri.register")["fix"]


# -- Okta and Auth0: words that split one invalid_grant --------------------------------


@pytest.mark.parametrize("name", ["okta", "auth0"])
def test_a_pkce_failure_is_named_and_never_restarted(
    name: str, fresh: dict[str, ProviderEmulator]
) -> None:
    emulator = fresh[name]
    pkce = {"client_kwargs": {"code_challenge_method": "S256", "scope": "openid"}}
    client = make_app(emulator, client_overrides=pkce).test_client()
    client.environ_base["HTTP_ACCEPT"] = JSON
    authorize = client.get("/login")
    with client.session_transaction() as stored:
        for key in [k for k in stored if k.startswith(f"_state_{name}_")]:
            entry = dict(stored[key])
            entry["data"] = {**entry["data"], "code_verifier": "v" * 64}
            stored[key] = entry
    answer = requests.get(authorize.location, allow_redirects=False, timeout=10)

    response = client.get(answer.headers["Location"])

    assert response.status_code == 500
    assert ids(response) == ["pkce.mismatch"]
    assert len(emulator.authorize_requests) == 1


def test_oktas_redirect_uri_mismatch_is_not_restarted(
    fresh: dict[str, ProviderEmulator], signals: SignalRecorder
) -> None:
    okta = fresh["okta"]
    app = make_app(
        okta,
        client_overrides={"redirect_uri": "http://localhost/callback"},
        token_redirect_uri="http://localhost/callback/other",
    )

    response, visited = sign_in(okta, app.test_client())

    # invalid_grant, but Okta's words say it is the redirect URI.
    assert authorizations(okta, visited) == 1
    assert response.status_code == 500
    assert response.get_json()["error"] == "invalid_grant"
    assert "Sign-in redirect URIs" in finding(response, "redirect_uri.register")["fix"]
    assert signals.names == ["configuration_error"]


# -- Discord --------------------------------------------------------------------------


def test_discords_bare_invalid_client_names_the_portal_page(
    fresh: dict[str, ProviderEmulator],
) -> None:
    discord = fresh["discord"]
    app = make_app(discord, client_overrides={"client_secret": "A" * 32})

    response, _ = sign_in(discord, app.test_client())

    assert response.status_code == 500
    assert response.get_json()["error"] == "invalid_client"
    assert finding(response, "credentials.rejected")["console"] == (
        f"https://discord.com/developers/applications/{discord.client_id}/oauth2"
    )


def test_discords_expired_code_restarts(fresh: dict[str, ProviderEmulator]) -> None:
    discord = fresh["discord"]
    client = make_app(discord).test_client()
    client.environ_base["HTTP_ACCEPT"] = JSON
    authorize = client.get("/login")
    answer = requests.get(authorize.location, allow_redirects=False, timeout=10)
    # Discord's codes live 100 seconds.
    discord.advance_clock(101)

    restart = client.get(answer.headers["Location"])
    response, _ = discord.follow(client, restart)

    assert restart.location.startswith(discord.authorize_url)
    assert response.text == "signed in"


# -- Sign in with Apple: form_post, its cancel, its JWT client secret ------------------


def apple(fresh: dict[str, ProviderEmulator]) -> tuple[ProviderEmulator, AppleDialect]:
    emulator = fresh["apple"]
    assert isinstance(emulator.dialect, AppleDialect)
    return emulator, emulator.dialect


def test_apple_posts_the_callback_and_signs_in(
    fresh: dict[str, ProviderEmulator],
) -> None:
    emulator, _ = apple(fresh)
    client = make_app(emulator).test_client()
    client.environ_base["HTTP_ACCEPT"] = JSON
    authorize = client.get("/login")

    answer = requests.get(authorize.location, allow_redirects=False, timeout=10)
    posted = read_form_post(answer.text)
    assert posted is not None
    action, fields = posted
    response = client.post(action, data=MultiDict(fields))

    assert (answer.status_code, response.status_code) == (200, 302)
    assert [name for name, _ in fields] == ["state", "code"]
    assert client.get(response.location).text == "signed in"


@pytest.mark.parametrize("samesite", [None, "Lax"], ids=["cookie back", "cookie lost"])
def test_apples_posted_cancel_gets_the_cancelled_page(
    fresh: dict[str, ProviderEmulator], samesite: str | None, signals: SignalRecorder
) -> None:
    emulator, _ = apple(fresh)
    emulator.deny_next_authorizations()
    app = make_app(emulator, SESSION_COOKIE_SAMESITE=samesite)

    response, _ = sign_in(emulator, app.test_client(), accept=HTML)

    assert response.request.method == "POST"
    assert response.status_code == 403
    assert "You chose not to sign in with Apple." in response.text
    assert signals.names == ["login_cancelled"]


@pytest.mark.parametrize("samesite", ["Lax", "Strict"])
def test_a_posted_callback_without_the_cookie_names_samesite(
    fresh: dict[str, ProviderEmulator],
    samesite: str,
    caplog: pytest.LogCaptureFixture,
    signals: SignalRecorder,
) -> None:
    emulator, _ = apple(fresh)
    app = make_app(emulator, SESSION_COOKIE_SAMESITE=samesite)

    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        response, visited = sign_in(emulator, app.test_client())

    # Two restarts, each posted back without the cookie: the bound holds.
    assert authorizations(emulator, visited) == 3
    assert response.status_code == 500
    assert response.get_json()["error"] == "restarts_exhausted"
    assert ids(response) == ["session.form_post_samesite"]
    found = finding(response, "session.form_post_samesite")
    assert f"SameSite={samesite}" in found["cause"]
    assert 'SESSION_COOKIE_SAMESITE"] = "None"' in found["snippet"]
    assert "Diagnosis: session.form_post_samesite." in last_log(caplog)
    assert signals.names == [
        "authorization_restarted",
        "authorization_restarted",
        "restarts_exhausted",
    ]


def test_a_posted_callback_with_samesite_none_signs_in(
    fresh: dict[str, ProviderEmulator],
) -> None:
    emulator, _ = apple(fresh)
    app = make_app(emulator, SESSION_COOKIE_SAMESITE="None", SESSION_COOKIE_SECURE=True)

    response, visited = sign_in(emulator, app.test_client())

    assert response.text == "signed in"
    assert authorizations(emulator, visited) == 1


def test_an_expired_apple_secret_is_named_with_its_date(
    fresh: dict[str, ProviderEmulator],
) -> None:
    emulator, dialect = apple(fresh)
    issued = time.time() - 200 * 86400
    secret = dialect.client_secret(issued_at=issued, lifetime=180 * 86400)
    app = make_app(emulator, client_overrides={"client_secret": secret})

    response, _ = sign_in(emulator, app.test_client())
    page, _ = sign_in(emulator, app.test_client(), accept=HTML)

    assert response.status_code == 500
    body = response.get_json()
    assert (body["error"], body["provider"]) == ("invalid_client", "apple")
    assert ids(response) == ["credentials.expired"]
    expired = finding(response, "credentials.expired")
    date = time.strftime("%Y-%m-%d", time.gmtime(int(issued) + 180 * 86400))
    assert f"expired on {date}" in expired["cause"]
    assert "ES256" in expired["fix"]
    assert expired["console"] == (
        "https://developer.apple.com/account/resources/authkeys/list"
    )
    # The secret itself appears nowhere: its length and fingerprint do.
    assert secret not in page.text and secret not in response.text
    assert body["details"]["client_secret SHA-256"] == fingerprint(secret)
    assert body["details"]["client_secret length"] == str(len(secret))


def test_the_emulators_clock_expires_apples_secret(
    fresh: dict[str, ProviderEmulator],
) -> None:
    emulator, _ = apple(fresh)
    emulator.advance_clock(181 * 86400)

    response, _ = sign_in(emulator, make_app(emulator).test_client())

    assert response.status_code == 500
    assert response.get_json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda d: d.client_secret("com.example.other"),
         "sub claim is com.example.other, but the client_id is com.example.web"),
        (lambda d: d.client_secret(claims={"aud": "https://example.com"}),
         "aud claim is https://example.com"),
        (lambda d: d.client_secret(lifetime=200 * 86400),
         "valid for 200 days"),
        (lambda d: d.client_secret(claims={"iss": None}),
         "lacks the claims iss"),
    ],
    ids=["sub", "aud", "lifetime", "iss missing"],
)  # fmt: skip
def test_apples_jwt_claims_are_read_offline(
    fresh: dict[str, ProviderEmulator], make: Any, words: str
) -> None:
    emulator, dialect = apple(fresh)
    secret = make(dialect)
    app = make_app(emulator, client_overrides={"client_secret": secret})

    response, _ = sign_in(emulator, app.test_client())

    assert response.status_code == 500
    assert ids(response) == ["credentials.jwt_claims"]
    assert words in finding(response, "credentials.jwt_claims")["cause"]
    assert secret not in response.text


def test_an_apple_secret_signed_by_another_key_is_rejected_with_apples_causes(
    fresh: dict[str, ProviderEmulator],
) -> None:
    emulator, _ = apple(fresh)
    # Every claim in order, but another team's key signed it.
    secret = AppleDialect().client_secret()
    app = make_app(emulator, client_overrides={"client_secret": secret})

    response, _ = sign_in(emulator, app.test_client())

    assert ids(response) == ["credentials.rejected"]
    rejected = finding(response, "credentials.rejected")
    assert "signed by another key" in rejected["cause"]
    assert "kid header" in rejected["fix"]


def test_the_p8_key_pasted_as_apples_secret(fresh: dict[str, ProviderEmulator]) -> None:
    emulator, dialect = apple(fresh)
    key = dialect.private_key_pem
    app = make_app(emulator, client_overrides={"client_secret": key})

    response, _ = sign_in(emulator, app.test_client())

    assert response.status_code == 500
    shape = finding(response, "credentials.shape")
    assert "is a private key" in shape["cause"]
    assert "MIG" not in response.text and key not in response.text


def test_apple_refuses_name_and_email_without_form_post(
    fresh: dict[str, ProviderEmulator],
) -> None:
    emulator, _ = apple(fresh)
    app = make_app(emulator, client_overrides={"authorize_params": {}})
    client = app.test_client()

    authorize = client.get("/login")
    answer = requests.get(authorize.location, allow_redirects=False, timeout=10)

    assert answer.status_code == 400
    assert "response_mode must be form_post" in answer.text


def test_no_secret_of_any_second_wave_provider_is_ever_shown(
    fresh: dict[str, ProviderEmulator],
) -> None:
    for name, emulator in fresh.items():
        wrong = emulator.client_secret[:-3] + "zzz"
        app = make_app(emulator, client_overrides={"client_secret": wrong})
        for accept in (JSON, HTML):
            response, _ = sign_in(emulator, app.test_client(), accept=accept)
            assert response.status_code == 500, name
            assert wrong not in response.text, name
            assert emulator.client_secret not in response.text, name
            assert re.search(r"client_secret", response.text), name


def test_a_stand_in_names_apple_for_an_app_registered_with_apples_own_urls(
    fresh: dict[str, ProviderEmulator], signals: SignalRecorder
) -> None:
    emulator, _ = apple(fresh)
    app = Flask(__name__)
    app.config.update(SECRET_KEY="apple-test", TESTING=True)
    oauth = OAuth(app)
    # As an app registers Sign in with Apple for production.
    oauth.register(
        "apple",
        client_id="com.example.web",
        client_secret="eyJhbGciOiJFUzI1NiJ9.e30.c2lnbmF0dXJl",
        server_metadata_url="https://appleid.apple.com/.well-known/openid-configuration",
        authorize_params={"response_mode": "form_post"},
        client_kwargs={"scope": "openid name email"},
    )
    recover = OAuthRecover(app)

    @app.get("/login")
    def login() -> Any:
        redirect_uri = url_for("callback", _external=True)
        return oauth.apple.authorize_redirect(redirect_uri)

    @app.post("/callback")
    @recover.callback("apple")
    def callback() -> str:
        oauth.apple.authorize_access_token()
        return "signed in"

    emulator.deny_next_authorizations()
    with emulator.stand_in_for(app, "apple"):
        assert app.config["OAUTH_RECOVER_PROVIDERS"] == {"apple": "apple"}
        response, _ = sign_in(emulator, app.test_client())
        signed_in, _ = sign_in(emulator, app.test_client())

    assert response.status_code == 403
    assert response.get_json()["provider"] == "apple"
    assert signed_in.text == "signed in"
    assert app.config["OAUTH_RECOVER_PROVIDERS"] == {}
