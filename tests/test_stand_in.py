"""Tests for ``ProviderEmulator.stand_in_for``: apps written for github.com,
registered every way public apps register Authlib clients (at setup, in a
``before_request`` function, in the login view), signing in against the
emulator over loopback HTTP without a line changed."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask import redirect
from flask import url_for
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import example_app
from flask_oauth_recover import OAuthRecover
from flask_oauth_recover.testing import ProviderEmulator
from flask_oauth_recover.testing import StandIn
from tests.apps import config_keys
from tests.apps import factory_app
from tests.apps import literal_urls
from tests.apps import register_in_view
from tests.apps import setup_per_request

GITHUB_AUTHORIZE = "https://github.com/login/oauth/authorize"
GITHUB_TOKEN = "https://github.com/login/oauth/access_token"
GITHUB_API = "https://api.github.com/"
# Credentials of "the real OAuth App", which the emulator does not accept.
REAL_CLIENT_ID = "Iv1.feedfacecafebeef"
REAL_SECRET = "f" * 40
# An OAuth 1 client's registration, which the emulator cannot stand in for.
TWITTER = {
    "client_id": "key",
    "client_secret": "secret",
    "request_token_url": "https://api.twitter.com/oauth/request_token",
    "access_token_url": "https://api.twitter.com/oauth/access_token",
    "authorize_url": "https://api.twitter.com/oauth/authenticate",
}


@pytest.fixture
def provider() -> Iterator[ProviderEmulator]:
    with ProviderEmulator() as emulator:
        yield emulator


def sign_in(
    provider: ProviderEmulator, client: FlaskClient
) -> tuple[TestResponse, list[str]]:
    return provider.follow(client, client.get("/login"))


def login_location(app: Flask) -> str:
    """Where the app's login sends the browser; no request leaves the app."""
    location: str = app.test_client().get("/login").headers["Location"]
    return location


def make_demo_app() -> Flask:
    # The demo with credentials talks to github.com, through config keys.
    return example_app.create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "GITHUB_CLIENT_ID": REAL_CLIENT_ID,
            "GITHUB_CLIENT_SECRET": REAL_SECRET,
        }
    )


APPS: dict[str, tuple[Callable[[], Flask], str]] = {
    # name: (the app, what its page says once signed in)
    "literal URLs, module-level OAuth(app)": (
        lambda: literal_urls.app,
        "Signed in as octocat",
    ),
    "module-level OAuth() and init_app in a factory": (
        lambda: factory_app.create_app({"TESTING": True}),
        '{"user":{"email":"octocat@example.com","login":"octocat"}}\n',
    ),
    "GITHUB_* config keys, OAuth(app) in a factory": (
        lambda: config_keys.create_app({"TESTING": True}),
        "user=octocat",
    ),
    "the demo app, given real credentials": (make_demo_app, "octocat"),
}


@pytest.mark.parametrize("make_app, signed_in", APPS.values(), ids=list(APPS))
def test_unmodified_app_signs_in_against_the_emulator(
    provider: ProviderEmulator, make_app: Callable[[], Flask], signed_in: str
) -> None:
    app = make_app()
    with provider.stand_in_for(app, "github"):
        response, visited = sign_in(provider, app.test_client())

    assert response.status_code == 200
    assert signed_in in response.text
    assert visited[0].startswith(provider.authorize_url + "?")
    # The emulator's credentials: it refuses any others.
    assert provider.authorize_requests[0]["client_id"] == provider.client_id
    assert len(provider.token_requests) == 1


def test_absolute_api_urls_reach_the_emulator(provider: ProviderEmulator) -> None:
    # The factory app reads get("/user"), then the primary address from
    # get("https://api.github.com/user/emails"): the only place it is listed
    # for a user who keeps it private.
    provider.user["email"] = None
    app = factory_app.create_app({"TESTING": True})
    with provider.stand_in_for(app):
        response, _ = sign_in(provider, app.test_client())
    assert response.json == {
        "user": {"login": "octocat", "email": "octocat@example.com"}
    }


def test_rejected_code_restarts_and_ends_signed_in(provider: ProviderEmulator) -> None:
    provider.reject_next_codes(1)
    with provider.stand_in_for(literal_urls.app):
        response, visited = sign_in(provider, literal_urls.app.test_client())

    assert response.text == "Signed in as octocat"
    authorizations = [url for url in visited if url.startswith(provider.base_url)]
    assert len(authorizations) == 2  # the restart went to the emulator too
    assert len(provider.token_requests) == 2


def test_follow_names_github_when_the_app_is_not_stood_in(
    provider: ProviderEmulator,
) -> None:
    client = literal_urls.app.test_client()
    with pytest.raises(AssertionError, match="the app redirected to github.com,"):
        sign_in(provider, client)
    assert provider.authorize_requests == []


