"""Baselines for the frameworks that own their OAuth callback: Flask-AppBuilder
(plain, and in Apache Airflow's shape), Flask-Security-Too and flask-oidc,
each signing in against the provider emulator over loopback HTTP, without
the extension.

The happy paths must hold with and without the extension. The
``test_without_the_extension_*`` tests are the controls of
``test_frameworks``: what each framework answers on its own when the provider
refuses the code or the state is lost, which the extension replaces.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from flask import Flask
from flask import url_for
from flask.testing import FlaskClient
from werkzeug.test import TestResponse
from werkzeug.wrappers import Response

from flask_oauth_recover.testing import ProviderEmulator

from .apps import fab_app
from .apps import oidc_app
from .apps import security_app

pytestmark = [
    # FAB signs its state with a 30-character random key; PyJWT >= 2.10
    # warns that HS256 keys should have 32 bytes or more.
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
    # Airflow signs its database session's id cookie; Flask-Session 0.8
    # deprecates the option it does so with.
    pytest.mark.filterwarnings("ignore:The 'use_signer' option:DeprecationWarning"),
]

APP = "http://localhost"


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def authorize(provider: ProviderEmulator, response: TestResponse) -> str:
    """Take the app's redirect to the provider as the browser would and
    return the callback URL the provider sends the browser back to."""
    assert response.status_code == 302
    assert response.location.startswith(provider.authorize_url + "?")
    answer = requests.get(response.location, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    callback: str = answer.headers["Location"]
    return callback


def session_of(client: FlaskClient) -> dict[str, Any]:
    with client.session_transaction() as session:
        return dict(session)


#: A flashed message as FAB's ``appbuilder/flash.html`` and Flask-Security's
#: ``security/_messages.html`` render it: category, then text.
FLASH = re.compile(
    r'<div class="alert alert-(\w+)">\s*<button[^>]*>&times;</button>\s*(.*?)\s*</div>'
    r'|<li class="(\w+) fs-error-msg">(.*?)</li>',
    re.S,
)


def flashes(page: TestResponse) -> list[tuple[str, str]]:
    """The flashed messages a page shows, as (category, text)."""
    assert page.status_code == 200
    return [
        (fab_category or fs_category, unescape(fab_text or fs_text))
        for fab_category, fab_text, fs_category, fs_text in FLASH.findall(page.text)
    ]


# -- Flask-AppBuilder -------------------------------------------------------

#: name: (factory, where the app is mounted, the callback's endpoint)
FAB_APPS: dict[str, tuple[Callable[..., Flask], str, str]] = {
    "plain": (fab_app.create_app, "", "AuthOAuthView.oauth_authorized"),
    "airflow": (
        fab_app.create_airflow_style_app,
        fab_app.AIRFLOW_MOUNT,
        "CustomAuthOAuthView.oauth_authorized",
    ),
}


class FabCase:
    """A FAB app, where it is mounted and its callback's endpoint."""

    def __init__(
        self,
        app: Flask,
        mount: str = "",
        endpoint: str = "AuthOAuthView.oauth_authorized",
    ) -> None:
        self.app = app
        self.mount = mount
        self.endpoint = endpoint
        self.client = app.test_client()

    @property
    def profile_url(self) -> str:
        return f"{APP}{self.mount}/profile/"

    def start(self) -> TestResponse:
        """What the login page's "Sign In with github" button does: FAB's
        login for the provider, with the page the user asked for as
        ``next``."""
        return self.client.get(
            f"{self.mount}/login/github", query_string={"next": self.profile_url}
        )

    def signed_in(self) -> bool:
        return self.client.get(f"{self.mount}/profile/").status_code == 200


@pytest.fixture(params=list(FAB_APPS))
def fab(request: pytest.FixtureRequest, provider: ProviderEmulator) -> FabCase:
    factory, mount, endpoint = FAB_APPS[request.param]
    return FabCase(factory(provider), mount, endpoint)


def test_fab_callback_endpoint_and_rules(fab: FabCase) -> None:
    view = fab.endpoint.partition(".")[0]
    rules = {
        (rule.endpoint, rule.rule)
        for rule in fab.app.url_map.iter_rules()
        if rule.endpoint.startswith(f"{view}.")
    }
    assert rules == {
        (f"{view}.login", "/login/"),
        (f"{view}.login", "/login/<provider>"),
        (f"{view}.logout", "/logout/"),
        (f"{view}.oauth_authorized", "/oauth-authorized/<provider>"),
    }


