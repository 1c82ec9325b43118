"""Diagnoses name the actual misconfiguration, built here for real: a login
runs between the app and the provider emulator through a browser-like test
client, behind an emulated reverse proxy where the finding is about one.
The credential rules, which need only an app context, are also run on
registered clients directly, and their findings compared word for word
with what ``check`` and the pages show."""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urljoin
from urllib.parse import urlsplit

import pytest
import requests
from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask import redirect
from flask import url_for
from flask.testing import FlaskClient
from flask_dance.consumer import OAuth2ConsumerBlueprint
from flask_dance.contrib.azure import make_azure_blueprint
from flask_dance.contrib.github import make_github_blueprint
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.test import Cookie
from werkzeug.test import TestResponse
from werkzeug.wrappers import Response

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover.classify import Failure
from flask_oauth_recover.classify import FailureKind
from flask_oauth_recover.clients import provider_of
from flask_oauth_recover.diagnose import COOKIE_LIMIT
from flask_oauth_recover.diagnose import COOKIE_NEAR_LIMIT
from flask_oauth_recover.diagnose import FINDING_IDS
from flask_oauth_recover.diagnose import Evidence
from flask_oauth_recover.diagnose import Finding
from flask_oauth_recover.diagnose import FrameworkSettings
from flask_oauth_recover.diagnose import credential_findings
from flask_oauth_recover.diagnose import diagnose
from flask_oauth_recover.diagnose import fingerprint
from flask_oauth_recover.diagnose import probe_rejected
from flask_oauth_recover.diagnose import public_client_id
from flask_oauth_recover.diagnose import relevant_facts
from flask_oauth_recover.integrations.flask_dance import DanceClient
from flask_oauth_recover.providers.profile import APP_NOT_IN_DIRECTORY
from flask_oauth_recover.providers.profile import SECRET_EXPIRED
from flask_oauth_recover.testing import AppleDialect
from flask_oauth_recover.testing import ProviderEmulator

from .apps.profile_app import make_app as make_profile_app
from .conftest import SECRET_KEY
from .support.raw import raw_callback

AppFactory = Callable[..., Flask]
JSON = "application/json"
HTML = "text/html"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
WRONG_SECRET = "fedcba9876543210fedcba9876543210fedcba98"


# -- a browser-like test client -------------------------------------------------


@dataclass
class Proxy:
    """A reverse proxy in front of the app: the browser uses ``public``, the
    app is reached at ``upstream`` with ``headers`` added."""

    public: str
    upstream: str
    headers: dict[str, str]

    def to_upstream(self, url: str) -> str:
        rest = url[len(self.public) :]
        assert url.startswith(self.public) and rest[:1] in ("", "/", "?"), url
        return self.upstream + rest


