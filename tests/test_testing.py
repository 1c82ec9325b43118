"""Tests for :mod:`flask_oauth_recover.testing`, over real loopback HTTP."""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

import pytest
import requests
from authlib.integrations.flask_client import OAuth
from authlib.integrations.flask_client import OAuthError
from flask import Flask
from flask import redirect
from flask import url_for
from werkzeug.test import Client

from flask_oauth_recover.testing import CODE_LIFETIME
from flask_oauth_recover.testing import DEFAULT_CLIENT_ID
from flask_oauth_recover.testing import DEFAULT_CLIENT_SECRET
from flask_oauth_recover.testing import ProviderEmulator

CALLBACK = "http://localhost:5000/oauth/callback"
DOCS = "https://docs.github.com/apps/managing-oauth-apps/"
TOKEN_DOCS = DOCS + "troubleshooting-oauth-app-access-token-request-errors/"
AUTHORIZE_DOCS = DOCS + "troubleshooting-authorization-request-errors/"
BAD_CODE = {
    "error": "bad_verification_code",
    "error_description": "The code passed is incorrect or expired.",
    "error_uri": TOKEN_DOCS + "#bad-verification-code",
}
BAD_CLIENT = {
    "error": "incorrect_client_credentials",
    "error_description": "The client_id and/or client_secret passed are incorrect.",
    "error_uri": TOKEN_DOCS + "#incorrect-client-credentials",
}
MISMATCH_DESCRIPTION = (
    "The redirect_uri MUST match the registered callback URL for this application."
)
TOKEN_MISMATCH = {
    "error": "redirect_uri_mismatch",
    "error_description": MISMATCH_DESCRIPTION,
    "error_uri": AUTHORIZE_DOCS + "#redirect-uri-mismatch2",
}


@pytest.fixture
def provider() -> Iterator[ProviderEmulator]:
    with ProviderEmulator(callback_url=CALLBACK) as emulator:
        yield emulator


def authorize(provider: ProviderEmulator, **params: str) -> requests.Response:
    query = {"client_id": provider.client_id, "state": "xyz", **params}
    return requests.get(
        provider.authorize_url, params=query, allow_redirects=False, timeout=5
    )


