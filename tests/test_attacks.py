"""Crafted links, forged and replayed states, hostile headers: each test is
an attack on the callback, and asserts what the attacker and the victim
get. Every value on a callback URL is the attacker's to choose."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest
import requests
from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask import session
from flask import url_for
from flask.testing import FlaskClient
from werkzeug.test import TestResponse
from werkzeug.wrappers import Response

import flask_oauth_recover.state
from flask_oauth_recover import OAuthRecover
from flask_oauth_recover.testing import ProviderEmulator

from .apps.multi_provider import create_app as multi_provider_app
from .conftest import SECRET_KEY
from .conftest import MemoryCache
from .conftest import SignalRecorder
from .support.raw import raw_callback

EVIL = "https://evil.example/phish"


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def provider_answer(login: TestResponse) -> str:
    """The callback URL the provider sends the browser to, unvisited."""
    answer = requests.get(login.location, allow_redirects=False, timeout=10)
    return str(answer.headers["Location"])


def attackers_state(app: Flask) -> str:
    """A genuine signed state, from the attacker's own login."""
    return query(app.test_client().get("/login").location)["state"]


def cookie_size(response: TestResponse) -> int:
    return sum(len(value) for value in response.headers.getlist("Set-Cookie"))


class Clock:
    """Stands in for the ``time`` module the state module reads."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        import time

        return time.time() + self.offset


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(flask_oauth_recover.state, "time", fake)
    return fake


# 1. Open redirect after a genuine login -------------------------------------


def test_a_crafted_next_never_reaches_the_redirect_uri(
    app: Flask, provider: ProviderEmulator
) -> None:
    state = attackers_state(app)
    victim = app.test_client()
    victim.get("/")
    padding = "x" * 2500

    response = victim.get(
        "/callback?"
        + urlencode({"code": "c0de", "state": state, "next": EVIL, "pad": padding})
    )

    assert response.status_code == 302
    restart = query(response.location)
    assert restart["redirect_uri"] == "http://localhost/callback"
    assert "evil.example" not in response.location
    assert cookie_size(response) < 1500
    assert provider.token_requests == []


def test_a_crafted_link_without_a_state_is_refused(
    client: FlaskClient, provider: ProviderEmulator
) -> None:
    response = client.get("/callback?" + urlencode({"code": "c0de", "next": EVIL}))

    assert response.status_code == 400
    assert "This sign-in link is not valid" in response.text
    assert "evil.example" not in response.text
    assert provider.authorize_requests == [] and provider.token_requests == []


def test_the_login_s_own_query_survives_a_lost_state(
    app: Flask, provider: ProviderEmulator
) -> None:
    sent = "http://localhost/callback?" + urlencode({"next": "/cart"})
    login = app.test_client().get("/login?" + urlencode({"redirect_uri": sent}))
    callback = provider_answer(login)

    response = app.test_client().get(callback)

    assert query(response.location)["redirect_uri"] == sent


# 3. Nobody can page the operators -------------------------------------------


@pytest.mark.parametrize("details", [True, False])
def test_anonymous_error_links_never_alert(
    make_app: Callable[..., Flask],
    signals: SignalRecorder,
    caplog: pytest.LogCaptureFixture,
    details: bool,
) -> None:
    client = make_app(OAUTH_RECOVER_SHOW_DETAILS=details).test_client()
    link = "/callback?" + urlencode(
        {
            "error": "application_suspended",
            "error_description": "<b>Call +1 555 0100 now</b>",
            "error_uri": "https://evil.example/support",
        }
    )

    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        pages = [client.get(link) for _ in range(50)]

    assert {page.status_code for page in pages} == {400}
    assert signals.names == ["invalid_callback"] * 50
    assert {record.levelname for record in caplog.records} == {"WARNING"}
    assert "555 0100" not in pages[0].text
    assert "evil.example" not in pages[0].text


def test_a_signed_state_is_refused_once_it_expires(
    app: Flask, provider: ProviderEmulator, signals: SignalRecorder, clock: Clock
) -> None:
    callback = provider_answer(app.test_client().get("/login"))
    clock.offset = 601

    replays = [app.test_client().get(callback) for _ in range(3)]

    assert {replay.status_code for replay in replays} == {400}
    assert signals.names == ["invalid_callback"] * 3
    assert all("Location" not in replay.headers for replay in replays)


def test_the_state_lifetime_is_configurable(
    make_app: Callable[..., Flask], provider: ProviderEmulator, clock: Clock
) -> None:
    app = make_app(OAUTH_RECOVER_STATE_MAX_AGE=60)
    callback = provider_answer(app.test_client().get("/login"))
    clock.offset = 61

    response = app.test_client().get(callback)

    assert response.status_code == 400


def test_a_pending_login_outlives_the_signature(
    client: FlaskClient, provider: ProviderEmulator, clock: Clock
) -> None:
    # A user who reads the consent page for an hour still signs in: the
    # session vouches for the state, whatever its signature's age.
    callback = provider_answer(client.get("/login"))
    clock.offset = 3000

    response, _ = provider.follow(client, client.get(callback))

    assert response.text.startswith("signed in as octocat")


# 4. Facts are facts ---------------------------------------------------------


def test_a_callback_on_another_host_names_the_alias_not_a_guess(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    app = make_app(OAUTH_RECOVER_SHOW_DETAILS=True)
    provider.callback_url = "http://127.0.0.1/callback"
    client = app.test_client()
    # Started on localhost; GitHub sends its error to the registered URL.
    callback = provider_answer(client.get("/login"))
    assert callback.startswith("http://127.0.0.1/callback?error=redirect_uri_mismatch")

    page = client.get(callback)

    assert page.status_code == 500
    assert 'data-diagnosis="redirect_uri.loopback_alias"' in page.text
    assert "http://127.0.0.1/callback</dd>" not in page.text
    assert "unknown: the login&#39;s state data did not come back" in page.text
    assert "http://localhost" in page.text


# 6. form_post ---------------------------------------------------------------


def form_post_app(provider: ProviderEmulator) -> Flask:
    app = Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY=SECRET_KEY)
    oauth = OAuth(app)
    provider.register(oauth, "github")
    recover = OAuthRecover(app)

    @app.route("/login")
    def login() -> Response:
        uri = url_for("callback", _external=True)
        return oauth.github.authorize_redirect(uri, response_mode="form_post")  # type: ignore[no-any-return]

    @app.route("/callback", methods=["POST"])
    @recover.callback("github")
    def callback() -> str:
        oauth.github.authorize_access_token()
        return "signed in"

    return app


def test_a_posted_cancel_is_a_cancel(
    provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    client = form_post_app(provider).test_client()
    state = query(client.get("/login").location)["state"]

    page = client.post("/callback", data={"error": "access_denied", "state": state})

    assert page.status_code == 403
    assert "Sign-in cancelled" in page.text
    assert signals.names == ["login_cancelled"]


# 7. No state, no loop ---------------------------------------------------------


def test_a_callback_without_state_never_restarts(
    client: FlaskClient, provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    client.get("/")
    with client.session_transaction() as before:
        keys_before = set(before)

    answers = [client.get("/callback?code=abc") for _ in range(5)]

    assert {answer.status_code for answer in answers} == {400}
    assert provider.authorize_requests == []
    assert signals.names == ["invalid_callback"] * 5
    with client.session_transaction() as after:
        assert set(after) == keys_before


def test_a_stranger_s_link_keeps_the_victim_s_login_and_session(
    client: FlaskClient, provider: ProviderEmulator
) -> None:
    login = client.get("/login?next=/profile")
    callback = provider_answer(login)

    client.get("/callback?error=access_denied&state=forged")
    response, _ = provider.follow(client, client.get(callback))

    assert response.text == "signed in as octocat; cart=['book', 'lamp']"


# 8. Every response the extension makes stays out of caches and Referer ----


def test_restart_try_again_and_prefetch_responses_are_not_stored(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    client = make_app(OAUTH_RECOVER_MAX_RESTARTS=1).test_client()
    provider.reject_next_codes(1)
    callback = provider_answer(client.get("/login"))

    prefetch = client.get(callback, headers={"Sec-Purpose": "prefetch"})
    restart = client.get(callback)
    retry = client.get("/callback?oauth_recover=retry")

    for response in (prefetch, restart, retry):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert (restart.status_code, retry.status_code) == (302, 302)


# 12. The gave-up page says what happened ------------------------------------


def test_refused_codes_are_not_blamed_on_the_cookie(
    make_app: Callable[..., Flask],
    provider: ProviderEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = make_app(OAUTH_RECOVER_SHOW_DETAILS=True).test_client()
    provider.reject_next_codes(3)

    with caplog.at_level(logging.ERROR, logger="flask_oauth_recover"):
        page, _ = provider.follow(client, client.get("/login"))

    assert page.status_code == 500
    assert page.text.count("the provider refused the authorization code") == 3
    assert "session." not in page.text.split("data-diagnosis")[-1][:40]
    line = caplog.records[-1].getMessage()
    assert "cookie" not in line.split("Facts:")[0]
    assert "refused" in line.split("Facts:")[0]


def test_a_lost_cookie_is_named_when_it_was_the_cause(
    make_app: Callable[..., Flask],
    provider: ProviderEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = make_app(OAUTH_RECOVER_SHOW_DETAILS=True).test_client(use_cookies=False)

    with caplog.at_level(logging.ERROR, logger="flask_oauth_recover"):
        page, _ = provider.follow(client, client.get("/login"))

    assert 'data-diagnosis="session.cookie_missing"' in page.text
    assert page.text.count("no session cookie came back") == 3
    assert "cookie" in caplog.records[-1].getMessage().split("Facts:")[0]


def test_session_keys_the_app_set_survive_a_restart(
    client: FlaskClient, provider: ProviderEmulator
) -> None:
    provider.reject_next_codes(1)

    with client:
        response, _ = provider.follow(client, client.get("/login?next=/profile"))
        assert session.get("user") == "octocat"

    assert response.text == "signed in as octocat; cart=['book', 'lamp']"


# 5. A hostile Host header ---------------------------------------------------


@pytest.mark.parametrize("host", ["localhost:99999", "localhost:abc", "[::1"])
def test_a_hostile_host_on_the_try_again_link_gets_the_invalid_page(
    app: Flask, provider: ProviderEmulator, host: str
) -> None:
    response = raw_callback(
        app, "/callback?oauth_recover=retry", accept="text/html", Host=host
    )

    assert response.status_code == 400
    assert "This sign-in link is not valid" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert provider.authorize_requests == []


# 13. Second review: replays, duplicates, hosts and clients ------------------


def cache_modes() -> pytest.MarkDecorator:
    """Each attack once with Authlib's shared cache, once without one (the
    extension's in-process record)."""
    return pytest.mark.parametrize(
        "shared_cache", [False, True], ids=["in-process", "shared-cache"]
    )