def test_restored_on_context_exit(provider: ProviderEmulator) -> None:
    app, github = literal_urls.app, literal_urls.oauth.github
    with provider.stand_in_for(app, "github") as stand_in:
        assert stand_in.active
        assert github.authorize_url == provider.authorize_url
        assert github.access_token_url == provider.token_url
        assert github.api_base_url == provider.base_url + "/"
        assert login_location(app).startswith(provider.authorize_url + "?")

    assert not stand_in.active
    assert github.authorize_url == GITHUB_AUTHORIZE
    assert github.access_token_url == GITHUB_TOKEN
    assert github.api_base_url == GITHUB_API
    assert github.client_id is None  # the app's, from an unset environment
    assert login_location(app).startswith(GITHUB_AUTHORIZE + "?")


def test_restored_when_the_emulator_stops() -> None:
    app, github = literal_urls.app, literal_urls.oauth.github
    emulator = ProviderEmulator().start()
    try:
        emulator.stand_in_for(app)
        response, _ = sign_in(emulator, app.test_client())
        assert response.text == "Signed in as octocat"
    finally:
        emulator.stop()

    assert github.authorize_url == GITHUB_AUTHORIZE
    assert github.access_token_url == GITHUB_TOKEN
    assert github.api_base_url == GITHUB_API
    assert login_location(app).startswith(GITHUB_AUTHORIZE + "?")


def test_restore_twice_is_harmless(provider: ProviderEmulator) -> None:
    stand_in = provider.stand_in_for(literal_urls.app)
    stand_in.restore()
    stand_in.restore()
    provider.stop()
    assert login_location(literal_urls.app).startswith(GITHUB_AUTHORIZE + "?")


def test_a_client_first_used_during_the_stand_in_is_restored() -> None:
    # The demo registers before init_app: Authlib creates the client on its
    # first use, here during the stand-in, from the rewritten registration.
    app = make_demo_app()
    with ProviderEmulator() as emulator, emulator.stand_in_for(app):
        response, _ = sign_in(emulator, app.test_client())
        assert "octocat" in response.text

    location = login_location(app)
    assert location.startswith(GITHUB_AUTHORIZE + "?")
    assert parse_qs(urlsplit(location).query)["client_id"] == [REAL_CLIENT_ID]


def test_only_the_given_app_is_stood_in(provider: ProviderEmulator) -> None:
    one = config_keys.create_app({"TESTING": True})
    other = config_keys.create_app({"TESTING": True})
    with provider.stand_in_for(one):
        assert login_location(one).startswith(provider.authorize_url + "?")
        assert login_location(other).startswith(GITHUB_AUTHORIZE + "?")


def test_registration_with_overwrite_lets_the_emulator_win(
    provider: ProviderEmulator,
) -> None:
    # overwrite=True makes Authlib prefer the GITHUB_* config keys over the
    # registered values; the client is created on first use.
    app = Flask(__name__)
    app.config.update(
        TESTING=True,
        SECRET_KEY="test",
        GITHUB_CLIENT_ID=REAL_CLIENT_ID,
        GITHUB_CLIENT_SECRET=REAL_SECRET,
        GITHUB_AUTHORIZE_URL=GITHUB_AUTHORIZE,
        GITHUB_ACCESS_TOKEN_URL=GITHUB_TOKEN,
        GITHUB_CLIENT_KWARGS={"scope": "read:user"},
    )
    oauth = OAuth()
    oauth.register(
        "github",
        overwrite=True,
        authorize_url="https://ghe.example.test/login/oauth/authorize",
        access_token_url="https://ghe.example.test/login/oauth/access_token",
        api_base_url=GITHUB_API,
        client_kwargs={"scope": "user"},
    )
    oauth.init_app(app)
    add_login(app, oauth, lambda github, token: github.get("user", token=token))

    with provider.stand_in_for(app):
        response, visited = sign_in(provider, app.test_client())
    assert response.text == "octocat"
    assert "scope=read%3Auser" in visited[0]  # the config's, as Authlib merges

    assert login_location(app).startswith(GITHUB_AUTHORIZE + "?")


def add_login(
    app: Flask, oauth: OAuth, read_user: Callable[[Any, dict[str, Any]], Any]
) -> None:
    """The usual login and callback, the callback reading the user with
    ``read_user(client, token)``."""
    recover = OAuthRecover(app, oauth=oauth)

    @app.route("/login")
    def login() -> Any:
        return oauth.github.authorize_redirect(url_for("callback", _external=True))

    @app.route("/callback")
    @recover.callback("github")
    def callback() -> str:
        token = oauth.github.authorize_access_token()
        return str(read_user(oauth.github, token).json()["login"])