def location_query(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302
    return dict(parse_qsl(urlsplit(response.headers["Location"]).query))


def issue_code(provider: ProviderEmulator, **params: str) -> str:
    return location_query(authorize(provider, **params))["code"]


def exchange(
    provider: ProviderEmulator,
    code: str,
    *,
    accept: str | None = "application/json",
    **form: str,
) -> requests.Response:
    data = {
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "code": code,
        **form,
    }
    headers = {"Accept": accept} if accept else {}
    return requests.post(provider.token_url, data=data, headers=headers, timeout=5)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def post_fault(provider: ProviderEmulator, payload: Any) -> requests.Response:
    return requests.post(
        f"{provider.base_url}/_emulator/faults", json=payload, timeout=5
    )


# -- lifecycle and addresses -------------------------------------------------


def test_serves_on_loopback_with_github_paths(provider: ProviderEmulator) -> None:
    port = urlsplit(provider.base_url).port
    assert provider.base_url == f"http://127.0.0.1:{port}"
    assert provider.authorize_url == provider.base_url + "/login/oauth/authorize"
    assert provider.token_url == provider.base_url + "/login/oauth/access_token"
    assert provider.api_base_url == provider.base_url + "/api/"
    health = requests.get(provider.base_url + "/_emulator/health", timeout=5)
    assert (health.status_code, health.text) == (200, "ok")


def test_start_on_fixed_port_and_stop_closes_it() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    emulator = ProviderEmulator().start(port=port)
    try:
        assert emulator.base_url == f"http://127.0.0.1:{port}"
        with pytest.raises(RuntimeError):
            emulator.start()
    finally:
        emulator.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/_emulator/health", timeout=5)
    with pytest.raises(RuntimeError):
        emulator.base_url  # noqa: B018
    emulator.stop()


def test_wsgi_app_works_without_a_server() -> None:
    response = Client(ProviderEmulator().wsgi_app).get("/_emulator/health")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"


def test_client_kwargs_fit_authlib_register(provider: ProviderEmulator) -> None:
    assert provider.client_kwargs() == {
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "authorize_url": provider.authorize_url,
        "access_token_url": provider.token_url,
        "api_base_url": provider.api_base_url,
        "client_kwargs": {"scope": "read:user"},
    }
    assert len(DEFAULT_CLIENT_SECRET) == 40
    int(DEFAULT_CLIENT_SECRET, 16)


# -- authorize ---------------------------------------------------------------


def test_authorize_redirects_with_code_and_state(provider: ProviderEmulator) -> None:
    response = authorize(provider, redirect_uri=CALLBACK, scope="read:user")
    location = response.headers["Location"]
    assert location.startswith(CALLBACK + "?")
    query = location_query(response)
    assert query["state"] == "xyz"
    assert len(query["code"]) == 20
    int(query["code"], 16)
    assert provider.authorize_requests[-1]["redirect_uri"] == CALLBACK


def test_authorize_keeps_existing_query(provider: ProviderEmulator) -> None:
    response = authorize(provider, redirect_uri=CALLBACK + "?next=%2Fhome")
    location = response.headers["Location"]
    assert location.startswith(CALLBACK + "?next=%2Fhome&code=")
    assert location_query(response)["next"] == "/home"


def test_authorize_without_redirect_uri_uses_callback(
    provider: ProviderEmulator,
) -> None:
    response = authorize(provider)
    assert response.headers["Location"].startswith(CALLBACK + "?code=")


def test_authorize_unknown_client_is_404(provider: ProviderEmulator) -> None:
    response = authorize(provider, client_id="Iv1.unknown")
    assert response.status_code == 404
    assert "Location" not in response.headers


@pytest.mark.parametrize(
    "redirect_uri",
    [
        CALLBACK,
        CALLBACK + "/",
        CALLBACK + "/deeper/still",
        CALLBACK + "?next=/x",
        "HTTP://LOCALHOST:5000/oauth/callback",
    ],
)
def test_redirect_uri_at_or_below_callback_is_accepted(
    provider: ProviderEmulator, redirect_uri: str
) -> None:
    response = authorize(provider, redirect_uri=redirect_uri)
    assert "code" in location_query(response)


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://localhost:5001/oauth/callback",
        "http://localhost/oauth/callback",
        "http://127.0.0.1:5000/oauth/callback",
        "https://localhost:5000/oauth/callback",
        "http://localhost:5000/oauth/callbackx",
        "http://localhost:5000/oauth",
        "http://localhost:5000/other",
        "http://localhost:5000/oauth/callback/../../evil",
        "http://evil@localhost:5000/oauth/callback",
    ],
)
def test_redirect_uri_mismatch_redirects_to_registered_callback(
    provider: ProviderEmulator, redirect_uri: str
) -> None:
    response = authorize(provider, redirect_uri=redirect_uri)
    assert response.headers["Location"].startswith(CALLBACK + "?error=")
    assert location_query(response) == {
        "error": "redirect_uri_mismatch",
        "error_description": MISMATCH_DESCRIPTION,
        "error_uri": AUTHORIZE_DOCS + "#redirect-uri-mismatch",
        "state": "xyz",
    }


def test_without_callback_url_any_redirect_uri_is_accepted() -> None:
    with ProviderEmulator() as emulator:
        response = authorize(emulator, redirect_uri="https://anywhere.test/cb")
        assert response.headers["Location"].startswith("https://anywhere.test/cb?")
        no_uri = authorize(emulator)
        assert no_uri.status_code == 400


# -- token -------------------------------------------------------------------


def test_token_success_as_json(provider: ProviderEmulator) -> None:
    code = issue_code(provider, redirect_uri=CALLBACK, scope="read:user")
    response = exchange(provider, code, redirect_uri=CALLBACK)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "scope"}
    assert body["access_token"].startswith("gho_")
    assert body["token_type"] == "bearer"
    assert body["scope"] == "read:user"


