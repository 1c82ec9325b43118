"""Transient failures restart authorization: fresh one-time values, the same
request, the app's session intact, and a bound that holds without cookies."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse
from werkzeug.wrappers import Response

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover.callback_cookie import COOKIE_NAME
from flask_oauth_recover.restart import Recipe
from flask_oauth_recover.restart import recipe_from_state_data
from flask_oauth_recover.signing import b64
from flask_oauth_recover.signing import sign
from flask_oauth_recover.state import read_state
from flask_oauth_recover.testing import ProviderEmulator

from .conftest import SignalRecorder
from .support.raw import raw_callback

EVIL = "https://evil.example/phish"


def authorize_urls(provider: ProviderEmulator, visited: list[str]) -> list[str]:
    return [url for url in visited if url.startswith(provider.authorize_url)]


def approve(login: TestResponse) -> str:
    """Let the provider approve a login; return the callback URL, unvisited."""
    answer = requests.get(login.location, allow_redirects=False, timeout=10)
    return answer.headers["Location"]


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_rejected_code_restarts_and_lands_where_the_user_was_going(
    client: FlaskClient, provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    provider.reject_next_codes(1)

    response, visited = provider.follow(client, client.get("/login?next=/profile"))

    assert response.status_code == 200
    assert response.text == "signed in as octocat; cart=['book', 'lamp']"
    assert len(authorize_urls(provider, visited)) == 2
    assert signals.names == ["authorization_restarted"]


@pytest.mark.parametrize("status", [200, 400])
@pytest.mark.parametrize("error", ["bad_verification_code", "invalid_grant"])
def test_every_transient_token_error_restarts(
    client: FlaskClient, provider: ProviderEmulator, error: str, status: int
) -> None:
    body = json.dumps({"error": error, "error_description": "The code is bad."})
    provider.fail_next_token_requests(status, body, content_type="application/json")

    response, visited = provider.follow(client, client.get("/login"))

    assert response.text.startswith("signed in as octocat")
    assert len(authorize_urls(provider, visited)) == 2


def test_restart_issues_a_fresh_state_and_repeats_the_request(
    client: FlaskClient, provider: ProviderEmulator
) -> None:
    first = client.get("/login?prompt=consent")
    provider.reject_next_codes(1)
    callback = approve(first)

    restart = client.get(callback)

    assert restart.status_code == 302
    # The 302 sets the cookie holding the new state: never cached, and its
    # URL never sent on as a Referer.
    assert restart.headers["Cache-Control"] == "no-store"
    assert restart.headers["Referrer-Policy"] == "no-referrer"
    before, after = query(first.location), query(restart.location)
    assert restart.location.startswith(provider.authorize_url)
    assert after["state"] != before["state"]
    for key in ("redirect_uri", "scope", "prompt", "client_id", "response_type"):
        assert after[key] == before[key]


def test_restart_makes_a_new_pkce_verifier_and_nonce(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    app = make_app(
        client_overrides={
            "client_kwargs": {
                "scope": "openid read:user",
                "code_challenge_method": "S256",
            }
        }
    )
    client = app.test_client()
    first = client.get("/login")
    provider.reject_next_codes(1)
    callback = approve(first)

    restart = client.get(callback)

    before, after = query(first.location), query(restart.location)
    assert after["code_challenge_method"] == "S256"
    assert after["code_challenge"] != before["code_challenge"]
    assert after["nonce"] != before["nonce"]
    assert after["scope"] == "openid read:user"


def test_expired_code_restarts(client: FlaskClient, provider: ProviderEmulator) -> None:
    first = client.get("/login")
    callback = approve(first)
    provider.advance_clock(11 * 60)

    response, visited = provider.follow(client, client.get(callback))

    assert response.text.startswith("signed in as octocat")
    assert len(authorize_urls(provider, visited)) == 1


def test_a_callback_used_in_one_browser_is_a_stranger_s_link_in_another(
    app: Flask, client: FlaskClient, provider: ProviderEmulator
) -> None:
    callback = approve(client.get("/login"))
    client.get(callback)
    other = app.test_client()

    response = other.get(callback)

    assert response.status_code == 400
    assert "This sign-in link is not valid" in response.text
    assert "Location" not in response.headers
    assert len(provider.token_requests) == 1  # the first browser's only


SENT = "http://localhost/callback?a=1&b=two+words"


def test_lost_state_restarts_with_the_redirect_uri_the_login_sent(
    app: Flask, provider: ProviderEmulator
) -> None:
    login = app.test_client().get("/login?" + urlencode({"redirect_uri": SENT}))
    callback = approve(login)

    # Another browser, or one whose cookie was dropped: no session entry.
    response = app.test_client().get(callback)

    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "no-store"
    params = query(response.location)
    assert params["redirect_uri"] == SENT
    assert params["state"] not in callback
    assert provider.token_requests == []


def test_provider_parameters_are_stripped_whatever_their_value(
    app: Flask, provider: ProviderEmulator
) -> None:
    login = app.test_client().get("/login?" + urlencode({"redirect_uri": SENT}))
    # An OIDC session_state in raw base64, its padding not percent-encoded.
    callback = approve(login) + "&session_state=c2Vzc2lvbg==.salt"

    response = app.test_client().get(callback)

    assert query(response.location)["redirect_uri"] == SENT


@pytest.mark.parametrize(
    "added", [{"next": EVIL}, {"a": "2"}, {"redirect_uri": EVIL, "x": "1"}]
)
def test_a_query_added_to_a_lost_state_callback_is_never_sent_on(
    app: Flask, provider: ProviderEmulator, added: dict[str, str]
) -> None:
    # The attacker's own login gives a genuine callback; the link they send
    # the victim adds to its query.
    callback = approve(app.test_client().get("/login"))
    victim = app.test_client()

    response = victim.get(f"{callback}&{urlencode(added)}")

    assert response.status_code == 302
    assert response.location.startswith(provider.authorize_url)
    assert query(response.location)["redirect_uri"] == "http://localhost/callback"
    assert "evil.example" not in response.location
    assert provider.token_requests == []


def test_a_login_s_own_query_is_dropped_once_anything_is_added(
    app: Flask, provider: ProviderEmulator
) -> None:
    login = app.test_client().get("/login?" + urlencode({"redirect_uri": SENT}))
    callback = approve(login)

    response = app.test_client().get(f"{callback}&next={EVIL}")

    # The URL no longer is the one the login sent: only its path is trusted.
    assert query(response.location)["redirect_uri"] == "http://localhost/callback"


@pytest.fixture
def default_uri_app(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> Flask:
    """An app whose login sends no redirect URI: the provider uses the
    callback URL registered with it."""
    provider.callback_url = "http://localhost/callback"
    app = make_app(OAUTH_RECOVER_MAX_RESTARTS=1)
    oauth = app.extensions["authlib.integrations.flask_client"]

    @app.route("/login-default")
    def login_default() -> Response:
        return oauth.github.authorize_redirect()  # type: ignore[no-any-return]

    return app


def test_a_login_with_the_default_redirect_uri_restarts_with_it(
    default_uri_app: Flask, provider: ProviderEmulator
) -> None:
    callback = approve(default_uri_app.test_client().get("/login-default"))
    browser = default_uri_app.test_client()

    restart = browser.get(f"{callback}&next={EVIL}")

    assert restart.status_code == 302
    assert "redirect_uri" not in query(restart.location)
    assert "evil.example" not in restart.location
    provider.reject_next_codes(1)
    page, _ = provider.follow(browser, restart)
    assert page.status_code == 500

    again = browser.get("/callback?oauth_recover=retry")

    # Try again repeats the login: still the registered default.
    assert again.status_code == 302
    assert "redirect_uri" not in query(again.location)
    response, _ = provider.follow(browser, again)
    assert response.status_code == 200
    with browser.session_transaction() as session:
        assert session["user"] == "octocat"


def test_repeated_callback_after_success_goes_where_the_first_went(
    client: FlaskClient, provider: ProviderEmulator
) -> None:
    response, visited = provider.follow(client, client.get("/login?next=/profile"))
    requests_before = len(provider.token_requests)

    again = client.get(visited[-2])

    assert again.status_code == 302
    assert again.location == "/profile"
    assert len(provider.token_requests) == requests_before


def test_prefetch_of_the_callback_spends_nothing(
    client: FlaskClient, provider: ProviderEmulator
) -> None:
    callback = approve(client.get("/login"))

    prefetch = client.get(callback, headers={"Sec-Purpose": "prefetch"})
    response, _ = provider.follow(client, client.get(callback))

    assert prefetch.status_code == 204
    assert response.text.startswith("signed in as octocat")


def test_loop_guard_holds_when_the_cookie_never_comes_back(
    app: Flask, provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    client = app.test_client(use_cookies=False)

    response, visited = provider.follow(client, client.get("/login"))

    assert response.status_code == 500
    assert "We could not sign you in" in response.text
    assert len(authorize_urls(provider, visited)) == 1 + 2
    assert signals.names == ["authorization_restarted"] * 2 + ["restarts_exhausted"]
    assert provider.token_requests == []


@pytest.mark.parametrize("bound", [0, 1, 3])
def test_restart_bound_is_configurable(
    make_app: Callable[..., Flask], provider: ProviderEmulator, bound: int
) -> None:
    app = make_app(OAUTH_RECOVER_MAX_RESTARTS=bound)
    client = app.test_client()
    provider.reject_next_codes(10)

    response, visited = provider.follow(client, client.get("/login"))

    assert response.status_code == 500
    assert len(authorize_urls(provider, visited)) == 1 + bound


def test_gave_up_page_names_the_missing_cookie(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    app = make_app(OAUTH_RECOVER_SHOW_DETAILS=True)
    browser = app.test_client(use_cookies=False)
    api = app.test_client(use_cookies=False)
    api.environ_base["HTTP_ACCEPT"] = "application/json"

    response, _ = provider.follow(browser, browser.get("/login"))
    json_response, _ = provider.follow(api, api.get("/login"))

    assert 'data-diagnosis="session.cookie_missing"' in response.text
    assert json_response.json is not None
    assert json_response.json["error"] == "restarts_exhausted"
    ids = [finding["id"] for finding in json_response.json["diagnosis"]]
    assert "session.cookie_missing" in ids


@pytest.mark.parametrize("history", ["-", "c", "x"])
def test_forged_restart_count_cannot_extend_the_bound(
    app: Flask, provider: ProviderEmulator, history: str
) -> None:
    client = app.test_client(use_cookies=False)
    callback = approve(client.get("/login"))
    first = client.get(callback)
    state = query(first.location)["state"]
    assert state.split(".")[1] == "k"
    nonce, _, *rest = state.split(".")
    forged = ".".join([nonce, history, *rest])

    second = client.get(f"/callback?code=abc&state={forged}")

    assert second.status_code == 400
    assert "This sign-in link is not valid" in second.text


def test_try_again_repeats_the_login_request(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    app = make_app(OAUTH_RECOVER_MAX_RESTARTS=0)
    client = app.test_client()
    first = client.get("/login?prompt=consent")
    provider.reject_next_codes(1)
    page, _ = provider.follow(client, first)
    assert page.status_code == 500

    again = client.get("/callback?oauth_recover=retry")

    assert again.status_code == 302
    before, after = query(first.location), query(again.location)
    assert after["prompt"] == "consent"
    assert after["redirect_uri"] == before["redirect_uri"]
    assert after["state"] != before["state"]
    response, _ = provider.follow(client, again)
    assert response.text.startswith("signed in as octocat")


def test_try_again_without_a_remembered_login_uses_the_callback_s_own_url(
    app: Flask, provider: ProviderEmulator
) -> None:
    stranger = app.test_client()

    again = stranger.get(
        "/callback?" + urlencode({"oauth_recover": "retry", "next": EVIL})
    )

    assert again.status_code == 302
    assert again.headers["Cache-Control"] == "no-store"
    assert again.headers["Referrer-Policy"] == "no-referrer"
    params = query(again.location)
    assert again.location.startswith(provider.authorize_url)
    assert params["redirect_uri"] == "http://localhost/callback"
    with app.app_context():
        signed = read_state(params["state"], 600, "github")
    # A fresh login: its count starts again, bound to this host.
    assert signed is not None
    assert (signed.history, signed.origin) == ("", "http://localhost")
    response, _ = provider.follow(stranger, again)
    assert response.status_code == 200


@pytest.mark.parametrize("host", ["localhost:99999", "localhost:abc", "[::1"])
def test_try_again_with_a_hostile_host_header_is_refused(
    app: Flask, provider: ProviderEmulator, signals: SignalRecorder, host: str
) -> None:
    response = raw_callback(app, "/callback?oauth_recover=retry", Host=host)

    assert response.status_code == 400
    assert response.json is not None
    assert response.json["error"] == "invalid_callback"
    assert "Location" not in response.headers
    assert signals.names == ["invalid_callback"]


def test_try_again_never_uses_another_client_s_login(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    recover = OAuthRecover()
    app = make_app(recover=recover, OAUTH_RECOVER_MAX_RESTARTS=0)
    oauth = app.extensions["authlib.integrations.flask_client"]
    provider.register(oauth, "work")

    @app.route("/work/callback")
    @recover.callback("work")
    def work_callback() -> str:
        oauth.work.authorize_access_token()
        return "signed in at work"

    client = app.test_client()
    provider.reject_next_codes(1)
    page, _ = provider.follow(client, client.get("/login?prompt=consent"))
    assert page.status_code == 500  # GitHub's login is remembered

    again = client.get("/work/callback?oauth_recover=retry")

    assert again.status_code == 302
    params = query(again.location)
    assert params["redirect_uri"] == "http://localhost/work/callback"
    assert "prompt" not in params


def signed_cookie(app: Flask, payload: str, client_name: str = "github") -> str:
    """A callback cookie value signed as the extension signs one."""
    with app.test_request_context():
        return f"{payload}.{sign(payload, client_name, 'callback cookie v1')}"


def recipe_payload(data: Any) -> str:
    return "r." + b64(json.dumps(data).encode())


@pytest.mark.parametrize(
    "value",
    [
        "not signed",
        "r.e30.forged-signature",
        "signed:" + recipe_payload(["https://evil.example/cb", "x"]),
        "signed:" + recipe_payload([42, {"prompt": "consent"}]),
        "signed:r.not-base64-json",
        "signed:" + recipe_payload("not a list"),
        "work:" + recipe_payload(["http://localhost/callback", {"prompt": "x"}]),
    ],
    ids=[
        "unsigned",
        "forged",
        "params-not-a-dict",
        "redirect-uri-not-a-string",
        "not-json",
        "not-a-pair",
        "another-client-s",
    ],
)
def test_a_malformed_or_foreign_remembered_login_is_ignored(
    app: Flask, provider: ProviderEmulator, value: str
) -> None:
    # Left by another version of the extension, or by someone else: the
    # cookie is the browser's to send, so its shape is not ours to trust.
    client = app.test_client()
    kind, _, payload = value.partition(":")
    if kind in ("signed", "work"):
        value = signed_cookie(app, payload, "github" if kind == "signed" else "work")
    client.set_cookie(COOKIE_NAME, value, path="/callback")

    again = client.get("/callback?oauth_recover=retry")

    assert again.status_code == 302
    params = query(again.location)
    assert params["redirect_uri"] == "http://localhost/callback"
    assert "prompt" not in params


# -- whose origin a lost-state restart uses ------------------------------------


def lost_state_restart(app: Flask, login: TestResponse, **headers: str) -> str:
    """The redirect URI a browser without the login's session entry is
    restarted with, for the state ``login`` sent."""
    state = query(login.location)["state"]
    restart = app.test_client().get(
        "/callback?" + urlencode({"code": "x", "state": state}), headers=headers
    )
    assert restart.status_code == 302
    return query(restart.location).get("redirect_uri", "(the client's default)")


def test_a_login_s_own_spelling_of_this_host_is_kept(
    app: Flask, provider: ProviderEmulator
) -> None:
    # Registered with the port written out: the provider compares it as is.
    sent = "http://localhost:80/callback"
    login = app.test_client().get("/login?" + urlencode({"redirect_uri": sent}))

    assert lost_state_restart(app, login) == sent


@pytest.mark.parametrize(
    "login_query",
    [
        {},  # the login itself was sent with a hostile Host header
        {"redirect_uri": "http://evil.example/callback"},
    ],
)
def test_a_signed_origin_of_another_host_gives_way_to_this_request_s(
    app: Flask, provider: ProviderEmulator, login_query: dict[str, str]
) -> None:
    login = app.test_client().get(
        "/login?" + urlencode(login_query), headers={"Host": "evil.example"}
    )
    assert query(login.location)["redirect_uri"].startswith("http://evil.example/")

    assert lost_state_restart(app, login) == "http://localhost/callback"


def test_a_signed_origin_of_another_scheme_is_never_used(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    app = make_app(TRUSTED_HOSTS=["localhost"])
    login = app.test_client().get(
        "/login?" + urlencode({"redirect_uri": "ftp://localhost/callback"})
    )

    assert lost_state_restart(app, login) == "http://localhost/callback"


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_signed_origin_on_a_trusted_host_is_kept(
    make_app: Callable[..., Flask], provider: ProviderEmulator, scheme: str
) -> None:
    app = make_app(TRUSTED_HOSTS=["localhost", ".app.example"])
    login = app.test_client().get("/login", base_url=f"{scheme}://www.app.example")

    assert lost_state_restart(app, login) == f"{scheme}://www.app.example/callback"


def test_the_server_name_is_a_trusted_host(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    app = make_app(SERVER_NAME="app.example")
    # url_for builds the redirect URI from SERVER_NAME, whatever the Host.
    login = app.test_client().get("/login", headers={"Host": "localhost"})
    evil = app.test_client().get(
        "/login?" + urlencode({"redirect_uri": "http://evil.example/callback"})
    )

    # The callback reaches the app under another name, e.g. from inside.
    assert lost_state_restart(app, login, Host="localhost") == (
        "http://app.example/callback"
    )
    assert lost_state_restart(app, evil, Host="app.example") == (
        "http://app.example/callback"
    )


def test_without_a_usable_host_a_restart_keeps_the_client_s_default(
    app: Flask, provider: ProviderEmulator
) -> None:
    login = app.test_client().get("/login", headers={"Host": "evil.example"})
    state = query(login.location)["state"]

    restart = raw_callback(
        app, "/callback?" + urlencode({"code": "x", "state": state}), Host="[::1"
    )

    assert restart.status_code == 302
    location = restart.headers["Location"]
    assert location.startswith(provider.authorize_url)
    assert "redirect_uri" not in query(location)


@pytest.mark.parametrize("redirect_uri", [None, 42, ["http://localhost/callback"]])
def test_state_data_without_a_text_redirect_uri_gives_the_client_s_default(
    redirect_uri: Any,
) -> None:
    # State data can come from a shared cache that others write to.
    url = "https://provider.example/authorize?scope=read&state=s&prompt=consent"

    recipe = recipe_from_state_data({"url": url, "redirect_uri": redirect_uri})

    assert recipe == Recipe(None, {"scope": "read", "prompt": "consent"})