@cache_modes()
def test_a_replayed_link_never_hands_over_the_victim_s_authorization(
    make_app: Callable[..., Flask], provider: ProviderEmulator, shared_cache: bool
) -> None:
    app = make_app(cache=MemoryCache() if shared_cache else None)
    link = "/callback?" + urlencode({"code": "x", "state": attackers_state(app)})
    victim = app.test_client()
    victim.get("/")
    restarted = victim.get(link)
    assert restarted.status_code == 302
    victims_state = query(restarted.location)["state"]

    # The same link again, from the attacker's cookie-less client.
    replay = app.test_client(use_cookies=False).get(link)

    assert replay.status_code == 400
    assert "Location" not in replay.headers
    assert victims_state not in replay.text
    provider.follow(victim, restarted)
    assert victim.get("/profile").text.startswith("signed in as octocat")


@cache_modes()
def test_one_signed_state_pages_operators_once(
    make_app: Callable[..., Flask],
    signals: SignalRecorder,
    caplog: pytest.LogCaptureFixture,
    shared_cache: bool,
) -> None:
    app = make_app(cache=MemoryCache() if shared_cache else None)
    link = "/callback?" + urlencode(
        {"error": "application_suspended", "state": attackers_state(app)}
    )

    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        pages = [app.test_client(use_cookies=False).get(link) for _ in range(50)]

    assert [page.status_code for page in pages] == [500] + [400] * 49
    assert signals.names == ["configuration_error"] + ["invalid_callback"] * 49
    levels = [record.levelname for record in caplog.records]
    assert levels == ["ERROR"] + ["WARNING"] * 49