@dataclass
class Browser:
    """Follows a login between a Flask test client and the provider emulator,
    with the cookie rules of a browser that the test client lacks: a
    ``SameSite=Strict`` cookie stays home on a navigation from another site,
    a ``Secure`` cookie is not sent over http, and a ``Set-Cookie`` larger
    than 4096 bytes is ignored. ``Sec-Fetch-Site`` says where each
    navigation came from."""

    client: FlaskClient
    provider: ProviderEmulator
    base_url: str = "http://localhost"
    proxy: Proxy | None = None
    accept: str = JSON
    fetch_metadata: bool = True

    def login(
        self, path: str = "/login", *, before_provider: Callable[[], None] | None = None
    ) -> TestResponse:
        """Open ``path`` and follow redirects until the app answers with a
        page; ``before_provider`` runs once the login has redirected."""
        url = (self.proxy.public if self.proxy else self.base_url) + path
        response = self.request(url, "none")
        if before_provider is not None:
            before_provider()
        for _ in range(12):
            location = response.headers.get("Location")
            if response.status_code not in REDIRECTS or not location:
                return response
            target = urljoin(url, location)
            if target.startswith(self.provider.base_url):
                answer = requests.get(target, allow_redirects=False, timeout=10)
                assert answer.status_code in REDIRECTS, answer.text
                url, site = answer.headers["Location"], "cross-site"
            else:
                url, site = target, "same-origin"
            response = self.request(url, site)
        raise AssertionError("redirect loop")

    def request(self, url: str, fetch_site: str) -> TestResponse:
        """One navigation to the app at ``url`` as the browser sees it."""
        app_url = self.proxy.to_upstream(url) if self.proxy else url
        host = urlsplit(app_url).hostname or "localhost"
        name = self.client.application.config["SESSION_COOKIE_NAME"]
        previous = self.client.get_cookie(name, domain=host)
        held = previous is not None and (
            (fetch_site == "cross-site" and previous.same_site == "Strict")
            or (previous.secure and urlsplit(url).scheme == "http")
        )
        if held:
            self.client.delete_cookie(name, domain=host)
        headers = {"Accept": self.accept}
        if self.fetch_metadata:
            headers["Sec-Fetch-Site"] = fetch_site
        headers.update(self.proxy.headers if self.proxy else {})
        # An explicit base URL: without one, Flask's test client builds it
        # from SERVER_NAME and APPLICATION_ROOT, which a browser never does.
        parts = urlsplit(app_url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        base_url = f"{parts.scheme}://{parts.netloc}"
        response = self.client.get(path, base_url=base_url, headers=headers)
        set_cookie = [
            value
            for value in response.headers.getlist("Set-Cookie")
            if value.startswith(f"{name}=")
        ]
        oversized = any(len(value.split(";")[0]) > COOKIE_LIMIT for value in set_cookie)
        if (held and not set_cookie) or oversized:
            _put_back(self.client, name, host, previous)
        return response


def _put_back(client: FlaskClient, name: str, host: str, cookie: Cookie | None) -> None:
    client.delete_cookie(name, domain=host)
    if cookie is not None:
        client.set_cookie(
            name,
            cookie.decoded_value,
            domain=host,
            path=cookie.path,
            secure=bool(cookie.secure),
            httponly=bool(cookie.http_only),
            samesite=cookie.same_site,
        )


# -- apps ------------------------------------------------------------------------


class StateCache:
    """A cache for Authlib's state data whose entries can be made to expire
    (``OAuth(app, cache=...)``)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def set(self, key: str, value: Any, timeout: int | None = None) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)

    def expire_all(self) -> None:
        self.values.clear()


def config_app(
    provider: ProviderEmulator, *, cache: StateCache | None = None, **config: Any
) -> Flask:
    """The other common setup: credentials only in ``app.config``, where
    Authlib reads ``GITHUB_CLIENT_ID`` and ``GITHUB_CLIENT_SECRET``."""
    app = Flask(__name__)
    app.config.update(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET_KEY,
            "OAUTH_RECOVER_SHOW_DETAILS": True,
            "GITHUB_CLIENT_ID": provider.client_id,
            "GITHUB_CLIENT_SECRET": provider.client_secret,
            **config,
        }
    )
    oauth = OAuth(app, cache=cache)
    oauth.register(
        "github",
        authorize_url=provider.authorize_url,
        access_token_url=provider.token_url,
        api_base_url=provider.api_base_url,
        client_kwargs={"scope": "read:user"},
    )
    recover = OAuthRecover(app)

    @app.route("/login")
    def login() -> Response:
        redirect_uri = url_for("callback", _external=True)
        return oauth.github.authorize_redirect(redirect_uri)  # type: ignore[no-any-return]

    @app.route("/callback")
    @recover.callback("github")
    def callback() -> Response:
        oauth.github.authorize_access_token()
        return redirect("/profile")

    @app.route("/profile")
    def profile() -> str:
        return "signed in"

    return app


# -- one scenario per finding ------------------------------------------------------


@dataclass
class Env:
    make_app: AppFactory
    provider: ProviderEmulator
    accept: str
    #: Emulators of the other profiles, by name.
    others: dict[str, ProviderEmulator] = field(default_factory=dict)

    def browser(self, app: Flask, **kwargs: Any) -> Browser:
        kwargs.setdefault("accept", self.accept)
        return Browser(app.test_client(), self.provider, **kwargs)

    def other(self, name: str, **config: Any) -> tuple[ProviderEmulator, Browser]:
        """The emulator of profile ``name``, and a browser on an app that
        signs in with it."""
        emulator = self.others[name]
        overrides = config.pop("client_overrides", None)
        app = make_profile_app(emulator, client_overrides=overrides, **config)
        return emulator, Browser(app.test_client(), emulator, accept=self.accept)


def behind_proxy_without_proxy_fix(env: Env) -> TestResponse:
    env.provider.callback_url = "https://app.example/callback"
    app = env.make_app(OAUTH_RECOVER_SHOW_DETAILS=True)
    proxy = Proxy(
        "https://app.example", "http://app.example", {"X-Forwarded-Proto": "https"}
    )
    return env.browser(app, proxy=proxy).login()


def behind_host_rewriting_proxy_without_proxy_fix(env: Env) -> TestResponse:
    env.provider.callback_url = "http://app.example/callback"
    app = env.make_app(OAUTH_RECOVER_SHOW_DETAILS=True)
    proxy = Proxy(
        "http://app.example",
        "http://127.0.0.1:8000",
        {"X-Forwarded-Host": "app.example"},
    )
    return env.browser(app, proxy=proxy).login()


def redirect_uri_on_localhost_app_on_127(env: Env) -> TestResponse:
    # The login page is on 127.0.0.1, but the app sends a redirect URI it
    # keeps in its config, written with localhost.
    env.provider.callback_url = "http://127.0.0.1/callback"
    app = env.make_app(OAUTH_RECOVER_SHOW_DETAILS=True)
    browser = env.browser(app, base_url="http://127.0.0.1")
    return browser.login("/login?redirect_uri=http://localhost/callback")


def redirect_uri_on_www_app_on_apex(env: Env) -> TestResponse:
    env.provider.callback_url = "https://example.com/callback"
    app = env.make_app(OAUTH_RECOVER_SHOW_DETAILS=True)
    browser = env.browser(app, base_url="https://example.com")
    return browser.login("/login?redirect_uri=https://www.example.com/callback")


def server_name_differs_from_the_host(env: Env) -> TestResponse:
    env.provider.callback_url = "http://example.com/callback"
    app = env.make_app(SERVER_NAME="www.example.com", OAUTH_RECOVER_SHOW_DETAILS=True)
    return env.browser(app, base_url="http://example.com").login()


def callback_path_not_registered(env: Env) -> TestResponse:
    # The app sends a redirect URI from its config, with an old path.
    env.provider.callback_url = "http://localhost/callback"
    app = env.make_app(OAUTH_RECOVER_SHOW_DETAILS=True)
    return env.browser(app).login("/login?redirect_uri=http://localhost/oauth/callback")


def empty_secret_in_config(env: Env) -> TestResponse:
    app = config_app(env.provider, GITHUB_CLIENT_SECRET="")
    return env.browser(app).login()


def secret_with_trailing_newline_in_config(env: Env) -> TestResponse:
    app = config_app(
        env.provider, GITHUB_CLIENT_SECRET=env.provider.client_secret + "\n"
    )
    return env.browser(app).login()


def personal_access_token_as_secret(env: Env) -> TestResponse:
    pat = "ghp_" + "a1B2c3D4e5" * 3 + "f6G7h8"
    app = env.make_app(
        client_overrides={"client_secret": pat}, OAUTH_RECOVER_SHOW_DETAILS=True
    )
    return env.browser(app).login()


def samesite_strict_cookie(env: Env) -> TestResponse:
    app = env.make_app(
        SESSION_COOKIE_SAMESITE="Strict", OAUTH_RECOVER_SHOW_DETAILS=True
    )
    return env.browser(app).login()


def secure_cookie_over_http(env: Env) -> TestResponse:
    app = env.make_app(SESSION_COOKIE_SECURE=True, OAUTH_RECOVER_SHOW_DETAILS=True)
    return env.browser(app, base_url="http://app.test").login()


def cookie_domain_of_another_site(env: Env) -> TestResponse:
    app = env.make_app(
        SESSION_COOKIE_DOMAIN="example.org", OAUTH_RECOVER_SHOW_DETAILS=True
    )
    return env.browser(app, base_url="http://app.test").login()


def session_near_the_cookie_limit(env: Env) -> TestResponse:
    app = env.make_app(OAUTH_RECOVER_SHOW_DETAILS=True)
    browser = env.browser(app)
    with browser.client.session_transaction() as session:
        # Random text, so that compression cannot shrink it.
        session["notes"] = secrets.token_urlsafe(2800)
    with pytest.warns(UserWarning, match="cookie is too large"):
        return browser.login()


def login_older_than_the_state(env: Env) -> TestResponse:
    cache = StateCache()
    app = config_app(env.provider, cache=cache, OAUTH_RECOVER_MAX_RESTARTS=0)
    browser = env.browser(app)

    def two_hours_pass() -> None:
        with browser.client.session_transaction() as session:
            for key in [k for k in session if k.startswith("_state_github_")]:
                session[key] = {"exp": time.time() - 3600}
        cache.expire_all()

    return browser.login(before_provider=two_hours_pass)


def session_store_lost_the_state(env: Env) -> TestResponse:
    cache = StateCache()
    app = config_app(env.provider, cache=cache, OAUTH_RECOVER_MAX_RESTARTS=0)
    # The cookie comes back; the store behind it has forgotten the login.
    return env.browser(app).login(before_provider=cache.expire_all)


def callback_on_an_instance_with_another_secret_key(env: Env) -> TestResponse:
    first = env.make_app(OAUTH_RECOVER_SHOW_DETAILS=True)
    other = env.make_app(OAUTH_RECOVER_SHOW_DETAILS=True)
    other.config["SECRET_KEY"] = "another-instance-key"
    browser = env.browser(first)
    login = browser.request("http://localhost/login", "none")
    answer = requests.get(login.headers["Location"], allow_redirects=False, timeout=10)
    cookie = browser.client.get_cookie("session")
    assert cookie is not None
    instance = other.test_client()
    instance.set_cookie("session", cookie.value)
    return instance.get(answer.headers["Location"], headers={"Accept": env.accept})


def cookie_lost_before_the_callback(env: Env) -> TestResponse:
    app = env.make_app(OAUTH_RECOVER_MAX_RESTARTS=0, OAUTH_RECOVER_SHOW_DETAILS=True)
    browser = env.browser(app)
    # As when the provider's page opens the callback in another browser.
    return browser.login(
        before_provider=lambda: browser.client.delete_cookie("session")
    )


def entra_secret_id_as_the_secret(env: Env) -> TestResponse:
    secret_id = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
    _, browser = env.other("microsoft", client_overrides={"client_secret": secret_id})
    return browser.login()


def entra_secret_expired(env: Env) -> TestResponse:
    emulator, browser = env.other("microsoft")
    emulator.client_secret_expired = True
    return browser.login()


def entra_token_endpoint_of_another_tenant(env: Env) -> TestResponse:
    emulator = env.others["microsoft"]
    tenant = urlsplit(emulator.token_url).path.split("/")[1]
    token_url = emulator.token_url.replace(tenant, "contoso.onmicrosoft.com")
    _, browser = env.other(
        "microsoft", client_overrides={"access_token_url": token_url}
    )
    return browser.login()


def pkce_verifier_of_another_login(env: Env) -> TestResponse:
    pkce = {"client_kwargs": {"code_challenge_method": "S256", "scope": "openid"}}
    emulator, browser = env.other("google", client_overrides=pkce)

    def another_verifier() -> None:
        with browser.client.session_transaction() as session:
            for key in [k for k in session if k.startswith("_state_google_")]:
                entry = dict(session[key])
                entry["data"] = {**entry["data"], "code_verifier": "v" * 64}
                session[key] = entry

    return browser.login(before_provider=another_verifier)


def gitlab_refuses_every_code(env: Env) -> TestResponse:
    emulator, browser = env.other("gitlab")
    emulator.reject_next_codes(2)
    return browser.login()


def wrong_secret_of_the_right_shape(env: Env) -> TestResponse:
    app = env.make_app(
        client_overrides={"client_secret": WRONG_SECRET},
        OAUTH_RECOVER_SHOW_DETAILS=True,
    )
    return env.browser(app).login()


def apple_login(env: Env, **config: Any) -> TestResponse:
    """A login with Sign in with Apple, whose callback is a cross-site form
    POST: the emulator's ``follow`` leaves ``SameSite=Lax`` cookies behind,
    as browsers do."""
    emulator = env.others["apple"]
    overrides = config.pop("client_overrides", None)
    app = make_profile_app(emulator, client_overrides=overrides, **config)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT"] = env.accept
    response, _ = emulator.follow(client, client.get("/login"))
    return response


def apple_secret_for_another_client(env: Env) -> TestResponse:
    dialect = env.others["apple"].dialect
    assert isinstance(dialect, AppleDialect)
    secret = dialect.client_secret("com.example.other")
    return apple_login(env, client_overrides={"client_secret": secret})


def apple_with_a_lax_session_cookie(env: Env) -> TestResponse:
    return apple_login(env, SESSION_COOKIE_SAMESITE="Lax")


SCENARIOS: dict[str, Callable[[Env], TestResponse]] = {
    "redirect_uri.proxy_scheme": behind_proxy_without_proxy_fix,
    "redirect_uri.proxy_host": behind_host_rewriting_proxy_without_proxy_fix,
    "redirect_uri.loopback_alias": redirect_uri_on_localhost_app_on_127,
    "redirect_uri.host_changed": redirect_uri_on_www_app_on_apex,
    "redirect_uri.server_name": server_name_differs_from_the_host,
    "redirect_uri.register": callback_path_not_registered,
    "credentials.missing": empty_secret_in_config,
    "credentials.whitespace": secret_with_trailing_newline_in_config,
    "credentials.shape": personal_access_token_as_secret,
    "session.samesite_strict": samesite_strict_cookie,
    "session.state_lost": session_store_lost_the_state,
    "session.secret_key_mismatch": callback_on_an_instance_with_another_secret_key,
    "session.secure_over_http": secure_cookie_over_http,
    "session.cookie_domain": cookie_domain_of_another_site,
    "session.cookie_too_large": session_near_the_cookie_limit,
    "session.state_expired": login_older_than_the_state,
    "session.cookie_missing": cookie_lost_before_the_callback,
    "credentials.secret_id": entra_secret_id_as_the_secret,
    "credentials.expired": entra_secret_expired,
    "credentials.wrong_tenant": entra_token_endpoint_of_another_tenant,
    "pkce.mismatch": pkce_verifier_of_another_login,
    "token.invalid_grant_repeated": gitlab_refuses_every_code,
    "credentials.rejected": wrong_secret_of_the_right_shape,
    "credentials.jwt_claims": apple_secret_for_another_client,
    "session.form_post_samesite": apple_with_a_lax_session_cookie,
}
#: Findings that need no callback to be seen: ``flask oauth-recover check``.
#: (A provider refuses swapped credentials on its own page, before any
#: callback, as it does an unregistered redirect URI.)
CLI_ONLY = {
    "credentials.swapped",
    "redirect_uri.unregistered",
}


def finding_ids(response: TestResponse) -> list[str]:
    return [finding["id"] for finding in response.get_json()["diagnosis"]]


def by_id(response: TestResponse, finding_id: str) -> dict[str, str]:
    [finding] = [f for f in response.get_json()["diagnosis"] if f["id"] == finding_id]
    return finding  # type: ignore[no-any-return]


def logged_ids(caplog: pytest.LogCaptureFixture) -> list[str]:
    record = [r for r in caplog.records if r.name == "flask_oauth_recover"][-1]
    match = re.search(r"Diagnosis: (\S+)\.", record.getMessage())
    assert match is not None, record.getMessage()
    return match.group(1).split(",")


OTHER_PROFILES = ("google", "microsoft", "gitlab", "apple")


@pytest.fixture(scope="module")
def other_servers() -> Iterator[dict[str, ProviderEmulator]]:
    servers = {name: ProviderEmulator(profile=name).start() for name in OTHER_PROFILES}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def env(
    make_app: AppFactory,
    provider: ProviderEmulator,
    other_servers: dict[str, ProviderEmulator],
) -> Iterator[Env]:
    for server in other_servers.values():
        server.reset()
    yield Env(make_app, provider, JSON, other_servers)
    for server in other_servers.values():
        server.reset()


def test_every_finding_id_has_a_scenario() -> None:
    assert set(SCENARIOS) | CLI_ONLY == set(FINDING_IDS)


@pytest.mark.parametrize("finding_id", sorted(SCENARIOS))
def test_finding_is_in_the_json_and_the_log_line(
    finding_id: str, env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        response = SCENARIOS[finding_id](env)

    assert response.status_code == 500
    assert finding_id in finding_ids(response)
    assert finding_id in logged_ids(caplog)
    finding = by_id(response, finding_id)
    assert finding["cause"] and finding["fix"]


@pytest.mark.parametrize("finding_id", sorted(SCENARIOS))
def test_finding_is_on_the_html_page(finding_id: str, env: Env) -> None:
    env.accept = HTML
    response = SCENARIOS[finding_id](env)

    assert response.status_code == 500
    assert f'data-diagnosis="{finding_id}"' in response.get_data(as_text=True)


# -- redirect URI ------------------------------------------------------------------


def test_proxy_scheme_gives_the_proxy_fix_and_the_public_url(env: Env) -> None:
    response = behind_proxy_without_proxy_fix(env)

    finding = by_id(response, "redirect_uri.proxy_scheme")
    assert "X-Forwarded-Proto: https" in finding["cause"]
    assert "http://app.example/callback" in finding["cause"]
    assert "https://app.example/callback" in finding["fix"]
    assert "ProxyFix(app.wsgi_app, x_proto=1)" in finding["snippet"]
    assert by_id(response, "redirect_uri.register")["snippet"] == (
        "https://app.example/callback"
    )
    assert "redirect_uri.host_changed" not in finding_ids(response)


def test_proxy_host_names_the_header_and_trusts_only_it(env: Env) -> None:
    response = behind_host_rewriting_proxy_without_proxy_fix(env)

    finding = by_id(response, "redirect_uri.proxy_host")
    assert "X-Forwarded-Host: app.example" in finding["cause"]
    assert "ProxyFix(app.wsgi_app, x_host=1)" in finding["snippet"]
    assert by_id(response, "redirect_uri.register")["snippet"] == (
        "http://app.example/callback"
    )


@pytest.mark.parametrize(
    ("public", "upstream", "headers", "argument"),
    [
        (
            "http://app.example:8443",
            "http://app.example",
            {"X-Forwarded-Port": "8443"},
            "x_port=1",
        ),
        (
            "http://app.example/app",
            "http://app.example",
            {"X-Forwarded-Prefix": "/app"},
            "x_prefix=1",
        ),
    ],
)
def test_proxy_host_covers_port_and_prefix(
    env: Env, public: str, upstream: str, headers: dict[str, str], argument: str
) -> None:
    env.provider.callback_url = f"{public}/callback"
    app = env.make_app(OAUTH_RECOVER_SHOW_DETAILS=True)

    response = env.browser(app, proxy=Proxy(public, upstream, headers)).login()

    finding = by_id(response, "redirect_uri.proxy_host")
    assert argument in finding["snippet"]
    assert f"{public}/callback" in finding["fix"]
    assert by_id(response, "redirect_uri.register")["snippet"] == f"{public}/callback"


@pytest.mark.parametrize(
    ("proxy_fix", "proxy", "path"),
    [
        (
            {"x_proto": 1},
            Proxy(
                "https://app.example",
                "http://app.example",
                {"X-Forwarded-Proto": "https"},
            ),
            "/login",
        ),
        (
            {"x_proto": 1, "x_host": 1, "x_port": 1, "x_prefix": 1},
            Proxy(
                "https://app.example/app",
                "http://127.0.0.1:8000",
                {
                    "X-Forwarded-Proto": "https",
                    "X-Forwarded-Host": "app.example",
                    "X-Forwarded-Port": "443",
                    "X-Forwarded-Prefix": "/app",
                },
            ),
            "/login?next=/app/profile",
        ),
    ],
)
def test_proxy_fix_in_place_signs_in(
    env: Env, proxy_fix: dict[str, int], proxy: Proxy, path: str
) -> None:
    env.provider.callback_url = f"{proxy.public}/callback"
    app = env.make_app()
    app.wsgi_app = ProxyFix(app.wsgi_app, **proxy_fix)  # type: ignore[method-assign]

    response = env.browser(app, proxy=proxy, accept=HTML).login(path)

    assert response.status_code == 200
    assert "signed in as octocat" in response.get_data(as_text=True)


def test_loopback_alias_names_both_hosts(env: Env) -> None:
    response = redirect_uri_on_localhost_app_on_127(env)

    finding = by_id(response, "redirect_uri.loopback_alias")
    assert "http://localhost/callback" in finding["cause"]
    assert "http://127.0.0.1/callback" in finding["cause"]
    assert finding["snippet"] == "http://127.0.0.1/callback"
    assert "redirect_uri.host_changed" not in finding_ids(response)


def test_loopback_without_the_login_state_reads_the_signed_origin(
    env: Env,
) -> None:
    # The login starts on localhost; GitHub sends the browser to the
    # registered 127.0.0.1, where the localhost cookie does not go. The
    # state itself, signed, says which origin the login sent.
    env.provider.callback_url = "http://127.0.0.1/callback"
    app = env.make_app(OAUTH_RECOVER_SHOW_DETAILS=True)

    response = env.browser(app).login()

    assert finding_ids(response) == [
        "redirect_uri.loopback_alias",
        "redirect_uri.register",
    ]
    alias = by_id(response, "redirect_uri.loopback_alias")
    assert "http://localhost/callback" in alias["cause"]
    assert alias["snippet"] == "http://127.0.0.1/callback"
    register = by_id(response, "redirect_uri.register")
    assert "cannot be read here" in register["cause"]
    assert register["snippet"] == "http://127.0.0.1"


def test_host_changed_names_both_addresses(env: Env) -> None:
    response = redirect_uri_on_www_app_on_apex(env)

    finding = by_id(response, "redirect_uri.host_changed")
    assert "https://www.example.com/callback" in finding["cause"]
    assert "https://example.com/callback" in finding["cause"]
    assert finding["snippet"] == "https://example.com/callback"


def test_server_name_shows_the_setting_that_shaped_the_url(env: Env) -> None:
    response = server_name_differs_from_the_host(env)

    finding = by_id(response, "redirect_uri.server_name")
    assert "SERVER_NAME = 'www.example.com'" in finding["cause"]
    assert finding["snippet"] == "SERVER_NAME = 'example.com'"
    assert "redirect_uri.host_changed" not in finding_ids(response)


@pytest.mark.parametrize(
    ("config", "sent", "setting"),
    [
        (
            {"PREFERRED_URL_SCHEME": "https"},
            "https://localhost/callback",
            "PREFERRED_URL_SCHEME = 'https'",
        ),
        (
            # APPLICATION_ROOT also scopes the cookie; keep it on the callback.
            {"APPLICATION_ROOT": "/app", "SESSION_COOKIE_PATH": "/"},
            "http://localhost/app/callback",
            "APPLICATION_ROOT = '/app'",
        ),
    ],
)
def test_server_name_covers_urls_built_outside_a_request(
    env: Env, config: dict[str, str], sent: str, setting: str
) -> None:
    # The app built its redirect URI at startup, outside any request.
    env.provider.callback_url = "http://localhost/callback"
    app = env.make_app(OAUTH_RECOVER_SHOW_DETAILS=True, **config)

    response = env.browser(app).login(f"/login?redirect_uri={sent}")

    assert setting in by_id(response, "redirect_uri.server_name")["cause"]


def test_register_gives_the_url_and_githubs_rule(env: Env) -> None:
    response = callback_path_not_registered(env)

    assert finding_ids(response) == ["redirect_uri.register"]
    finding = by_id(response, "redirect_uri.register")
    assert finding["snippet"] == "http://localhost/oauth/callback"
    assert "http://localhost/oauth/callback" in finding["cause"]
    assert "http://localhost/callback" in finding["cause"]
    assert "scheme, host and port" in finding["fix"]
    assert "registered path or below it" in finding["fix"]


def test_redirect_uri_below_the_registered_path_signs_in(env: Env) -> None:
    env.provider.callback_url = "http://localhost/"
    app = env.make_app()

    response = env.browser(app, accept=HTML).login()

    assert response.status_code == 200


def test_redirect_facts_show_the_url_settings(env: Env) -> None:
    response = behind_proxy_without_proxy_fix(env)

    details = response.get_json()["details"]
    assert details["X-Forwarded-Proto"] == "https"
    assert details["SERVER_NAME"] == "None"
    assert (
        details["callback URL as the browser saw it"] == "https://app.example/callback"
    )


# -- credentials -------------------------------------------------------------------


def test_missing_secret_names_the_config_key(env: Env) -> None:
    response = empty_secret_in_config(env)

    finding = by_id(response, "credentials.missing")
    assert 'app.config["GITHUB_CLIENT_SECRET"]' in finding["cause"]
    assert "GITHUB_CLIENT_SECRET" in finding["fix"]


def test_missing_secret_unset_everywhere(env: Env) -> None:
    app = config_app(env.provider, GITHUB_CLIENT_SECRET=None)

    response = env.browser(app).login()

    finding = by_id(response, "credentials.missing")
    assert "No client_secret is set" in finding["cause"]
    assert "GITHUB_CLIENT_SECRET" in finding["cause"]


def test_empty_secret_in_register_hides_the_config_value(env: Env) -> None:
    app = env.make_app(
        client_overrides={"client_secret": None},
        GITHUB_CLIENT_SECRET=env.provider.client_secret,
        OAUTH_RECOVER_SHOW_DETAILS=True,
    )

    response = env.browser(app).login()

    finding = by_id(response, "credentials.missing")
    assert 'oauth.register("github", client_secret=...)' in finding["cause"]
    assert "ignores the value of GITHUB_CLIENT_SECRET" in finding["cause"]


def test_whitespace_shows_the_padding_and_never_the_secret(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    secret = env.provider.client_secret
    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        response = secret_with_trailing_newline_in_config(env)

    finding = by_id(response, "credentials.whitespace")
    assert 'app.config["GITHUB_CLIENT_SECRET"]' in finding["cause"]
    assert "trailing '\\n'" in finding["cause"]
    assert ".strip()" in finding["snippet"]
    details = response.get_json()["details"]
    assert details["client_secret length"] == "41"
    assert details["client_secret SHA-256 without whitespace"] == fingerprint(secret)
    assert secret not in response.get_data(as_text=True)
    assert secret not in caplog.text


def test_quoted_secret_is_whitespace_too(env: Env) -> None:
    app = config_app(
        env.provider, GITHUB_CLIENT_SECRET=f'"{env.provider.client_secret}"'
    )

    response = env.browser(app).login()

    assert "wrapped in quotes" in by_id(response, "credentials.whitespace")["cause"]
    assert "credentials.shape" not in finding_ids(response)


def test_shape_names_the_token_prefix_only(env: Env) -> None:
    response = personal_access_token_as_secret(env)

    finding = by_id(response, "credentials.shape")
    assert "starts with ghp_" in finding["cause"]
    page = response.get_data(as_text=True)
    assert "ghp_a1B2" not in page


@pytest.mark.parametrize(
    ("secret", "words"),
    [
        ("Iv1.0123456789abcdef", "same value as the client_id"),
        ("0123456789abcdef", "16 characters long"),
    ],
)
def test_shape_of_other_wrong_secrets(env: Env, secret: str, words: str) -> None:
    app = env.make_app(
        client_overrides={"client_secret": secret}, OAUTH_RECOVER_SHOW_DETAILS=True
    )

    response = env.browser(app).login()

    assert words in by_id(response, "credentials.shape")["cause"]


def test_wrong_secret_of_the_right_shape_is_said_to_be_rejected(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    app = env.make_app(
        client_overrides={"client_secret": WRONG_SECRET},
        OAUTH_RECOVER_SHOW_DETAILS=True,
    )

    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        json_response = env.browser(app).login()
    page = env.browser(app, accept=HTML).login().get_data(as_text=True)

    # Nothing more specific can be told: the provider refused, and where the
    # secret is renewed is named.
    assert finding_ids(json_response) == ["credentials.rejected"]
    assert logged_ids(caplog) == ["credentials.rejected"]
    rejected = by_id(json_response, "credentials.rejected")
    assert "(incorrect_client_credentials)" in rejected["cause"]
    assert rejected["console"].endswith("/settings/developers")
    assert 'data-diagnosis="credentials.rejected"' in page
    details = json_response.get_json()["details"]
    assert details["client_secret SHA-256"] == fingerprint(WRONG_SECRET)
    assert (
        details["client_secret read from"]
        == 'oauth.register("github", client_secret=...)'
    )
    assert fingerprint(WRONG_SECRET) in page
    assert WRONG_SECRET not in page


# -- session -------------------------------------------------------------------------


def test_samesite_strict_loops_until_the_bound_and_says_why(env: Env) -> None:
    response = samesite_strict_cookie(env)

    body = response.get_json()
    assert body["error"] == "restarts_exhausted"
    assert finding_ids(response) == [
        "session.samesite_strict",
        "session.cookie_missing",
    ]
    assert by_id(response, "session.samesite_strict")["snippet"] == (
        'app.config["SESSION_COOKIE_SAMESITE"] = "Lax"'
    )


def test_samesite_strict_without_fetch_metadata_judges_by_the_provider_host(
    env: Env,
) -> None:
    # An older browser sends no Sec-Fetch-Site; the provider's host (the
    # emulator on 127.0.0.1) is another site than the app on localhost.
    app = env.make_app(
        SESSION_COOKIE_SAMESITE="Strict", OAUTH_RECOVER_SHOW_DETAILS=True
    )

    response = env.browser(app, fetch_metadata=False).login()

    assert "session.samesite_strict" in finding_ids(response)


def test_secure_cookie_over_http_names_the_url(env: Env) -> None:
    response = secure_cookie_over_http(env)

    finding = by_id(response, "session.secure_over_http")
    assert "http://app.test/callback" in finding["cause"]


def test_cookie_domain_names_domain_and_host(env: Env) -> None:
    response = cookie_domain_of_another_site(env)

    finding = by_id(response, "session.cookie_domain")
    assert "'example.org'" in finding["cause"]
    assert "app.test" in finding["cause"]


def test_cookie_too_large_gives_the_size(env: Env) -> None:
    response = session_near_the_cookie_limit(env)

    size = int(response.get_json()["details"]["session cookie"].split()[1])
    assert COOKIE_NEAR_LIMIT <= size <= COOKIE_LIMIT
    assert str(size) in by_id(response, "session.cookie_too_large")["cause"]
    assert "session.cookie_missing" not in finding_ids(response)


def test_state_expired_gives_the_age(env: Env) -> None:
    response = login_older_than_the_state(env)

    finding = by_id(response, "session.state_expired")
    assert "120 minutes ago" in finding["cause"]
    assert "60 minutes" in finding["cause"]


def test_expired_state_restarts_and_logs_why(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    cache = StateCache()
    app = config_app(env.provider, cache=cache)
    browser = env.browser(app, accept=HTML)

    def two_hours_pass() -> None:
        with browser.client.session_transaction() as session:
            for key in [k for k in session if k.startswith("_state_github_")]:
                session[key] = {"exp": time.time() - 3600}
        cache.expire_all()

    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        response = browser.login(before_provider=two_hours_pass)

    assert response.status_code == 200
    [restart] = [r for r in caplog.records if "restarted" in r.getMessage()]
    assert "Diagnosis: session.state_expired." in restart.getMessage()


def test_state_lost_from_the_cache_early_is_lost_not_expired(env: Env) -> None:
    response = session_store_lost_the_state(env)

    assert finding_ids(response) == ["session.state_lost"]
    assert "cookie" not in response.get_json()["description"]


def test_cookie_missing_names_the_cookie(env: Env) -> None:
    response = cookie_lost_before_the_callback(env)

    assert finding_ids(response) == ["session.cookie_missing"]
    assert "(session)" in by_id(response, "session.cookie_missing")["cause"]


def test_exhausted_restarts_with_a_sound_session_claim_nothing(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    env.provider.reject_next_codes(3)
    app = env.make_app(SESSION_COOKIE_SAMESITE="Lax", OAUTH_RECOVER_SHOW_DETAILS=True)

    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        response = env.browser(app).login()

    assert response.get_json()["error"] == "restarts_exhausted"
    assert response.get_json()["diagnosis"] == []
    assert logged_ids(caplog) == ["none"]
    assert response.get_json()["details"]["SESSION_COOKIE_SAMESITE"] == "'Lax'"


def test_strict_cookie_that_came_back_is_not_blamed(env: Env) -> None:
    # A client that does not apply SameSite sends the cookie anyway: the
    # setting did not cause this failure.
    env.provider.reject_next_codes()
    app = env.make_app(
        SESSION_COOKIE_SAMESITE="Strict",
        OAUTH_RECOVER_MAX_RESTARTS=0,
        OAUTH_RECOVER_SHOW_DETAILS=True,
    )
    client = app.test_client()

    authorize = client.get("/login")
    answer = requests.get(authorize.location, allow_redirects=False, timeout=10)
    response = client.get(answer.headers["Location"], headers={"Accept": JSON})

    assert response.get_json()["error"] == "restarts_exhausted"
    assert response.get_json()["diagnosis"] == []


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"SESSION_COOKIE_SAMESITE": "Lax", "SESSION_COOKIE_SECURE": False},
        {"SESSION_COOKIE_DOMAIN": "app.test"},
    ],
)
def test_sound_setup_signs_in_through_a_browser(
    env: Env, config: dict[str, Any]
) -> None:
    app = env.make_app(**config)

    response = env.browser(app, base_url="http://app.test", accept=HTML).login()

    assert response.status_code == 200
    assert "signed in as octocat" in response.get_data(as_text=True)


def test_secure_cookie_over_https_signs_in(env: Env) -> None:
    app = env.make_app(SESSION_COOKIE_SECURE=True)

    response = env.browser(app, base_url="https://app.test", accept=HTML).login()

    assert response.status_code == 200


# -- hostile requests ------------------------------------------------------------


def provider_answer(client: FlaskClient, provider: ProviderEmulator) -> str:
    """Start a login and return where the provider sends the browser back."""
    authorize = client.get("/login")
    answer = requests.get(authorize.location, allow_redirects=False, timeout=10)
    return answer.headers["Location"]


HOSTILE_HOSTS = ["localhost:99999", "localhost:abc", "[::1", "[::1]:99999", "a b"]
#: Findings that compare the host the callback arrived at with another.
HOST_CLAIMS = {
    "redirect_uri.proxy_scheme",
    "redirect_uri.proxy_host",
    "redirect_uri.loopback_alias",
    "redirect_uri.server_name",
    "redirect_uri.host_changed",
}


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
@pytest.mark.parametrize(
    ("fault", "error", "config"),
    [
        ("redirect_uri_mismatch", "redirect_uri_mismatch", {}),
        ("wrong_secret", "incorrect_client_credentials", {}),
        (
            "cookie_lost",
            "restarts_exhausted",
            {"SESSION_COOKIE_DOMAIN": "example.org", "SESSION_COOKIE_SECURE": True},
        ),
    ],
)
def test_a_hostile_host_header_gets_the_normal_page(
    env: Env, host: str, fault: str, error: str, config: dict[str, Any]
) -> None:
    overrides = {"client_secret": WRONG_SECRET} if fault == "wrong_secret" else {}
    app = env.make_app(
        OAUTH_RECOVER_SHOW_DETAILS=True,
        OAUTH_RECOVER_MAX_RESTARTS=0,
        client_overrides=overrides,
        **config,
    )
    client = app.test_client()
    if fault == "redirect_uri_mismatch":
        env.provider.deny_next_authorizations("redirect_uri_mismatch")
    location = provider_answer(client, env.provider)
    cookie = None if fault == "cookie_lost" else client.get_cookie("session")

    response = raw_callback(app, location, cookie, Host=host)

    assert response.status_code == 500
    body = response.get_json()
    assert body["error"] == error
    assert not HOST_CLAIMS & {finding["id"] for finding in body["diagnosis"]}


def test_a_hostile_host_header_names_itself_and_claims_no_host(env: Env) -> None:
    app = env.make_app(OAUTH_RECOVER_SHOW_DETAILS=True)
    client = app.test_client()
    env.provider.deny_next_authorizations("redirect_uri_mismatch")
    location = provider_answer(client, env.provider)

    response = raw_callback(
        app, location, client.get_cookie("session"), Host="localhost:99999"
    )

    body = response.get_json()
    assert [finding["id"] for finding in body["diagnosis"]] == ["redirect_uri.register"]
    assert body["diagnosis"][0]["snippet"] == "http://localhost/callback"
    assert body["details"]["Host header (not host[:port])"] == "localhost:99999"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-Port": "\u00b2"},
        {"X-Forwarded-Port": "99999"},
        {"X-Forwarded-Host": "[::1"},
        {"X-Forwarded-Host": "app.example:99999"},
        {"X-Forwarded-Proto": "javascript"},
        {"X-Forwarded-Prefix": "//evil.example"},
    ],
)
def test_hostile_forwarded_headers_get_the_normal_page(
    env: Env, headers: dict[str, str]
) -> None:
    app = env.make_app(OAUTH_RECOVER_SHOW_DETAILS=True)
    client = app.test_client()
    env.provider.deny_next_authorizations("redirect_uri_mismatch")
    location = provider_answer(client, env.provider)

    response = client.get(location, headers={"Accept": JSON, **headers})

    assert response.status_code == 500
    assert response.get_json()["error"] == "redirect_uri_mismatch"
    assert "redirect_uri.register" in finding_ids(response)


# -- credentials are shown only with a client ID's shape --------------------------

GOOGLE_ID = "123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com"
GOOGLE_SECRET = "GOCSPX-" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4"
ENTRA_ID = "0b3e8f4c-1a2b-4c3d-9e8f-7a6b5c4d3e2f"
ENTRA_SECRET = "Abc8Q~" + "x1Y2z3W4v5U6t7S8r9Q0p1O2n3M4l5K6j7I8"
GITLAB_ID = "f" * 8 + "0123456789abcdef" * 3 + "01234567"
GITLAB_SECRET = "gloas-" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("client_id", "client_secret"),
    [
        (GOOGLE_SECRET, GOOGLE_ID),
        (ENTRA_SECRET, ENTRA_ID),
        (GITLAB_SECRET, GITLAB_ID),
        ("glpat-" + "a1B2c3D4e5F6g7H8i9J0", "whatever"),
        ("gho_" + "a1B2c3D4e5" * 3 + "f6G7h8", "whatever"),
        ("0123456789abcdef" * 2 + "01234567", "whatever"),
        # Pre-2021 Google secrets: 24 random characters, no prefix.
        ("Zx1aBc2DeF3gHi4JkL5mNo6P", "whatever"),
        # A GitLab application made before 16.4: ID and secret look alike.
        (GITLAB_SECRET[6:], GITLAB_ID),
        # 32 hex (Slack, Facebook) and 64 random characters (Auth0).
        ("0123456789abcdef" * 2, "whatever"),
        ("q8Wz-3Rt_Yu1iOp5As7Df9Gh2Jk4Lz6Xc0Vb" * 2, "whatever"),
        # A service account's key file pasted whole.
        (
            '{"type": "service_account", "private_key": "-----BEGIN PRIVATE '
            'KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----"}',
            "whatever",
        ),
    ],
)
def test_a_secret_in_the_client_id_setting_is_never_shown(
    env: Env, caplog: pytest.LogCaptureFixture, client_id: str, client_secret: str
) -> None:
    app = env.make_app(
        OAUTH_RECOVER_SHOW_DETAILS=True,
        client_overrides={"client_id": client_id, "client_secret": client_secret},
    )
    client = app.test_client()
    [state] = parse_qs(urlsplit(client.get("/login").location).query)["state"]

    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        # The emulator knows no such client and refuses its credentials.
        response = client.get(
            f"/callback?code=made-up&state={state}", headers={"Accept": JSON}
        )

    assert response.get_json()["error"] == "incorrect_client_credentials"
    assert response.get_json()["details"]["client_id"] == (
        f"(hidden: shaped like a secret; {len(client_id)} characters, "
        f"SHA-256 {fingerprint(client_id)})"
    )
    assert client_id not in response.get_data(as_text=True)
    assert client_id not in caplog.text


@pytest.mark.parametrize(
    ("client_id", "client_secret"),
    [
        (GOOGLE_ID, GOOGLE_SECRET),
        (ENTRA_ID, ENTRA_SECRET),
        (GITLAB_ID, GITLAB_SECRET),
        ("Ov23li" + "AbCdEf12345678", "0123456789abcdef" * 2 + "01234567"),
        ("Iv1.0123456789abcdef", "0123456789abcdef" * 2 + "01234567"),
        ("0123456789abcdef0123", "0123456789abcdef" * 2 + "01234567"),
        ("my-application-frontend-2024", "whatever"),
        ("MyApplicationFrontendService", "whatever"),
        ("123456", "whatever"),
        ("1234567890.1234567890123", "whatever"),
    ],
)
def test_a_client_id_is_shown_in_full(client_id: str, client_secret: str) -> None:
    assert public_client_id(client_id, client_secret) == client_id


# -- the credential rules, offline: what check and the pages say ---------------

GITHUB_ID = "Ov23li" + "AbCdEf12345678"
#: Begins and ends with the same character, which is no quoting.
GITHUB_SECRET = "0123456789abcdef" * 2 + "01234560"
APPLE_ID = "com.example.web"
#: Each profile's endpoints and a pair of credentials of the right shapes.
SOUND = {
    "github": (
        "https://github.com/login/oauth/authorize",
        "https://github.com/login/oauth/access_token",
        GITHUB_ID,
        GITHUB_SECRET,
    ),
    "google": (
        "https://accounts.google.com/o/oauth2/v2/auth",
        "https://oauth2.googleapis.com/token",
        GOOGLE_ID,
        GOOGLE_SECRET,
    ),
    "microsoft": (
        "https://login.microsoftonline.com/contoso/oauth2/v2.0/authorize",
        "https://login.microsoftonline.com/contoso/oauth2/v2.0/token",
        ENTRA_ID,
        ENTRA_SECRET,
    ),
    "gitlab": (
        "https://gitlab.com/oauth/authorize",
        "https://gitlab.com/oauth/token",
        GITLAB_ID,
        GITLAB_SECRET,
    ),
    "apple": (
        "https://appleid.apple.com/auth/authorize",
        "https://appleid.apple.com/auth/token",
        APPLE_ID,
        None,  # a JWT made for the moment: apple_secret()
    ),
    "slack": (
        "https://slack.com/oauth/v2/authorize",
        "https://slack.com/api/oauth.v2.access",
        "1234567890.1234567890123",
        "0123456789abcdef" * 2,
    ),
    "facebook": (
        "https://www.facebook.com/v19.0/dialog/oauth",
        "https://graph.facebook.com/v19.0/oauth/access_token",
        "123456789012345",
        "fedcba9876543210" * 2,
    ),
    "okta": (
        "https://acme.okta.com/oauth2/default/v1/authorize",
        "https://acme.okta.com/oauth2/default/v1/token",
        "0oa1b2c3d4e5f6g7h8i9",
        "q8Wz-3Rt_Yu1iOp5As7Df9Gh2Jk4Lz6Xc0Vb",
    ),
}
GITHUB_URLS: dict[str, Any] = {
    "authorize_url": SOUND["github"][0],
    "access_token_url": SOUND["github"][1],
}


def b64_json(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def apple_secret(issued: float | None = None, lifetime: float = 3600) -> str:
    """A client secret JWT as Apple wants one (its signature is not read)."""
    iat = int(time.time() - 60 if issued is None else issued)
    claims = {
        "iss": "TEAM123456",
        "iat": iat,
        "exp": iat + int(lifetime),
        "aud": "https://appleid.apple.com",
        "sub": APPLE_ID,
    }
    header = {"alg": "ES256", "kid": "KEY1234567"}
    return f"{b64_json(header)}.{b64_json(claims)}.c2lnbmF0dXJl"


def shown(finding: Finding) -> dict[str, str]:
    """A finding as ``flask oauth-recover check`` and the pages show it, in
    English."""
    said = {
        "id": finding.id,
        "cause": finding.cause % finding.params,
        "fix": finding.fix % finding.params,
    }
    if finding.snippet is not None:
        said["snippet"] = finding.snippet
    if finding.console is not None:
        said["console"] = finding.console
    return said


def registered(
    name: str = "github",
    config: dict[str, Any] | None = None,
    extension: bool = True,
    **register: Any,
) -> tuple[Flask, Any]:
    """An app with one client registered with Authlib as ``register``
    says, and the extension unless ``extension`` is false."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET_KEY, **(config or {}))
    client = OAuth(app).register(name, **register)
    if extension:
        OAuthRecover(app)
    return app, client


def with_profile(
    profile: str, client_id: str | None, client_secret: str | None, **config: Any
) -> tuple[Flask, Any]:
    """An app with a client of ``profile``'s provider, registered under the
    profile's name."""
    authorize, token = SOUND[profile][:2]
    return registered(
        profile,
        config=config,
        client_id=client_id,
        client_secret=client_secret,
        authorize_url=authorize,
        access_token_url=token,
    )


def checked(
    app: Flask,
    client: Any,
    name: str = "github",
    framework: FrameworkSettings | None = None,
) -> list[dict[str, str]]:
    """What ``check`` says of the client's credentials."""
    with app.app_context():
        match = provider_of(client, name)
        findings = credential_findings(
            client, name, match.profile, match.display_name, framework
        )
    return [shown(finding) for finding in findings]


def diagnosed(
    app: Flask,
    client: Any,
    name: str,
    failure: Failure,
    framework: FrameworkSettings | None = None,
) -> list[dict[str, str]]:
    """What a callback that failed with ``failure`` says."""
    with app.app_context():
        match = provider_of(client, name)
        evidence = Evidence(
            client,
            name,
            failure,
            None,
            profile=match.profile,
            provider_name=match.display_name,
            framework=framework or FrameworkSettings(),
        )
        return [shown(finding) for finding in diagnose(evidence)]


def probed(
    app: Flask,
    client: Any,
    name: str,
    framework: FrameworkSettings | None = None,
) -> list[dict[str, str]]:
    """What ``check --probe`` says when the token endpoint refuses the
    client's credentials."""
    with app.app_context():
        match = provider_of(client, name)
        url = client.access_token_url
        finding = probe_rejected(
            client, name, match.profile, url, "invalid_client", framework
        )
    return [shown(finding)]


def test_an_empty_secret_read_from_the_config() -> None:
    app, client = registered(
        config={"GITHUB_CLIENT_ID": GITHUB_ID, "GITHUB_CLIENT_SECRET": ""},
        **GITHUB_URLS,
    )

    findings = checked(app, client)

    assert findings == [
        {
            "id": "credentials.missing",
            "cause": (
                "The client_secret is empty: Authlib read it from "
                'app.config["GITHUB_CLIENT_SECRET"].'
            ),
            "fix": "Set GITHUB_CLIENT_SECRET to the OAuth app's client_secret.",
            "snippet": (
                'app.config["GITHUB_CLIENT_SECRET"] = '
                'os.environ["GITHUB_CLIENT_SECRET"].strip()'
            ),
        },
    ]


def test_an_empty_secret_passed_to_register_hides_the_config_s() -> None:
    app, client = registered(
        config={"GITHUB_CLIENT_SECRET": GITHUB_SECRET},
        client_id=GITHUB_ID,
        client_secret="",
        **GITHUB_URLS,
    )

    findings = checked(app, client)

    assert findings == [
        {
            "id": "credentials.missing",
            "cause": (
                'The client_secret passed to oauth.register("github", '
                "client_secret=...) is empty, and because it is passed, Authlib "
                "ignores the value of GITHUB_CLIENT_SECRET in the app config."
            ),
            "fix": (
                "Remove client_secret from the oauth.register() call so that "
                "Authlib reads GITHUB_CLIENT_SECRET, or pass the value itself."
            ),
            "snippet": 'oauth.register("github", ...)  # no client_secret=',
        },
    ]


def test_an_empty_secret_passed_to_register() -> None:
    app, client = registered(client_id=GITHUB_ID, client_secret="", **GITHUB_URLS)

    findings = checked(app, client)

    assert findings == [
        {
            "id": "credentials.missing",
            "cause": (
                'The client_secret passed to oauth.register("github", '
                "client_secret=...) is empty."
            ),
            "fix": "Pass the OAuth app's client_secret to oauth.register().",
            "snippet": (
                'oauth.register("github", '
                'client_secret=os.environ["GITHUB_CLIENT_SECRET"].strip(), ...)'
            ),
        },
    ]


def test_credentials_set_nowhere() -> None:
    app, client = registered(**GITHUB_URLS)

    findings = checked(app, client)

    assert findings == [
        {
            "id": "credentials.missing",
            "cause": (
                "No client_id is set: Authlib looked for GITHUB_CLIENT_ID in the "
                "app config and oauth.register() was not given one."
            ),
            "fix": "Set GITHUB_CLIENT_ID to the OAuth app's client_id.",
            "snippet": (
                'app.config["GITHUB_CLIENT_ID"] = '
                'os.environ["GITHUB_CLIENT_ID"].strip()'
            ),
        },
        {
            "id": "credentials.missing",
            "cause": (
                "No client_secret is set: Authlib looked for GITHUB_CLIENT_SECRET "
                "in the app config and oauth.register() was not given one."
            ),
            "fix": "Set GITHUB_CLIENT_SECRET to the OAuth app's client_secret.",
            "snippet": (
                'app.config["GITHUB_CLIENT_SECRET"] = '
                'os.environ["GITHUB_CLIENT_SECRET"].strip()'
            ),
        },
    ]


def test_with_overwrite_the_config_s_value_is_read() -> None:
    app, client = registered(
        config={"GITHUB_CLIENT_SECRET": GITHUB_SECRET + "\n"},
        overwrite=True,
        client_id=GITHUB_ID,
        client_secret=GITHUB_SECRET,
        **GITHUB_URLS,
    )

    findings = checked(app, client)

    assert findings == [
        {
            "id": "credentials.whitespace",
            "cause": (
                'The client_secret read from app.config["GITHUB_CLIENT_SECRET"] '
                "has whitespace around it (leading '', trailing '\\n'), and the "
                "provider compares it byte for byte."
            ),
            "fix": (
                "Strip the value where it is read, or remove the whitespace where "
                "it is stored."
            ),
            "snippet": (
                'app.config["GITHUB_CLIENT_SECRET"] = '
                'os.environ["GITHUB_CLIENT_SECRET"].strip()'
            ),
        },
    ]


def test_with_overwrite_an_empty_config_value_is_not_read() -> None:
    app, client = registered(
        config={"GITHUB_CLIENT_SECRET": ""},
        overwrite=True,
        client_id=GITHUB_ID,
        client_secret=" " + GITHUB_SECRET,
        **GITHUB_URLS,
    )

    findings = checked(app, client)

    assert findings == [
        {
            "id": "credentials.whitespace",
            "cause": (
                'The client_secret read from oauth.register("github", '
                "client_secret=...) has whitespace around it (leading ' ', "
                "trailing ''), and the provider compares it byte for byte."
            ),
            "fix": (
                "Strip the value where it is read, or remove the whitespace where "
                "it is stored."
            ),
            "snippet": (
                'oauth.register("github", '
                'client_secret=os.environ["GITHUB_CLIENT_SECRET"].strip(), ...)'
            ),
        },
    ]


def test_a_client_the_extension_does_not_know_is_read_by_its_config_key() -> None:
    # The extension's registry is another: the config key alone says where.
    in_config, in_config_client = registered(
        config={"GITHUB_CLIENT_ID": GITHUB_ID, "GITHUB_CLIENT_SECRET": ""},
        extension=False,
        **GITHUB_URLS,
    )
    in_register, in_register_client = registered(
        extension=False, client_id=GITHUB_ID, client_secret="", **GITHUB_URLS
    )

    findings = checked(in_config, in_config_client) + checked(
        in_register, in_register_client
    )

    assert findings == [
        {
            "id": "credentials.missing",
            "cause": (
                "The client_secret is empty: Authlib read it from "
                'app.config["GITHUB_CLIENT_SECRET"].'
            ),
            "fix": "Set GITHUB_CLIENT_SECRET to the OAuth app's client_secret.",
            "snippet": (
                'app.config["GITHUB_CLIENT_SECRET"] = '
                'os.environ["GITHUB_CLIENT_SECRET"].strip()'
            ),
        },
        {
            "id": "credentials.missing",
            "cause": (
                'The client_secret passed to oauth.register("github", '
                "client_secret=...) is empty."
            ),
            "fix": "Pass the OAuth app's client_secret to oauth.register().",
            "snippet": (
                'oauth.register("github", '
                'client_secret=os.environ["GITHUB_CLIENT_SECRET"].strip(), ...)'
            ),
        },
    ]


def test_where_a_framework_says_its_users_set_the_credentials() -> None:
    app, client = registered(client_id=GITHUB_ID, client_secret="", **GITHUB_URLS)
    superset = FrameworkSettings(
        name="Superset",
        credentials=lambda name, field: f'OAUTH_PROVIDERS["{name}"]["{field}"]',
    )
    silent = FrameworkSettings(name="Another", credentials=lambda name, field: None)

    findings = checked(app, client, framework=superset) + checked(
        app, client, framework=silent
    )

    assert findings == [
        {
            "id": "credentials.missing",
            "cause": (
                "The client_secret passed to "
                'OAUTH_PROVIDERS["github"]["client_secret"] is empty.'
            ),
            "fix": "Pass the OAuth app's client_secret to oauth.register().",
            "snippet": (
                'oauth.register("github", '
                'client_secret=os.environ["GITHUB_CLIENT_SECRET"].strip(), ...)'
            ),
        },
        {
            "id": "credentials.missing",
            "cause": (
                'The client_secret passed to oauth.register("github", '
                "client_secret=...) is empty."
            ),
            "fix": "Pass the OAuth app's client_secret to oauth.register().",
            "snippet": (
                'oauth.register("github", '
                'client_secret=os.environ["GITHUB_CLIENT_SECRET"].strip(), ...)'
            ),
        },
    ]


def test_whitespace_around_both_values() -> None:
    app, client = registered(
        client_id=" " + GITHUB_ID + "\n",
        client_secret="\t" + GITHUB_SECRET,
        **GITHUB_URLS,
    )

    findings = checked(app, client)

    assert findings == [
        {
            "id": "credentials.whitespace",
            "cause": (
                'The client_id read from oauth.register("github", client_id=...) '
                "has whitespace around it (leading ' ', trailing '\\n'), and the "
                "provider compares it byte for byte."
            ),
            "fix": (
                "Strip the value where it is read, or remove the whitespace where "
                "it is stored."
            ),
            "snippet": (
                'oauth.register("github", '
                'client_id=os.environ["GITHUB_CLIENT_ID"].strip(), ...)'
            ),
        },
        {
            "id": "credentials.whitespace",
            "cause": (
                'The client_secret read from oauth.register("github", '
                "client_secret=...) has whitespace around it (leading '\\t', "
                "trailing ''), and the provider compares it byte for byte."
            ),
            "fix": (
                "Strip the value where it is read, or remove the whitespace where "
                "it is stored."
            ),
            "snippet": (
                'oauth.register("github", '
                'client_secret=os.environ["GITHUB_CLIENT_SECRET"].strip(), ...)'
            ),
        },
    ]


def test_quotes_around_the_secret() -> None:
    in_config, in_config_client = registered(
        config={"GITHUB_CLIENT_SECRET": f'"{GITHUB_SECRET}"'},
        client_id=GITHUB_ID,
        **GITHUB_URLS,
    )
    in_register, in_register_client = registered(
        client_id=GITHUB_ID, client_secret=f"'{GITHUB_SECRET}'", **GITHUB_URLS
    )

    findings = checked(in_config, in_config_client) + checked(
        in_register, in_register_client
    )

    assert findings == [
        {
            "id": "credentials.whitespace",
            "cause": (
                'The client_secret read from app.config["GITHUB_CLIENT_SECRET"] is '
                "wrapped in quotes, which are sent to the provider as part of the "
                "value."
            ),
            "fix": (
                "Remove the quotes where the value is defined (a .env file or a "
                "deployment setting keeps them literally), or strip them when "
                "reading it."
            ),
            "snippet": (
                'app.config["GITHUB_CLIENT_SECRET"] = '
                'os.environ["GITHUB_CLIENT_SECRET"].strip().strip("\\"\'")'
            ),
        },
        {
            "id": "credentials.whitespace",
            "cause": (
                'The client_secret read from oauth.register("github", '
                "client_secret=...) is wrapped in quotes, which are sent to the "
                "provider as part of the value."
            ),
            "fix": (
                "Remove the quotes where the value is defined (a .env file or a "
                "deployment setting keeps them literally), or strip them when "
                "reading it."
            ),
            "snippet": (
                'oauth.register("github", '
                'client_secret=os.environ["GITHUB_CLIENT_SECRET"]'
                '.strip().strip("\\"\'"), ...)'
            ),
        },
    ]


def test_an_empty_value_quoted_in_a_dotenv_file() -> None:
    app, client = registered(
        config={"GITHUB_CLIENT_SECRET": '""'}, client_id=GITHUB_ID, **GITHUB_URLS
    )

    findings = checked(app, client)

    assert findings == [
        {
            "id": "credentials.whitespace",
            "cause": (
                'The client_secret read from app.config["GITHUB_CLIENT_SECRET"] is '
                "wrapped in quotes, which are sent to the provider as part of the "
                "value."
            ),
            "fix": (
                "Remove the quotes where the value is defined (a .env file or a "
                "deployment setting keeps them literally), or strip them when "
                "reading it."
            ),
            "snippet": (
                'app.config["GITHUB_CLIENT_SECRET"] = '
                'os.environ["GITHUB_CLIENT_SECRET"].strip().strip("\\"\'")'
            ),
        },
        {
            "id": "credentials.shape",
            "cause": (
                "The client_secret is 0 characters long and does not have the "
                "shape of a GitHub client secret, [0-9a-f]{40}."
            ),
            "fix": (
                "Copy the client secret from the OAuth app's settings: choose "
                '"Generate a new client secret" and use the 40-character value it '
                "shows once."
            ),
            "console": "https://github.com/settings/developers",
        },
    ]


def test_swapped_values() -> None:
    app, client = with_profile("github", GITHUB_SECRET, GITHUB_ID)

    findings = checked(app, client)

    assert findings == [
        {
            "id": "credentials.swapped",
            "cause": (
                "The client_id has the shape of a GitHub client secret and the "
                "client_secret has the shape of a client ID: the two values look "
                "swapped."
            ),
            "fix": (
                'Swap the values of oauth.register("github", client_id=...) and '
                'oauth.register("github", client_secret=...).'
            ),
            "console": "https://github.com/settings/developers",
        },
    ]


def test_a_secret_id_in_place_of_the_secret_s_value() -> None:
    app, client = with_profile(
        "microsoft", ENTRA_ID, "9f8e7d6c-5b4a-4321-8fed-cba987654321"
    )

    findings = checked(app, client, "microsoft")

    assert findings == [
        {
            "id": "credentials.secret_id",
            "cause": (
                "The client_secret is a GUID: that is the Secret ID of a Microsoft "
                "client secret, not its Value, which is about 40 characters long."
            ),
            "fix": (
                'Under "Certificates & secrets" in the app registration, copy the '
                'secret\'s Value into oauth.register("microsoft", '
                "client_secret=...). The Value is shown only right after the "
                'secret is created: if it is hidden, choose "New client secret" '
                "and copy the new one."
            ),
            "console": (
                "https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/0b3e8f4c-1a2b-4c3d-9e8f-7a6b5c4d3e2f"
            ),
        },
    ]


def test_a_token_an_api_key_or_a_private_key_as_the_secret() -> None:
    pasted = [
        ("github", GITHUB_ID, "ghp_" + "a1B2c3D4e5" * 3 + "f6G7h8"),
        ("google", GOOGLE_ID, "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"),
        ("apple", APPLE_ID, "-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMGByqGSM49"),
    ]

    findings = [
        said
        for profile, client_id, secret in pasted
        for said in checked(*with_profile(profile, client_id, secret), profile)
    ]

    assert findings == [
        {
            "id": "credentials.shape",
            "cause": (
                "The client_secret starts with ghp_, the prefix of a GitHub token "
                "such as a personal access token, not of an OAuth app's client "
                "secret."
            ),
            "fix": (
                "Copy the client secret from the OAuth app's settings: choose "
                '"Generate a new client secret" and use the 40-character value it '
                "shows once."
            ),
            "console": "https://github.com/settings/developers",
        },
        {
            "id": "credentials.shape",
            "cause": (
                "The client_secret starts with AIza, the prefix of a Google API "
                "key, not of an OAuth client's secret."
            ),
            "fix": (
                "Copy the client secret from the OAuth client's page in the "
                'console (Clients), or choose "Add secret" there and copy the new '
                "one."
            ),
            "console": (
                "https://console.cloud.google.com/auth/clients/123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com"
            ),
        },
        {
            "id": "credentials.shape",
            "cause": (
                "The client_secret is a private key (it starts with -----BEGIN "
                "PRIVATE KEY-----): Apple wants a client secret signed with that "
                "key, not the key itself."
            ),
            "fix": (
                "Make the client secret a JWT signed with ES256 by the private key "
                "you created for Apple (the .p8 file), with iss your Team ID, sub "
                "the client ID, aud the address Apple requires and exp at most six "
                "months ahead, and put the JWT, not the key, into the app's "
                "settings."
            ),
            "console": "https://developer.apple.com/account/resources/authkeys/list",
        },
    ]


def test_a_secret_of_another_shape() -> None:
    github = with_profile("github", GITHUB_ID, "abc123")
    # Google's client ID may be shown: the console link goes to the client.
    google = with_profile("google", GOOGLE_ID, "not-a-google-secret")
    # Facebook's secrets have no documented shape: nothing to say.
    facebook = with_profile("facebook", SOUND["facebook"][2], "abc123")

    findings = (
        checked(*github, "github")
        + checked(*google, "google")
        + checked(*facebook, "facebook")
    )

    assert findings == [
        {
            "id": "credentials.shape",
            "cause": (
                "The client_secret is 6 characters long and does not have the "
                "shape of a GitHub client secret, [0-9a-f]{40}."
            ),
            "fix": (
                "Copy the client secret from the OAuth app's settings: choose "
                '"Generate a new client secret" and use the 40-character value it '
                "shows once."
            ),
            "console": "https://github.com/settings/developers",
        },
        {
            "id": "credentials.shape",
            "cause": (
                "The client_secret is 19 characters long and does not have the "
                "shape of a Google client secret, GOCSPX-[A-Za-z0-9_-]{28}."
            ),
            "fix": (
                "Copy the client secret from the OAuth client's page in the "
                'console (Clients), or choose "Add secret" there and copy the new '
                "one."
            ),
            "console": (
                "https://console.cloud.google.com/auth/clients/123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com"
            ),
        },
    ]


def test_a_github_app_s_app_id_in_place_of_its_client_id() -> None:
    app, client = with_profile("github", "123456", "abc123")

    findings = checked(app, client)

    assert findings == [
        {
            "id": "credentials.shape",
            "cause": (
                "The client_secret is 6 characters long and does not have the "
                "shape of a GitHub client secret, [0-9a-f]{40}."
            ),
            "fix": (
                "Copy the client secret from the OAuth app's settings: choose "
                '"Generate a new client secret" and use the 40-character value it '
                "shows once."
            ),
            "console": "https://github.com/settings/developers",
        },
        {
            "id": "credentials.shape",
            "cause": (
                "The client_id 123456 is a number: that is a GitHub App's App ID, "
                "but OAuth needs its Client ID, which starts with Iv."
            ),
            "fix": "Copy the Client ID from the GitHub App's settings page.",
            "console": "https://github.com/settings/apps",
        },
    ]


def test_a_client_id_of_another_shape() -> None:
    entra = with_profile("microsoft", "my-application", ENTRA_SECRET)
    # A secret in the client_id setting, but no client ID in the secret's:
    # not swapped, and not said to be of the wrong shape either.
    secret_as_id = with_profile("microsoft", "Xyz8Q~" + "a" * 34, ENTRA_SECRET)
    # GitHub's client IDs change shape over the years: nothing to say.
    github = with_profile("github", "my-application", GITHUB_SECRET)

    findings = (
        checked(*entra, "microsoft")
        + checked(*secret_as_id, "microsoft")
        + checked(*github, "github")
    )

    assert findings == [
        {
            "id": "credentials.shape",
            "cause": (
                "The client_id does not have the shape of a Microsoft client ID, "
                "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}."
            ),
            "fix": "Copy the client ID from the OAuth app's page at Microsoft.",
            "console": (
                "https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/my-application"
            ),
        },
    ]


def test_an_expired_apple_client_secret() -> None:
    app, client = with_profile(
        "apple", APPLE_ID, apple_secret(issued=1_700_000_000, lifetime=86_400)
    )

    findings = checked(app, client, "apple")

    assert findings == [
        {
            "id": "credentials.expired",
            "cause": (
                "The client_secret is a JWT that expired on 2023-11-15 22:13 UTC "
                "(its exp claim), and Apple refuses an expired client secret with "
                "a bare invalid_client."
            ),
            "fix": (
                "Make a new client secret: a JWT signed with ES256 by the private "
                "key registered with Apple, with iss your team's ID, sub the "
                "client ID, aud https://appleid.apple.com, and exp at most "
                "15777000 seconds (six months) after iat; put it into "
                'oauth.register("apple", client_secret=...), and make a new one '
                "before it expires, for instance each time the app starts."
            ),
            "snippet": (
                "import time\nimport jwt  # PyJWT, with cryptography\n\nnow = "
                'int(time.time())\nclient_secret = jwt.encode(\n    {"iss": '
                'TEAM_ID, "iat": now, "exp": now + 15777000 - 3600,\n     "aud": '
                '"https://appleid.apple.com", "sub": "com.example.web"},\n    '
                "PRIVATE_KEY,  # the .p8 file's contents\n    "
                'algorithm="ES256",\n    headers={"kid": KEY_ID},\n)'
            ),
            "console": "https://developer.apple.com/account/resources/authkeys/list",
        },
    ]


def test_an_expired_entra_secret() -> None:
    app, client = with_profile("microsoft", ENTRA_ID, ENTRA_SECRET)
    expired = Failure(
        FailureKind.CREDENTIALS,
        "invalid_client",
        reason=SECRET_EXPIRED,
        provider_code="AADSTS7000222",
    )

    findings = diagnosed(app, client, "microsoft", expired)

    assert findings == [
        {
            "id": "credentials.expired",
            "cause": "Microsoft says the client secret has expired (AADSTS7000222).",
            "fix": (
                "Create a new client secret in the app registration, put its value "
                'into oauth.register("microsoft", client_secret=...), and renew it '
                "before its expiry date next time."
            ),
            "console": (
                "https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/0b3e8f4c-1a2b-4c3d-9e8f-7a6b5c4d3e2f"
            ),
        },
    ]


def test_an_app_registered_in_another_directory() -> None:
    app, client = with_profile("microsoft", ENTRA_ID, ENTRA_SECRET)
    # Without a numbered code, the error itself is named.
    not_found = Failure(
        FailureKind.CREDENTIALS, "unauthorized_client", reason=APP_NOT_IN_DIRECTORY
    )

    findings = diagnosed(app, client, "microsoft", not_found)

    assert findings == [
        {
            "id": "credentials.wrong_tenant",
            "cause": (
                "Microsoft found no application with this client_id in the "
                "directory contoso, which the token endpoint "
                "https://login.microsoftonline.com/contoso/oauth2/v2.0/token names "
                "(unauthorized_client)."
            ),
            "fix": (
                "Put the Directory (tenant) ID from the app registration's "
                "Overview page in place of contoso in the authorization and token "
                "endpoint URLs, or, if users from other directories sign in, make "
                'the app multitenant and use "organizations".'
            ),
            "console": (
                "https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/0b3e8f4c-1a2b-4c3d-9e8f-7a6b5c4d3e2f"
            ),
        },
    ]


def test_another_directory_without_a_token_endpoint_or_a_sound_client_id() -> None:
    # Padded, yet shown on the console link; the secret is missing.
    app, client = registered(
        "microsoft",
        client_id=f" {ENTRA_ID}\n",
        server_metadata_url=(
            "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
        ),
    )
    not_found = Failure(
        FailureKind.CREDENTIALS,
        "unauthorized_client",
        reason=APP_NOT_IN_DIRECTORY,
        provider_code="AADSTS700016",
    )

    findings = diagnosed(app, client, "microsoft", not_found)

    assert findings == [
        {
            "id": "credentials.wrong_tenant",
            "cause": (
                "Microsoft found no application with this client_id in the "
                "directory ?, which the token endpoint ? names (AADSTS700016)."
            ),
            "fix": (
                "Put the Directory (tenant) ID from the app registration's "
                "Overview page in place of ? in the authorization and token "
                "endpoint URLs, or, if users from other directories sign in, make "
                'the app multitenant and use "organizations".'
            ),
            "console": (
                "https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/0b3e8f4c-1a2b-4c3d-9e8f-7a6b5c4d3e2f"
            ),
        },
        {
            "id": "credentials.whitespace",
            "cause": (
                'The client_id read from oauth.register("microsoft", '
                "client_id=...) has whitespace around it (leading ' ', trailing "
                "'\\n'), and the provider compares it byte for byte."
            ),
            "fix": (
                "Strip the value where it is read, or remove the whitespace where "
                "it is stored."
            ),
            "snippet": (
                'oauth.register("microsoft", '
                'client_id=os.environ["MICROSOFT_CLIENT_ID"].strip(), ...)'
            ),
        },
        {
            "id": "credentials.missing",
            "cause": (
                "No client_secret is set: Authlib looked for "
                "MICROSOFT_CLIENT_SECRET in the app config and oauth.register() "
                "was not given one."
            ),
            "fix": "Set MICROSOFT_CLIENT_SECRET to the OAuth app's client_secret.",
            "snippet": (
                'app.config["MICROSOFT_CLIENT_SECRET"] = '
                'os.environ["MICROSOFT_CLIENT_SECRET"].strip()'
            ),
        },
    ]


def test_credentials_refused_that_look_right() -> None:
    github = with_profile("github", GITHUB_ID, GITHUB_SECRET)
    apple = with_profile("apple", APPLE_ID, apple_secret())
    refused = Failure(FailureKind.CREDENTIALS, "incorrect_client_credentials")
    apple_refused = Failure(FailureKind.CREDENTIALS, "invalid_client")

    findings = diagnosed(*github, "github", refused) + diagnosed(
        *apple, "apple", apple_refused
    )

    assert findings == [
        {
            "id": "credentials.rejected",
            "cause": (
                "GitHub refused the client credentials the token request sent "
                "(incorrect_client_credentials), and nothing in them looks wrong "
                "here: the client_id is not one GitHub knows, or the client_secret "
                "is not this client's (an old one after a rotation, another app's, "
                "another environment's)."
            ),
            "fix": (
                "Copy the client ID and a newly generated client secret from the "
                'OAuth app\'s settings into oauth.register("github", '
                'client_id=...) and oauth.register("github", client_secret=...).'
            ),
            "console": "https://github.com/settings/developers",
        },
        {
            "id": "credentials.rejected",
            "cause": (
                "Apple refused the client credentials with invalid_client, the "
                "answer it gives without a reason for any of these: a client "
                "secret JWT signed by another key or with a kid that is not that "
                "key's ID, an iss that is not the key's team, a client_id it does "
                "not know, or a redirect URI not registered for that client. The "
                "claims that can be read here are in order."
            ),
            "fix": (
                "Check that the client secret JWT is signed with the private key "
                "whose ID is in its kid header and that its iss is the ID of the "
                "team that key belongs to; then check the client_id and the "
                "redirect URIs registered for it at Apple."
            ),
            "console": "https://developer.apple.com/account/resources/authkeys/list",
        },
    ]


def test_a_refusal_at_the_authorize_step_names_no_credentials() -> None:
    app, client = with_profile("github", GITHUB_ID, GITHUB_SECRET)
    refused = Failure(
        FailureKind.CREDENTIALS, "unauthorized_client", source="authorize"
    )

    findings = diagnosed(app, client, "github", refused)

    assert findings == []


def test_the_probe_s_refusal() -> None:
    app, client = with_profile("google", GOOGLE_ID, GOOGLE_SECRET)
    superset = FrameworkSettings(
        name="Superset",
        credentials=lambda name, field: f'OAUTH_PROVIDERS["{name}"]["{field}"]',
    )

    with app.app_context():
        profile = provider_of(client, "google").profile
        token_url = SOUND["google"][1]
        findings = [
            shown(
                probe_rejected(client, "google", profile, token_url, "invalid_client")
            ),
            shown(
                probe_rejected(
                    client,
                    "google",
                    profile,
                    token_url,
                    "unauthorized_client",
                    superset,
                )
            ),
        ]

    assert findings == [
        {
            "id": "credentials.rejected",
            "cause": (
                "The token endpoint https://oauth2.googleapis.com/token answered "
                "invalid_client to a throwaway code, so it does not accept this "
                "client_id and client_secret."
            ),
            "fix": (
                "Copy the client ID and a newly generated client secret from the "
                'OAuth app\'s settings into oauth.register("google", '
                'client_id=...) and oauth.register("google", client_secret=...).'
            ),
            "console": (
                "https://console.cloud.google.com/auth/clients/123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com"
            ),
        },
        {
            "id": "credentials.rejected",
            "cause": (
                "The token endpoint https://oauth2.googleapis.com/token answered "
                "unauthorized_client to a throwaway code, so it does not accept "
                "this client_id and client_secret."
            ),
            "fix": (
                "Copy the client ID and a newly generated client secret from the "
                'OAuth app\'s settings into OAUTH_PROVIDERS["google"]["client_id"] '
                'and OAUTH_PROVIDERS["google"]["client_secret"].'
            ),
            "console": (
                "https://console.cloud.google.com/auth/clients/123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com"
            ),
        },
    ]


def test_an_expired_secret_of_a_client_without_a_client_id() -> None:
    app, client = with_profile("microsoft", None, ENTRA_SECRET)
    expired = Failure(
        FailureKind.CREDENTIALS,
        "invalid_client",
        reason=SECRET_EXPIRED,
        provider_code="AADSTS7000222",
    )

    findings = diagnosed(app, client, "microsoft", expired)

    assert findings == [
        {
            "id": "credentials.expired",
            "cause": "Microsoft says the client secret has expired (AADSTS7000222).",
            "fix": (
                "Create a new client secret in the app registration, put its value "
                'into oauth.register("microsoft", client_secret=...), and renew it '
                "before its expiry date next time."
            ),
            "console": (
                "https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade"
            ),
        },
        {
            "id": "credentials.missing",
            "cause": (
                'The client_id passed to oauth.register("microsoft", '
                "client_id=...) is empty."
            ),
            "fix": "Pass the OAuth app's client_id to oauth.register().",
            "snippet": (
                'oauth.register("microsoft", '
                'client_id=os.environ["MICROSOFT_CLIENT_ID"].strip(), ...)'
            ),
        },
    ]


def test_flask_dance_s_config_keys() -> None:
    # A Flask-Dance blueprint reads the config keys it names itself.
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=SECRET_KEY,
        GITHUB_OAUTH_CLIENT_ID=GITHUB_ID,
        GITHUB_OAUTH_CLIENT_SECRET="",
    )
    github = make_github_blueprint()
    app.register_blueprint(github, url_prefix="/login")
    unset = Flask(__name__)
    unset.config.update(SECRET_KEY=SECRET_KEY)
    unset.register_blueprint(make_github_blueprint(), url_prefix="/login")

    findings = checked(app, DanceClient(github), "github") + checked(
        unset, DanceClient(unset.blueprints["github"]), "github"
    )

    assert findings == [
        {
            "id": "credentials.missing",
            "cause": (
                "The client_secret is empty: Authlib read it from "
                'app.config["GITHUB_OAUTH_CLIENT_SECRET"].'
            ),
            "fix": "Set GITHUB_OAUTH_CLIENT_SECRET to the OAuth app's client_secret.",
            "snippet": (
                'app.config["GITHUB_OAUTH_CLIENT_SECRET"] = '
                'os.environ["GITHUB_OAUTH_CLIENT_SECRET"].strip()'
            ),
        },
        {
            "id": "credentials.missing",
            "cause": (
                "No client_id is set: Authlib looked for GITHUB_OAUTH_CLIENT_ID in "
                "the app config and oauth.register() was not given one."
            ),
            "fix": "Set GITHUB_OAUTH_CLIENT_ID to the OAuth app's client_id.",
            "snippet": (
                'app.config["GITHUB_OAUTH_CLIENT_ID"] = '
                'os.environ["GITHUB_OAUTH_CLIENT_ID"].strip()'
            ),
        },
        {
            "id": "credentials.missing",
            "cause": (
                "No client_secret is set: Authlib looked for "
                "GITHUB_OAUTH_CLIENT_SECRET in the app config and oauth.register() "
                "was not given one."
            ),
            "fix": "Set GITHUB_OAUTH_CLIENT_SECRET to the OAuth app's client_secret.",
            "snippet": (
                'app.config["GITHUB_OAUTH_CLIENT_SECRET"] = '
                'os.environ["GITHUB_OAUTH_CLIENT_SECRET"].strip()'
            ),
        },
    ]


