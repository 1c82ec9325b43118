"""What people and API clients see when a login cannot be recovered."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover import Outcome
from flask_oauth_recover.diagnose import fingerprint
from flask_oauth_recover.testing import ProviderEmulator

WRONG_SECRET = "fedcba9876543210fedcba9876543210fedcba98"


def sign_in(
    provider: ProviderEmulator, client: FlaskClient, login: str = "/login", **kw: str
) -> TestResponse:
    """Log in once, sending the headers ``kw`` with the callback request."""
    authorize = client.get(login)
    answer = requests.get(authorize.location, allow_redirects=False, timeout=10)
    return client.get(answer.headers["Location"], headers=kw or None)


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


@pytest.mark.parametrize(
    ("fault", "status", "headline"),
    [
        ("wrong_secret", 500, "Sign-in is not set up correctly"),
        ("token_redirect_mismatch", 500, "Sign-in is not set up correctly"),
        ("authorize_redirect_mismatch", 500, "Sign-in is not set up correctly"),
        ("application_suspended", 500, "Sign-in is not set up correctly"),
        ("unauthorized_client", 500, "Sign-in is not set up correctly"),
        ("access_denied", 403, "Sign-in cancelled"),
        ("server_error", 503, "GitHub is not responding"),
        ("temporarily_unavailable", 503, "GitHub is not responding"),
        ("token_503", 503, "GitHub is not responding"),
    ],
)
def test_each_failure_gets_its_page(
    make_app: Callable[..., Flask],
    provider: ProviderEmulator,
    fault: str,
    status: int,
    headline: str,
) -> None:
    overrides = {"client_secret": WRONG_SECRET} if fault == "wrong_secret" else {}
    app = make_app(client_overrides=overrides)
    client = app.test_client()
    login = "/login"
    if fault == "token_redirect_mismatch":
        body = json.dumps({"error": "redirect_uri_mismatch"})
        provider.fail_next_token_requests(200, body, content_type="application/json")
    elif fault == "authorize_redirect_mismatch":
        provider.callback_url = "http://localhost/callback"
        login = "/login?redirect_uri=http://127.0.0.1:9/callback"
    elif fault == "token_503":
        provider.fail_next_token_requests(503, "<html>Unicorn!</html>")
    elif fault != "wrong_secret":
        provider.deny_next_authorizations(fault)

    response = sign_in(provider, client, login)

    assert response.status_code == status
    assert f"<h1>{headline}</h1>" in response.text
    assert "Traceback" not in response.text


def test_cancelled_page_offers_a_way_back(
    client: FlaskClient, provider: ProviderEmulator
) -> None:
    provider.deny_next_authorizations("access_denied")

    response = sign_in(provider, client)

    assert hrefs(response.text) == ["/callback?oauth_recover=retry", "/"]


def test_unavailable_page_says_when_to_retry(
    client: FlaskClient, provider: ProviderEmulator
) -> None:
    provider.fail_next_token_requests(429, "slow down", headers={"Retry-After": "30"})

    response = sign_in(provider, client)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"


def test_pages_are_not_cached_framed_or_referred(
    client: FlaskClient, provider: ProviderEmulator
) -> None:
    provider.deny_next_authorizations("access_denied")

    response = sign_in(provider, client)

    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'none'" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce is not None and f'<style nonce="{nonce.group(1)}">' in response.text


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_provider_text_is_shown_as_text(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    client = make_app(OAUTH_RECOVER_SHOW_DETAILS=True).test_client()
    provider.deny_next_authorizations(
        "application_suspended", description=XSS, uri="javascript:alert(1)"
    )

    response = sign_in(provider, client)

    assert "<script>alert" not in response.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in response.text
    assert 'href="javascript' not in response.text
    assert "javascript:alert(1)" in response.text


def test_https_error_uri_is_linked(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    client = make_app(OAUTH_RECOVER_SHOW_DETAILS=True).test_client()
    uri = "https://docs.github.com/apps/troubleshooting#application-suspended"
    provider.deny_next_authorizations("application_suspended", uri=uri)

    response = sign_in(provider, client)

    assert f'href="{uri}"' in response.text


def test_end_user_page_links_only_to_this_site(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    client = make_app(client_overrides={"client_secret": WRONG_SECRET}).test_client()

    response = sign_in(provider, client)

    assert response.status_code == 500
    assert hrefs(response.text) == ["/"]
    assert provider.client_id not in response.text
    assert '<section class="details"' not in response.text


def test_details_off_sends_the_facts_to_the_log(
    make_app: Callable[..., Flask],
    provider: ProviderEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = make_app(client_overrides={"client_secret": WRONG_SECRET}).test_client()

    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        response = sign_in(provider, client)

    [record] = caplog.records
    assert record.levelno == logging.ERROR
    message = record.getMessage()
    assert "incorrect_client_credentials" in message
    assert f"client_id={provider.client_id}" in message
    assert "redirect_uri sent=http://localhost/callback" in message
    assert f"client_secret SHA-256={fingerprint(WRONG_SECRET)}" in message
    assert "Fix: check the client_id and client_secret" in message
    reference = re.search(r"\[ref ([0-9a-f]{8})\]", message)
    assert reference is not None and reference.group(1) in response.text


def test_details_on_show_what_the_app_sent(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    app = make_app(
        OAUTH_RECOVER_SHOW_DETAILS=True,
        client_overrides={"client_secret": WRONG_SECRET},
    )

    response = sign_in(provider, app.test_client())

    text = response.text
    assert provider.client_id in text
    assert "http://localhost/callback" in text
    assert fingerprint(WRONG_SECRET) in text
    assert "<dt>client_secret length</dt><dd><code>40</code></dd>" in text
    assert "incorrect_client_credentials" in text


def test_details_follow_app_debug_by_default(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    app = make_app(client_overrides={"client_secret": WRONG_SECRET})
    app.debug = True

    response = sign_in(provider, app.test_client())

    assert '<section class="details"' in response.text


@pytest.mark.parametrize("show_details", [False, True])
def test_the_secret_never_leaves_the_app(
    make_app: Callable[..., Flask],
    provider: ProviderEmulator,
    caplog: pytest.LogCaptureFixture,
    show_details: bool,
) -> None:
    secret = WRONG_SECRET[:-1] + "9\n"
    app = make_app(
        OAUTH_RECOVER_SHOW_DETAILS=show_details,
        client_overrides={"client_secret": secret},
    )
    client = app.test_client()

    with caplog.at_level(logging.DEBUG):
        pages = [
            sign_in(provider, client),
            sign_in(provider, client, Accept="application/json"),
        ]

    for page in pages:
        assert page.status_code == 500
        assert secret.strip() not in page.get_data(as_text=True)
        assert all(secret.strip() not in value for _, value in page.headers.items())
    assert all(secret.strip() not in r.getMessage() for r in caplog.records)
    assert secret.strip() not in json.dumps(provider.token_requests)


def test_api_clients_get_json_with_the_same_status(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    client = make_app(client_overrides={"client_secret": WRONG_SECRET}).test_client()

    response = sign_in(provider, client, Accept="application/json")

    assert response.status_code == 500
    assert response.json is not None
    assert response.json["error"] == "incorrect_client_credentials"
    assert response.json["action"] == "fix_configuration"
    assert "refused this site's sign-in request" in response.json["description"]
    assert "diagnosis" not in response.json
    assert response.headers["Cache-Control"] == "no-store"


def test_json_details_when_enabled(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    app = make_app(
        OAUTH_RECOVER_SHOW_DETAILS=True,
        client_overrides={"client_secret": WRONG_SECRET},
    )

    response = sign_in(provider, app.test_client(), Accept="application/json")

    assert response.json is not None
    assert isinstance(response.json["diagnosis"], list)
    assert response.json["details"]["client_id"] == provider.client_id


def test_app_template_overrides_ours(
    make_app: Callable[..., Flask], provider: ProviderEmulator, tmp_path: Path
) -> None:
    page = tmp_path / "oauth_recover" / "cancelled.html"
    page.parent.mkdir()
    page.write_text("<p>{{ title }}: see you soon, {{ provider }}</p>")
    client = make_app(template_folder=str(tmp_path)).test_client()
    provider.deny_next_authorizations("access_denied")

    response = sign_in(provider, client)

    assert response.status_code == 403
    assert response.text == "<p>Sign-in cancelled: see you soon, GitHub</p>"


def test_error_page_handler_replaces_our_page(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    recover = OAuthRecover()
    seen: list[Outcome] = []

    @recover.error_page_handler
    def custom(outcome: Outcome) -> tuple[str, int] | None:
        seen.append(outcome)
        if outcome.kind.value == "cancelled":
            return "come back soon", 401
        return None

    client = make_app(recover=recover).test_client()
    provider.deny_next_authorizations("access_denied")
    cancelled = sign_in(provider, client)
    provider.deny_next_authorizations("server_error")
    unavailable = sign_in(provider, client)

    assert (cancelled.status_code, cancelled.text) == (401, "come back soon")
    assert unavailable.status_code == 503
    assert [outcome.error for outcome in seen] == ["access_denied", "server_error"]
