"""What people and API clients see when a login cannot be recovered."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask import Response
from flask.testing import FlaskClient
from markupsafe import escape
from werkzeug.test import TestResponse

from flask_oauth_recover import Failure
from flask_oauth_recover import FailureKind
from flask_oauth_recover import OAuthRecover
from flask_oauth_recover import Outcome
from flask_oauth_recover import OutcomeKind
from flask_oauth_recover.diagnose import fingerprint
from flask_oauth_recover.pages import render_outcome
from flask_oauth_recover.testing import ProviderEmulator

from .conftest import create_app

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


def forged_callback(client: FlaskClient, **query: str) -> TestResponse:
    """Start a login, then answer its callback with ``query`` instead of the
    provider's answer: what a stranger's link does to a user mid-login."""
    authorize = client.get("/login")
    [state] = parse_qs(urlsplit(authorize.location).query)["state"]
    return client.get("/callback?" + urlencode({**query, "state": state}))


def fail_token_request(provider: ProviderEmulator, **body: str) -> None:
    """Make the next token response a JSON error body, as GitHub's is."""
    provider.fail_next_token_requests(200, json.dumps(body), "application/json")


RETRY = "/callback?oauth_recover=retry"
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


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


def test_unavailable_page_says_when_to_retry(
    client: FlaskClient, provider: ProviderEmulator
) -> None:
    provider.fail_next_token_requests(429, "slow down", headers={"Retry-After": "30"})

    response = sign_in(provider, client)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"


def test_unavailable_page_asks_for_a_minute_when_the_provider_did_not_say(
    client: FlaskClient, provider: ProviderEmulator
) -> None:
    provider.fail_next_token_requests(502, "<html>Bad gateway</html>")

    response = sign_in(provider, client, Accept="application/json")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"


@pytest.mark.parametrize("kind", ["config", "cancelled", "gave_up", "invalid_callback"])
def test_other_pages_set_no_retry_after(
    make_app: Callable[..., Flask], provider: ProviderEmulator, kind: str
) -> None:
    response = trigger(kind, make_app, provider)

    assert "Retry-After" not in response.headers


def trigger(
    kind: str, make_app: Callable[..., Flask], provider: ProviderEmulator, **kw: Any
) -> TestResponse:
    """A login that ends on the page for ``kind``; ``kw`` are app config,
    except ``headers`` (sent with the callback)."""
    headers = kw.pop("headers", {})
    app = make_app(
        OAUTH_RECOVER_MAX_RESTARTS=0,
        client_overrides={"client_secret": WRONG_SECRET} if kind == "config" else {},
        **kw,
    )
    client = app.test_client()
    if kind == "invalid_callback":
        return client.get("/callback?code=a&code=b", headers=headers)
    if kind == "cancelled":
        provider.deny_next_authorizations("access_denied")
    elif kind == "unavailable":
        provider.fail_next_token_requests(502, "<html>Bad gateway</html>")
    elif kind == "gave_up":
        provider.reject_next_codes()
    return sign_in(provider, client, **headers)


PAGES = {
    "config": 500,
    "cancelled": 403,
    "gave_up": 500,
    "unavailable": 503,
    "invalid_callback": 400,
}


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
@pytest.mark.parametrize("kind", PAGES)
def test_every_page_is_not_cached_sniffed_or_referred(
    make_app: Callable[..., Flask],
    provider: ProviderEmulator,
    kind: str,
    accept: str,
) -> None:
    response = trigger(kind, make_app, provider, headers={"Accept": accept})

    assert response.status_code == PAGES[kind]
    assert response.mimetype == accept
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name


@pytest.mark.parametrize("show_details", [False, True])
@pytest.mark.parametrize("kind", PAGES)
def test_every_page_offers_a_new_attempt_and_the_way_home(
    make_app: Callable[..., Flask],
    provider: ProviderEmulator,
    kind: str,
    show_details: bool,
) -> None:
    response = trigger(
        kind, make_app, provider, OAUTH_RECOVER_SHOW_DETAILS=show_details
    )

    assert response.status_code == PAGES[kind]
    links = hrefs(response.text)
    assert links[:2] == [RETRY, "/"]
    # With details on, the provider's own documentation may be linked too.
    assert all(link.startswith("https://docs.github.com/") for link in links[2:])
    assert show_details or links == [RETRY, "/"]


def test_pages_are_not_framed_and_styles_need_the_nonce(
    client: FlaskClient, provider: ProviderEmulator
) -> None:
    provider.deny_next_authorizations("access_denied")

    response = sign_in(provider, client)

    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'none'" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce is not None and f'<style nonce="{nonce.group(1)}">' in response.text


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED_XSS = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
URI_XSS = 'https://127.0.0.1/"><script>alert(1)</script>'