def test_a_flask_dance_blueprint_s_own_arguments() -> None:
    # A blueprint made by hand names no config keys: its arguments are the
    # values, and the fix is made there, not in an oauth.register() call.
    app = Flask(__name__)
    app.config["SECRET_KEY"] = SECRET_KEY
    corp = OAuth2ConsumerBlueprint(
        "corp",
        __name__,
        client_id=GITHUB_ID + " ",
        client_secret="",
        authorization_url="https://github.com/login/oauth/authorize",
        token_url="https://github.com/login/oauth/access_token",
    )
    app.register_blueprint(corp, url_prefix="/corp")

    findings = checked(app, DanceClient(corp), "corp")

    assert findings == [
        {
            "id": "credentials.whitespace",
            "cause": (
                'The client_id read from the "corp" blueprint\'s client_id=... '
                "argument has whitespace around it (leading '', trailing ' '), and "
                "the provider compares it byte for byte."
            ),
            "fix": (
                "Strip the value where it is read, or remove the whitespace where "
                "it is stored."
            ),
            "snippet": (
                'OAuth2ConsumerBlueprint("corp", __name__, '
                'client_id=os.environ["CORP_CLIENT_ID"].strip(), ...)'
            ),
        },
        {
            "id": "credentials.missing",
            "cause": (
                'The client_secret passed to the "corp" blueprint\'s '
                "client_secret=... argument is empty."
            ),
            "fix": (
                "Pass the OAuth app's client_secret to the \"corp\" blueprint's "
                "client_secret=... argument."
            ),
            "snippet": (
                'OAuth2ConsumerBlueprint("corp", __name__, '
                'client_secret=os.environ["CORP_CLIENT_SECRET"].strip(), ...)'
            ),
        },
    ]


