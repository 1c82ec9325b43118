"""``flask oauth-recover check``: what it prints, what it finds, and what
the provider emulator says to ``--probe``, with click's runner."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from importlib.metadata import entry_points
from typing import Any

import pytest
from authlib.integrations.flask_client import OAuth
from click.testing import Result
from flask import Flask
from flask import request
from flask.cli import FlaskGroup
from werkzeug.local import LocalProxy

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover.cli import PROBE_CODE_PREFIX
from flask_oauth_recover.cli import oauth_recover
from flask_oauth_recover.diagnose import fingerprint
from flask_oauth_recover.testing import AppleDialect
from flask_oauth_recover.testing import ProviderEmulator

from .apps.profile_app import make_app as make_profile_app

AppFactory = Callable[..., Flask]


def check(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(oauth_recover, ["check", *args])


def report(result: Result) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(result.output)
    return body


def ids(body: dict[str, Any]) -> list[str]:
    found = [finding["id"] for finding in body["diagnosis"]]
    for client in body["clients"]:
        found += [finding["id"] for finding in client["diagnosis"]]
    return found


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_the_command_is_a_flask_plugin(make_app: AppFactory) -> None:
    [entry] = [
        e for e in entry_points(group="flask.commands") if e.name == "oauth-recover"
    ]
    assert entry.value == "flask_oauth_recover.cli:oauth_recover"
    app = make_app()
    cli = FlaskGroup(create_app=lambda: app)

    result = app.test_cli_runner().invoke(cli, ["oauth-recover", "check"])

    assert result.exit_code == 0, result.output
    assert "No findings." in result.output


def test_the_command_runs_under_the_apps_own_test_runner(
    make_app: AppFactory, provider: ProviderEmulator
) -> None:
    # What a user's test does: no entry point is involved, only app.cli.
    result = make_app().test_cli_runner().invoke(args=["oauth-recover", "check"])

    assert result.exit_code == 0, result.output
    assert "Callback 'callback' (client 'github')" in result.output
    assert "No findings." in result.output


def test_the_command_is_registered_on_each_app_it_serves(
    provider: ProviderEmulator,
) -> None:
    recover = OAuthRecover()
    first, second = Flask("first"), Flask("second")
    for app in (first, second):
        OAuth(app)
        recover.init_app(app)

    for app in (first, second):
        result = app.test_cli_runner().invoke(args=["oauth-recover", "check"])
        # Nothing is wrapped on these apps: the command ran and said so.
        assert result.exit_code == 2
        assert "no view is wrapped with @recover.callback" in result.output
    assert "oauth-recover" not in Flask("bare").cli.commands


def test_flask_lists_the_command_once(make_app: AppFactory) -> None:
    # Both the entry point and app.cli provide it: `flask --help` shows it
    # once, and `flask oauth-recover` still runs.
    app = make_app()
    cli = FlaskGroup(create_app=lambda: app)

    listing = app.test_cli_runner().invoke(cli, ["--help"])
    result = app.test_cli_runner().invoke(cli, ["oauth-recover", "check"])

    assert listing.exit_code == 0, listing.output
    assert [
        line for line in listing.output.splitlines() if "oauth-recover" in line
    ] == ["  oauth-recover  Check the OAuth setup that flask-oauth-recover wraps."]
    assert result.exit_code == 0, result.output


def test_sound_setup_reports_and_exits_0(
    make_app: AppFactory, provider: ProviderEmulator
) -> None:
    result = check(make_app())

    assert result.exit_code == 0, result.output
    assert "Callback 'callback' (client 'github')" in result.output
    assert "SERVER_NAME is not set" in result.output
    assert "the path is /callback" in result.output
    assert provider.client_id in result.output
    assert (
        f"40 characters, SHA-256 {fingerprint(provider.client_secret)}" in result.output
    )
    assert provider.client_secret not in result.output


def test_server_name_gives_the_redirect_uri(make_app: AppFactory) -> None:
    app = make_app(SERVER_NAME="app.example", PREFERRED_URL_SCHEME="https")

    body = report(check(app, "--json"))

    [callback] = body["callbacks"]
    assert callback["redirect_uri"] == "https://app.example/callback"
    assert callback["endpoint"] == "callback"
    assert body["ok"] is True


def test_json_without_probe(make_app: AppFactory, provider: ProviderEmulator) -> None:
    result = check(make_app(), "--json")

    assert result.exit_code == 0
    [client] = report(result)["clients"]
    assert client["probe"] is None
    assert client["client_secret"] == {
        "length": 40,
        "sha256": fingerprint(provider.client_secret),
    }
    assert provider.token_requests == []


def test_probe_accepts_the_right_credentials(
    make_app: AppFactory, provider: ProviderEmulator
) -> None:
    result = check(make_app(), "--probe", "--json")

    assert result.exit_code == 0, result.output
    [client] = report(result)["clients"]
    assert client["probe"]["result"] == "accepted"
    assert client["probe"]["answer"] == "bad_verification_code"
    [sent] = provider.token_requests
    assert sent["code"].startswith(PROBE_CODE_PREFIX)


def test_probe_rejects_a_secret_with_a_newline_and_says_why(
    make_app: AppFactory, provider: ProviderEmulator
) -> None:
    secret = provider.client_secret
    # overwrite=True: Authlib takes the secret from the app config.
    app = make_app(
        client_overrides={"overwrite": True}, GITHUB_CLIENT_SECRET=secret + "\n"
    )

    result = check(app, "--probe", "--json")

    assert result.exit_code == 1
    body = report(result)
    assert ids(body) == ["credentials.whitespace", "credentials.rejected"]
    [client] = body["clients"]
    assert client["probe"]["answer"] == "incorrect_client_credentials"
    assert 'app.config["GITHUB_CLIENT_SECRET"]' in client["diagnosis"][0]["cause"]
    assert client["client_secret"]["length"] == 41
    assert secret not in result.output


def test_swapped_credentials_keep_the_secret_out_of_the_output(
    make_app: AppFactory, provider: ProviderEmulator
) -> None:
    app = make_app(
        client_overrides={
            "client_id": provider.client_secret,
            "client_secret": provider.client_id,
        }
    )

    result = check(app, "--probe")

    assert result.exit_code == 1
    assert "[credentials.swapped]" in result.output
    assert "[credentials.rejected]" in result.output
    assert "hidden: shaped like a secret" in result.output
    assert provider.client_secret not in result.output


GOOGLE_ID = "123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com"
GOOGLE_SECRET = "GOCSPX-" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4"


@pytest.mark.parametrize("as_json", [False, True])
def test_a_pair_registered_the_wrong_way_round_keeps_the_secret_out(
    make_app: AppFactory, as_json: bool
) -> None:
    app = make_app(
        client_overrides={"client_id": GOOGLE_SECRET, "client_secret": GOOGLE_ID}
    )

    result = check(app, *(["--json"] if as_json else []))

    hidden = (
        f"(hidden: shaped like a secret; {len(GOOGLE_SECRET)} characters, "
        f"SHA-256 {fingerprint(GOOGLE_SECRET)})"
    )
    assert GOOGLE_SECRET not in result.output
    if as_json:
        [client] = report(result)["clients"]
        assert client["client_id"] == hidden
    else:
        assert f"  client_id       {hidden}\n" in result.output


@pytest.mark.parametrize(
    ("overrides", "finding_id"),
    [
        ({"client_secret": None}, "credentials.missing"),
        ({"client_secret": "ghp_" + "x" * 36}, "credentials.shape"),
        ({"client_id": "123456"}, "credentials.shape"),
        ({"client_secret": " " + "0" * 40}, "credentials.whitespace"),
    ],
)
def test_credential_rules_run_without_a_login(
    make_app: AppFactory, overrides: dict[str, Any], finding_id: str
) -> None:
    result = check(make_app(client_overrides=overrides), "--json")

    assert result.exit_code == 1
    assert ids(report(result)) == [finding_id]


def test_samesite_strict_is_a_finding_for_every_login(make_app: AppFactory) -> None:
    result = check(make_app(SESSION_COOKIE_SAMESITE="Strict"))

    assert result.exit_code == 1
    assert "[session.samesite_strict]" in result.output
    assert 'app.config["SESSION_COOKIE_SAMESITE"] = "Lax"' in result.output


def test_cookie_domain_that_misses_the_server_name(make_app: AppFactory) -> None:
    app = make_app(SERVER_NAME="app.example", SESSION_COOKIE_DOMAIN="example.org")

    body = report(check(app, "--json"))

    assert ids(body) == ["session.cookie_domain"]
    assert "app.example" in body["diagnosis"][0]["cause"]


def test_cookie_domain_that_covers_the_server_name(make_app: AppFactory) -> None:
    app = make_app(SERVER_NAME="www.app.example", SESSION_COOKIE_DOMAIN="app.example")

    assert check(app).exit_code == 0


def test_unreachable_token_endpoint_exits_2(make_app: AppFactory) -> None:
    url = f"http://127.0.0.1:{closed_port()}/login/oauth/access_token"
    app = make_app(client_overrides={"access_token_url": url})

    result = check(app, "--probe")

    assert result.exit_code == 2
    assert "probe           error: ConnectionError" in result.output
    assert "the check is incomplete" in result.output


def test_name_selects_a_client(make_app: AppFactory) -> None:
    result = check(make_app(), "github", "--json")

    assert result.exit_code == 0
    assert [client["name"] for client in report(result)["clients"]] == ["github"]


def test_unknown_name_exits_2(make_app: AppFactory) -> None:
    result = check(make_app(), "gitlab")

    assert result.exit_code == 2
    assert "no wrapped callback uses the client 'gitlab'" in result.output
    assert "wrapped clients: github" in result.output


def test_app_without_wrapped_callbacks_exits_2() -> None:
    app = Flask(__name__)

    result = check(app)

    assert result.exit_code == 2
    assert "no view is wrapped with @recover.callback" in result.output


def test_a_client_proxy_that_reads_the_request_is_resolved(
    provider: ProviderEmulator,
) -> None:
    app = Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY="test")
    oauth = OAuth(app)
    provider.register(oauth, "github")
    recover = OAuthRecover(app)
    # As in apps that pick a client per request (a tenant, a demo toggle).
    client = LocalProxy(lambda: oauth.create_client(request.args.get("c", "github")))

    @app.route("/callback")
    @recover.callback(client)
    def callback() -> str:
        return "never called"

    result = check(app)

    assert result.exit_code == 0, result.output
    assert "Callback 'callback' (client 'github')" in result.output


# -- provider profiles: both probes in every dialect ---------------------------------

PROFILES = [
    *("github", "google", "microsoft", "gitlab", "keycloak"),
    *("apple", "slack", "facebook", "okta", "discord", "auth0"),
]
#: Providers whose page for an unregistered redirect URI a probe cannot read.
UNREADABLE = {
    "facebook": "is shown only to a signed-in browser",
    "discord": "is built by JavaScript",
}
CALLBACK = "http://app.test/callback"


@pytest.fixture(scope="module")
def profile_servers() -> Iterator[dict[str, ProviderEmulator]]:
    servers = {name: ProviderEmulator(profile=name).start() for name in PROFILES}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(params=PROFILES)
def any_provider(
    request: pytest.FixtureRequest, profile_servers: dict[str, ProviderEmulator]
) -> Iterator[ProviderEmulator]:
    server = profile_servers[request.param]
    secret = server.client_secret
    server.reset()
    server.callback_url = CALLBACK
    yield server
    server.client_secret = secret
    server.callback_url = None
    server.reset()


def test_the_probes_accept_a_sound_setup_in_every_dialect(
    any_provider: ProviderEmulator,
) -> None:
    app = make_profile_app(any_provider, SERVER_NAME="app.test")

    result = check(app, "--probe", "--json")

    assert result.exit_code == 0, result.output
    body = report(result)
    [client] = body["clients"]
    assert client["provider"] == any_provider.profile
    assert client["probe"]["result"] == "accepted"
    [callback] = body["callbacks"]
    assert callback["authorize_probe"]["result"] == "registered"
    assert callback["authorize_probe"]["redirect_uri"] == CALLBACK


def test_the_token_probe_reads_each_dialects_refusal(
    any_provider: ProviderEmulator,
) -> None:
    wrong = any_provider.client_secret[:-4] + "0a0a"
    app = make_profile_app(any_provider, client_overrides={"client_secret": wrong})

    result = check(app, "--probe", "--json")

    assert result.exit_code == 1, result.output
    [client] = report(result)["clients"]
    assert client["probe"]["result"] == "rejected"
    assert [finding["id"] for finding in client["diagnosis"]] == [
        "credentials.rejected"
    ]
    assert wrong not in result.output


def test_an_unregistered_redirect_uri_is_found_before_anyone_signs_in(
    any_provider: ProviderEmulator,
) -> None:
    any_provider.callback_url = "http://app.test/registered/callback"
    app = make_profile_app(any_provider, SERVER_NAME="app.test")

    result = check(app, "--probe")

    if any_provider.profile in UNREADABLE:
        # Its page says so only to a signed-in browser or once a script
        # runs: the probe says it cannot tell, and never guesses.
        assert result.exit_code == 0, result.output
        assert "authorize probe unchecked (HTTP 200): cannot tell" in result.output
        assert UNREADABLE[any_provider.profile] in result.output
        assert "redirect_uri.unregistered" not in result.output
        return

    assert result.exit_code == 1, result.output
    assert "authorize probe unregistered" in result.output
    assert "[redirect_uri.unregistered] (client " in result.output
    assert f"      {CALLBACK}\n" in result.output
    body = report(check(app, "--probe", "--json"))
    [finding] = body["clients"][0]["diagnosis"]
    assert finding["id"] == "redirect_uri.unregistered"
    assert (
        f"Register {CALLBACK}" in finding["fix"] or f"Add {CALLBACK}" in finding["fix"]
    )
    assert finding["snippet"] == CALLBACK
    if any_provider.profile == "github":
        assert "error=redirect_uri_mismatch" in finding["cause"]
    else:
        assert "own error page" in finding["cause"]


@pytest.mark.parametrize(
    ("name", "console"),
    [
        ("google", "https://console.cloud.google.com/auth/clients/"),
        ("microsoft", "https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/"),
        ("gitlab", "/-/user_settings/applications"),
        ("keycloak", "/admin/master/console/#/myrealm/clients"),
        ("apple", "https://developer.apple.com/account/resources/identifiers/"),
        ("slack", "https://api.slack.com/apps"),
        ("auth0", "https://manage.auth0.com/#/applications"),
    ],
)
def test_the_unregistered_finding_names_the_console_page(
    name: str, console: str, profile_servers: dict[str, ProviderEmulator]
) -> None:
    server = profile_servers[name]
    server.reset()
    server.callback_url = "http://app.test/registered/callback"
    try:
        app = make_profile_app(server, SERVER_NAME="app.test")
        body = report(check(app, "--probe", "--json"))
    finally:
        server.callback_url = None

    [finding] = body["clients"][0]["diagnosis"]
    assert console in finding["console"]


def test_base_url_gives_the_redirect_uri_to_probe(
    profile_servers: dict[str, ProviderEmulator],
) -> None:
    server = profile_servers["google"]
    server.reset()
    server.callback_url = "https://app.example/callback"
    try:
        app = make_profile_app(server)
        skipped = report(check(app, "--probe", "--json"))
        probed = report(
            check(app, "--probe", "--json", "--base-url", "https://app.example")
        )
    finally:
        server.callback_url = None

    assert skipped["callbacks"][0]["authorize_probe"]["result"] == "skipped"
    [callback] = probed["callbacks"]
    assert callback["redirect_uri"] == "https://app.example/callback"
    assert callback["note"] == "built for --base-url"
    assert callback["authorize_probe"]["result"] == "registered"


def test_an_unreachable_authorization_endpoint_exits_2(
    profile_servers: dict[str, ProviderEmulator],
) -> None:
    server = profile_servers["github"]
    url = f"http://127.0.0.1:{closed_port()}/login/oauth/authorize"
    app = make_profile_app(
        server, SERVER_NAME="app.test", client_overrides={"authorize_url": url}
    )

    result = check(app, "--probe")

    assert result.exit_code == 2
    assert "authorize probe error: ConnectionError" in result.output


#: (profile, credentials, finding, words): each provider's shapes, found by
#: ``check`` before the provider refuses them on its own page.
SHAPED = [
    (
        "google",
        {"client_id": "GOCSPX-" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4",
         "client_secret": "123456789012-abcdefghijklmnop.apps.googleusercontent.com"},
        "credentials.swapped",
        "look swapped",
    ),
    (
        "microsoft",
        {"client_id": "my-app"},
        "credentials.shape",
        "[0-9a-f]{8}-[0-9a-f]{4}",
    ),
    (
        "microsoft",
        {"client_secret": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"},
        "credentials.secret_id",
        "Secret ID",
    ),
    (
        "gitlab",
        {"client_secret": "glpat-" + "a1B2c3D4e5F6g7H8i9J0"},
        "credentials.shape",
        "starts with glpat-",
    ),
    (
        "google",
        {"client_id": "my-client"},
        "credentials.shape",
        ".apps.googleusercontent.com",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "credentials", "finding_id", "words"), SHAPED)
def test_each_providers_credential_shapes_are_checked(
    name: str,
    credentials: dict[str, str],
    finding_id: str,
    words: str,
    profile_servers: dict[str, ProviderEmulator],
) -> None:
    app = make_profile_app(profile_servers[name], client_overrides=credentials)

    # --probe reads the server metadata, which says which provider it is.
    result = check(app, "--json", "--probe")

    assert result.exit_code == 1
    [client] = report(result)["clients"]
    found = {finding["id"]: finding for finding in client["diagnosis"]}
    assert client["provider"] == name
    assert words in found[finding_id]["cause"]
    if "client_secret" in credentials:
        assert credentials["client_secret"] not in result.output


def test_a_named_profile_needs_no_probe(
    profile_servers: dict[str, ProviderEmulator],
) -> None:
    profile_servers["microsoft"].reset()
    app = make_profile_app(
        profile_servers["microsoft"],
        client_overrides={"client_secret": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"},
        OAUTH_RECOVER_PROVIDERS={"microsoft": "microsoft"},
    )

    result = check(app, "--json")

    [client] = report(result)["clients"]
    assert [finding["id"] for finding in client["diagnosis"]] == [
        "credentials.secret_id"
    ]
    assert profile_servers["microsoft"].token_requests == []


def test_the_text_report_names_the_provider(
    profile_servers: dict[str, ProviderEmulator],
) -> None:
    app = make_profile_app(profile_servers["microsoft"], name="corp")

    without_probe = check(app)
    result = check(app, "--probe")

    # Its endpoints come from server metadata on a loopback host: only once
    # the probe has read it do they say which provider this is.
    assert "  provider        Corp (oauth2)\n" in without_probe.output
    assert "  provider        Microsoft (microsoft)\n" in result.output


def test_an_unknown_profile_name_exits_2(make_app: AppFactory) -> None:
    app = make_app()
    # Set after init_app, which refuses it when it is there already.
    app.config["OAUTH_RECOVER_PROVIDERS"] = {"github": "gitlub"}

    result = check(app)

    assert result.exit_code == 2
    assert "client 'github': unknown provider profile 'gitlub'" in result.output


class _Recorder(BaseHTTPRequestHandler):
    """Answers every POST with what the server was told to answer, and
    records the request bodies it received."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        server: Any = self.server
        server.bodies.append(self.rfile.read(length).decode())
        self.send_response(server.status)
        for name, value in server.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def answering(status: int, **headers: str) -> Iterator[Any]:
    """A loopback HTTP server answering ``status`` with ``headers``."""
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.status, server.headers, server.bodies = status, headers, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_the_token_probe_never_follows_a_redirect_with_the_secret(
    make_app: AppFactory, provider: ProviderEmulator, status: int
) -> None:
    with answering(200) as elsewhere:
        thief = f"http://127.0.0.1:{elsewhere.server_address[1]}/token"
        with answering(status, Location=thief) as token_endpoint:
            url = f"http://127.0.0.1:{token_endpoint.server_address[1]}/token"
            app = make_app(client_overrides={"access_token_url": url})

            result = check(app, "--probe", "--json")

    assert result.exit_code == 2, result.output
    [client] = report(result)["clients"]
    assert client["probe"]["result"] == "error"
    assert f"HTTP {status}, a redirect" in client["probe"]["detail"]
    assert len(token_endpoint.bodies) == 1
    assert elsewhere.bodies == []