@pytest.mark.parametrize("show_details", [False, True])
def test_a_forged_error_link_runs_no_script_and_links_nowhere(
    make_app: Callable[..., Flask], show_details: bool
) -> None:
    client = make_app(OAUTH_RECOVER_SHOW_DETAILS=show_details).test_client()

    response = forged_callback(
        client,
        error="access_denied",
        error_description=XSS,
        error_uri="javascript:alert(1)",
    )

    assert response.status_code == 403
    assert "<script>alert" not in response.text
    assert "<img" not in response.text
    assert hrefs(response.text) == [RETRY, "/"]
    assert (ESCAPED_XSS in response.text) is show_details
    assert ("<code>javascript:alert(1)</code>" in response.text) is show_details


@pytest.mark.parametrize(
    "uri",
    [
        "https://docs.github.com/apps/troubleshooting#application-suspended",
        "https://127.0.0.1/docs",
        "https://evil.example/",
        "https://[x",
        URI_XSS,
    ],
)
def test_an_error_uri_on_the_browsers_url_is_never_a_link(
    make_app: Callable[..., Flask], provider: ProviderEmulator, uri: str
) -> None:
    client = make_app(OAUTH_RECOVER_SHOW_DETAILS=True).test_client()
    provider.deny_next_authorizations("application_suspended", uri=uri)

    response = sign_in(provider, client)

    assert response.status_code == 500
    assert hrefs(response.text) == [RETRY, "/"]
    assert f"<code>{escape(uri)}</code>" in response.text