@pytest.mark.parametrize("profile", sorted(SOUND))
def test_credentials_of_the_right_shapes_say_nothing(profile: str) -> None:
    client_id, secret = SOUND[profile][2:]

    findings = checked(
        *with_profile(profile, client_id, secret or apple_secret()), profile
    )

    assert findings == []


@pytest.mark.parametrize(
    ("profile", "fix", "console"),
    [
        (
            "github",
            "Copy the client secret from the OAuth app's settings: choose \"Generate "
            'a new client secret" and use the 40-character value it shows once.',
            "https://github.com/settings/developers",
        ),
        # The client ID is not shown where it is also the secret.
        (
            "google",
            "Copy the client secret from the OAuth client's page in the console "
            '(Clients), or choose "Add secret" there and copy the new one.',
            "https://console.cloud.google.com/auth/clients",
        ),
        (
            "microsoft",
            'Under "Certificates & secrets" in the app registration, choose "New '
            'client secret" and copy its Value, which is shown only once (not its '
            "Secret ID).",
            "https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/"
            "ApplicationsListBlade",
        ),
        (
            "apple",
            "Make the client secret a JWT signed with ES256 by the private key you "
            "created for Apple (the .p8 file), with iss your Team ID, sub the "
            "client ID, aud the address Apple requires and exp at most six months "
            "ahead, and put the JWT, not the key, into the app's settings.",
            "https://developer.apple.com/account/resources/authkeys/list",
        ),
    ],
)
def test_a_secret_equal_to_the_client_id(profile: str, fix: str, console: str) -> None:
    client_id = SOUND[profile][2]

    findings = checked(*with_profile(profile, client_id, client_id), profile)

    assert findings == [
        {
            "id": "credentials.shape",
            "cause": "The client_secret is the same value as the client_id.",
            "fix": fix,
            "console": console,
        }
    ]


