"""Finding the client a callback serves, and preparing the app's clients:
states minted for each, token responses checked, failures kept for views
that catch them; the hosts and endpoints each client talks to."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask import g
from werkzeug.local import LocalProxy

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover.clients import AUTHLIB_KEY
from flask_oauth_recover.clients import CAUGHT_KEY
from flask_oauth_recover.clients import NAME_ARGUMENTS
from flask_oauth_recover.clients import Registry
from flask_oauth_recover.clients import caught_failure
from flask_oauth_recover.clients import current_registry
from flask_oauth_recover.clients import endpoint_of
from flask_oauth_recover.clients import endpoint_urls
from flask_oauth_recover.clients import is_oauth2
from flask_oauth_recover.clients import link_hosts
from flask_oauth_recover.clients import prepare
from flask_oauth_recover.clients import provider_hosts
from flask_oauth_recover.clients import provider_of
from flask_oauth_recover.clients import resolve
from flask_oauth_recover.providers import BASELINE
from flask_oauth_recover.providers import profile_named
from flask_oauth_recover.state import read_state
from flask_oauth_recover.token_response import HOOK_MARK

GITHUB = {
    "client_id": "Iv1.0123456789abcdef",
    "client_secret": "0" * 40,
    "authorize_url": "https://github.com/login/oauth/authorize",
    "access_token_url": "https://github.com/login/oauth/access_token",
    "api_base_url": "https://api.github.com/",
}
GITLAB = {
    "client_id": "a" * 64,
    "client_secret": "gloas-" + "b" * 64,
    "authorize_url": "https://gitlab.example/oauth/authorize",
    "access_token_url": "https://gitlab.example/oauth/token",
    "api_base_url": "https://gitlab.example/api/v4/",
}
TWITTER = {
    "client_id": "t",
    "client_secret": "s",
    "request_token_url": "https://api.twitter.example/oauth/request_token",
    "access_token_url": "https://api.twitter.example/oauth/access_token",
    "authorize_url": "https://api.twitter.example/oauth/authenticate",
}


@pytest.fixture
def app() -> Iterator[Flask]:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "clients-test-key"
    yield app


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


# -- the registry ------------------------------------------------------------


def test_the_registry_is_the_one_given_or_the_app_s(app: Flask) -> None:
    given, own = OAuth(), OAuth(app)

    with app.app_context():
        assert Registry(given).oauth() is given
        assert Registry().oauth() is own
        assert app.extensions[AUTHLIB_KEY] is own


def test_no_registry_yet(app: Flask) -> None:
    registry = Registry()

    with app.app_context():
        assert registry.oauth() is None
        assert registry.names() == registry.oauth2_names() == []
        assert registry.client("github") is None
    assert registry.attach(app) is False


def test_names_tell_oauth1_apart_and_follow_new_registrations(app: Flask) -> None:
    oauth = OAuth(app)
    oauth.register("github", **GITHUB)
    oauth.register("twitter", **TWITTER)
    registry = Registry(oauth)

    assert registry.names() == ["github", "twitter"]
    assert registry.oauth2_names() == ["github"]
    oauth.register("gitlab", **GITLAB)
    assert registry.names() == ["github", "twitter", "gitlab"]
    assert registry.oauth2_names() == ["github", "gitlab"]


def test_client_by_name_creates_it_only_when_registered(app: Flask) -> None:
    oauth = OAuth(app)
    oauth.register("github", **GITHUB)
    registry = Registry(oauth)

    with app.app_context():
        assert registry.client("github") is oauth.github
        assert registry.client("nobody") is None


def test_attach_prepares_the_clients_that_exist_and_those_created_later(
    app: Flask,
) -> None:
    oauth = OAuth(app)
    github = oauth.register("github", **GITHUB)
    twitter = oauth.register("twitter", **TWITTER)
    registry = Registry(oauth)

    assert registry.attach(app) is True
    gitlab = oauth.register("gitlab", **GITLAB)  # outside any app context

    assert getattr(github, "_oauth_recover_prepared", False)
    assert getattr(gitlab, "_oauth_recover_prepared", False)
    assert not getattr(twitter, "_oauth_recover_prepared", False)
    create_client = oauth.create_client
    assert registry.attach(app) is True
    assert oauth.create_client is create_client  # wrapped once


def test_current_registry_needs_the_extension(app: Flask) -> None:
    with app.app_context():
        with pytest.raises(RuntimeError, match="OAuthRecover is not initialized"):
            current_registry()
    OAuthRecover(app)
    with app.app_context():
        assert isinstance(current_registry(), Registry)


def test_a_warning_is_said_once_per_endpoint(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    registry = Registry(OAuth(app))
    app.add_url_rule("/a", "a", lambda: "")
    app.add_url_rule("/b", "b", lambda: "")

    with caplog.at_level(logging.WARNING, logger="flask_oauth_recover"):
        for path in ("/a", "/a", "/b"):
            with app.test_request_context(path):
                registry.warn_ambiguous(["github", "gitlab"])

    assert [record.getMessage() for record in caplog.records] == [
        f"@recover.callback() on {endpoint!r} cannot tell which of the OAuth 2 "
        "clients 'github', 'gitlab' it serves, so it does not handle its "
        "failures: name the client, route by a view argument (/auth/<name>), "
        "or pass a callable that returns the client for the request"
        for endpoint in ("a", "b")
    ]


# -- preparing a client ------------------------------------------------------


def test_is_oauth2(app: Flask) -> None:
    oauth = OAuth(app)
    assert is_oauth2(oauth.register("github", **GITHUB))
    assert not is_oauth2(oauth.register("twitter", **TWITTER))
    assert not is_oauth2(object())


def test_a_prepared_client_mints_its_states_and_checks_its_token_responses(
    app: Flask,
) -> None:
    github = OAuth(app).register("github", **GITHUB)

    prepare(github)
    prepare(github)  # idempotent

    assert getattr(github.compliance_fix, HOOK_MARK, False)
    with app.test_request_context():
        minted = github.create_authorization_url("https://app.example/cb")
        chosen = github.create_authorization_url(
            "https://app.example/cb", state="the-app-s-own"
        )
        signed = read_state(minted["state"], 600, "github")
    assert signed is not None
    assert signed.origin == "https://app.example"
    assert signed.sent("https://app.example/cb")
    assert chosen["state"] == "the-app-s-own"
    assert state_of(minted["url"]) == minted["state"]


def test_a_failure_the_view_catches_is_kept_for_the_callback(app: Flask) -> None:
    github = OAuth(app).register("github", **GITHUB)
    prepare(github)

    with app.test_request_context("/callback?code=c&state=unknown"):
        with pytest.raises(Exception) as raised:
            github.authorize_access_token()
        assert g.get(CAUGHT_KEY) is raised.value
        assert caught_failure() is raised.value
        assert caught_failure() is None
        assert CAUGHT_KEY not in g


def test_a_success_keeps_nothing(app: Flask) -> None:
    github = OAuth(app).register("github", **GITHUB)
    token = {"access_token": "t"}
    github.authorize_access_token = lambda **kwargs: token
    prepare(github)

    with app.test_request_context("/callback"):
        assert github.authorize_access_token() is token
        assert caught_failure() is None


# -- which client a callback serves ------------------------------------------


@pytest.fixture
def registry(app: Flask) -> Iterator[Registry]:
    oauth = OAuth(app)
    oauth.register("github", **GITHUB)
    oauth.register("gitlab", **GITLAB)
    oauth.register("twitter", **TWITTER)
    with app.test_request_context("/auth/x"):
        yield Registry(oauth)


def test_a_name_is_resolved_once_and_remembered(registry: Registry) -> None:
    resolved = resolve(registry, "github", {})

    assert resolved is not None
    assert resolved[0] == "github"
    assert resolved[1] is registry.client("github")
    assert getattr(resolved[1], "_oauth_recover_prepared", False)
    assert registry.resolved["github"] is resolved
    assert resolve(registry, "github", {"name": "gitlab"}) is resolved


def test_an_unknown_name_runs_the_view_untouched_and_says_so_once(
    registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="flask_oauth_recover"):
        assert resolve(registry, "githib", {}) is None
        assert resolve(registry, "githib", {}) is None

    [record] = caplog.records
    assert "@recover.callback('githib')" in record.getMessage()
    assert "'github', 'gitlab', 'twitter'" in record.getMessage()
    assert "githib" not in registry.resolved


def test_an_oauth1_client_is_not_ours(registry: Registry) -> None:
    assert resolve(registry, "twitter", {}) is None
    assert resolve(registry, None, {"name": "twitter"}) is None


@pytest.mark.parametrize("argument", NAME_ARGUMENTS)
def test_a_view_argument_names_the_client(registry: Registry, argument: str) -> None:
    resolved = resolve(registry, None, {argument: "gitlab"})

    assert resolved is not None and resolved[0] == "gitlab"
    assert NAME_ARGUMENTS == ("name", "provider", "client")


def test_the_first_naming_argument_wins(registry: Registry) -> None:
    resolved = resolve(registry, None, {"provider": "github", "name": "gitlab"})

    assert resolved is not None and resolved[0] == "gitlab"


@pytest.mark.parametrize("value", ["nobody", 42])
def test_a_view_argument_naming_no_client_is_the_app_s_404(
    registry: Registry, value: Any
) -> None:
    assert resolve(registry, None, {"name": value}) is None


def test_the_only_argument_whose_value_is_a_client_name(registry: Registry) -> None:
    resolved = resolve(registry, None, {"slug": "gitlab", "page": "2"})

    assert resolved is not None and resolved[0] == "gitlab"
    assert resolve(registry, None, {"a": "gitlab", "b": "github"}) is None


def test_without_arguments_several_clients_are_ambiguous(
    registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="flask_oauth_recover"):
        assert resolve(registry, None, {}) is None
        assert resolve(registry, None, {"page": "2"}) is None

    [record] = caplog.records
    assert "cannot tell which of the OAuth 2 clients" in record.getMessage()


def test_the_single_oauth2_client_serves_a_bare_callback(app: Flask) -> None:
    oauth = OAuth(app)
    oauth.register("github", **GITHUB)
    oauth.register("twitter", **TWITTER)
    registry = Registry(oauth)

    with app.test_request_context():
        resolved = resolve(registry, None, {})
        other = resolve(registry, None, {"slug": "nothing"})

    assert resolved is not None and resolved[0] == "github"
    assert other is not None and other[0] == "github"


def test_a_client_object_a_proxy_or_a_callable(registry: Registry) -> None:
    github = registry.client("github")
    gitlab = registry.client("gitlab")
    proxy = LocalProxy(lambda: gitlab)

    assert resolve(registry, github, {}) == ("github", github)
    assert resolve(registry, proxy, {}) == ("gitlab", gitlab)
    assert resolve(registry, lambda: "github", {}) == ("github", github)
    assert resolve(registry, lambda: gitlab, {}) == ("gitlab", gitlab)
    assert resolve(registry, lambda: None, {}) is None
    assert registry.resolved == {}  # only names are remembered


# -- where a client talks to -------------------------------------------------


def test_endpoints_and_hosts(app: Flask) -> None:
    oauth = OAuth(app)
    github = oauth.register("github", **GITHUB)
    oidc = oauth.register(
        "oidc",
        client_id="x",
        client_secret="y",
        server_metadata_url="https://idp.example:8443/.well-known/openid-configuration",
    )
    oidc.server_metadata.update(
        {
            "authorization_endpoint": "https://login.idp.example/authorize",
            "token_endpoint": "https://token.idp.example/token",
        }
    )

    assert endpoint_urls(github) == [
        GITHUB["access_token_url"],
        GITHUB["authorize_url"],
        GITHUB["api_base_url"],
    ]
    assert provider_hosts(github) == {"github.com", "api.github.com"}
    assert provider_hosts(oidc) == {
        "idp.example:8443",
        "login.idp.example",
        "token.idp.example",
    }
    assert endpoint_of(github, "redirect_uri") == GITHUB["authorize_url"]
    assert endpoint_of(github, "credentials") == GITHUB["access_token_url"]
    assert endpoint_of(oidc, "redirect_uri") == "https://login.idp.example/authorize"
    assert endpoint_of(oidc, "credentials") == "https://token.idp.example/token"


def test_link_hosts_are_the_provider_s_and_its_docs(app: Flask) -> None:
    oauth = OAuth(app)
    github = oauth.register("github", **GITHUB)
    local = oauth.register(
        "local",
        client_id="x",
        client_secret="y",
        authorize_url="http://127.0.0.1:5000/authorize",
        access_token_url="http://127.0.0.1:5000/token",
    )

    assert link_hosts(github) == {"github.com", "api.github.com", "docs.github.com"}
    assert "docs.github.com" in link_hosts(github, profile_named("github"))
    assert link_hosts(local) == {"127.0.0.1"}


def test_the_provider_comes_from_the_name_the_config_or_the_endpoints(
    app: Flask,
) -> None:
    oauth = OAuth(app)
    github = oauth.register("github", **GITHUB)
    gitlab = oauth.register("gitlab", **GITLAB)
    app.config["OAUTH_RECOVER_PROVIDERS"] = {"gitlab": "gitlab"}

    with app.app_context():
        assert provider_of(github, "github").profile.name == "github"
        assert provider_of(gitlab, "gitlab").profile.name == "gitlab"
        assert provider_of(github, "github", "keycloak").profile.name == "keycloak"
        app.config["OAUTH_RECOVER_PROVIDERS"] = {}
        assert provider_of(gitlab, "gitlab").display_name == "GitLab"


# -- more of the registry ----------------------------------------------------


def test_a_client_registered_before_the_app_is_created_when_first_needed(
    app: Flask,
) -> None:
    # The app factory pattern: OAuth() and register() at import time.
    oauth = OAuth()
    oauth.register("github", **GITHUB)
    oauth.init_app(app)
    registry = Registry()

    with app.app_context():
        github = registry.client("github")
        assert github is not None
        assert github.name == "github"
        assert github.client_id == GITHUB["client_id"]
        assert registry.client("github") is github
        assert registry.client("nobody") is None


def test_attach_finds_the_app_s_own_registry(app: Flask) -> None:
    github = OAuth(app).register("github", **GITHUB)

    assert Registry().attach(app) is True
    assert getattr(github, "_oauth_recover_prepared", False)


def test_attach_prepares_a_registry_given_before_the_app_has_it(app: Flask) -> None:
    # OAuthRecover(app, oauth=oauth) before oauth.init_app(app).
    oauth = OAuth()
    oauth.register("github", **GITHUB)

    assert Registry(oauth).attach(app) is True
    oauth.init_app(app)
    with app.app_context():
        assert getattr(oauth.create_client("github"), "_oauth_recover_prepared", False)


def test_an_oauth1_client_created_after_attach_is_left_alone(app: Flask) -> None:
    oauth = OAuth(app)
    Registry(oauth).attach(app)

    twitter = oauth.register("twitter", **TWITTER)

    assert twitter is not None
    assert not getattr(twitter, "_oauth_recover_prepared", False)


def test_current_registry_says_how_to_initialize_the_extension(app: Flask) -> None:
    with app.app_context():
        with pytest.raises(RuntimeError) as raised:
            current_registry()

    assert str(raised.value) == (
        "OAuthRecover is not initialized for this app: call "
        "OAuthRecover(app) or recover.init_app(app)"
    )


def test_preparing_twice_wraps_once_and_keeps_the_redirect_uri(app: Flask) -> None:
    github = OAuth(app).register("github", **GITHUB)
    prepare(github)
    wrapped = (github.create_authorization_url, github.authorize_access_token)

    prepare(github)

    assert (github.create_authorization_url, github.authorize_access_token) == wrapped
    with app.test_request_context():
        url = github.create_authorization_url("https://app.example/cb")["url"]
    assert parse_qs(urlsplit(url).query)["redirect_uri"] == ["https://app.example/cb"]


def test_a_known_name_resolves_without_a_word(
    registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="flask_oauth_recover"):
        assert resolve(registry, "github", {}) is not None
        assert resolve(registry, None, {"name": "gitlab"}) is not None

    assert caplog.records == []


def test_an_unknown_name_says_what_is_registered(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    registry = Registry(OAuth(app))
    app.add_url_rule("/callback", "callback", lambda: "")

    with caplog.at_level(logging.WARNING, logger="flask_oauth_recover"):
        with app.test_request_context("/callback"):
            assert resolve(registry, "github", {}) is None

    assert [record.getMessage() for record in caplog.records] == [
        "@recover.callback('github') on 'callback': no OAuth client of that name "
        "is registered (registered: none), so the extension leaves this view alone"
    ]


def test_a_proxy_resolves_to_the_client_itself(registry: Registry) -> None:
    gitlab = registry.client("gitlab")

    resolved = resolve(registry, LocalProxy(lambda: gitlab), {})

    assert resolved is not None
    assert resolved[1] is gitlab
    assert not isinstance(resolved[1], LocalProxy)


def test_a_proxy_to_no_client_leaves_the_view_alone(registry: Registry) -> None:
    # E.g. a proxy to the client this request's tenant uses, when it has none.
    assert resolve(registry, LocalProxy(lambda: None), {}) is None


def test_view_arguments_that_name_no_client_are_not_ambiguous(
    registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="flask_oauth_recover"):
        assert resolve(registry, None, {"page": "2"}) is None

    assert caplog.records == []


def test_without_an_oauth2_client_a_bare_callback_is_not_ambiguous(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    oauth = OAuth(app)
    oauth.register("twitter", **TWITTER)
    registry = Registry(oauth)

    with caplog.at_level(logging.WARNING, logger="flask_oauth_recover"):
        with app.test_request_context("/callback"):
            assert resolve(registry, None, {}) is None

    assert caplog.records == []


# -- more of where a client talks to -----------------------------------------


class BareClient:
    """A client of another library: its three URLs and nothing of OIDC."""

    def __init__(self, authorize: str, token: str, api: str | None = None) -> None:
        self.authorize_url = authorize
        self.access_token_url = token
        self.api_base_url = api


def test_a_client_without_server_metadata(app: Flask) -> None:
    client = BareClient("https://github.com/login/oauth/authorize", "", api="")

    assert endpoint_urls(client) == ["https://github.com/login/oauth/authorize"]
    assert provider_hosts(client) == {"github.com"}
    assert endpoint_of(client, "redirect_uri") == client.authorize_url
    assert endpoint_of(client, "credentials") is None
    with app.app_context():
        assert provider_of(client, "sso").profile.name == "github"


@pytest.mark.parametrize(
    ("authorize", "token", "metadata", "metadata_url", "expected"),
    [
        # Each time one URL says who the provider is; the client's name
        # ("sso") and the other URLs say nothing.
        (
            "https://github.com/login/oauth/authorize",
            "https://sso.internal.example/token",
            {},
            None,
            "github",
        ),
        (
            "https://sso.internal.example/authorize",
            "https://gitlab.com/oauth/token",
            {},
            None,
            "gitlab",
        ),
        (
            None,
            None,
            {
                "authorization_endpoint": (
                    "https://login.microsoftonline.com/contoso/oauth2/v2.0/authorize"
                ),
                "token_endpoint": "https://sso.internal.example/token",
            },
            "https://sso.internal.example/.well-known/openid-configuration",
            "microsoft",
        ),
        (
            None,
            None,
            {
                "authorization_endpoint": "https://sso.internal.example/authorize",
                "token_endpoint": "https://gitlab.com/oauth/token",
            },
            "https://sso.internal.example/.well-known/openid-configuration",
            "gitlab",
        ),
        (
            None,
            None,
            {},
            "https://accounts.google.com/.well-known/openid-configuration",
            "google",
        ),
    ],
    ids=[
        "authorize-url",
        "token-url",
        "metadata-authorize",
        "metadata-token",
        "metadata-url",
    ],
)
def test_the_provider_comes_from_any_one_endpoint(
    app: Flask,
    authorize: str | None,
    token: str | None,
    metadata: dict[str, str],
    metadata_url: str | None,
    expected: str,
) -> None:
    urls: dict[str, Any] = {"authorize_url": authorize, "access_token_url": token}
    if metadata_url:
        urls["server_metadata_url"] = metadata_url
    sso = OAuth(app).register("sso", client_id="x", client_secret="y", **urls)
    sso.server_metadata.update(metadata)

    with app.app_context():
        match = provider_of(sso, "sso")

    assert match.profile.name == expected
    assert match.certain


def test_the_config_names_the_provider_of_a_client(app: Flask) -> None:
    sso = OAuth(app).register("sso", **GITHUB)
    app.config["OAUTH_RECOVER_PROVIDERS"] = {"sso": "okta", "other": "google"}

    with app.app_context():
        assert provider_of(sso, "sso").profile.name == "okta"
        assert provider_of(sso, "sso", "gitlab").profile.name == "gitlab"


def test_link_hosts_add_the_profile_s_docs_and_each_two_label_host_s(
    app: Flask,
) -> None:
    gitlab = OAuth(app).register("gitlab", **GITLAB)
    # A URL without a host adds nothing, and the others still count.
    bare = BareClient("https://idp.example/authorize", "/oauth/token")

    assert link_hosts(gitlab) == {"gitlab.example", "docs.gitlab.example"}
    assert link_hosts(gitlab, profile_named("gitlab")) == {
        "gitlab.example",
        "docs.gitlab.example",
        "docs.gitlab.com",
    }
    assert link_hosts(bare) == {"idp.example", "docs.idp.example"}


def test_a_malformed_metadata_document_names_no_endpoint(app: Flask) -> None:
    # The discovery document is the provider's JSON: anything may be in it.
    oidc = OAuth(app).register(
        "sso",
        client_id="x",
        client_secret="y",
        server_metadata_url="https://idp.example/.well-known/openid-configuration",
    )
    oidc.server_metadata.update(
        {
            "authorization_endpoint": ["https://github.com/authorize"],
            "token_endpoint": 1,
        }
    )

    assert endpoint_urls(oidc) == [
        "https://idp.example/.well-known/openid-configuration"
    ]
    assert provider_hosts(oidc) == {"idp.example"}
    assert endpoint_of(oidc, "redirect_uri") is None
    assert endpoint_of(oidc, "credentials") is None
    with app.app_context():
        assert provider_of(oidc, "sso").profile is BASELINE