def test_token_success_form_encoded_without_json_accept(
    provider: ProviderEmulator,
) -> None:
    code = issue_code(provider, scope="read:user user:email")
    response = exchange(provider, code, accept=None)
    assert response.headers["Content-Type"] == (
        "application/x-www-form-urlencoded; charset=utf-8"
    )
    assert response.text.startswith("access_token=gho_")
    body = parse_qs(response.text)
    assert body["token_type"] == ["bearer"]
    assert body["scope"] == ["read:user,user:email"]


def test_token_error_form_encoded(provider: ProviderEmulator) -> None:
    response = exchange(provider, "nope", accept="*/*")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(
        "application/x-www-form-urlencoded"
    )
    assert response.text.startswith("error=bad_verification_code&error_description=")
    assert dict(parse_qsl(response.text)) == BAD_CODE


@pytest.mark.parametrize(
    "field, value",
    [("client_id", "Iv1.someoneelse"), ("client_secret", "f" * 40)],
)
def test_incorrect_client_credentials(
    provider: ProviderEmulator, field: str, value: str
) -> None:
    code = issue_code(provider)
    response = exchange(provider, code, **{field: value})
    assert response.status_code == 200
    assert response.json() == BAD_CLIENT
    # The credentials check comes before the code lookup, so the code survives.
    assert "access_token" in exchange(provider, code).json()


def test_rotated_secret_is_rejected(provider: ProviderEmulator) -> None:
    old_secret = provider.client_secret
    code = issue_code(provider)
    provider.client_secret = "a" * 40
    response = exchange(provider, code, client_secret=old_secret)
    assert response.json() == BAD_CLIENT


def test_basic_auth_credentials(provider: ProviderEmulator) -> None:
    good = requests.post(
        provider.token_url,
        data={"code": issue_code(provider), "grant_type": "authorization_code"},
        auth=(provider.client_id, provider.client_secret),
        headers={"Accept": "application/json"},
        timeout=5,
    )
    assert good.json()["access_token"].startswith("gho_")
    bad = requests.post(
        provider.token_url,
        data={"code": issue_code(provider)},
        auth=(provider.client_id, "wrong"),
        headers={"Accept": "application/json"},
        timeout=5,
    )
    assert bad.json() == BAD_CLIENT


def test_unknown_code(provider: ProviderEmulator) -> None:
    response = exchange(provider, "0" * 20)
    assert (response.status_code, response.json()) == (200, BAD_CODE)


def test_code_is_single_use(provider: ProviderEmulator) -> None:
    code = issue_code(provider)
    assert "access_token" in exchange(provider, code).json()
    assert exchange(provider, code).json() == BAD_CODE


def test_failed_exchange_still_consumes_code(provider: ProviderEmulator) -> None:
    code = issue_code(provider, redirect_uri=CALLBACK)
    mismatch = exchange(provider, code, redirect_uri=CALLBACK + "/other")
    assert mismatch.json() == TOKEN_MISMATCH
    assert exchange(provider, code, redirect_uri=CALLBACK).json() == BAD_CODE


def test_token_redirect_uri_checked_against_callback_when_none_was_sent(
    provider: ProviderEmulator,
) -> None:
    code = issue_code(provider)
    sub_path = exchange(provider, code, redirect_uri=CALLBACK + "/sub")
    assert "access_token" in sub_path.json()
    code = issue_code(provider)
    elsewhere = exchange(provider, code, redirect_uri="http://localhost:5000/x")
    assert elsewhere.json() == TOKEN_MISMATCH


def test_code_issued_to_another_client(provider: ProviderEmulator) -> None:
    code = issue_code(provider)
    provider.client_id = "Iv1.rotatedclient0"
    assert exchange(provider, code).json() == BAD_CODE


def test_code_expires_after_lifetime(provider: ProviderEmulator) -> None:
    fresh = issue_code(provider)
    stale = issue_code(provider)
    provider.advance_clock(CODE_LIFETIME - 5)
    assert "access_token" in exchange(provider, fresh).json()
    provider.advance_clock(6)
    assert exchange(provider, stale).json() == BAD_CODE


def test_injected_clock() -> None:
    now = [1000.0]
    with ProviderEmulator(callback_url=CALLBACK, clock=lambda: now[0]) as emulator:
        at_limit, past_limit = issue_code(emulator), issue_code(emulator)
        now[0] += CODE_LIFETIME
        assert "access_token" in exchange(emulator, at_limit).json()
        now[0] += 0.001
        assert exchange(emulator, past_limit).json() == BAD_CODE