# -- server metadata ---------------------------------------------------------


def test_discovery_client_uses_the_emulator_metadata_and_gets_its_own_back() -> None:
    # "home" plays the real provider, found through its metadata document;
    # the client has loaded and cached it before the stand-in begins.
    home = ProviderEmulator(client_id=REAL_CLIENT_ID, client_secret=REAL_SECRET)
    with home, ProviderEmulator() as stand_in:
        app = Flask(__name__)
        app.config.update(TESTING=True, SECRET_KEY="test")
        oauth = OAuth(app)
        oauth.register(
            "github",
            client_id=REAL_CLIENT_ID,
            client_secret=REAL_SECRET,
            server_metadata_url=home.server_metadata_url,
            client_kwargs={"scope": "read:user"},
        )
        add_login(
            app,
            oauth,
            lambda github, token: github.get(
                github.server_metadata["userinfo_endpoint"], token=token
            ),
        )
        client = app.test_client()
        assert sign_in(home, client)[0].text == "octocat"

        with stand_in.stand_in_for(app):
            response, visited = sign_in(stand_in, client)
            assert response.text == "octocat"
            assert visited[0].startswith(stand_in.authorize_url + "?")
            assert len(stand_in.token_requests) == 1

        response, visited = sign_in(home, client)
        assert response.text == "octocat"
        assert visited[0].startswith(home.authorize_url + "?")
        assert len(home.token_requests) == 2
        assert len(stand_in.token_requests) == 1


# -- clients registered lazily -----------------------------------------------

LAZY_APPS: dict[str, Callable[[], Flask]] = {
    # oauth.init_app(app) and oauth.register() in a before_request function,
    # before every request, as authlib/auth-playground does.
    "set up in before_request": lambda: setup_per_request.create_app(
        {
            "TESTING": True,
            "GITHUB_CLIENT_ID": REAL_CLIENT_ID,
            "GITHUB_CLIENT_SECRET": REAL_SECRET,
        }
    ),
    # OAuth(app) at setup, oauth.register() in the login view, each time.
    "registered in the login view": lambda: register_in_view.create_app(
        {"TESTING": True}
    ),
}


@pytest.mark.parametrize("make_app", LAZY_APPS.values(), ids=list(LAZY_APPS))
def test_a_client_registered_lazily_is_stood_in_once_registered(
    provider: ProviderEmulator, make_app: Callable[[], Flask]
) -> None:
    app = make_app()
    with provider.stand_in_for(app, "github") as stand_in:
        assert stand_in.pending
        client = app.test_client()
        response, visited = sign_in(provider, client)
        assert stand_in.active
        assert response.text == "Signed in as octocat"
        assert visited[0].startswith(provider.authorize_url + "?")
        assert provider.authorize_requests[0]["client_id"] == provider.client_id

        # The app registers the client again on later requests; the client
        # Authlib created the first time stays stood in.
        provider.reject_next_codes(1)
        response, visited = sign_in(provider, app.test_client())
        assert response.text == "Signed in as octocat"
        assert len(provider.token_requests) == 3

    assert not stand_in.active
    location = login_location(app)
    assert location.startswith(GITHUB_AUTHORIZE + "?")
    assert "127.0.0.1" not in location


def test_a_client_set_up_in_before_request_gets_its_own_credentials_back(
    provider: ProviderEmulator,
) -> None:
    app = LAZY_APPS["set up in before_request"]()
    app.test_client().get("/")  # the extension's own first-request set-up
    hooks = list(app.before_request_funcs[None])
    with provider.stand_in_for(app, "github"):
        assert sign_in(provider, app.test_client())[0].text == "Signed in as octocat"
    assert app.before_request_funcs[None] == hooks
    location = login_location(app)
    assert parse_qs(urlsplit(location).query)["client_id"] == [REAL_CLIENT_ID]


def test_stand_in_after_a_lazy_apps_first_request_applies_at_once(
    provider: ProviderEmulator,
) -> None:
    # By then the app has its registry and client: nothing to wait for.
    app = LAZY_APPS["set up in before_request"]()
    assert login_location(app).startswith(GITHUB_AUTHORIZE + "?")
    with provider.stand_in_for(app, "github") as stand_in:
        assert stand_in.active
        assert login_location(app).startswith(provider.authorize_url + "?")
    assert login_location(app).startswith(GITHUB_AUTHORIZE + "?")


