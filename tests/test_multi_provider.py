"""One callback route for several providers, OAuth 1 beside OAuth 2, and the
app's own error handlers: the extension serves the provider of *this*
request and otherwise stays out of the way."""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests
from authlib.integrations.flask_client import OAuthError
from flask import Flask
from flask import request
from werkzeug.local import LocalProxy

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover import Outcome
from flask_oauth_recover.cli import oauth_recover
from flask_oauth_recover.testing import ProviderEmulator

from .apps.multi_provider import SCOPES
from .apps.multi_provider import create_app
from .conftest import SignalRecorder


@pytest.fixture(scope="module")
def gitlab_server() -> Iterator[ProviderEmulator]:
    with ProviderEmulator(client_id="gitlab-app-id", login="tanuki") as server:
        yield server


@pytest.fixture
def gitlab(gitlab_server: ProviderEmulator) -> Iterator[ProviderEmulator]:
    gitlab_server.reset()
    yield gitlab_server
    gitlab_server.reset()


@pytest.fixture
def providers(
    provider: ProviderEmulator, gitlab: ProviderEmulator
) -> dict[str, ProviderEmulator]:
    return {"github": provider, "gitlab": gitlab}


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def by_view_argument(oauth: Any) -> Callable[[], Any]:
    return lambda: oauth.create_client((request.view_args or {})["name"])


def as_proxy(oauth: Any) -> Any:
    return LocalProxy(lambda: oauth.create_client((request.view_args or {})["name"]))


ARGUMENTS = {
    "nothing": None,
    "a callable": by_view_argument,
    "a proxy": as_proxy,
}
LOGINS = {"github": "octocat", "gitlab": "tanuki"}


@pytest.mark.parametrize("argument", ARGUMENTS.values(), ids=ARGUMENTS.keys())
@pytest.mark.parametrize("name", ["github", "gitlab"])
def test_a_rejected_code_restarts_at_its_own_provider(
    providers: dict[str, ProviderEmulator], name: str, argument: Any
) -> None:
    app = create_app(*providers.values(), decorator_argument=argument)
    client = app.test_client()
    own = providers[name]
    other = next(p for p in providers.values() if p is not own)
    own.reject_next_codes(1)

    response, visited = own.follow(client, client.get(f"/login/{name}"))

    assert response.text == f"signed in as {name}:{LOGINS[name]}"
    authorizations = [url for url in visited if url.startswith(own.authorize_url)]
    assert len(authorizations) == 2
    restart = query(authorizations[1])
    assert restart["redirect_uri"] == f"http://localhost/auth/{name}"
    assert restart["scope"] == SCOPES[name]
    assert restart["client_id"] == own.client_id
    assert len(own.token_requests) == 2
    assert other.token_requests == [] and other.authorize_requests == []


@pytest.mark.parametrize("name", ["github", "gitlab"])
def test_pages_signals_and_log_lines_name_the_provider_of_this_request(
    providers: dict[str, ProviderEmulator],
    signals: SignalRecorder,
    caplog: pytest.LogCaptureFixture,
    name: str,
) -> None:
    app = create_app(*providers.values())
    client = app.test_client()
    providers[name].fail_next_token_requests(502, "<html>Bad gateway</html>")

    with caplog.at_level(logging.WARNING, logger="flask_oauth_recover"):
        page, _ = providers[name].follow(client, client.get(f"/login/{name}"))

    shown = {"github": "GitHub", "gitlab": "GitLab"}
    assert page.status_code == 503
    assert f"{shown[name]} is not responding" in page.text
    other = "GitLab" if name == "github" else "GitHub"
    assert other not in page.text
    assert [kwargs["client_name"] for _, kwargs in signals.sent] == [name]
    assert f'OAuth callback for "{name}"' in caplog.records[-1].getMessage()


def test_a_lost_state_restarts_at_the_provider_that_issued_it(
    providers: dict[str, ProviderEmulator],
) -> None:
    app = create_app(*providers.values())
    login = app.test_client().get("/login/gitlab")
    callback = requests.get(login.location, allow_redirects=False, timeout=10)

    # The session cookie did not come back with the callback.
    restart = app.test_client().get(callback.headers["Location"])

    assert restart.status_code == 302
    assert restart.location.startswith(providers["gitlab"].authorize_url)
    assert query(restart.location)["redirect_uri"] == "http://localhost/auth/gitlab"


REQUESTS = [
    "/auth/twitter?oauth_token=t0k3n&oauth_verifier=v",
    "/auth/twitter",
    "/auth/nobody?code=abc&state=xyz",
    "/auth/nobody?error=access_denied",
]


@pytest.mark.parametrize("argument", ARGUMENTS.values(), ids=ARGUMENTS.keys())
@pytest.mark.parametrize("path", REQUESTS)
def test_oauth1_and_unknown_names_answer_as_without_the_extension(
    providers: dict[str, ProviderEmulator], path: str, argument: Any
) -> None:
    config: dict[str, Any] = {"PROPAGATE_EXCEPTIONS": False}
    bare = create_app(*providers.values(), with_recover=False, **config)
    wrapped = create_app(*providers.values(), decorator_argument=argument, **config)

    expected = bare.test_client().get(path)
    actual = wrapped.test_client().get(path)

    assert (actual.status_code, actual.text) == (expected.status_code, expected.text)
    assert actual.status_code in (404, 500)