def test_pkce(provider: ProviderEmulator) -> None:
    verifier = "v" * 64
    challenge = {"code_challenge": s256(verifier), "code_challenge_method": "S256"}

    good = exchange(provider, issue_code(provider, **challenge), code_verifier=verifier)
    assert "access_token" in good.json()
    wrong = exchange(
        provider, issue_code(provider, **challenge), code_verifier="w" * 64
    )
    assert wrong.json() == BAD_CODE
    missing = exchange(provider, issue_code(provider, **challenge))
    assert missing.json() == BAD_CODE
    plain = issue_code(provider, code_challenge=verifier, code_challenge_method="plain")
    assert exchange(provider, plain, code_verifier=verifier).json() == BAD_CODE


def test_recorded_token_requests_never_hold_the_secret(
    provider: ProviderEmulator,
) -> None:
    code = issue_code(provider)
    exchange(provider, code, code_verifier="verifier")
    requests.post(
        provider.token_url,
        data={"code": "x"},
        auth=(provider.client_id, provider.client_secret),
        timeout=5,
    )
    assert provider.token_requests[0] == {
        "client_id": provider.client_id,
        "client_secret": "<redacted>",
        "code": code,
        "code_verifier": "verifier",
    }
    assert provider.token_requests[1] == {"code": "x"}
    assert provider.client_secret not in repr(provider.token_requests)


# -- REST API ----------------------------------------------------------------


def api_get(
    provider: ProviderEmulator, path: str, token: str, scheme: str = "Bearer"
) -> requests.Response:
    return requests.get(
        provider.base_url + path,
        headers={"Authorization": f"{scheme} {token}"},
        timeout=5,
    )


def user_token(provider: ProviderEmulator, scope: str = "read:user") -> str:
    token: str = exchange(provider, issue_code(provider, scope=scope)).json()[
        "access_token"
    ]
    return token


@pytest.mark.parametrize("path", ["/user", "/api/user"])
@pytest.mark.parametrize("scheme", ["Bearer", "token"])
def test_user_answers_at_the_root_and_under_api(
    provider: ProviderEmulator, path: str, scheme: str
) -> None:
    response = api_get(provider, path, user_token(provider), scheme)
    assert response.status_code == 200
    assert response.headers["X-OAuth-Scopes"] == "read:user"
    site = provider.base_url + "/"
    api = site + "users/octocat"
    assert response.json() == {
        "login": "octocat",
        "id": 1,
        "user_view_type": "public",
        "node_id": "MDQ6VXNlcjE=",
        "avatar_url": site + "avatars/u/1?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": site + "octocat",
        "followers_url": api + "/followers",
        "following_url": api + "/following{/other_user}",
        "gists_url": api + "/gists{/gist_id}",
        "starred_url": api + "/starred{/owner}{/repo}",
        "subscriptions_url": api + "/subscriptions",
        "organizations_url": api + "/orgs",
        "repos_url": api + "/repos",
        "events_url": api + "/events{/privacy}",
        "received_events_url": api + "/received_events",
        "type": "User",
        "site_admin": False,
        "name": "The Octocat",
        "company": "@github",
        "blog": "https://github.blog",
        "location": "San Francisco",
        "email": "octocat@example.com",
        "hireable": None,
        "bio": None,
        "twitter_username": None,
        "public_repos": 8,
        "public_gists": 8,
        "followers": 20,
        "following": 0,
        "created_at": "2011-01-25T18:44:36Z",
        "updated_at": "2024-01-22T12:00:00Z",
    }


def test_user_reports_login_and_user_field_overrides() -> None:
    fields = {"name": "Mona Lisa", "email": None, "bio": "Tester"}
    with ProviderEmulator(callback_url=CALLBACK, login="mona", user=fields) as emulator:
        user = api_get(emulator, "/user", user_token(emulator)).json()
    assert (user["login"], user["name"], user["bio"]) == ("mona", "Mona Lisa", "Tester")
    assert user["email"] is None
    assert user["html_url"].endswith("/mona")


