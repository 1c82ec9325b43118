"""``ProviderEmulator.stand_in_for`` on Flask-Dance apps written the way public
ones are (the GitHub quickstart, a Google app reading ``/oauth2/v2/userinfo``,
a factory registering GitHub and Google blueprints): each signs in against
the emulator over loopback HTTP without a line changed, and everything the
stand-in changed is put back."""

from __future__ import annotations

import os
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

import pytest
from authlib.integrations.flask_client import OAuth
from flask import Blueprint
from flask import Flask
from flask import redirect
from flask import url_for
from flask_dance.consumer import OAuth1ConsumerBlueprint
from flask_dance.consumer import OAuth2ConsumerBlueprint
from flask_dance.contrib.azure import make_azure_blueprint
from flask_dance.contrib.gitlab import make_gitlab_blueprint
from werkzeug.test import TestResponse
from werkzeug.wrappers import Response

from flask_oauth_recover.testing import ProviderEmulator
from flask_oauth_recover.testing.stand_in_dance import BlueprintStandIn
from tests.apps import dance_factory
from tests.apps import dance_github
from tests.apps import dance_google

GITHUB = (
    "https://github.com/login/oauth/authorize",
    "https://github.com/login/oauth/access_token",
    "https://api.github.com/",
)
GOOGLE = (
    "https://accounts.google.com/o/oauth2/auth",
    "https://accounts.google.com/o/oauth2/token",
    "https://www.googleapis.com/",
)
INSECURE_TRANSPORT = "OAUTHLIB_INSECURE_TRANSPORT"


@pytest.fixture
def github() -> Iterator[ProviderEmulator]:
    with ProviderEmulator() as emulator:
        yield emulator


@pytest.fixture
def google() -> Iterator[ProviderEmulator]:
    with ProviderEmulator(profile="google") as emulator:
        yield emulator


@pytest.fixture
def no_insecure_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    # Other Flask-Dance tests' apps set it for good; these check the
    # stand-in's own.
    monkeypatch.delenv(INSECURE_TRANSPORT, raising=False)


def addresses(blueprint: Any) -> tuple[str, str, str]:
    return blueprint.authorization_url, blueprint.token_url, blueprint.base_url


def visit_index(
    provider: ProviderEmulator, app: Flask
) -> tuple[TestResponse, list[str]]:
    client = app.test_client()
    return provider.follow(client, client.get("/"))


APPS: dict[str, tuple[str, Callable[[], Flask], str, str]] = {
    # name: (profile, the app, the blueprint's name, what its index says)
    "GitHub quickstart": (
        "github",
        lambda: dance_github.app,
        "github",
        "You are @octocat on GitHub",
    ),
    "Google, /oauth2/v2/userinfo": (
        "google",
        lambda: dance_google.app,
        "google",
        "You are octocat@example.com on Google (id 1",
    ),
}


@pytest.mark.parametrize(
    "profile, make_app, name, signed_in", APPS.values(), ids=list(APPS)
)
@pytest.mark.parametrize("by", ["name", "object"])
def test_unmodified_flask_dance_app_signs_in(
    no_insecure_transport: None,
    profile: str,
    make_app: Callable[[], Flask],
    name: str,
    signed_in: str,
    by: str,
) -> None:
    app = make_app()
    target = name if by == "name" else app.blueprints[name]
    with ProviderEmulator(profile=profile) as provider:
        with provider.stand_in_for(app, target) as stand_in:
            assert isinstance(stand_in, BlueprintStandIn) and stand_in.active
            response, visited = visit_index(provider, app)
        [authorization] = provider.authorize_requests
        authorize_url = provider.authorize_url

    assert response.status_code == 200, response.text
    assert response.text.startswith(signed_in)
    assert visited[1].startswith(authorize_url + "?")
    # The emulator's client: it refuses any other with its own page.
    assert authorization["client_id"] == provider.client_id
    assert len(provider.token_requests) == 1