def test_check_lists_every_client_of_the_route(
    providers: dict[str, ProviderEmulator],
) -> None:
    app = create_app(*providers.values(), SERVER_NAME="app.test")

    result = app.test_cli_runner().invoke(oauth_recover, ["check"])

    assert "Callback 'auth' (client 'github')" in result.output
    assert "Callback 'auth' (client 'gitlab')" in result.output
    assert "http://app.test/auth/github" in result.output
    assert "http://app.test/auth/gitlab" in result.output
    assert "twitter" not in result.output
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("argument", [by_view_argument, as_proxy])
def test_check_survives_a_client_it_can_only_find_inside_a_request(
    providers: dict[str, ProviderEmulator], argument: Any
) -> None:
    app = create_app(*providers.values(), decorator_argument=argument)

    result = app.test_cli_runner().invoke(oauth_recover, ["check", "--json"])

    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 0, result.output
    assert '"client": "gitlab"' in result.output
    assert '"client": "github"' in result.output


def test_a_blueprints_error_handler_renders_its_page(
    provider: ProviderEmulator,
    gitlab: ProviderEmulator,
    signals: SignalRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(provider, gitlab)
    client = app.test_client()
    provider.client_secret = "a-rotated-secret"

    with caplog.at_level(logging.ERROR, logger="flask_oauth_recover"):
        page, _ = provider.follow(client, client.get("/team/login"))

    assert (page.status_code, page.text) == (
        418,
        "team page: GitHub said incorrect_client_credentials",
    )
    assert signals.names == ["configuration_error"]
    assert "incorrect_client_credentials" in caplog.records[-1].getMessage()


def test_transient_failures_still_restart_under_an_error_handler(
    provider: ProviderEmulator, gitlab: ProviderEmulator
) -> None:
    app = create_app(provider, gitlab)
    client = app.test_client()
    provider.reject_next_codes(1)

    page, visited = provider.follow(client, client.get("/team/login"))

    assert page.text == "team member"
    assert len([url for url in visited if url.startswith(provider.authorize_url)]) == 2


def test_the_apps_error_handler_renders_its_page(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    app = make_app()

    @app.errorhandler(OAuthError)
    def oauth_error(error: OAuthError) -> tuple[str, int]:
        return f"our own page for {error.error}", 400

    client = app.test_client()
    provider.deny_next_authorizations("access_denied")

    page, _ = provider.follow(client, client.get("/login"))

    assert (page.status_code, page.text) == (400, "our own page for access_denied")


def test_the_error_page_handler_still_gets_the_outcome_first(
    make_app: Callable[..., Flask], provider: ProviderEmulator
) -> None:
    recover = OAuthRecover()
    app = make_app(recover=recover)
    seen: list[str] = []

    @app.errorhandler(OAuthError)
    def oauth_error(error: OAuthError) -> tuple[str, int]:
        return "the app's page", 400

    @recover.error_page_handler
    def handler(outcome: Outcome) -> None:
        seen.append(outcome.error)

    client = app.test_client()
    provider.deny_next_authorizations("access_denied")
    page, _ = provider.follow(client, client.get("/login"))

    assert seen == ["access_denied"]
    assert (page.status_code, page.text) == (400, "the app's page")


def test_authlibs_generic_oauth_error_propagates(
    make_app: Callable[..., Flask], signals: SignalRecorder
) -> None:
    recover = OAuthRecover()
    app = make_app(recover=recover)

    @app.route("/mocked")
    @recover.callback("github")
    def mocked() -> str:
        raise OAuthError(description="raised by the app's own test double")

    with pytest.raises(OAuthError) as raised:
        app.test_client().get("/mocked")

    assert raised.value.description == "raised by the app's own test double"
    assert signals.names == []


def test_a_misspelled_client_name_is_said_once(
    make_app: Callable[..., Flask],
    provider: ProviderEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    recover = OAuthRecover()
    app = make_app(recover=recover)

    @app.route("/typo")
    @recover.callback("gihub")
    def typo() -> str:
        return "the view ran"

    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="flask_oauth_recover"):
        answers = [client.get("/typo?code=x&state=y").text for _ in range(3)]

    assert answers == ["the view ran"] * 3
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "'gihub'" in warnings[0] and "'github'" in warnings[0]


def test_an_unknown_profile_name_fails_at_setup(provider: ProviderEmulator) -> None:
    recover = OAuthRecover()

    with pytest.raises(ValueError, match="gitlap"):
        recover.callback("corp", provider="gitlap")
    app = Flask(__name__)
    app.config["OAUTH_RECOVER_PROVIDERS"] = {"corp": "keycloack"}
    with pytest.raises(ValueError, match="keycloack"):
        recover.init_app(app)
