"""``flask oauth-recover check``: what it prints, what it finds, and what
the provider emulator says to ``--probe``, with click's runner."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
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
from flask_oauth_recover.testing import ProviderEmulator

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