CONTRIB: dict[str, tuple[Callable[[], Any], str, str, str]] = {
    # profile: (the contrib blueprint, the path the app reads, the field, its
    # value); Azure's base URL is https://graph.microsoft.com, no slash, and
    # GitLab's https://gitlab.com/api/v4/.
    "microsoft": (
        lambda: make_azure_blueprint(scope=["openid", "email", "profile", "User.Read"]),
        "/v1.0/me",
        "userPrincipalName",
        "octocat@example.com",
    ),
    "gitlab": (
        lambda: make_gitlab_blueprint(scope="read_user"),
        "user",
        "username",
        "octocat",
    ),
}


@pytest.mark.parametrize("profile", list(CONTRIB))
def test_other_contrib_blueprints(
    no_insecure_transport: None, monkeypatch: pytest.MonkeyPatch, profile: str
) -> None:
    # Entra spells the Graph scope out as a URL, as its Flask-Dance docs warn.
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    make_blueprint, path, field, value = CONTRIB[profile]
    blueprint = make_blueprint()
    app = Flask(__name__)
    app.secret_key = "test"
    app.register_blueprint(blueprint, url_prefix="/login")

    @app.route("/")
    def index() -> str | Response:
        if not blueprint.session.authorized:
            return redirect(url_for(f"{blueprint.name}.login"))
        return str(blueprint.session.get(path).json()[field])

    with ProviderEmulator(profile=profile) as provider:
        with provider.stand_in_for(app, blueprint):
            response, _ = visit_index(provider, app)

    assert response.status_code == 200, response.text
    assert response.text == value


def test_a_factory_with_two_providers(
    no_insecure_transport: None,
    github: ProviderEmulator,
    google: ProviderEmulator,
) -> None:
    app = dance_factory.create_app()
    client = app.test_client()
    with github.stand_in_for(app, "github"), google.stand_in_for(app, "google"):
        github.follow(client, client.get("/login/github"))
        response, _ = google.follow(client, client.get("/login/google"))

    # GitHub's API read by full URL (https://api.github.com/user), Google's
    # userinfo by path: both reached their emulator.
    assert response.json == {"github": "octocat", "google": "octocat@example.com"}


def test_a_rejected_code_restarts_through_the_blueprint(
    no_insecure_transport: None, github: ProviderEmulator
) -> None:
    github.reject_next_codes(1)
    with github.stand_in_for(dance_github.app):
        response, visited = visit_index(github, dance_github.app)

    assert response.text == "You are @octocat on GitHub"
    authorizations = [url for url in visited if url.startswith(github.base_url)]
    assert len(authorizations) == 2  # the restart went to the emulator too
    assert len(github.token_requests) == 2


def test_everything_is_put_back(
    no_insecure_transport: None, github: ProviderEmulator
) -> None:
    app = dance_factory.create_app(
        {
            "GITHUB_OAUTH_CLIENT_ID": "Iv1.feedfacecafebeef",
            "GITHUB_OAUTH_CLIENT_SECRET": "f" * 40,
        }
    )
    blueprint = dance_factory.github_blueprint
    assert "GOOGLE_OAUTH_CLIENT_ID" in app.config

    with github.stand_in_for(app, blueprint):
        during = (
            addresses(blueprint),
            blueprint.client_secret,
            app.config["GITHUB_OAUTH_CLIENT_ID"],
            app.config["GITHUB_OAUTH_CLIENT_SECRET"],
            os.environ.get(INSECURE_TRANSPORT),
        )
        with app.test_request_context():
            app.preprocess_request()  # Flask-Dance copies the config keys here
            client_id = blueprint.client_id

    assert during == (
        (github.authorize_url, github.token_url, github.base_url + "/"),
        github.client_secret,
        github.client_id,
        github.client_secret,
        "1",
    )
    assert client_id == github.client_id
    assert addresses(blueprint) == GITHUB
    assert blueprint.client_secret is None
    assert app.config["GITHUB_OAUTH_CLIENT_ID"] == "Iv1.feedfacecafebeef"
    assert app.config["GITHUB_OAUTH_CLIENT_SECRET"] == "f" * 40
    assert INSECURE_TRANSPORT not in os.environ
    with app.test_request_context():
        app.preprocess_request()
        assert blueprint.client_id == "Iv1.feedfacecafebeef"