def test_fab_signs_in(fab: FabCase, provider: ProviderEmulator) -> None:
    protected = fab.client.get(f"{fab.mount}/profile/")
    assert protected.status_code == 302
    assert query(protected.location) == {"next": fab.profile_url}

    response, visited = provider.follow(fab.client, fab.start())

    assert response.status_code == 200
    assert response.text == "Signed in as github_octocat"
    callback, landing = visited[-2:]
    assert callback.startswith(f"{APP}{fab.mount}/oauth-authorized/github?code=")
    assert landing == fab.profile_url
    # FAB's state is a JWT of the login's query arguments, signed with a
    # random key it keeps in the session as "oauth_state".
    state = query(callback)["state"]
    assert jwt.decode(state, options={"verify_signature": False}) == {
        "next": [fab.profile_url]
    }
    session = session_of(fab.client)
    assert session["oauth_provider"] == "github"
    assert "_user_id" in session
    assert jwt.decode(state, session["oauth_state"], algorithms=["HS256"])


def test_fab_redirect_uri_is_its_callback(fab: FabCase) -> None:
    start = fab.start()
    assert query(start.location)["redirect_uri"] == (
        f"{APP}{fab.mount}/oauth-authorized/github"
    )


def test_without_the_extension_fab_refused_code(
    fab: FabCase, provider: ProviderEmulator
) -> None:
    """The control, without the extension: GitHub's
    ``bad_verification_code`` becomes a flash and a redirect to FAB's login
    page; the user is not signed in and ``next`` is gone."""
    provider.reject_next_codes(1)
    callback = authorize(provider, fab.start())

    response = fab.client.get(callback)

    assert response.status_code == 302
    assert response.location == f"{fab.mount}/login/"
    assert flashes(fab.client.get(response.location)) == [
        ("error", "The request to sign in was denied.")
    ]
    assert len(provider.token_requests) == 1
    assert not fab.signed_in()


def test_without_the_extension_fab_lost_state(
    fab: FabCase, provider: ProviderEmulator
) -> None:
    """The control, without the extension: without the session cookie
    Authlib's ``mismatching_state`` gets the same flash and redirect as a
    refused code; the code is never redeemed."""
    callback = authorize(provider, fab.start())
    fab.client.delete_cookie("session")

    response = fab.client.get(callback)

    assert response.status_code == 302
    assert response.location == f"{fab.mount}/login/"
    assert flashes(fab.client.get(response.location)) == [
        ("error", "The request to sign in was denied.")
    ]
    assert provider.token_requests == []
    assert not fab.signed_in()


def test_without_the_extension_fab_airflow_state_lost_with_cookie(
    provider: ProviderEmulator,
) -> None:
    """The control, without the extension: with sessions in the database (as
    Airflow keeps them), a wiped store loses the state while the browser
    still sends its cookie; the answer is the same flash and redirect."""
    fab = FabCase(fab_app.create_airflow_style_app(provider), fab_app.AIRFLOW_MOUNT)
    callback = authorize(provider, fab.start())
    cookie = fab.client.get_cookie("session")
    assert cookie is not None
    interface: Any = fab.app.session_interface
    with fab.app.app_context():
        assert interface.client.session.query(interface.sql_session_model).delete() == 1
        interface.client.session.commit()

    response = fab.client.get(callback)

    assert response.status_code == 302
    assert response.location == f"{fab.mount}/login/"
    assert provider.token_requests == []
    assert flashes(fab.client.get(response.location)) == [
        ("error", "The request to sign in was denied.")
    ]


@pytest.mark.parametrize("name", list(FAB_APPS))
def test_without_the_extension_fab_secret_key_mismatch(
    name: str, provider: ProviderEmulator
) -> None:
    """The control, without the extension: the callback reaches an instance
    whose SECRET_KEY differs from the one that started the login (replicas,
    or a key generated at start-up). The session cookie (Airflow's: the
    signed session id) does not verify there, Authlib finds no state, and the
    answer is the same flash and redirect as for a dropped cookie."""
    factory, mount, endpoint = FAB_APPS[name]
    first = FabCase(factory(provider), mount, endpoint)
    other = FabCase(
        factory(provider, SECRET_KEY="another-instance-key"), mount, endpoint
    )
    callback = authorize(provider, first.start())
    cookie = first.client.get_cookie("session")
    assert cookie is not None
    other.client.set_cookie("session", cookie.value)

    response = other.client.get(callback)

    assert response.status_code == 302
    assert response.location == f"{mount}/login/"
    assert provider.token_requests == []
    assert flashes(other.client.get(response.location)) == [
        ("error", "The request to sign in was denied.")
    ]


