"""Frameworks that own the login, with the one line: Flask-AppBuilder (plain,
as Superset runs it, and in Airflow's shape), Flask-Security-Too and
flask-oidc, each signing in against the provider emulator.

Restarts go through the framework, so its own state and destination
survive; configuration errors, exhausted restarts, an unavailable provider
and invalid callbacks get the extension's pages instead of the framework's
generic flash, single-page redirect or bare 401. ``test_frameworks_baseline``
has the same apps without the extension."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from flask_oauth_recover.testing import ProviderEmulator

from .apps import fab_app
from .apps import oidc_app
from .apps import security_app
from .conftest import SignalRecorder
from .test_frameworks_baseline import APP
from .test_frameworks_baseline import FabCase
from .test_frameworks_baseline import authorize
from .test_frameworks_baseline import flashes
from .test_frameworks_baseline import query
from .test_frameworks_baseline import security_start
from .test_frameworks_baseline import session_of

pytestmark = [
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
    pytest.mark.filterwarnings("ignore:The 'use_signer' option:DeprecationWarning"),
]

DENIED = ("error", "The request to sign in was denied.")


def ours(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The extension's log records (FAB logs every failure at ERROR too)."""
    return [r for r in caplog.records if r.name == "flask_oauth_recover"]


# -- Flask-AppBuilder --------------------------------------------------------

#: How each app gets its one line: FAB's plain app with OAuthRecover(app)
#: after FAB's set-up (Superset's FLASK_APP_MUTATOR), before it, and in
#: Airflow's shape, in the security manager's constructor with current_app.
FAB_SETUPS: dict[str, Callable[[ProviderEmulator], FabCase]] = {
    "superset": lambda provider: FabCase(
        fab_app.create_app(provider, recover="after", catch_all=True)
    ),
    "before": lambda provider: FabCase(fab_app.create_app(provider, recover="before")),
    "airflow": lambda provider: FabCase(
        fab_app.create_airflow_style_app(provider, recover=True),
        fab_app.AIRFLOW_MOUNT,
        "CustomAuthOAuthView.oauth_authorized",
    ),
}


@pytest.fixture(params=list(FAB_SETUPS))
def fab(request: pytest.FixtureRequest, provider: ProviderEmulator) -> FabCase:
    return FAB_SETUPS[request.param](provider)


def fab_with(
    provider: ProviderEmulator, setup: str = "superset", **config: Any
) -> FabCase:
    if setup == "airflow":
        return FabCase(
            fab_app.create_airflow_style_app(provider, recover=True, **config),
            fab_app.AIRFLOW_MOUNT,
            "CustomAuthOAuthView.oauth_authorized",
        )
    return FabCase(fab_app.create_app(provider, recover="after", **config))


def test_fab_signs_in_as_before(fab: FabCase, provider: ProviderEmulator) -> None:
    response, visited = provider.follow(fab.client, fab.start())

    assert response.text == "Signed in as github_octocat"
    assert visited[-1] == fab.profile_url
    # FAB's own JWT, verified with FAB's own key, carries next as before,
    # and the extension's signed state beside it.
    state = query(visited[-2])["state"]
    claims = jwt.decode(state, options={"verify_signature": False})
    assert claims["next"] == [fab.profile_url]
    assert set(claims) == {"next", "_oauth_recover"}
    assert fab.signed_in()