def test_config_keys_the_app_never_set_are_removed_again(
    github: ProviderEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(INSECURE_TRANSPORT, "0")
    app = Flask(__name__)
    blueprint = OAuth2ConsumerBlueprint(
        "corp",
        __name__,
        authorization_url="https://sso.example.com/authorize",
        token_url="https://sso.example.com/token",
    )
    blueprint.from_config["session.client_id"] = "CORP_CLIENT_ID"
    blueprint.from_config["client_secret"] = "CORP_CLIENT_SECRET"
    app.register_blueprint(blueprint)

    with github.stand_in_for(app, "corp"):
        assert app.config["CORP_CLIENT_ID"] == github.client_id
        assert app.config["CORP_CLIENT_SECRET"] == github.client_secret
        assert blueprint.base_url is None  # the app set none: none is added

    assert "CORP_CLIENT_ID" not in app.config
    assert "CORP_CLIENT_SECRET" not in app.config
    assert os.environ[INSECURE_TRANSPORT] == "0"
    assert blueprint.token_url == "https://sso.example.com/token"


def test_stopping_the_emulator_restores_the_blueprint(
    no_insecure_transport: None,
) -> None:
    emulator = ProviderEmulator().start()
    stand_in = emulator.stand_in_for(dance_github.app)
    assert addresses(dance_github.blueprint)[0] == emulator.authorize_url

    emulator.stop()

    assert not stand_in.active
    assert addresses(dance_github.blueprint) == GITHUB
    assert INSECURE_TRANSPORT not in os.environ


def test_stood_in_after_the_app_served_requests(
    no_insecure_transport: None, google: ProviderEmulator
) -> None:
    app = dance_google.app
    app.test_client().get("/")  # a session was opened, and dropped, here

    with google.stand_in_for(app, "google"):
        response, _ = visit_index(google, app)

    assert response.status_code == 200, response.text
    assert addresses(dance_google.blueprint) == GOOGLE


def test_without_a_stand_in_the_login_leaves_for_github(
    no_insecure_transport: None, github: ProviderEmulator
) -> None:
    with pytest.raises(AssertionError, match="the app redirected to github.com,"):
        visit_index(github, dance_github.app)
    assert github.authorize_requests == []


def test_a_name_means_the_authlib_client_when_the_app_has_one(
    github: ProviderEmulator,
) -> None:
    app = Flask(__name__)
    oauth = OAuth(app)
    oauth.register("github", authorize_url=GITHUB[0], access_token_url=GITHUB[1])
    blueprint = OAuth2ConsumerBlueprint(
        "github", __name__, authorization_url=GITHUB[0], token_url=GITHUB[1]
    )
    app.register_blueprint(blueprint)

    with github.stand_in_for(app, "github"):
        assert oauth.github.authorize_url == github.authorize_url
        assert blueprint.authorization_url == GITHUB[0]
    with github.stand_in_for(app, blueprint):
        assert oauth.github.authorize_url == GITHUB[0]
        assert blueprint.authorization_url == github.authorize_url


def test_other_targets_are_refused(github: ProviderEmulator) -> None:
    app = Flask(__name__)
    twitter = OAuth1ConsumerBlueprint(
        "twitter",
        __name__,
        base_url="https://api.twitter.com/1.1/",
        request_token_url="https://api.twitter.com/oauth/request_token",
        access_token_url="https://api.twitter.com/oauth/access_token",
        authorization_url="https://api.twitter.com/oauth/authorize",
    )
    app.register_blueprint(twitter)

    with pytest.raises(ValueError, match="'twitter' is an OAuth 1 blueprint"):
        github.stand_in_for(app, twitter)
    with pytest.raises(TypeError, match="not <Blueprint 'plain'>"):
        github.stand_in_for(app, Blueprint("plain", __name__))


def test_check_probes_the_emulator_under_the_stand_in(
    no_insecure_transport: None, github: ProviderEmulator
) -> None:
    app = dance_github.app
    with github.stand_in_for(app, "github"):
        result = app.test_cli_runner().invoke(
            args=["oauth-recover", "check", "--probe", "--base-url", "http://localhost"]
        )
        token_endpoint = github.token_url

    assert result.exit_code == 0, result.output
    assert f"token endpoint  {token_endpoint}" in result.output
    assert (
        "probe           accepted (answered 'bad_verification_code')" in result.output
    )
    assert "authorize probe registered (HTTP 302)" in result.output