SUPERSET = FrameworkSettings(
    name="Superset",
    credentials=lambda name, field: f'OAUTH_PROVIDERS["{name}"]["{field}"]',
)
EXPIRED = Failure(
    FailureKind.CREDENTIALS,
    "invalid_client",
    reason=SECRET_EXPIRED,
    provider_code="AADSTS7000222",
)
REFUSED = Failure(FailureKind.CREDENTIALS, "incorrect_client_credentials")
#: A secret's ID, a GUID like the client ID but another.
SECRET_ID = "9f8e7d6c-5b4a-4321-8fed-cba987654321"
#: Every rule that says where a credential is set, and where it says so.
SOURCE_CASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "whitespace": ("github", ("client_secret",)),
    "swapped": ("github", ("client_id", "client_secret")),
    "secret_id": ("microsoft", ("client_secret",)),
    "secret_jwt": ("apple", ("client_secret",)),
    "expired": ("microsoft", ("client_secret",)),
    "rejected": ("github", ("client_id", "client_secret")),
    "probe": ("github", ("client_id", "client_secret")),
}


def source_case(
    case: str, app: Flask, client: Any, framework: FrameworkSettings | None = None
) -> list[dict[str, str]]:
    """What rule ``case`` of :data:`SOURCE_CASES` says of ``client``."""
    name = SOURCE_CASES[case][0]
    if case == "expired":
        return diagnosed(app, client, name, EXPIRED, framework)
    if case == "rejected":
        return diagnosed(app, client, name, REFUSED, framework)
    if case == "probe":
        return probed(app, client, name, framework)
    return checked(app, client, name, framework)