def test_a_refused_code_restarts_through_fab_s_login_and_lands_on_next(
    fab: FabCase, provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    provider.reject_next_codes(1)

    response, visited = provider.follow(fab.client, fab.start())

    assert response.text == "Signed in as github_octocat"
    assert visited[-1] == fab.profile_url
    restart = visited[2]
    assert restart.startswith(f"{APP}{fab.mount}/login/github?")
    assert query(restart)["next"] == fab.profile_url
    assert len(provider.token_requests) == 2
    assert signals.names == ["authorization_restarted"]
    # FAB's "denied" flash for the refused code is not left for later.
    assert "_flashes" not in session_of(fab.client)


def test_a_lost_state_restarts_and_the_loop_stays_bounded(
    fab: FabCase, provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    cookieless = fab.app.test_client(use_cookies=False)
    start = cookieless.get(
        f"{fab.mount}/login/github", query_string={"next": fab.profile_url}
    )

    page, visited = provider.follow(cookieless, start, max_hops=30)

    assert page.status_code == 500
    assert "We could not sign you in" in page.text
    assert len(provider.authorize_requests) == 3  # the login and 2 restarts
    assert provider.token_requests == []
    assert signals.names == ["authorization_restarted"] * 2 + ["restarts_exhausted"]


def test_a_state_lost_once_restarts_and_still_lands_on_next(
    fab: FabCase, provider: ProviderEmulator
) -> None:
    callback = authorize(provider, fab.start())
    fab.client.delete_cookie("session")

    restart = fab.client.get(callback)
    response, visited = provider.follow(fab.client, restart)

    assert restart.location.startswith(f"{fab.mount}/login/github?")
    assert response.text == "Signed in as github_octocat"
    assert visited[-1] == fab.profile_url


def test_a_callback_wrapped_by_hand_is_served_through_fab_s_login(
    provider: ProviderEmulator,
) -> None:
    # Before the framework support, the only way: wrap FAB's view by hand.
    from flask_oauth_recover import OAuthRecover

    app = fab_app.create_app(provider)
    recover = OAuthRecover(app)
    endpoint = "AuthOAuthView.oauth_authorized"
    app.view_functions[endpoint] = recover.callback()(app.view_functions[endpoint])
    fab = FabCase(app)
    provider.reject_next_codes(1)

    response, visited = provider.follow(fab.client, fab.start())

    assert response.text == "Signed in as github_octocat"
    assert visited[-1] == fab.profile_url


@pytest.mark.parametrize("details", [True, False])
def test_wrong_credentials_get_the_config_page_not_fab_s_flash(
    provider: ProviderEmulator,
    signals: SignalRecorder,
    caplog: pytest.LogCaptureFixture,
    details: bool,
) -> None:
    fab = fab_with(provider, OAUTH_RECOVER_SHOW_DETAILS=details)
    provider.client_secret = "f" * 40  # the app still sends the old one

    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        page, _ = provider.follow(fab.client, fab.start())

    assert page.status_code == 500
    assert "Sign-in is not set up correctly" in page.text
    assert "The request to sign in was denied." not in page.text
    assert "_flashes" not in session_of(fab.client)
    assert signals.names == ["configuration_error"]
    [line] = [r.getMessage() for r in ours(caplog) if r.levelname == "ERROR"]
    assert "incorrect_client_credentials" in line
    where = 'the OAUTH_PROVIDERS entry named "github": ["remote_app"]["client_secret"]'
    assert (where in unescape(page.text)) is details
    assert "oauth.register(" not in unescape(page.text)
    assert not fab.signed_in()


def test_an_unavailable_provider_gets_its_page(
    fab: FabCase, provider: ProviderEmulator
) -> None:
    provider.fail_next_token_requests(502, "<html>Bad gateway</html>")

    page, _ = provider.follow(fab.client, fab.start())

    assert page.status_code == 503
    assert "GitHub is not responding" in page.text
    assert "_flashes" not in session_of(fab.client)


def test_a_cancel_keeps_fab_s_own_answer(
    fab: FabCase, provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    provider.deny_next_authorizations()
    callback = authorize(provider, fab.start())

    response = fab.client.get(callback)

    assert response.status_code == 302
    assert response.location == f"{fab.mount}/login/"
    assert flashes(fab.client.get(response.location)) == [DENIED]
    assert signals.names == ["login_cancelled"]


def test_a_stranger_s_link_gets_the_invalid_page(
    fab: FabCase, provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    fab.client.get(f"{fab.mount}/login/")
    forged = jwt.encode({"next": ["https://evil.example/"]}, "k" * 32)

    response = fab.client.get(
        f"{fab.mount}/oauth-authorized/github",
        query_string={"error": "application_suspended", "state": forged},
    )

    assert response.status_code == 400
    assert "This sign-in link is not valid" in response.text
    assert signals.names == ["invalid_callback"]
    assert "_flashes" not in session_of(fab.client)


def test_a_replayed_callback_pages_no_one_twice(
    provider: ProviderEmulator,
    signals: SignalRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fab = fab_with(provider)
    # A state from the attacker's own login, on a link with an error.
    state = query(fab.start().location)["state"]
    link = f"/oauth-authorized/github?error=application_suspended&state={state}"

    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        pages = [fab.app.test_client().get(link) for _ in range(5)]

    assert [page.status_code for page in pages] == [500] + [400] * 4
    errors = [record for record in ours(caplog) if record.levelname == "ERROR"]
    assert len(errors) == 1


def test_another_instance_s_secret_key_is_named(
    provider: ProviderEmulator,
    signals: SignalRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = fab_with(provider, OAUTH_RECOVER_SHOW_DETAILS=True)
    other = fab_with(
        provider, OAUTH_RECOVER_SHOW_DETAILS=True, SECRET_KEY="another-instance-key"
    )
    callback = authorize(provider, first.start())
    cookie = first.client.get_cookie("session")
    assert cookie is not None
    other.client.set_cookie("session", cookie.value)

    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        page = other.client.get(callback)

    assert page.status_code == 500
    assert "This sign-in link is not valid" not in page.text
    assert 'data-diagnosis="session.secret_key_mismatch"' in page.text
    assert "SECRET_KEY in the app&#39;s config" in page.text
    assert signals.names == ["configuration_error"]
    assert provider.token_requests == []
    [line] = [r.getMessage() for r in ours(caplog) if r.levelname == "ERROR"]
    assert "Fix: give every instance and worker the same SECRET_KEY" in line


def test_airflow_s_wiped_session_store_is_named_not_the_cookie(
    provider: ProviderEmulator,
) -> None:
    fab = fab_with(
        provider,
        "airflow",
        OAUTH_RECOVER_SHOW_DETAILS=True,
        OAUTH_RECOVER_MAX_RESTARTS=0,
    )
    callback = authorize(provider, fab.start())
    interface: Any = fab.app.session_interface
    with fab.app.app_context():
        interface.client.session.query(interface.sql_session_model).delete()
        interface.client.session.commit()

    page = fab.client.get(callback)

    assert page.status_code == 500
    assert 'data-diagnosis="session.state_lost"' in page.text
    assert 'data-diagnosis="session.cookie_missing"' not in page.text
    assert "blocking this site&#39;s cookies" not in page.text


SUPERSET = "tests.apps.fab_app.SupersetSecurityManager"


def test_superset_s_proxy_switch_is_named(provider: ProviderEmulator) -> None:
    app = fab_app.create_app(
        provider,
        recover="after",
        OAUTH_RECOVER_SHOW_DETAILS=True,
        FAB_SECURITY_MANAGER_CLASS=SUPERSET,
    )
    provider.callback_url = "https://app.example/oauth-authorized/github"
    client = app.test_client()
    # The proxy speaks https to the browser and http to the app.
    through_proxy: dict[str, Any] = {
        "base_url": "http://app.example",
        "headers": {"X-Forwarded-Proto": "https"},
    }
    login = client.get("/login/github", **through_proxy)
    answer = requests.get(login.location, allow_redirects=False, timeout=10)
    callback = urlsplit(answer.headers["Location"])

    page = client.get(f"{callback.path}?{callback.query}", **through_proxy)

    assert page.status_code == 500
    text = unescape(page.text)
    assert 'data-diagnosis="redirect_uri.proxy_scheme"' in text
    assert "Turn on ENABLE_PROXY_FIX = True in superset_config.py" in text


def test_superset_s_secret_key_is_named_where_superset_sets_it(
    provider: ProviderEmulator,
) -> None:
    setup: dict[str, Any] = {
        "OAUTH_RECOVER_SHOW_DETAILS": True,
        "FAB_SECURITY_MANAGER_CLASS": SUPERSET,
    }
    first = FabCase(fab_app.create_app(provider, recover="after", **setup))
    other = FabCase(
        fab_app.create_app(
            provider, recover="after", SECRET_KEY="another-instance-key", **setup
        )
    )
    callback = authorize(provider, first.start())
    cookie = first.client.get_cookie("session")
    assert cookie is not None
    other.client.set_cookie("session", cookie.value)

    page = other.client.get(callback, headers={"Accept": "application/json"})

    body = page.get_json()
    assert (page.status_code, body["error"]) == (500, "secret_key_mismatch")
    [finding] = body["diagnosis"]
    assert "SECRET_KEY in superset_config.py" in finding["fix"]


def test_try_again_goes_through_fab_s_login(provider: ProviderEmulator) -> None:
    fab = fab_with(provider)
    provider.fail_next_token_requests(502, "<html>Bad gateway</html>")
    page, visited = provider.follow(fab.client, fab.start())
    assert page.status_code == 503

    again = fab.client.get(urlsplit(visited[-1]).path + "?oauth_recover=retry")
    response, _ = provider.follow(fab.client, again)

    assert again.location.startswith("/login/github?")
    assert query(again.location)["next"] == fab.profile_url
    assert response.text == "Signed in as github_octocat"


def test_check_finds_airflow_s_callback_before_any_request(
    provider: ProviderEmulator,
) -> None:
    # Airflow's views exist only once its app is built, after the security
    # manager ran the one line; check makes no request.
    fab = fab_with(provider, "airflow")

    result = fab.app.test_cli_runner().invoke(args=["oauth-recover", "check"])

    assert result.exit_code == 0, result.output
    assert "Callback 'CustomAuthOAuthView.oauth_authorized'" in result.output
    assert "owned by        Airflow" in result.output
    assert "the path is /auth/oauth-authorized/github" in result.output
    assert "webserver_config.py" in result.output


def test_check_lists_fab_s_callback_and_probes_it(
    provider: ProviderEmulator,
) -> None:
    fab = fab_with(provider, SERVER_NAME="localhost")

    result = fab.app.test_cli_runner().invoke(
        args=["oauth-recover", "check", "--probe"]
    )

    assert result.exit_code == 0, result.output
    assert "AuthOAuthView.oauth_authorized" in result.output
    assert "http://localhost/oauth-authorized/github" in result.output
    assert "accepted" in result.output


# -- Flask-Security-Too ------------------------------------------------------


@pytest.fixture(params=["after", "before"])
def security(request: pytest.FixtureRequest, provider: ProviderEmulator) -> Flask:
    return security_app.create_app(provider, recover=request.param)


def test_security_signs_in_as_before(
    security: Flask, provider: ProviderEmulator
) -> None:
    client = security.test_client()

    response, visited = provider.follow(client, security_start(client))

    assert response.text == "Hello octocat@example.com"
    assert visited[-1] == f"{APP}/home"


def test_security_restarts_a_refused_code_and_keeps_fs_oauth_next(
    security: Flask, provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    client = security.test_client()
    provider.reject_next_codes(1)

    response, visited = provider.follow(client, security_start(client))

    assert response.text == "Hello octocat@example.com"
    assert visited[-1] == f"{APP}/home"
    assert signals.names == ["authorization_restarted"]
    assert "_flashes" not in session_of(client)


def test_security_s_raw_error_flash_gives_way_to_the_config_page(
    provider: ProviderEmulator,
) -> None:
    app = security_app.create_app(
        provider, recover="after", OAUTH_RECOVER_SHOW_DETAILS=False
    )
    client = app.test_client()
    provider.client_secret = "f" * 40

    page, _ = provider.follow(client, security_start(client))

    assert page.status_code == 500
    assert "Sign-in is not set up correctly" in page.text
    assert "incorrect_client_credentials" not in page.text
    assert "_flashes" not in session_of(client)


def test_security_s_500_on_a_provider_outage_becomes_the_unavailable_page(
    security: Flask, provider: ProviderEmulator
) -> None:
    client = security.test_client()
    provider.fail_next_token_requests(502, "<html>Bad gateway</html>")

    page, _ = provider.follow(client, security_start(client))

    assert page.status_code == 503
    assert "GitHub is not responding" in page.text


def test_security_s_lost_state_stays_bounded(
    security: Flask, provider: ProviderEmulator
) -> None:
    client = security.test_client()
    callback = authorize(provider, security_start(client))
    cookieless = security.test_client(use_cookies=False)

    page, _ = provider.follow(cookieless, cookieless.get(callback))

    assert page.status_code == 500
    assert "We could not sign you in" in page.text
    assert len(provider.authorize_requests) == 3  # the login and 2 restarts
    assert provider.token_requests == []


# -- flask-oidc --------------------------------------------------------------


@pytest.fixture(scope="module", params=["keycloak", "google"])
def oidc_server(request: pytest.FixtureRequest) -> Any:
    with ProviderEmulator(profile=request.param) as server:
        yield server


@pytest.fixture
def oidc_provider(oidc_server: ProviderEmulator) -> Any:
    oidc_server.reset()
    yield oidc_server
    oidc_server.reset()


@pytest.fixture
def oidc(oidc_provider: ProviderEmulator) -> Flask:
    return oidc_app.create_app(oidc_provider, recover=True)


def oidc_start(client: FlaskClient) -> TestResponse:
    login = client.get("/private")
    return client.get(login.location)


def test_oidc_restarts_a_refused_code_and_keeps_next(
    oidc: Flask, oidc_provider: ProviderEmulator, signals: SignalRecorder
) -> None:
    client = oidc.test_client()
    oidc_provider.reject_next_codes(1)

    response, visited = oidc_provider.follow(client, oidc_start(client))

    assert response.text == "Private page of octocat@example.com"
    assert visited[-1] == f"{APP}/private"
    assert signals.names == ["authorization_restarted"]


def test_oidc_s_bare_401_gives_way_to_the_config_page(
    oidc_provider: ProviderEmulator,
) -> None:
    app = oidc_app.create_app(
        oidc_provider, recover=True, OIDC_CLIENT_SECRET="not-the-secret"
    )
    client = app.test_client()

    page, _ = oidc_provider.follow(client, oidc_start(client))

    assert page.status_code == 500
    assert "Sign-in is not set up correctly" in page.text
    assert "Unauthorized" not in page.text


def test_oidc_s_500_on_a_provider_outage_becomes_the_unavailable_page(
    oidc: Flask, oidc_provider: ProviderEmulator
) -> None:
    client = oidc.test_client()
    oidc_provider.fail_next_token_requests(502, "<html>Bad gateway</html>")

    page, _ = oidc_provider.follow(client, oidc_start(client))

    assert page.status_code == 503


# -- every framework ---------------------------------------------------------


def test_nothing_to_serve_is_said_once(caplog: pytest.LogCaptureFixture) -> None:
    from flask_oauth_recover import OAuthRecover

    app = Flask(__name__)
    app.config["SECRET_KEY"] = "k"
    OAuthRecover(app)

    @app.route("/")
    def home() -> str:
        return "home"

    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="flask_oauth_recover"):
        for _ in range(3):
            client.get("/")

    [record] = caplog.records
    assert "found no OAuth callback to serve" in record.getMessage()


@pytest.mark.parametrize("framework", ["Flask-Security", "flask-oidc"])
def test_check_lists_the_framework_s_callback(
    framework: str, provider: ProviderEmulator, oidc_provider: ProviderEmulator
) -> None:
    if framework == "Flask-Security":
        app = security_app.create_app(
            provider, recover="after", SERVER_NAME="localhost"
        )
        endpoint, uri = "security.oauthresponse", f"{APP}/login/oauthresponse/github"
    else:
        app = oidc_app.create_app(oidc_provider, recover=True, SERVER_NAME="localhost")
        endpoint, uri = "oidc_auth.authorize", f"{APP}/authorize"

    result = app.test_cli_runner().invoke(
        args=["oauth-recover", "check", "--probe", "--json"]
    )

    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    callbacks = {callback["endpoint"]: callback for callback in body["callbacks"]}
    assert callbacks[endpoint]["framework"] == framework
    assert callbacks[endpoint]["redirect_uri"] == uri
    assert {client["probe"]["result"] for client in body["clients"]} == {"accepted"}


def test_the_core_imports_no_framework_and_no_adapter_an_app_does_not_use() -> None:
    import subprocess
    import sys

    code = """
import sys
from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask_oauth_recover import OAuthRecover

app = Flask("plain")
app.config["SECRET_KEY"] = "k"
oauth = OAuth(app)
recover = OAuthRecover(app)

@app.route("/callback")
@recover.callback(lambda: None)
def callback():
    return "plain"

app.test_client().get("/callback")
names = ("flask_appbuilder", "flask_security", "flask_oidc", "flask_dance", "jwt",
         "flask_oauth_recover.integrations.appbuilder",
         "flask_oauth_recover.integrations.security",
         "flask_oauth_recover.integrations.oidc",
         "flask_oauth_recover.integrations.flask_dance")
print(sorted(name for name in names if name in sys.modules))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert out.stdout.strip() == "[]"