@pytest.mark.parametrize("path", ["/user", "/api/user", "/user/emails"])
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer gho_madeup"}, {"Authorization": "Basic eDp5"}],
)
def test_api_bad_credentials(
    provider: ProviderEmulator, path: str, headers: dict[str, str]
) -> None:
    response = requests.get(provider.base_url + path, headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json() == {"message": "Bad credentials"}


@pytest.mark.parametrize("scope", ["user:email", "user", "read:user user:email"])
@pytest.mark.parametrize("path", ["/user/emails", "/api/user/emails"])
def test_user_emails(provider: ProviderEmulator, scope: str, path: str) -> None:
    response = api_get(provider, path, user_token(provider, scope))
    assert response.status_code == 200
    assert response.json() == [
        {
            "email": "octocat@example.com",
            "primary": True,
            "verified": True,
            "visibility": "public",
        },
        {
            "email": "1+octocat@users.noreply.github.com",
            "primary": False,
            "verified": True,
            "visibility": None,
        },
    ]


def test_user_emails_lists_a_private_primary_address() -> None:
    with ProviderEmulator(callback_url=CALLBACK, user={"email": None}) as emulator:
        token = user_token(emulator, "user:email")
        [primary, _] = api_get(emulator, "/user/emails", token).json()
    assert primary["email"] == "octocat@example.com"
    assert primary["visibility"] == "private"


def test_user_emails_needs_an_email_scope(provider: ProviderEmulator) -> None:
    response = api_get(provider, "/user/emails", user_token(provider, "read:user"))
    # GitHub hides what a token may not see: 404, not 403.
    assert response.status_code == 404
    assert response.json()["message"] == "Not Found"
    assert response.headers["X-Accepted-OAuth-Scopes"] == "user, user:email"
    assert response.headers["X-OAuth-Scopes"] == "read:user"


@pytest.mark.parametrize("path", ["/user/repos", "/api/user/repos"])
def test_user_repos(provider: ProviderEmulator, path: str) -> None:
    response = api_get(provider, path, user_token(provider))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["X-OAuth-Scopes"] == "read:user"
    repos = response.json()
    site = provider.base_url + "/"
    assert [
        (repo["id"], repo["name"], repo["full_name"], repo["private"]) for repo in repos
    ] == [
        (1296269, "Hello-World", "octocat/Hello-World", False),
        (1300192, "Spoon-Knife", "octocat/Spoon-Knife", False),
    ]
    assert [repo["html_url"] for repo in repos] == [
        site + "octocat/Hello-World",
        site + "octocat/Spoon-Knife",
    ]
    assert {repo["owner"]["login"] for repo in repos} == {"octocat"}
    assert {repo["owner"]["id"] for repo in repos} == {1}


def test_user_repos_belong_to_the_configured_login() -> None:
    with ProviderEmulator(callback_url=CALLBACK, login="mona") as emulator:
        repos = api_get(emulator, "/user/repos", user_token(emulator)).json()
        profile_url = emulator.base_url + "/mona"
    assert [repo["full_name"] for repo in repos] == [
        "mona/Hello-World",
        "mona/Spoon-Knife",
    ]
    assert repos[0]["owner"]["html_url"] == profile_url


@pytest.mark.parametrize("path", ["/user/orgs", "/api/user/orgs"])
def test_user_orgs_is_empty(provider: ProviderEmulator, path: str) -> None:
    response = api_get(provider, path, user_token(provider))
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("path", ["/user/repos", "/api/user/orgs"])
def test_repos_and_orgs_need_a_token(provider: ProviderEmulator, path: str) -> None:
    response = requests.get(provider.base_url + path, timeout=5)
    assert response.status_code == 401
    assert response.json() == {"message": "Bad credentials"}


@pytest.mark.parametrize(
    "path", ["/repos/octocat/Hello-World", "/api/user/starred", "/nowhere", "/"]
)
def test_unknown_paths_get_the_rest_apis_json_404(
    provider: ProviderEmulator, path: str
) -> None:
    response = api_get(provider, path, user_token(provider))
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == {
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest",
        "status": "404",
    }


def test_server_metadata_names_the_endpoints(provider: ProviderEmulator) -> None:
    response = requests.get(provider.server_metadata_url, timeout=5)
    assert response.status_code == 200
    metadata = response.json()
    assert provider.server_metadata_url == (
        provider.base_url + "/.well-known/oauth-authorization-server"
    )
    assert metadata["issuer"] == provider.base_url
    assert metadata["authorization_endpoint"] == provider.authorize_url
    assert metadata["token_endpoint"] == provider.token_url
    assert metadata["userinfo_endpoint"] == provider.base_url + "/user"
    assert metadata["code_challenge_methods_supported"] == ["S256"]


# -- faults ------------------------------------------------------------------


def test_reject_next_codes(provider: ProviderEmulator) -> None:
    provider.reject_next_codes(2)
    first, second = issue_code(provider), issue_code(provider)
    assert exchange(provider, first).json() == BAD_CODE
    assert exchange(provider, second).json() == BAD_CODE
    assert exchange(provider, first).json() == BAD_CODE, "rejection consumed it"
    assert "access_token" in exchange(provider, issue_code(provider)).json()


def test_deny_next_authorizations(provider: ProviderEmulator) -> None:
    provider.deny_next_authorizations()
    denied = authorize(provider, redirect_uri=CALLBACK + "/sub")
    assert denied.headers["Location"].startswith(CALLBACK + "/sub?error=")
    assert location_query(denied) == {
        "error": "access_denied",
        "error_description": "The user has denied your application access.",
        "error_uri": AUTHORIZE_DOCS + "#access-denied",
        "state": "xyz",
    }
    assert "code" in location_query(authorize(provider))


def test_deny_with_other_errors(provider: ProviderEmulator) -> None:
    provider.deny_next_authorizations("application_suspended")
    provider.deny_next_authorizations(
        "server_error", n=2, description="Boom", uri="https://status.test/"
    )
    suspended = location_query(authorize(provider))
    assert suspended["error"] == "application_suspended"
    assert suspended["error_description"] == (
        "Your application has been suspended. Contact support@github.com."
    )
    assert suspended["error_uri"] == AUTHORIZE_DOCS + "#application-suspended"
    for _ in range(2):
        query = location_query(authorize(provider))
        assert (query["error"], query["error_description"]) == ("server_error", "Boom")
        assert query["error_uri"] == "https://status.test/"
    assert "code" in location_query(authorize(provider))


def test_mismatch_does_not_use_up_a_denial(provider: ProviderEmulator) -> None:
    provider.deny_next_authorizations()
    mismatch = authorize(provider, redirect_uri="http://elsewhere.test/cb")
    assert location_query(mismatch)["error"] == "redirect_uri_mismatch"
    assert location_query(authorize(provider))["error"] == "access_denied"


def test_fail_next_token_requests(provider: ProviderEmulator) -> None:
    provider.fail_next_token_requests(
        502, "<h1>Bad gateway</h1>", n=2, headers={"Retry-After": "3"}
    )
    code = issue_code(provider)
    for _ in range(2):
        failed = exchange(provider, code)
        assert failed.status_code == 502
        assert failed.headers["Content-Type"] == "text/html"
        assert failed.headers["Retry-After"] == "3"
        assert failed.text == "<h1>Bad gateway</h1>"
    # The failure happened "before GitHub", so the code is still good.
    assert "access_token" in exchange(provider, code).json()


def test_fail_with_bytes_body(provider: ProviderEmulator) -> None:
    provider.fail_next_token_requests(200, b"\x00garbage", content_type="text/plain")
    response = exchange(provider, "whatever")
    assert (response.status_code, response.content) == (200, b"\x00garbage")
    assert response.headers["Content-Type"] == "text/plain"


def test_hang_answers_normally_after_the_delay(provider: ProviderEmulator) -> None:
    provider.hang_next_token_requests(0.3)
    code = issue_code(provider)
    started = time.monotonic()
    assert "access_token" in exchange(provider, code).json()
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    exchange(provider, issue_code(provider))
    assert time.monotonic() - started < 0.3


def test_stop_returns_promptly_during_a_hang() -> None:
    emulator = ProviderEmulator(callback_url=CALLBACK).start()
    emulator.hang_next_token_requests(60)
    code = issue_code(emulator)
    outcome: list[object] = []

    def call() -> None:
        try:
            outcome.append(exchange(emulator, code, accept=None).status_code)
        except requests.RequestException as exc:
            outcome.append(exc)

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    assert emulator.wait_for_token_requests(1, timeout=5)
    started = time.monotonic()
    emulator.stop()
    assert time.monotonic() - started < 2
    caller.join(timeout=5)
    assert not caller.is_alive()
    assert outcome == [200]


def test_fault_arguments_are_validated(provider: ProviderEmulator) -> None:
    with pytest.raises(ValueError):
        provider.reject_next_codes(0)
    with pytest.raises(ValueError):
        provider.deny_next_authorizations("")
    with pytest.raises(ValueError):
        provider.fail_next_token_requests(99, "")
    with pytest.raises(ValueError):
        provider.hang_next_token_requests(-1)
    with pytest.raises(ValueError):
        provider.advance_clock(float("nan"))


def test_reset(provider: ProviderEmulator) -> None:
    code = issue_code(provider)
    exchange(provider, "x")
    provider.reject_next_codes()
    provider.deny_next_authorizations()
    provider.fail_next_token_requests(500, "x")
    provider.hang_next_token_requests(30)
    provider.advance_clock(10_000)
    provider.reset()
    assert provider.token_requests == []
    assert provider.authorize_requests == []
    assert exchange(provider, code).json() == BAD_CODE
    fresh = issue_code(provider)
    assert "access_token" in exchange(provider, fresh).json()


# -- control endpoint --------------------------------------------------------


def test_control_endpoint_injects_each_fault(provider: ProviderEmulator) -> None:
    assert post_fault(provider, {"fault": "reject_codes", "n": 1}).status_code == 204
    assert exchange(provider, issue_code(provider)).json() == BAD_CODE

    assert post_fault(provider, {"fault": "deny", "error": "x_err"}).status_code == 204
    assert location_query(authorize(provider))["error"] == "x_err"

    fail = {"fault": "fail_token", "status": 503, "body": "down"}
    assert post_fault(provider, fail).status_code == 204
    assert exchange(provider, "x").status_code == 503

    hang = {"fault": "hang_token", "seconds": 0.01, "n": 1}
    assert post_fault(provider, hang).status_code == 204
    assert exchange(provider, issue_code(provider)).status_code == 200

    code = issue_code(provider)
    clock = {"fault": "advance_clock", "seconds": CODE_LIFETIME + 1}
    assert post_fault(provider, clock).status_code == 204
    assert exchange(provider, code).json() == BAD_CODE

    provider.reject_next_codes()
    assert post_fault(provider, {"fault": "reset"}).status_code == 204
    assert provider.token_requests == []
    assert "access_token" in exchange(provider, issue_code(provider)).json()


@pytest.mark.parametrize(
    "payload",
    [
        ["reset"],
        {"fault": "explode"},
        {"n": 1},
        {"fault": "reject_codes", "n": 0},
        {"fault": "reject_codes", "n": True},
        {"fault": "reject_codes", "n": "2"},
        {"fault": "reject_codes", "count": 2},
        {"fault": "fail_token", "status": 502},
        {"fault": "fail_token", "status": 1000, "body": ""},
        {"fault": "fail_token", "status": 502, "body": "", "headers": {"a": 1}},
        {"fault": "hang_token"},
        {"fault": "advance_clock", "seconds": -5},
    ],
)
def test_control_endpoint_rejects_bad_input(
    provider: ProviderEmulator, payload: Any
) -> None:
    response = post_fault(provider, payload)
    assert response.status_code == 400
    assert provider.client_secret not in response.text


def test_control_endpoint_rejects_non_json(provider: ProviderEmulator) -> None:
    response = requests.post(
        f"{provider.base_url}/_emulator/faults", data="not json", timeout=5
    )
    assert response.status_code == 400


# -- Authlib and follow() ----------------------------------------------------


def make_app(provider: ProviderEmulator, **overrides: Any) -> Flask:
    app = Flask(__name__)
    app.secret_key = "test"
    oauth = OAuth(app)
    provider.register(oauth, **overrides)

    @app.route("/login")
    def login() -> Any:
        return oauth.github.authorize_redirect(url_for("callback", _external=True))

    @app.route("/callback")
    def callback() -> str:
        try:
            oauth.github.authorize_access_token()
        except OAuthError as exc:
            return f"failed: {exc.error}"
        return f"signed in as {oauth.github.get('user').json()['login']}"

    @app.route("/loop")
    def loop() -> Any:
        return redirect("/loop")

    return app


@pytest.fixture
def app_provider() -> Iterator[ProviderEmulator]:
    with ProviderEmulator(callback_url="http://localhost/callback") as emulator:
        yield emulator


@pytest.mark.parametrize(
    "overrides",
    [{}, {"client_kwargs": {"scope": "read:user", "code_challenge_method": "S256"}}],
    ids=["plain", "pkce"],
)
def test_authlib_login_through_follow(
    app_provider: ProviderEmulator, overrides: dict[str, Any]
) -> None:
    client = make_app(app_provider, **overrides).test_client()
    response, visited = app_provider.follow(client, client.get("/login"))
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "signed in as octocat"
    assert len(visited) == 2
    assert visited[0].startswith(app_provider.authorize_url + "?")
    assert visited[1].startswith("http://localhost/callback?code=")
    [recorded] = app_provider.token_requests
    assert app_provider.client_secret not in repr(recorded)
    assert ("code_verifier" in recorded) == bool(overrides)


def test_follow_reaches_app_error_handling(app_provider: ProviderEmulator) -> None:
    client = make_app(app_provider).test_client()
    app_provider.deny_next_authorizations()
    response, _ = app_provider.follow(client, client.get("/login"))
    assert response.get_data(as_text=True) == "failed: access_denied"
    assert app_provider.token_requests == []

    app_provider.reject_next_codes()
    response, _ = app_provider.follow(client, client.get("/login"))
    assert response.get_data(as_text=True) == "failed: bad_verification_code"


def test_follow_detects_redirect_loop(app_provider: ProviderEmulator) -> None:
    client = make_app(app_provider).test_client()
    with pytest.raises(AssertionError, match="redirect loop"):
        app_provider.follow(client, client.get("/loop"), max_hops=3)


def test_follow_reports_provider_that_does_not_redirect(
    app_provider: ProviderEmulator,
) -> None:
    client = make_app(app_provider, client_id="Iv1.notregistered").test_client()
    with pytest.raises(AssertionError, match="answered 404"):
        app_provider.follow(client, client.get("/login"))


@pytest.mark.parametrize(
    "location, host",
    [
        ("https://github.com/login/oauth/authorize?x=1", "github.com"),
        ("http://127.0.0.1:9/elsewhere", "127.0.0.1:9"),
    ],
)
def test_follow_raises_on_a_redirect_to_a_foreign_host(
    app_provider: ProviderEmulator, location: str, host: str
) -> None:
    app = make_app(app_provider)

    @app.route("/away")
    def away() -> Any:
        return redirect(location)

    client = app.test_client()
    with pytest.raises(AssertionError) as raised:
        app_provider.follow(client, client.get("/away"))
    message = str(raised.value)
    assert f"the app redirected to {host}," in message
    assert app_provider.base_url in message


def test_follow_raises_when_the_emulator_sends_elsewhere() -> None:
    with ProviderEmulator(callback_url="https://app.example.test/cb") as emulator:
        client = make_app(emulator).test_client()
        with pytest.raises(AssertionError, match=r"on app\.example\.test, which is"):
            emulator.follow(client, client.get("/login"))


def test_follow_returns_the_final_app_response_after_app_redirects(
    app_provider: ProviderEmulator,
) -> None:
    app = make_app(app_provider)

    @app.route("/hop")
    def hop() -> Any:
        return redirect("http://localhost/landing")

    @app.route("/landing")
    def landing() -> str:
        return "landed"

    client = app.test_client()
    response, visited = app_provider.follow(client, client.get("/hop"))
    assert (response.status_code, response.get_data(as_text=True)) == (200, "landed")
    assert visited == ["http://localhost/landing"]