#: The credentials each case's client holds.
SOURCE_VALUES = {
    "whitespace": (GITHUB_ID, GITHUB_SECRET + "\n"),
    "swapped": (GITHUB_SECRET, GITHUB_ID),
    "secret_id": (ENTRA_ID, SECRET_ID),
    "secret_jwt": (APPLE_ID, apple_secret(issued=1_700_000_000)),
    "expired": (ENTRA_ID, ENTRA_SECRET),
    "rejected": (GITHUB_ID, GITHUB_SECRET),
    "probe": (GITHUB_ID, GITHUB_SECRET),
}


def texts(findings: list[dict[str, str]]) -> str:
    return "\n".join(f"{finding['cause']}\n{finding['fix']}" for finding in findings)


@pytest.mark.parametrize("case", sorted(SOURCE_CASES))
def test_every_rule_names_where_a_framework_s_users_set_the_credentials(
    case: str,
) -> None:
    name, fields = SOURCE_CASES[case]
    client_id, secret = SOURCE_VALUES[case]
    app, client = with_profile(name, client_id, secret)

    said = texts(source_case(case, app, client, SUPERSET))

    for credential in fields:
        assert f'OAUTH_PROVIDERS["{name}"]["{credential}"]' in said
    assert "oauth.register" not in said


def dance_client(
    case: str, client_id: str, secret: str
) -> tuple[Flask, DanceClient, str]:
    """A Flask-Dance blueprint holding the credentials, and the config key
    prefix it reads them from ("" when it names none)."""
    app = Flask(__name__)
    app.config["SECRET_KEY"] = SECRET_KEY
    name = SOURCE_CASES[case][0]
    if name == "github":
        blueprint = make_github_blueprint()
        prefix = "GITHUB_OAUTH"
    elif name == "microsoft":
        blueprint = make_azure_blueprint()
        prefix = "AZURE_OAUTH"
    else:
        authorize, token = SOUND[name][:2]
        blueprint = OAuth2ConsumerBlueprint(
            name,
            __name__,
            client_id=client_id,
            client_secret=secret,
            authorization_url=authorize,
            token_url=token,
        )
        prefix = ""
    if prefix:
        app.config[f"{prefix}_CLIENT_ID"] = client_id
        app.config[f"{prefix}_CLIENT_SECRET"] = secret
    app.register_blueprint(blueprint, url_prefix=f"/{blueprint.name}")
    return app, DanceClient(blueprint), prefix