def test_without_the_extension_fab_rejects_a_state_it_did_not_mint(
    provider: ProviderEmulator,
) -> None:
    """The control, without the extension: a login started outside FAB's
    login view (as a restart through Authlib's client would start it) has an
    Authlib state, not FAB's JWT. The token exchange succeeds and the user is
    registered, then FAB answers "Invalid state signature" and the user is
    not signed in."""
    app = fab_app.create_app(provider)

    @app.route("/outside-login")
    def outside_login() -> Response:
        client = app.appbuilder.sm.oauth_remotes["github"]  # type: ignore[attr-defined]
        redirect_uri = url_for(
            "AuthOAuthView.oauth_authorized", provider="github", _external=True
        )
        response: Response = client.authorize_redirect(redirect_uri)
        return response

    fab = FabCase(app)
    callback = authorize(provider, fab.client.get("/outside-login"))
    with pytest.raises(jwt.DecodeError):
        jwt.decode(query(callback)["state"], options={"verify_signature": False})

    response = fab.client.get(callback)

    assert response.status_code == 302
    assert response.location == "/login/"
    assert len(provider.token_requests) == 1
    assert flashes(fab.client.get(response.location)) == [
        ("warning", "Invalid state signature")
    ]
    assert not fab.signed_in()
    with app.app_context():
        assert app.appbuilder.sm.find_user(username="github_octocat") is not None  # type: ignore[attr-defined]


# -- Flask-Security-Too -----------------------------------------------------


@pytest.fixture
def security(provider: ProviderEmulator) -> Flask:
    return security_app.create_app(provider)


def security_start(client: FlaskClient, next_url: str = "/home") -> TestResponse:
    """What the login page's "Continue with github" button does: a POST,
    with the page's CSRF token, to Flask-Security's OAuth start."""
    page = client.get("/login", query_string={"next": next_url})
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    action = re.search(r'id="github"[^>]* formaction="([^"]+)"', page.text)
    assert token is not None and action is not None
    return client.post(unescape(action.group(1)), data={"csrf_token": token.group(1)})


def test_security_oauth_endpoints(security: Flask) -> None:
    rules = {
        rule.endpoint: (rule.rule, sorted(rule.methods or ()))
        for rule in security.url_map.iter_rules()
        if "oauth" in rule.endpoint
    }
    assert rules == {
        "security.oauthstart": ("/login/oauthstart/<name>", ["OPTIONS", "POST"]),
        "security.oauthresponse": (
            "/login/oauthresponse/<name>",
            ["GET", "HEAD", "OPTIONS"],
        ),
        "security.oauth_verify_start": (
            "/login/oauth-verify-start/<name>",
            ["OPTIONS", "POST"],
        ),
        "security.oauth_verify_response": (
            "/login/oauth-verify-response/<name>",
            ["GET", "HEAD", "OPTIONS"],
        ),
    }


def test_security_signs_in(security: Flask, provider: ProviderEmulator) -> None:
    client = security.test_client()
    protected = client.get("/home")
    assert protected.status_code == 302
    assert protected.location == "/login?next=/home"

    start = security_start(client)
    assert session_of(client)["fs_oauth_next"] == "/home"
    assert query(start.location)["redirect_uri"] == f"{APP}/login/oauthresponse/github"
    response, visited = provider.follow(client, start)

    assert response.status_code == 200
    assert response.text == "Hello octocat@example.com"
    assert visited[-2].startswith(f"{APP}/login/oauthresponse/github?code=")
    assert visited[-1] == f"{APP}/home"
    assert "fs_oauth_next" not in session_of(client)


def test_without_the_extension_security_refused_code(
    security: Flask, provider: ProviderEmulator
) -> None:
    """The control, without the extension: the provider's error code and
    description are flashed verbatim, the redirect goes to the login page
    without ``next``; ``fs_oauth_next`` stays in the session."""
    client = security.test_client()
    provider.reject_next_codes(1)
    callback = authorize(provider, security_start(client))

    response = client.get(callback)

    assert response.status_code == 302
    assert response.location == "/login"
    assert session_of(client)["fs_oauth_next"] == "/home"
    assert flashes(client.get(response.location)) == [
        (
            "error",
            "An error occurred while communicating with the OAuth provider: "
            "(bad_verification_code - The code passed is incorrect or expired.). "
            "Please try again.",
        )
    ]
    assert client.get("/home").status_code == 302