# -- Sign in with Apple: what check says without asking Apple ----------------------


def apple_dialect(profile_servers: dict[str, ProviderEmulator]) -> AppleDialect:
    dialect = profile_servers["apple"].dialect
    assert isinstance(dialect, AppleDialect)
    return dialect


def test_an_expired_apple_secret_is_said_offline_with_its_date(
    profile_servers: dict[str, ProviderEmulator],
) -> None:
    server = profile_servers["apple"]
    issued = time.time() - 190 * 86400
    secret = apple_dialect(profile_servers).client_secret(
        issued_at=issued, lifetime=180 * 86400
    )
    app = make_profile_app(server, client_overrides={"client_secret": secret})
    server.reset()

    result = check(app)
    body = report(check(app, "--json"))

    expires = time.strftime(
        "%Y-%m-%d %H:%M UTC", time.gmtime(int(issued) + 180 * 86400)
    )
    assert result.exit_code == 1
    assert f"expires {expires}" in result.output
    assert "[credentials.expired] (client 'apple')" in result.output
    assert f"expired on {expires}" in result.output
    [client] = body["clients"]
    assert client["client_secret"]["expires"] == expires
    assert [finding["id"] for finding in client["diagnosis"]] == ["credentials.expired"]
    # Without --probe, Apple was not asked.
    assert server.token_requests == []
    assert secret not in result.output