def test_a_waiting_stand_in_is_undone_when_the_emulator_stops() -> None:
    app = LAZY_APPS["registered in the login view"]()
    emulator = ProviderEmulator().start()
    try:
        stand_in = emulator.stand_in_for(app)
    finally:
        emulator.stop()
    assert not stand_in.pending
    assert login_location(app).startswith(GITHUB_AUTHORIZE + "?")


def test_a_registry_created_in_the_view_is_reported(
    provider: ProviderEmulator,
) -> None:
    # The stand-in's before_request function runs before the view, so it
    # cannot see a registry the view creates: follow() says so.
    app = Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY="test")

    @app.route("/login")
    def login() -> Any:
        oauth = OAuth(app)
        github = oauth.register(
            "github",
            authorize_url=GITHUB_AUTHORIZE,
            access_token_url=GITHUB_TOKEN,
            api_base_url=GITHUB_API,
        )
        return github.authorize_redirect(url_for("login", _external=True))

    with (
        provider.stand_in_for(app),
        pytest.raises(RuntimeError, match="registered during a request after"),
    ):
        sign_in(provider, app.test_client())


def test_an_oauth1_client_registered_lazily_is_refused_when_registered(
    provider: ProviderEmulator,
) -> None:
    app = Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY="test")
    oauth = OAuth(app)

    @app.route("/login")
    def login() -> Any:
        twitter = oauth.register("twitter", **TWITTER)
        return twitter.authorize_redirect(url_for("login", _external=True))

    with provider.stand_in_for(app, "twitter") as stand_in:
        client = app.test_client()
        with pytest.raises(ValueError, match="'twitter'.* is an OAuth 1 client"):
            client.get("/login")
        assert not stand_in.active
        with pytest.raises(ValueError, match="is an OAuth 1 client"):
            stand_in.check()
    assert oauth.twitter.authorize_url == TWITTER["authorize_url"]


# -- errors ------------------------------------------------------------------


def test_a_name_never_registered_is_named_when_the_login_leaves(
    provider: ProviderEmulator,
) -> None:
    # The stand-in cannot tell a typo from a client registered later: it
    # waits, and follow() says what it waits for once the login goes to
    # github.com instead.
    app = literal_urls.app
    create_client = literal_urls.oauth.create_client
    with provider.stand_in_for(app, "gitlab") as stand_in:
        assert stand_in.pending
        assert repr(stand_in).endswith("(pending)>")
        client = app.test_client()
        with pytest.raises(
            LookupError,
            match=r"no Authlib client is registered as 'gitlab' on '[\w.]+'; "
            r"registered: \['github'\]\..* redirected to github\.com instead",
        ):
            sign_in(provider, client)
    assert not stand_in.pending
    stand_in.check()  # restored: nothing to report
    assert literal_urls.oauth.create_client == create_client
    assert login_location(app).startswith(GITHUB_AUTHORIZE + "?")
    assert provider.authorize_requests == []


def test_oauth1_client_is_refused(provider: ProviderEmulator) -> None:
    app = Flask(__name__)
    oauth = OAuth(app)
    oauth.register("twitter", **TWITTER)
    with pytest.raises(ValueError, match="'twitter'.* is an OAuth 1 client"):
        provider.stand_in_for(app, "twitter")
    assert oauth.twitter.authorize_url == TWITTER["authorize_url"]


def test_app_without_authlib(provider: ProviderEmulator) -> None:
    app = Flask(__name__)

    @app.route("/login")
    def login() -> Any:
        return redirect(GITHUB_AUTHORIZE + "?client_id=x")

    hooks = list(app.before_request_funcs.get(None, []))
    with provider.stand_in_for(app) as stand_in:
        assert stand_in.pending
        with pytest.raises(
            RuntimeError,
            match=r"has no Authlib OAuth registry: stand_in_for\(\) is still "
            r"waiting for OAuth\(app\)",
        ):
            sign_in(provider, app.test_client())
    assert app.before_request_funcs.get(None, []) == hooks


def test_app_without_authlib_after_its_first_request(
    provider: ProviderEmulator,
) -> None:
    app = Flask(__name__)
    app.test_client().get("/")
    with pytest.raises(RuntimeError, match="before the app's first request"):
        provider.stand_in_for(app)
    assert provider.token_requests == []


def test_emulator_must_be_running() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        ProviderEmulator().stand_in_for(literal_urls.app)
    assert login_location(literal_urls.app).startswith(GITHUB_AUTHORIZE + "?")


def test_stand_in_says_where_it_points() -> None:
    with ProviderEmulator() as emulator:
        stand_in = emulator.stand_in_for(literal_urls.app)
        assert isinstance(stand_in, StandIn)
        assert repr(stand_in).endswith(f"-> {emulator.authorize_url} (active)>")
