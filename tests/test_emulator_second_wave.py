"""The emulator's second-wave profiles over real loopback HTTP: their paths,
token errors, pages and ID tokens as ``PROVIDERS-2.md`` gives them, Apple's
JWT client secret and form_post answer, and an unmodified Authlib app
signing in against each."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

import pytest
import requests
from authlib.integrations.flask_client import OAuth
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from flask import url_for

from flask_oauth_recover.testing import AppleDialect
from flask_oauth_recover.testing import OktaDialect
from flask_oauth_recover.testing import ProviderEmulator
from flask_oauth_recover.testing.dialect import read_form_post

CALLBACK = "http://localhost/callback"
WAVE_2 = ["apple", "slack", "facebook", "okta", "discord", "auth0"]
OIDC = ["apple", "okta", "auth0"]

#: profile -> (authorize path, token path).
PATHS = {
    "apple": ("/auth/authorize", "/auth/token"),
    "slack": ("/oauth/v2/authorize", "/api/oauth.v2.access"),
    "facebook": ("/v21.0/dialog/oauth", "/v21.0/oauth/access_token"),
    "okta": ("/oauth2/default/v1/authorize", "/oauth2/default/v1/token"),
    "discord": ("/api/oauth2/authorize", "/api/oauth2/token"),
    "auth0": ("/authorize", "/oauth/token"),
}
#: profile -> (status, body) for a used code.
USED_CODE = {
    "apple": (
        400,
        {
            "error": "invalid_grant",
            "error_description": "The code has already been used.",
        },
    ),
    "slack": (200, {"ok": False, "error": "invalid_code"}),
    "okta": (
        400,
        {
            "error": "invalid_grant",
            "error_description": "The authorization code is invalid or has expired.",
        },
    ),
    "discord": (
        400,
        {"error": "invalid_grant", "error_description": 'Invalid "code" in request.'},
    ),
    "auth0": (
        403,
        {"error": "invalid_grant", "error_description": "Invalid authorization code"},
    ),
}
#: profile -> (status, body) for a wrong secret.
WRONG_SECRET = {
    "apple": (400, {"error": "invalid_client"}),
    "slack": (200, {"ok": False, "error": "bad_client_secret"}),
    "okta": (
        401,
        {
            "error": "invalid_client",
            "error_description": "Client authentication failed. Either the client "
            "or the client credentials are invalid.",
        },
    ),
    "discord": (401, {"error": "invalid_client"}),
    "auth0": (401, {"error": "access_denied", "error_description": "Unauthorized"}),
}
#: profile -> (status, words) of its page for an unregistered redirect URI.
UNREGISTERED_PAGE = {
    "apple": (400, "Invalid web redirect url."),
    "slack": (400, "redirect_uri did not match any configured URIs. Passed URI: "),
    "facebook": (200, "URL Blocked: This redirect failed"),
    "okta": (
        400,
        "The &#x27;redirect_uri&#x27; parameter must be a Login redirect URI in the "
        "client app settings",
    ),
    "auth0": (400, "Callback URL mismatch."),
}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, ProviderEmulator]]:
    emulators = {name: ProviderEmulator(profile=name).start() for name in WAVE_2}
    yield emulators
    for emulator in emulators.values():
        emulator.stop()


@pytest.fixture(params=WAVE_2)
def provider(
    request: pytest.FixtureRequest, servers: dict[str, ProviderEmulator]
) -> Iterator[ProviderEmulator]:
    server = servers[request.param]
    server.reset()
    yield server
    server.callback_url = None
    server.reset()


def authorize(
    provider: ProviderEmulator, **params: str
) -> tuple[requests.Response, dict[str, str]]:
    """An authorization request, and the parameters it sends back."""
    query = {
        "client_id": provider.client_id,
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "state": "s1",
        **params,
    }
    answer = requests.get(
        provider.authorize_url, params=query, allow_redirects=False, timeout=10
    )
    if answer.status_code == 302:
        back = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))
    else:
        posted = read_form_post(answer.text)
        back = dict(posted[1]) if posted is not None else {}
    return answer, back


def exchange(
    provider: ProviderEmulator, code: str, **changes: str
) -> requests.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        **changes,
    }
    return requests.post(provider.token_url, data=form, timeout=10)


def code_for(provider: ProviderEmulator, **params: str) -> str:
    extra = {"response_mode": "form_post"} if provider.profile == "apple" else {}
    _, back = authorize(provider, **{**extra, **params})
    return back["code"]


def test_each_profile_serves_its_providers_paths(provider: ProviderEmulator) -> None:
    authorize_path, token_path = PATHS[provider.profile]

    assert urlsplit(provider.authorize_url).path == authorize_path
    assert urlsplit(provider.token_url).path == token_path


def test_a_good_code_gets_a_token(provider: ProviderEmulator) -> None:
    answer = exchange(provider, code_for(provider, **_scopes(provider)))

    assert answer.status_code == 200
    body = answer.json()
    if provider.profile == "slack":
        assert body["ok"] is True
        assert body["authed_user"]["access_token"].startswith("xoxp-")
    else:
        assert body["access_token"]
        assert body["token_type"].lower() == "bearer"


@pytest.mark.parametrize("name", sorted(USED_CODE))
def test_a_used_code(name: str, servers: dict[str, ProviderEmulator]) -> None:
    provider = servers[name]
    provider.reset()
    code = code_for(provider)
    exchange(provider, code)

    answer = exchange(provider, code)

    assert (answer.status_code, answer.json()) == USED_CODE[name]


@pytest.mark.parametrize("name", sorted(WRONG_SECRET))
def test_a_wrong_secret(name: str, servers: dict[str, ProviderEmulator]) -> None:
    provider = servers[name]
    provider.reset()

    answer = exchange(provider, code_for(provider), client_secret="x" * 32)

    assert (answer.status_code, answer.json()) == WRONG_SECRET[name]


@pytest.mark.parametrize(
    ("failure", "subcode", "code", "message"),
    [
        ("used", 36009, 100, "This authorization code has been used."),
        ("expired", 36007, 100, "This authorization code has expired."),
        ("redirect", 36008, 100, "Error validating verification code."),
        ("secret", None, 1, "Error validating client secret."),
    ],
)
def test_facebooks_graph_error_objects(
    failure: str,
    subcode: int | None,
    code: int,
    message: str,
    servers: dict[str, ProviderEmulator],
) -> None:
    facebook = servers["facebook"]
    facebook.reset()
    issued = code_for(facebook)
    changes: dict[str, str] = {}
    if failure == "used":
        exchange(facebook, issued)
    elif failure == "expired":
        facebook.advance_clock(facebook.code_lifetime + 1)
    elif failure == "redirect":
        changes["redirect_uri"] = CALLBACK + "/other"
    else:
        changes["client_secret"] = "0" * 32

    answer = exchange(facebook, issued, **changes)

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["type"], error["code"], error.get("error_subcode")) == (
        "OAuthException",
        code,
        subcode,
    )
    assert error["message"].startswith(message)
    assert error["fbtrace_id"]
    assert answer.headers["WWW-Authenticate"].startswith(
        'OAuth "Facebook Platform" "invalid_code"'
    )


@pytest.mark.parametrize(
    ("name", "status", "error", "description"),
    [
        ("okta", 400, "invalid_grant", "The 'redirect_uri' does not match"),
        ("auth0", 403, "unauthorized_client", "The redirect URI is wrong. You sent "),
        ("discord", 400, "invalid_request", 'Invalid "redirect_uri" in request.'),
    ],
)
def test_a_redirect_uri_that_differs_at_the_token_step(
    name: str,
    status: int,
    error: str,
    description: str,
    servers: dict[str, ProviderEmulator],
) -> None:
    provider = servers[name]
    provider.reset()

    answer = exchange(provider, code_for(provider), redirect_uri=CALLBACK + "/x")

    assert answer.status_code == status
    assert answer.json()["error"] == error
    assert answer.json()["error_description"].startswith(description)
    if name == "auth0":
        assert answer.json()["error_description"].endswith(
            f"You sent {CALLBACK}/x, and we expected {CALLBACK}"
        )


@pytest.mark.parametrize("name", sorted(UNREGISTERED_PAGE))
def test_an_unregistered_redirect_uri_stops_on_the_providers_page(
    name: str, servers: dict[str, ProviderEmulator]
) -> None:
    provider = servers[name]
    provider.reset()
    provider.callback_url = "https://app.example/callback"
    try:
        answer, back = authorize(provider)
    finally:
        provider.callback_url = None

    status, words = UNREGISTERED_PAGE[name]
    assert answer.status_code == status
    assert words in answer.text
    assert back == {}


def test_discords_page_says_it_only_through_its_script(
    servers: dict[str, ProviderEmulator],
) -> None:
    discord = servers["discord"]
    discord.callback_url = "https://app.example/callback"
    try:
        answer, _ = authorize(discord)
    finally:
        discord.callback_url = None

    assert answer.status_code == 200
    assert "Invalid OAuth2 redirect_uri" not in answer.text
    [encoded] = [part.split("'")[0] for part in answer.text.split("atob('")[1:]]
    assert json.loads(base64.b64decode(encoded)) == "Invalid OAuth2 redirect_uri"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("apple", [("error", "user_cancelled_authorize"), ("state", "s1")]),
        (
            "facebook",
            [
                ("error", "access_denied"),
                ("error_code", "200"),
                ("error_description", "Permissions error"),
                ("error_reason", "user_denied"),
                ("state", "s1"),
            ],
        ),
    ],
)
def test_each_providers_cancel(
    name: str, expected: list[tuple[str, str]], servers: dict[str, ProviderEmulator]
) -> None:
    provider = servers[name]
    provider.reset()
    provider.deny_next_authorizations()
    extra = {"response_mode": "form_post"} if name == "apple" else {}

    answer, _ = authorize(provider, **extra)

    if name == "apple":
        posted = read_form_post(answer.text)
        assert posted is not None and posted[0] == CALLBACK
        assert posted[1] == expected
    else:
        location = answer.headers["Location"]
        assert parse_qsl(urlsplit(location).query) == expected


# -- Apple's client secret -----------------------------------------------------------


def apple_server(
    servers: dict[str, ProviderEmulator],
) -> tuple[ProviderEmulator, AppleDialect]:
    server = servers["apple"]
    server.reset()
    assert isinstance(server.dialect, AppleDialect)
    return server, server.dialect


def test_apples_default_secret_is_a_jwt_it_accepts(
    servers: dict[str, ProviderEmulator],
) -> None:
    server, dialect = apple_server(servers)
    header, claims = _jwt(server.client_secret)

    assert header == {"alg": "ES256", "kid": dialect.key_id}
    assert claims["iss"] == dialect.team_id
    assert claims["sub"] == server.client_id
    assert claims["aud"] == "https://appleid.apple.com"
    assert claims["exp"] - claims["iat"] == 180 * 86400
    assert dialect.private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert exchange(server, code_for(server)).status_code == 200


@pytest.mark.parametrize(
    "secret",
    [
        lambda d: d.client_secret("com.example.other"),
        lambda d: d.client_secret(claims={"aud": "https://example.com"}),
        lambda d: d.client_secret(claims={"iss": "OTHERTEAM0"}),
        lambda d: d.client_secret(lifetime=15777001),
        lambda d: d.client_secret(issued_at=time.time() - 10 * 86400, lifetime=86400),
        lambda d: d.client_secret(headers={"kid": "OTHERKEY00"}),
        lambda d: d.client_secret(headers={"alg": "HS256"}),
        lambda d: AppleDialect().client_secret(),
        lambda d: _der_signed(d),
        lambda d: d.private_key_pem,
    ],
    ids=[
        "sub",
        "aud",
        "iss",
        "too long-lived",
        "expired",
        "kid",
        "alg",
        "another key",
        "DER signature",
        "the .p8 key itself",
    ],
)
def test_apple_refuses_every_wrong_secret_with_a_bare_invalid_client(
    secret: Any, servers: dict[str, ProviderEmulator]
) -> None:
    server, dialect = apple_server(servers)

    answer = exchange(server, code_for(server), client_secret=secret(dialect))

    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_client"})


def test_apples_secret_expires_by_the_emulators_clock(
    servers: dict[str, ProviderEmulator],
) -> None:
    server, _ = apple_server(servers)
    code = code_for(server)
    server.advance_clock(181 * 86400)

    answer = exchange(server, code)

    assert answer.json() == {"error": "invalid_client"}


def test_apple_answers_form_post_with_a_page_that_posts(
    servers: dict[str, ProviderEmulator],
) -> None:
    server, _ = apple_server(servers)

    answer, back = authorize(server, response_mode="form_post", scope="name email")

    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert (
        'method="post"' in answer.text and "document.forms[0].submit()" in answer.text
    )
    assert list(back) == ["state", "code"]


def test_apple_without_form_post_for_name_and_email(
    servers: dict[str, ProviderEmulator],
) -> None:
    server, _ = apple_server(servers)

    answer, back = authorize(server, scope="openid email")

    assert answer.status_code == 400
    assert "response_mode must be form_post" in answer.text
    assert back == {}


# -- discovery and ID tokens ---------------------------------------------------------


@pytest.mark.parametrize("name", OIDC)
def test_an_authlib_app_signs_in_with_a_verified_id_token(
    name: str, servers: dict[str, ProviderEmulator]
) -> None:
    provider = servers[name]
    provider.reset()
    app = Flask(__name__)
    app.config.update(SECRET_KEY="wave-2", TESTING=True)
    oauth = OAuth(app)
    provider.register(oauth)
    seen: dict[str, Any] = {}

    @app.get("/login")
    def login() -> Any:
        client = oauth.create_client(name)
        return client.authorize_redirect(url_for("callback", _external=True))

    @app.route("/callback", methods=["GET", "POST"])
    def callback() -> str:
        seen.update(oauth.create_client(name).authorize_access_token())
        return "signed in"

    client = app.test_client()
    response, _ = provider.follow(client, client.get("/login"))

    assert response.text == "signed in"
    userinfo = seen["userinfo"]
    assert userinfo["aud"] == provider.client_id
    assert userinfo["iss"] == provider.addresses.server_metadata["issuer"]
    assert userinfo["nonce"]


def test_apples_discovery_has_no_userinfo_and_posts_its_secret(
    servers: dict[str, ProviderEmulator],
) -> None:
    server, _ = apple_server(servers)

    document = requests.get(server.server_metadata_url, timeout=10).json()

    assert "userinfo_endpoint" not in document
    assert document["token_endpoint_auth_methods_supported"] == ["client_secret_post"]
    assert "form_post" in document["response_modes_supported"]
    assert (
        requests.get(server.base_url + "/auth/userinfo", timeout=10).status_code == 404
    )


def test_oktas_authorization_server_names_its_paths(
    servers: dict[str, ProviderEmulator],
) -> None:
    with ProviderEmulator(profile=OktaDialect(server="aus1a2b3c4")) as okta:
        document = requests.get(okta.server_metadata_url, timeout=10).json()

    assert document["issuer"].endswith("/oauth2/aus1a2b3c4")
    assert document["token_endpoint"].endswith("/oauth2/aus1a2b3c4/v1/token")


def test_auth0s_issuer_ends_in_a_slash(servers: dict[str, ProviderEmulator]) -> None:
    auth0 = servers["auth0"]

    document = requests.get(auth0.server_metadata_url, timeout=10).json()

    assert document["issuer"] == auth0.base_url + "/"


# -- the APIs apps call after signing in ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "path", "field", "value"),
    [
        ("slack", "/api/users.identity", "ok", True),
        ("facebook", "/v21.0/me", "name", "The Octocat"),
        ("okta", "/oauth2/default/v1/userinfo", "email", "octocat@example.com"),
        ("discord", "/api/users/@me", "username", "octocat"),
        ("auth0", "/userinfo", "nickname", "octocat"),
    ],
)
def test_the_user_endpoint(
    name: str,
    path: str,
    field: str,
    value: Any,
    servers: dict[str, ProviderEmulator],
) -> None:
    provider = servers[name]
    provider.reset()
    token_answer = exchange(provider, code_for(provider, **_scopes(provider)))
    body = token_answer.json()
    token = (
        body["authed_user"]["access_token"] if name == "slack" else body["access_token"]
    )

    answer = requests.get(
        provider.base_url + path,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    anonymous = requests.get(provider.base_url + path, timeout=10)

    assert answer.status_code == 200
    assert answer.json()[field] == value
    if name == "slack":
        assert anonymous.json() == {"ok": False, "error": "not_authed"}
    else:
        assert anonymous.status_code in (400, 401)


@pytest.mark.parametrize(
    ("name", "status", "body"),
    [
        ("slack", 200, {"ok": False, "error": "unknown_method"}),
        ("discord", 404, {"message": "404: Not Found", "code": 0}),
        (
            "auth0",
            404,
            {"statusCode": 404, "error": "Not Found", "message": "Not Found"},
        ),
        ("apple", 404, {"error": "not_found"}),
    ],
)
def test_unknown_paths_answer_the_providers_json_error(
    name: str, status: int, body: dict[str, Any], servers: dict[str, ProviderEmulator]
) -> None:
    answer = requests.get(servers[name].base_url + "/api/nothing.here", timeout=10)

    assert (answer.status_code, answer.json()) == (status, body)


def test_facebooks_unknown_path_is_graph_code_2500(
    servers: dict[str, ProviderEmulator],
) -> None:
    answer = requests.get(servers["facebook"].base_url + "/v21.0/nothing", timeout=10)

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 2500


def _scopes(provider: ProviderEmulator) -> dict[str, str]:
    """What a sign-in asks for: Slack's user scope, or the scope."""
    if provider.profile == "slack":
        return {"user_scope": "identity.basic"}
    scope = {"facebook": "email,public_profile", "discord": "identify email"}
    return {"scope": scope.get(provider.profile, "openid email profile")}


def _jwt(value: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, claims, _ = value.split(".")
    return _part(header), _part(claims)


def _part(part: str) -> dict[str, Any]:
    decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    assert isinstance(decoded, dict)
    return decoded


def _der_signed(dialect: AppleDialect) -> str:
    """The default claims, signed as openssl_sign signs: a DER signature."""
    key = serialization.load_pem_private_key(dialect.private_key_pem.encode(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    header, claims, _ = dialect.client_secret().split(".")
    der = key.sign(f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    signature = base64.urlsafe_b64encode(der).rstrip(b"=").decode()
    return f"{header}.{claims}.{signature}"