@pytest.mark.parametrize("case", sorted(SOURCE_CASES))
def test_every_rule_names_the_keys_a_flask_dance_blueprint_reads(case: str) -> None:
    app, client, prefix = dance_client(case, *SOURCE_VALUES[case])
    name, fields = SOURCE_CASES[case]
    if name == "microsoft":
        name = "azure"

    said = texts(source_case(case, app, client))

    for credential in fields:
        if prefix:
            assert f'app.config["{prefix}_{credential.upper()}"]' in said
        else:
            assert f'the "{name}" blueprint\'s {credential}=... argument' in said
    assert f"{name.upper()}_CLIENT" not in said


def test_an_apple_client_whose_secret_is_not_set_yet() -> None:
    app, client = with_profile("apple", APPLE_ID, "")

    findings = checked(app, client, "apple")

    assert [finding["id"] for finding in findings] == ["credentials.missing"]


def test_a_refusal_links_to_the_client_s_own_console_page() -> None:
    app, client = with_profile("google", GOOGLE_ID, GOOGLE_SECRET)

    findings = diagnosed(app, client, "google", REFUSED)

    assert [finding["console"] for finding in findings] == [
        f"https://console.cloud.google.com/auth/clients/{GOOGLE_ID}"
    ]


def test_a_client_id_that_is_also_the_secret_is_never_linked() -> None:
    # The client ID in both settings: it may be the secret.
    app, client = with_profile("microsoft", ENTRA_ID, ENTRA_ID)

    findings = diagnosed(app, client, "microsoft", EXPIRED)

    app_list = (
        "https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/"
        "ApplicationsListBlade"
    )
    assert [(finding["id"], finding["console"]) for finding in findings] == [
        ("credentials.expired", app_list),
        ("credentials.shape", app_list),
    ]