def test_a_history_run_up_elsewhere_pages_operators_once(
    app: Flask,
    provider: ProviderEmulator,
    signals: SignalRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The attacker loses the cookie twice on purpose, then keeps the third
    # callback, whose state says the login is out of restarts.
    attacker = app.test_client(use_cookies=False)
    answer = provider_answer(attacker.get("/login"))
    for _ in range(2):
        answer = provider_answer(attacker.get(answer))
    signals.sent.clear()

    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        pages = [app.test_client(use_cookies=False).get(answer) for _ in range(5)]

    assert [page.status_code for page in pages] == [500, 400, 400, 400, 400]
    assert signals.names == ["restarts_exhausted"] + ["invalid_callback"] * 4
    errors = [record for record in caplog.records if record.levelname == "ERROR"]
    assert len(errors) == 1


def test_a_hostile_host_at_login_never_becomes_the_victim_s_redirect_uri(
    app: Flask, provider: ProviderEmulator
) -> None:
    login = app.test_client().get("/login", headers={"Host": "evil.example"})
    assert query(login.location)["redirect_uri"] == "http://evil.example/callback"
    state = query(login.location)["state"]
    victim = app.test_client()

    restarted = victim.get("/callback?" + urlencode({"code": "x", "state": state}))
    page = victim.get(
        "/callback?" + urlencode({"error": "application_suspended", "state": state})
    )
    again = victim.get("/callback?oauth_recover=retry")

    assert query(restarted.location)["redirect_uri"] == "http://localhost/callback"
    assert page.status_code == 400  # the state was used by the first link
    assert query(again.location)["redirect_uri"] == "http://localhost/callback"
    assert "evil.example" not in restarted.location + again.location


def test_a_signed_origin_on_a_trusted_host_is_kept(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    app = make_app(TRUSTED_HOSTS=["localhost", ".app.example"])
    login = app.test_client().get("/login", headers={"Host": "www.app.example"})
    state = query(login.location)["state"]

    restarted = app.test_client().get(
        "/callback?" + urlencode({"code": "x", "state": state})
    )

    assert query(restarted.location)["redirect_uri"] == (
        "http://www.app.example/callback"
    )


def test_a_config_page_from_a_stranger_s_state_keeps_no_recipe(
    app: Flask, provider: ProviderEmulator
) -> None:
    login = app.test_client().get(
        "/login?prompt=consent", headers={"Host": "evil.example"}
    )
    state = query(login.location)["state"]
    victim = app.test_client()

    page = victim.get(
        "/callback?" + urlencode({"error": "application_suspended", "state": state})
    )
    again = victim.get("/callback?oauth_recover=retry")

    assert page.status_code == 500
    assert "Set-Cookie" not in page.headers
    params = query(again.location)
    assert params["redirect_uri"] == "http://localhost/callback"
    assert "prompt" not in params


def test_a_state_minted_for_one_client_is_a_stranger_s_link_at_another(
    provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    with ProviderEmulator(profile="gitlab") as gitlab:
        app = multi_provider_app(provider, gitlab)
        attacker = app.test_client()
        github_state = query(attacker.get("/login/github").location)["state"]

        answer = app.test_client().get(
            "/auth/gitlab?" + urlencode({"code": "x", "state": github_state})
        )

        assert answer.status_code == 400
        assert "Location" not in answer.headers
        assert signals.names == ["invalid_callback"]
        assert gitlab.token_requests == []


def test_apps_sharing_a_secret_key_refuse_each_other_s_states(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    first = make_app(import_name="first_app")
    second = make_app(import_name="second_app")
    state = attackers_state(first)

    answer = second.test_client().get(
        "/callback?" + urlencode({"code": "x", "state": state})
    )

    assert answer.status_code == 400
    assert provider.token_requests == []


def test_a_double_click_that_reaches_the_same_worker_later_follows_the_first(
    app: Flask, provider: ProviderEmulator
) -> None:
    # A sync worker serves the second click after the first; the browser
    # dropped the first response, so the second carries the old cookie.
    browser = app.test_client()
    callback = provider_answer(browser.get("/login?next=/profile"))
    old_cookie = browser.get_cookie("session")
    assert old_cookie is not None
    first = browser.get(callback)
    browser.set_cookie("session", old_cookie.value)

    second = browser.get(callback)

    assert (first.status_code, second.status_code) == (302, 302)
    assert second.location == first.location == "/profile"
    assert len(provider.token_requests) == 1
    assert browser.get("/profile").text.startswith("signed in as octocat")


def test_concurrent_double_clicks_on_cookie_sessions_exchange_the_code_once(
    app: Flask, provider: ProviderEmulator
) -> None:
    browser = app.test_client()
    callback = provider_answer(browser.get("/login?next=/profile"))
    cookie = browser.get_cookie("session")
    assert cookie is not None
    provider.hang_next_token_requests(1.0)

    def click() -> TestResponse:
        tab = app.test_client()
        tab.set_cookie("session", cookie.value)
        return tab.get(callback)

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(click)
        assert provider.wait_for_token_requests(1, timeout=10)
        second = pool.submit(click)
        responses = [first.result(), second.result()]

    assert [response.status_code for response in responses] == [302, 302]
    assert {response.location for response in responses} == {"/profile"}
    assert len(provider.token_requests) == 1
    kept = app.test_client()
    kept.set_cookie("session", session_cookie(responses[1]))
    assert kept.get("/profile").text.startswith("signed in as octocat")


def session_cookie(response: TestResponse) -> str:
    for header in response.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        if name == "session":
            return rest.split(";")[0]
    raise AssertionError("no session cookie was set")