def test_an_error_uri_from_the_token_response_on_the_providers_host_is_a_link(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    client = make_app(OAUTH_RECOVER_SHOW_DETAILS=True).test_client()
    uri = "https://127.0.0.1/docs/errors#incorrect-client-credentials"
    fail_token_request(provider, error="incorrect_client_credentials", error_uri=uri)

    response = sign_in(provider, client)

    assert hrefs(response.text) == [RETRY, "/", uri]


@pytest.mark.parametrize(
    "uri",
    [
        "https://evil.example/",
        "http://127.0.0.1/docs",
        "javascript:alert(1)",
        "https://127.0.0.1.evil.example/docs",
        "https://127.0.0.1@evil.example/docs",
        "https://user@127.0.0.1/docs",
        "https://[x",
        "https://127.0.0.1:abc/docs",
        URI_XSS,
    ],
)
def test_an_error_uri_from_the_token_response_elsewhere_is_text(
    make_app: Callable[..., Flask], provider: ProviderEmulator, uri: str
) -> None:
    client = make_app(OAUTH_RECOVER_SHOW_DETAILS=True).test_client()
    fail_token_request(provider, error="incorrect_client_credentials", error_uri=uri)

    response = sign_in(provider, client)

    assert response.status_code == 500
    assert "<h1>Sign-in is not set up correctly</h1>" in response.text
    assert hrefs(response.text) == [RETRY, "/"]
    assert f"<code>{escape(uri)}</code>" in response.text


def test_a_token_responses_description_is_escaped(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    client = make_app(OAUTH_RECOVER_SHOW_DETAILS=True).test_client()
    fail_token_request(
        provider, error="incorrect_client_credentials", error_description=XSS
    )

    response = sign_in(provider, client)

    assert "<script>alert" not in response.text
    assert f"<blockquote>{ESCAPED_XSS}" in response.text


PROVIDER_SAID = "What the provider said"


def test_provider_words_are_shown_for_a_token_error(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    client = make_app(OAUTH_RECOVER_SHOW_DETAILS=True).test_client()
    fail_token_request(
        provider, error="incorrect_client_credentials", error_description="Bad."
    )

    response = sign_in(provider, client)

    said = response.text.split(f"<h2>{PROVIDER_SAID}</h2>", 1)[1]
    assert said.lstrip().startswith("<p><code>incorrect_client_credentials</code></p>")
    assert "<blockquote>Bad.</blockquote>" in said


@pytest.mark.parametrize(("cause", "status"), [("transport", 503), ("state", 500)])
def test_no_provider_words_when_the_provider_said_nothing(
    make_app: Callable[..., Flask], provider: ProviderEmulator, cause: str, status: int
) -> None:
    app = make_app(OAUTH_RECOVER_SHOW_DETAILS=True, OAUTH_RECOVER_MAX_RESTARTS=0)
    client = app.test_client()
    if cause == "transport":
        # Our own words about the body, not the provider's.
        provider.fail_next_token_requests(200, "<b>not json</b>")
        response = sign_in(provider, client)
    else:
        authorize = client.get("/login")
        answer = requests.get(authorize.location, allow_redirects=False, timeout=10)
        client.delete_cookie("session")
        response = client.get(answer.headers["Location"])

    assert response.status_code == status
    assert '<section class="details"' in response.text
    assert PROVIDER_SAID not in response.text


def test_end_user_page_links_only_to_this_site(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    client = make_app(client_overrides={"client_secret": WRONG_SECRET}).test_client()

    response = sign_in(provider, client)

    assert response.status_code == 500
    assert hrefs(response.text) == [RETRY, "/"]
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
    assert '("incorrect_client_credentials")' in message
    assert f'client_id="{provider.client_id}"' in message
    assert 'redirect_uri sent="http://localhost/callback"' in message
    assert f'client_secret SHA-256="{fingerprint(WRONG_SECRET)}"' in message
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
    body = response.json
    assert body is not None
    assert set(body) == {"error", "description", "action", "reference", "provider"}
    assert body["provider"] == "github"
    assert body["error"] == "incorrect_client_credentials"
    assert body["action"] == "fix_configuration"
    assert "refused this site's sign-in request" in body["description"]
    assert re.fullmatch(r"[0-9a-f]{8}", body["reference"])


@pytest.mark.parametrize(
    ("kind", "error", "action"),
    [
        ("cancelled", "access_denied", "sign_in_again"),
        ("gave_up", "restarts_exhausted", "try_again"),
        ("unavailable", "provider_bad_response", "try_again_later"),
        ("invalid_callback", "invalid_callback", "start_over"),
    ],
)
def test_json_names_the_error_and_what_to_do(
    make_app: Callable[..., Flask],
    provider: ProviderEmulator,
    kind: str,
    error: str,
    action: str,
) -> None:
    response = trigger(kind, make_app, provider, headers={"Accept": "application/json"})

    assert response.json is not None
    assert (response.json["error"], response.json["action"]) == (error, action)


def test_json_details_when_enabled(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    app = make_app(
        OAUTH_RECOVER_SHOW_DETAILS=True,
        client_overrides={"client_secret": WRONG_SECRET},
    )

    response = sign_in(provider, app.test_client(), Accept="application/json")

    body = response.json
    assert body is not None
    assert set(body) == {
        "error",
        "description",
        "action",
        "reference",
        "provider",
        "diagnosis",
        "details",
    }
    assert isinstance(body["diagnosis"], list)
    assert body["details"]["client_id"] == provider.client_id


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


def test_pages_name_the_provider_by_its_display_name(app: Flask) -> None:
    failure = Failure(FailureKind.UNAVAILABLE, "server_error", source="authorize")
    outcome = Outcome(
        OutcomeKind.UNAVAILABLE,
        "github",
        failure,
        attempt=0,
        reference="0123abcd",
        provider="GitHub Enterprise",
    )

    with app.test_request_context("/callback"):
        response = render_outcome(outcome, show_details=False)

    page = response.get_data(as_text=True)
    assert "<h1>GitHub Enterprise is not responding</h1>" in page
    assert "We could not reach GitHub Enterprise" in page


def test_replicas_with_different_secret_keys_get_their_own_words(app: Flask) -> None:
    failure = Failure(FailureKind.CONFIG, "secret_key_mismatch", source="state")
    outcome = Outcome(
        OutcomeKind.CONFIG_ERROR, "github", failure, attempt=0, reference="0123abcd"
    )

    with app.test_request_context("/callback"):
        page = render_outcome(outcome, show_details=False).get_data(as_text=True)
    with app.test_request_context("/callback", headers={"Accept": "application/json"}):
        body = render_outcome(outcome, show_details=False).get_json()

    words = (
        "This site could not recognise the sign-in it had started: its servers "
        "do not share the same secret key. It is nothing you did."
    )
    assert words in page
    assert body["description"].startswith(words)


GITHUB_DOCS = (
    "https://docs.github.com/apps/managing-oauth-apps/"
    "troubleshooting-oauth-app-access-token-request-errors/#incorrect-client-credentials"
)


def test_githubs_own_error_uri_links_to_its_documentation(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    # GitHub's answer to a wrong secret names a page on docs.github.com,
    # a host with letters in it, unlike the emulator's 127.0.0.1.
    app = make_app(
        OAUTH_RECOVER_SHOW_DETAILS=True,
        client_overrides={"client_secret": WRONG_SECRET},
    )

    response = sign_in(provider, app.test_client())

    assert response.status_code == 500
    assert hrefs(response.text) == [RETRY, "/", GITHUB_DOCS]


def test_an_error_uri_on_a_capitalized_provider_host_is_still_a_link(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    client = make_app(OAUTH_RECOVER_SHOW_DETAILS=True).test_client()
    uri = "https://Docs.GitHub.com/en/apps#incorrect-client-credentials"
    fail_token_request(provider, error="incorrect_client_credentials", error_uri=uri)

    response = sign_in(provider, client)

    assert hrefs(response.text) == [RETRY, "/", uri]


@pytest.mark.parametrize(
    ("profile", "name", "link"),
    [
        ("microsoft", "Microsoft", "https://login.microsoftonline.com/error?code=7000215"),
        ("google", "Google", None),
        ("gitlab", "GitLab", None),
        ("keycloak", "Keycloak", None),
    ],
)  # fmt: skip
def test_each_provider_is_named_and_only_its_own_documentation_linked(
    profile: str, name: str, link: str | None
) -> None:
    with ProviderEmulator(profile=profile) as emulator:
        app = create_app(
            emulator,
            OAUTH_RECOVER_SHOW_DETAILS=True,
            OAUTH_RECOVER_PROVIDERS={"github": profile},
            client_overrides={"client_secret": "not-the-secret"},
        )
        client = app.test_client()
        page = sign_in(emulator, client)
        api = sign_in(emulator, client, Accept="application/json")

    assert page.status_code == 500
    assert f'<p class="lead">{name} refused this site&#39;s sign-in' in page.text
    assert hrefs(page.text) == [RETRY, "/", *([link] if link else [])]
    assert api.json is not None
    assert api.json["provider"] == profile
    assert api.json["description"].startswith(f"{name} refused this site's sign-in")


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        ("text/html,application/json;q=0.9", "text/html"),
        ("application/json,text/html;q=0.9", "application/json"),
        ("*/*", "text/html"),
        ("text/*;q=0.5, application/json;q=0.4", "text/html"),
    ],
)
def test_the_clients_preferred_type_wins(
    make_app: Callable[..., Flask],
    provider: ProviderEmulator,
    accept: str,
    mimetype: str,
) -> None:
    response = trigger("cancelled", make_app, provider, headers={"Accept": accept})

    assert response.status_code == 403
    assert response.mimetype == mimetype


def test_an_api_first_app_still_serves_its_page_as_html(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    # Apps whose responses are JSON unless told otherwise must not have the
    # page sent as JSON, where a browser would show its source.
    class JSONByDefault(Response):
        default_mimetype = "application/json"

    app = make_app()
    app.response_class = JSONByDefault
    provider.deny_next_authorizations("access_denied")

    response = sign_in(provider, app.test_client())

    assert response.status_code == 403
    assert response.mimetype == "text/html"
    assert "<h1>Sign-in cancelled</h1>" in response.text


CSP = (
    "default-src 'none'; style-src {style}; img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def test_the_content_security_policy_allows_only_the_pages_own_style(
    client: FlaskClient, provider: ProviderEmulator
) -> None:
    provider.deny_next_authorizations("access_denied", n=2)

    pages = [sign_in(provider, client), sign_in(provider, client)]

    nonces = []
    for page in pages:
        match = re.search(r'<style nonce="([^"]+)">', page.text)
        assert match is not None
        nonces.append(match.group(1))
        style = f"'nonce-{match.group(1)}'"
        assert page.headers["Content-Security-Policy"] == CSP.format(style=style)
    # A nonce an attacker saw once is no use on the next page.
    assert nonces[0] != nonces[1]


@pytest.mark.parametrize("kind", PAGES)
def test_json_allows_no_style_at_all(
    make_app: Callable[..., Flask], provider: ProviderEmulator, kind: str
) -> None:
    response = trigger(kind, make_app, provider, headers={"Accept": "application/json"})

    assert response.mimetype == "application/json"
    assert response.headers["Content-Security-Policy"] == CSP.format(style="'none'")


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_the_page_speaks_the_users_language_and_says_so(
    make_app: Callable[..., Flask], provider: ProviderEmulator, accept: str
) -> None:
    response = trigger(
        "cancelled",
        make_app,
        provider,
        headers={"Accept": accept, "Accept-Language": "fr-CA, en;q=0.5"},
    )

    assert response.status_code == 403
    assert response.headers["Content-Language"] == "fr"
    # Caches must keep the French page and the JSON apart from the others.
    vary = {value.strip().lower() for value in response.headers["Vary"].split(",")}
    assert {"accept-language", "accept"} <= vary
    if accept == "text/html":
        assert '<html lang="fr">' in response.text
        assert "<h1>Connexion annulée</h1>" in response.text


def test_an_english_page_says_it_is_english(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    response = trigger("gave_up", make_app, provider)

    assert response.headers["Content-Language"] == "en"
    assert '<html lang="en">' in response.text


MISSING_SECRET_CAUSE = (
    'The client_secret passed to oauth.register("github", client_secret=...) is empty.'
)
MISSING_SECRET_FIX = "Pass the OAuth app's client_secret to oauth.register()."
MISSING_SECRET_SNIPPET = (
    'oauth.register("github", client_secret='
    'os.environ["GITHUB_CLIENT_SECRET"].strip(), ...)'
)


def test_the_diagnosis_is_on_the_page_for_developers(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    app = make_app(
        OAUTH_RECOVER_SHOW_DETAILS=True, client_overrides={"client_secret": ""}
    )

    response = sign_in(provider, app.test_client())

    assert response.status_code == 500
    # One finding, then the provider's words.
    [_, block] = response.text.split('<div class="finding" ', 1)
    block = block.split(f"<h2>{PROVIDER_SAID}</h2>", 1)[0]
    assert block.startswith('data-diagnosis="credentials.missing">')
    assert '<div class="finding"' not in block
    assert '<div class="id">credentials.missing' in block
    assert f"<p><strong>{escape(MISSING_SECRET_CAUSE)}</strong></p>" in block
    assert f"<p>{escape(MISSING_SECRET_FIX)}</p>" in block
    assert f"<pre><code>{escape(MISSING_SECRET_SNIPPET)}</code></pre>" in block
    assert "No specific cause could be established" not in response.text


def test_the_diagnosis_in_json_has_no_empty_fields(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    app = make_app(
        OAUTH_RECOVER_SHOW_DETAILS=True, client_overrides={"client_secret": ""}
    )

    response = sign_in(provider, app.test_client(), Accept="application/json")

    assert response.json is not None
    assert response.json["diagnosis"] == [
        {
            "id": "credentials.missing",
            "cause": MISSING_SECRET_CAUSE,
            "fix": MISSING_SECRET_FIX,
            "snippet": MISSING_SECRET_SNIPPET,
        }
    ]


def test_the_diagnosis_names_the_console_page_as_text(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    app = make_app(
        OAUTH_RECOVER_SHOW_DETAILS=True,
        client_overrides={"client_secret": "not-a-secret"},
    )
    client = app.test_client()
    console = f"{provider.base_url}/settings/developers"

    page = sign_in(provider, client)
    api = sign_in(provider, client, Accept="application/json")

    assert f"Where to change it: <code>{console}</code>" in page.text
    assert hrefs(page.text) == [RETRY, "/", GITHUB_DOCS]
    assert api.json is not None
    [finding] = api.json["diagnosis"]
    assert (finding["id"], finding["console"]) == ("credentials.shape", console)
    assert finding["cause"] == (
        "The client_secret is 12 characters long and does not have the shape "
        "of a GitHub client secret, [0-9a-f]{40}."
    )
    assert "snippet" not in finding


LURE = "Your account is locked. Call +1 555 0100 to unlock it."


@pytest.mark.parametrize("show_details", [False, True])
def test_an_apps_own_template_gets_the_providers_words_only_with_details_on(
    make_app: Callable[..., Flask], tmp_path: Path, show_details: bool
) -> None:
    page = tmp_path / "oauth_recover" / "cancelled.html"
    page.parent.mkdir()
    page.write_text(
        "<h1>{{ title }}</h1>"
        "{% if provider_error %}<p>{{ provider_error.description }}</p>{% endif %}"
    )
    app = make_app(
        template_folder=str(tmp_path), OAUTH_RECOVER_SHOW_DETAILS=show_details
    )

    response = forged_callback(
        app.test_client(), error="access_denied", error_description=LURE
    )

    assert response.status_code == 403
    assert (LURE in response.text) is show_details


@pytest.mark.parametrize(
    ("mount", "root"),
    [
        ("/XWiki", "/XWiki"),
        ("/tenants/acme:eu;v=2", "/tenants/acme:eu;v=2"),
        # A doubled slash would make "//evil.example/" a link to another site.
        ("//evil.example", "/evil.example"),
    ],
)
def test_links_keep_the_apps_mount_point_and_stay_on_the_site(
    client: FlaskClient, mount: str, root: str
) -> None:
    response = client.get(
        "/callback?code=a&code=b", base_url=f"http://localhost{mount}"
    )

    assert response.status_code == 400
    assert hrefs(response.text) == [f"{root}{RETRY}", f"{root}/"]