def test_the_probe_of_credentials_set_nowhere_names_the_config_keys() -> None:
    app, client = registered(**GITHUB_URLS)

    [finding] = probed(app, client, "github")

    assert finding["fix"] == (
        "Copy the client ID and a newly generated client secret from the OAuth "
        'app\'s settings into app.config["GITHUB_CLIENT_ID"] and '
        'app.config["GITHUB_CLIENT_SECRET"].'
    )


def test_the_details_say_where_each_credential_is_read_from() -> None:
    # An Authlib client and a Flask-Dance blueprint, each with the client ID
    # set and the secret set nowhere.
    authlib_app, authlib_client = registered(client_id=GITHUB_ID, **GITHUB_URLS)
    dance_app, dance, _ = dance_client("rejected", GITHUB_ID, "")
    del dance_app.config["GITHUB_OAUTH_CLIENT_SECRET"]
    details = []
    for app, client in ((authlib_app, authlib_client), (dance_app, dance)):
        with app.test_request_context("/callback"):
            evidence = Evidence(client, "github", REFUSED, None)
            details.append(
                [fact for fact in relevant_facts(evidence) if "read from" in fact[0]]
            )

    assert details == [
        [
            ("client_id read from", 'oauth.register("github", client_id=...)'),
            ("client_secret read from", "(not set)"),
        ],
        [
            ("client_id read from", 'app.config["GITHUB_OAUTH_CLIENT_ID"]'),
            ("client_secret read from", "(not set)"),
        ],
    ]