def test_a_sound_apple_secret_says_when_it_expires(
    profile_servers: dict[str, ProviderEmulator],
) -> None:
    server = profile_servers["apple"]
    app = make_profile_app(server)

    result = check(app)

    expires = time.strftime(
        "%Y-%m-%d", time.gmtime(json_claims(server.client_secret)["exp"])
    )
    assert result.exit_code == 0, result.output
    assert f", expires {expires} " in result.output


def test_apple_secret_claims_are_checked_offline(
    profile_servers: dict[str, ProviderEmulator],
) -> None:
    secret = apple_dialect(profile_servers).client_secret(
        "com.example.native", lifetime=365 * 86400
    )
    app = make_profile_app(
        profile_servers["apple"], client_overrides={"client_secret": secret}
    )

    body = report(check(app, "--json"))

    [client] = body["clients"]
    causes = [
        f["cause"] for f in client["diagnosis"] if f["id"] == "credentials.jwt_claims"
    ]
    assert len(causes) == 2
    assert "sub claim is com.example.native" in causes[0]
    assert "valid for 365 days" in causes[1]


@pytest.mark.parametrize("samesite", ["Lax", "Strict"])
def test_a_posted_callback_with_a_samesite_cookie_is_said_offline(
    samesite: str, profile_servers: dict[str, ProviderEmulator]
) -> None:
    app = make_profile_app(profile_servers["apple"], SESSION_COOKIE_SAMESITE=samesite)

    result = check(app, "--json")

    assert result.exit_code == 1
    [finding] = report(result)["diagnosis"]
    assert finding["id"] == "session.form_post_samesite"
    assert f"SESSION_COOKIE_SAMESITE is {samesite}" in finding["cause"]


def json_claims(secret: str) -> dict[str, Any]:
    part = secret.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # type: ignore[no-any-return]