def test_without_the_extension_security_lost_state(
    security: Flask, provider: ProviderEmulator
) -> None:
    """The control, without the extension: Authlib's ``mismatching_state``
    is flashed verbatim ("CSRF Warning!"), with a redirect to the login
    page; the code is never redeemed."""
    client = security.test_client()
    callback = authorize(provider, security_start(client))
    client.delete_cookie("session")

    response = client.get(callback)

    assert response.status_code == 302
    assert response.location == "/login"
    assert provider.token_requests == []
    assert flashes(client.get(response.location)) == [
        (
            "error",
            "An error occurred while communicating with the OAuth provider: "
            "(mismatching_state - CSRF Warning! State not equal in request and "
            "response.). Please try again.",
        )
    ]


# -- flask-oidc -------------------------------------------------------------


@pytest.fixture(scope="module", params=["keycloak", "google"])
def oidc_server(request: pytest.FixtureRequest) -> Iterator[ProviderEmulator]:
    with ProviderEmulator(profile=request.param) as server:
        yield server


@pytest.fixture
def oidc_provider(oidc_server: ProviderEmulator) -> Iterator[ProviderEmulator]:
    oidc_server.reset()
    yield oidc_server
    oidc_server.reset()


@pytest.fixture
def oidc(oidc_provider: ProviderEmulator) -> Flask:
    return oidc_app.create_app(oidc_provider)


def test_oidc_endpoints(oidc: Flask) -> None:
    rules = {
        rule.endpoint: rule.rule
        for rule in oidc.url_map.iter_rules()
        if rule.endpoint.startswith("oidc_auth.")
    }
    assert rules == {
        "oidc_auth.login": "/login",
        "oidc_auth.authorize": "/authorize",
        "oidc_auth.logout": "/logout",
    }


@pytest.mark.parametrize("secrets_as", ["dict", "file"])
def test_oidc_signs_in(
    oidc_provider: ProviderEmulator, tmp_path: Path, secrets_as: str
) -> None:
    secrets_file = tmp_path / "client_secrets.json" if secrets_as == "file" else None
    app = oidc_app.create_app(oidc_provider, secrets_file=secrets_file)
    client = app.test_client()
    protected = client.get("/private")
    assert protected.status_code == 302
    assert protected.location == "/login?next=http%3A%2F%2Flocalhost%2Fprivate"

    response, visited = oidc_provider.follow(client, protected)

    assert response.status_code == 200
    assert response.text == "Private page of octocat@example.com"
    assert visited[1].startswith(oidc_provider.authorize_url + "?")
    assert query(visited[1])["redirect_uri"] == f"{APP}/authorize"
    assert visited[-2].startswith(f"{APP}/authorize?")
    assert visited[-1] == f"{APP}/private"
    session = session_of(client)
    assert session["oidc_auth_profile"]["email"] == "octocat@example.com"
    assert "next" not in session
    assert client.get("/").text == "Welcome octocat@example.com"


def oidc_start(client: FlaskClient) -> TestResponse:
    login = client.get("/private")
    assert login.status_code == 302
    return client.get(login.location)


def test_without_the_extension_oidc_refused_code(
    oidc: Flask, oidc_provider: ProviderEmulator
) -> None:
    """The control, without the extension: a bare 401 whose body is
    Authlib's error string; ``next`` stays in the session."""
    client = oidc.test_client()
    oidc_provider.reject_next_codes(1)
    callback = authorize(oidc_provider, oidc_start(client))

    response = client.get(callback)

    assert response.status_code == 401
    assert "<h1>Unauthorized</h1>" in response.text
    assert "invalid_grant: " in response.text
    assert session_of(client)["next"] == f"{APP}/private"
    assert client.get("/").text == "Not signed in"


def test_without_the_extension_oidc_lost_state(
    oidc: Flask, oidc_provider: ProviderEmulator
) -> None:
    """The control, without the extension: a bare 401 naming
    ``mismatching_state``; the code is never redeemed."""
    client = oidc.test_client()
    callback = authorize(oidc_provider, oidc_start(client))
    client.delete_cookie("session")

    response = client.get(callback)

    assert response.status_code == 401
    assert (
        "mismatching_state: CSRF Warning! State not equal in request and response."
        in response.text
    )
    assert oidc_provider.token_requests == []
