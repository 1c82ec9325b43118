"""Tests for the emulator's provider profiles, over real loopback HTTP: each
profile's paths, pages, token errors and ID tokens, exactly as
``PROVIDERS.md`` gives them, and an unmodified Authlib app signing in
against each."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

import pytest
import requests
from authlib.integrations.flask_client import OAuth
from authlib.integrations.flask_client import OAuthError
from flask import Flask
from flask import url_for
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from flask_oauth_recover.testing import MicrosoftDialect
from flask_oauth_recover.testing import ProviderEmulator

CALLBACK = "http://localhost/callback"
PROFILES = ["github", "google", "microsoft", "gitlab", "keycloak"]
OIDC_PROFILES = ["google", "microsoft", "gitlab", "keycloak"]
TENANT = "9f3c2b1a-5d4e-4f60-8a7b-1c2d3e4f5a6b"
REALM = "/realms/myrealm"
KEYCLOAK_OIDC = f"{REALM}/protocol/openid-connect"
GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

GITHUB_DOCS = "https://docs.github.com/apps/managing-oauth-apps/"
GITHUB_TOKEN_DOCS = (
    GITHUB_DOCS + "troubleshooting-oauth-app-access-token-request-errors/"
)
GITLAB_INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not "
    "match the redirection URI used in the authorization request, or was "
    "issued to another client."
)
GITLAB_INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client "
    "authentication included, or unsupported authentication method."
)
GITLAB_INVALID_REQUEST = (
    "The request is missing a required parameter, includes an unsupported "
    "parameter value, or is otherwise malformed."
)
KEYCLOAK_BAD_CLIENT = "Invalid client or Invalid client credentials"
ENTRA_USED_CODE = (
    "AADSTS54005: OAuth2 Authorization code was already redeemed, please retry "
    "with a new valid code or use an existing refresh token."
)
ENTRA_EXPIRED_CODE = (
    "AADSTS70008: The provided authorization code or refresh token has expired "
    "due to inactivity. Send a new interactive authorization request for this "
    "user and resource."
)
ENTRA_PKCE = (
    "AADSTS501481: The Code_Verifier does not match the code_challenge supplied "
    "in the authorization request."
)

PATHS = {
    # profile: (authorize, token, server metadata)
    "github": (
        "/login/oauth/authorize",
        "/login/oauth/access_token",
        "/.well-known/oauth-authorization-server",
    ),
    "google": ("/o/oauth2/v2/auth", "/token", "/.well-known/openid-configuration"),
    "microsoft": (
        f"/{TENANT}/oauth2/v2.0/authorize",
        f"/{TENANT}/oauth2/v2.0/token",
        f"/{TENANT}/v2.0/.well-known/openid-configuration",
    ),
    "gitlab": ("/oauth/authorize", "/oauth/token", "/.well-known/openid-configuration"),
    "keycloak": (
        f"{KEYCLOAK_OIDC}/auth",
        f"{KEYCLOAK_OIDC}/token",
        f"{REALM}/.well-known/openid-configuration",
    ),
}
# The resource each profile's app reads the user from, relative to
# client_kwargs()'s api_base_url.
USER_RESOURCE = {
    "github": "user",
    "google": "userinfo",
    "microsoft": "me",
    "gitlab": "user",
    "keycloak": "userinfo",
}
# What a token endpoint error reads like: (status, error, description); for
# Entra the description up to its trace lines.
TokenError = tuple[int, str, str]
USED_CODE: dict[str, TokenError] = {
    "github": (
        200,
        "bad_verification_code",
        "The code passed is incorrect or expired.",
    ),
    "google": (400, "invalid_grant", "Bad Request"),
    "microsoft": (400, "invalid_grant", ENTRA_USED_CODE),
    "gitlab": (400, "invalid_grant", GITLAB_INVALID_GRANT),
    "keycloak": (400, "invalid_grant", "Code not valid"),
}
EXPIRED_CODE: dict[str, TokenError] = {
    **USED_CODE,
    "microsoft": (400, "invalid_grant", ENTRA_EXPIRED_CODE),
    "keycloak": (400, "invalid_grant", "Code is expired"),
}
CODE_LIFETIMES = {
    "github": 600.0,
    "google": 600.0,
    "microsoft": 600.0,
    "gitlab": 600.0,
    "keycloak": 60.0,
}
PKCE_MISMATCH: dict[str, TokenError] = {
    "github": USED_CODE["github"],
    "google": (400, "invalid_grant", "Invalid code verifier."),
    "microsoft": (400, "invalid_grant", ENTRA_PKCE),
    "gitlab": (400, "invalid_grant", GITLAB_INVALID_GRANT),
    "keycloak": (400, "invalid_grant", "PKCE verification failed: Code mismatch"),
}
PKCE_MISSING: dict[str, TokenError] = {
    "github": USED_CODE["github"],
    "google": (400, "invalid_grant", "Missing code verifier."),
    "microsoft": (400, "invalid_grant", ENTRA_PKCE),
    "gitlab": (400, "invalid_request", GITLAB_INVALID_REQUEST),
    "keycloak": (400, "invalid_grant", "PKCE code verifier not specified"),
}
ELSEWHERE = CALLBACK + "/elsewhere"
# Not below the callback either, where GitHub would accept it.
UNREGISTERED = "http://localhost/elsewhere"
TOKEN_REDIRECT_MISMATCH: dict[str, TokenError] = {
    "github": (
        200,
        "redirect_uri_mismatch",
        "The redirect_uri MUST match the registered callback URL for this application.",
    ),
    "google": (400, "redirect_uri_mismatch", "Bad Request"),
    "microsoft": (
        400,
        "invalid_grant",
        f"AADSTS500112: The reply address '{ELSEWHERE}' does not match the reply "
        f"address '{CALLBACK}' provided when requesting Authorization code.",
    ),
    "gitlab": (400, "invalid_grant", GITLAB_INVALID_GRANT),
    "keycloak": (400, "invalid_grant", "Incorrect redirect_uri"),
}


def wrong_secret_error(profile: str, client_id: str) -> TokenError:
    return {
        "github": (
            200,
            "incorrect_client_credentials",
            "The client_id and/or client_secret passed are incorrect.",
        ),
        "google": (401, "invalid_client", "Unauthorized"),
        "microsoft": (
            401,
            "invalid_client",
            "AADSTS7000215: Invalid client secret provided. Ensure the secret being "
            "sent in the request is the client secret value, not the client secret "
            f"ID, for a secret added to app '{client_id}'.",
        ),
        "gitlab": (401, "invalid_client", GITLAB_INVALID_CLIENT),
        "keycloak": (401, "unauthorized_client", KEYCLOAK_BAD_CLIENT),
    }[profile]


@pytest.fixture(params=PROFILES)
def provider(request: pytest.FixtureRequest) -> Iterator[ProviderEmulator]:
    with ProviderEmulator(profile=request.param, callback_url=CALLBACK) as emulator:
        yield emulator


@pytest.fixture(params=OIDC_PROFILES)
def oidc_provider(request: pytest.FixtureRequest) -> Iterator[ProviderEmulator]:
    with ProviderEmulator(profile=request.param, callback_url=CALLBACK) as emulator:
        yield emulator


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize(
    provider: ProviderEmulator, url: str | None = None, **params: str
) -> requests.Response:
    query = {
        "client_id": provider.client_id,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "openid email profile",
        "state": "xyz",
        **params,
    }
    return requests.get(
        url or provider.authorize_url, params=query, allow_redirects=False, timeout=5
    )


def location_query(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text[:300]
    return dict(parse_qsl(urlsplit(response.headers["Location"]).query))


def issue_code(provider: ProviderEmulator, **params: str) -> str:
    return location_query(authorize(provider, **params))["code"]


def exchange(
    provider: ProviderEmulator,
    code: str,
    url: str | None = None,
    headers: dict[str, str] | None = None,
    **form: str,
) -> requests.Response:
    data = {
        "grant_type": "authorization_code",
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "code": code,
        "redirect_uri": CALLBACK,
        **form,
    }
    data = {key: value for key, value in data.items() if value}
    return requests.post(
        url or provider.token_url,
        data=data,
        headers={"Accept": "application/json", **(headers or {})},
        timeout=5,
    )


def token_error(response: requests.Response) -> TokenError:
    """Status, error and description; Entra's description without the trace
    lines it ends with (checked in a test of their own)."""
    body = response.json()
    description = body["error_description"].split("\r\n")[0]
    return response.status_code, body["error"], description


def api_get(
    provider: ProviderEmulator, path: str, token: str | None
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(provider.base_url + path, headers=headers, timeout=5)


def access_token(provider: ProviderEmulator, **params: str) -> str:
    response = exchange(provider, issue_code(provider, **params))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")

    def decode(part: str) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(
            base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        )
        return value

    return decode(header), decode(payload)


# -- the app under test: Authlib, registered with client_kwargs() ------------


def make_app(provider: ProviderEmulator, **overrides: Any) -> Flask:
    """An Authlib login with the emulator registered as ``idp``; the callback
    answers JSON with what it learned, or the failure it met."""
    app = Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY="test")
    oauth = OAuth(app)
    provider.register(oauth, "idp", **overrides)
    resource = USER_RESOURCE[provider.profile]

    @app.route("/login")
    def login() -> Any:
        return oauth.idp.authorize_redirect(url_for("callback", _external=True))

    @app.route("/callback")
    def callback() -> Any:
        try:
            token = oauth.idp.authorize_access_token()
        except OAuthError as exc:
            return {"error": exc.error, "description": exc.description}
        except requests.Timeout:
            return {"error": "timeout"}
        except requests.HTTPError as exc:
            return {"error": "http", "status": exc.response.status_code}
        user = oauth.idp.get(resource, token=token)
        userinfo = token.get("userinfo")
        return {
            "id_token_claims": dict(userinfo) if userinfo is not None else None,
            "user": user.json(),
            "token_type": token["token_type"],
        }

    return app


def sign_in(provider: ProviderEmulator, client: FlaskClient) -> TestResponse:
    response, visited = provider.follow(client, client.get("/login"))
    assert visited[0].startswith(provider.authorize_url + "?")
    return response


# -- addresses, credentials, discovery ----------------------------------------


def test_each_profile_serves_its_providers_paths(provider: ProviderEmulator) -> None:
    authorize_path, token_path, metadata_path = PATHS[provider.profile]
    assert provider.authorize_url == provider.base_url + authorize_path
    assert provider.token_url == provider.base_url + token_path
    assert provider.server_metadata_url == provider.base_url + metadata_path
    assert provider.code_lifetime == CODE_LIFETIMES[provider.profile]
    assert (
        repr(provider) == f"<ProviderEmulator {provider.profile} {provider.base_url}>"
    )


@pytest.mark.parametrize(
    "profile, client_id, secret",
    [
        ("github", r"Iv1\.[0-9a-f]{16}", r"[0-9a-f]{40}"),
        (
            "google",
            r"\d{10,15}-[a-z0-9]{32}\.apps\.googleusercontent\.com",
            r"GOCSPX-[A-Za-z0-9_-]{28}",
        ),
        ("microsoft", GUID, r"[A-Za-z0-9]{3}8Q~[A-Za-z0-9._~-]{34}"),
        ("gitlab", r"[0-9a-f]{64}", r"gloas-[0-9a-f]{64}"),
        ("keycloak", r"my-app", r"[A-Za-z0-9]{32}"),
    ],
)
def test_default_credentials_have_the_providers_shapes(
    profile: str, client_id: str, secret: str
) -> None:
    emulator = ProviderEmulator(profile=profile)
    assert re.fullmatch(client_id, emulator.client_id)
    assert re.fullmatch(secret, emulator.client_secret)


def test_client_kwargs_register_oidc_profiles_through_discovery(
    oidc_provider: ProviderEmulator,
) -> None:
    scope = "openid email profile"
    if oidc_provider.profile == "gitlab":
        scope += " read_user"
    assert oidc_provider.client_kwargs() == {
        "client_id": oidc_provider.client_id,
        "client_secret": oidc_provider.client_secret,
        "server_metadata_url": oidc_provider.server_metadata_url,
        "api_base_url": oidc_provider.api_base_url,
        "client_kwargs": {"scope": scope},
    }


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown provider profile 'bitbucket'"):
        ProviderEmulator(profile="bitbucket")


@pytest.mark.parametrize(
    "profile, issuer, jwks, userinfo",
    [
        ("google", "", "/oauth2/v3/certs", "/v1/userinfo"),
        (
            "microsoft",
            f"/{TENANT}/v2.0",
            f"/{TENANT}/discovery/v2.0/keys",
            "/oidc/userinfo",
        ),
        ("gitlab", "", "/oauth/discovery/keys", "/oauth/userinfo"),
        ("keycloak", REALM, f"{KEYCLOAK_OIDC}/certs", f"{KEYCLOAK_OIDC}/userinfo"),
    ],
)
def test_discovery_document_at_the_providers_place(
    profile: str, issuer: str, jwks: str, userinfo: str
) -> None:
    with ProviderEmulator(profile=profile) as emulator:
        response = requests.get(emulator.server_metadata_url, timeout=5)
        base = emulator.base_url
        assert response.status_code == 200
        document = response.json()
        assert document["issuer"] == base + issuer
        assert document["authorization_endpoint"] == emulator.authorize_url
        assert document["token_endpoint"] == emulator.token_url
        assert document["jwks_uri"] == base + jwks
        assert document["userinfo_endpoint"] == base + userinfo
        assert "RS256" in document["id_token_signing_alg_values_supported"]
        keys = requests.get(document["jwks_uri"], timeout=5).json()["keys"]
    [key] = keys
    assert (key["kty"], key["alg"], key["use"], key["e"]) == (
        "RSA",
        "RS256",
        "sig",
        "AQAB",
    )
    assert len(base64.urlsafe_b64decode(key["n"] + "==")) == 256


def test_entra_common_discovery_keeps_its_placeholder_issuer() -> None:
    with ProviderEmulator(profile="microsoft") as emulator:
        base = emulator.base_url
        for tenant in ("common", "organizations"):
            url = f"{base}/{tenant}/v2.0/.well-known/openid-configuration"
            document = requests.get(url, timeout=5).json()
            assert document["issuer"] == base + "/{tenantid}/v2.0"
            assert document["authorization_endpoint"] == (
                f"{base}/{tenant}/oauth2/v2.0/authorize"
            )


# -- signing in --------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_authlib_app_signs_in_with_a_verified_id_token(profile: str) -> None:
    with ProviderEmulator(profile=profile, callback_url=CALLBACK) as emulator:
        client = make_app(emulator).test_client()
        response = sign_in(emulator, client)
        body = response.json
        assert response.status_code == 200 and body is not None, response.text
        assert "error" not in body, body
        [authorization] = emulator.authorize_requests
        [token_request] = emulator.token_requests

    assert emulator.client_secret not in repr(token_request)
    assert body["token_type"].lower() == "bearer"
    claims = body["id_token_claims"]
    if profile == "github":
        assert claims is None
        assert body["user"]["login"] == "octocat"
        return
    # Authlib checked the signature against the JWKS, iss, aud, exp, iat
    # and the nonce it sent; the claims are what it accepted.
    assert claims["nonce"] == authorization["nonce"]
    assert claims["aud"] == emulator.client_id
    assert claims["sub"]
    assert claims["name"] == "The Octocat"
    assert claims["exp"] > claims["iat"]


@pytest.mark.parametrize(
    "profile, path, keys",
    [
        (
            "google",
            "/v1/userinfo",
            {
                "sub",
                "email",
                "email_verified",
                "name",
                "given_name",
                "family_name",
                "picture",
                "locale",
            },
        ),
        (
            "microsoft",
            "/v1.0/me",
            {
                "@odata.context",
                "businessPhones",
                "displayName",
                "givenName",
                "jobTitle",
                "mail",
                "mobilePhone",
                "officeLocation",
                "preferredLanguage",
                "surname",
                "userPrincipalName",
                "id",
            },
        ),
        (
            "keycloak",
            f"{KEYCLOAK_OIDC}/userinfo",
            {
                "sub",
                "email_verified",
                "name",
                "preferred_username",
                "given_name",
                "family_name",
                "email",
            },
        ),
    ],
)
def test_user_endpoint_is_shaped_like_the_real_one(
    profile: str, path: str, keys: set[str]
) -> None:
    with ProviderEmulator(profile=profile, callback_url=CALLBACK) as emulator:
        token = access_token(emulator)
        response = api_get(emulator, path, token)
    assert response.status_code == 200
    assert set(response.json()) == keys
    assert "octocat@example.com" in response.json().values()


def test_google_userinfo_values_and_its_v3_twin() -> None:
    with ProviderEmulator(profile="google", callback_url=CALLBACK) as emulator:
        token = access_token(emulator)
        v1 = api_get(emulator, "/v1/userinfo", token).json()
        v3 = api_get(emulator, "/oauth2/v3/userinfo", token).json()
        email_only = api_get(
            emulator, "/v1/userinfo", access_token(emulator, scope="openid email")
        )
    assert v1 == v3
    assert re.fullmatch(r"1\d{20}", v1["sub"])
    assert (v1["email"], v1["email_verified"], v1["name"]) == (
        "octocat@example.com",
        True,
        "The Octocat",
    )
    assert (v1["given_name"], v1["family_name"], v1["locale"]) == (
        "The",
        "Octocat",
        "en",
    )
    assert set(email_only.json()) == {"sub", "email", "email_verified"}


def test_microsoft_graph_me_values() -> None:
    with ProviderEmulator(profile="microsoft", callback_url=CALLBACK) as emulator:
        me = api_get(emulator, "/v1.0/me", access_token(emulator)).json()
    assert re.fullmatch(GUID, me["id"])
    assert (me["displayName"], me["givenName"], me["surname"]) == (
        "The Octocat",
        "The",
        "Octocat",
    )
    assert me["mail"] == me["userPrincipalName"] == "octocat@example.com"


def test_gitlab_api_user_needs_read_user() -> None:
    with ProviderEmulator(profile="gitlab", callback_url=CALLBACK) as emulator:
        base = emulator.base_url
        with_read_user = access_token(emulator, scope="openid read_user")
        user = api_get(emulator, "/api/v4/user", with_read_user)
        refused = api_get(emulator, "/api/v4/user", access_token(emulator))
        anonymous = api_get(emulator, "/api/v4/user", None)
    assert user.status_code == 200
    body = user.json()
    assert (body["id"], body["username"], body["name"]) == (1, "octocat", "The Octocat")
    assert (body["email"], body["state"]) == ("octocat@example.com", "active")
    assert body["web_url"] == base + "/octocat"
    assert body["avatar_url"].startswith(base + "/")
    assert refused.status_code == 403
    assert refused.json()["error"] == "insufficient_scope"
    assert (anonymous.status_code, anonymous.json()) == (
        401,
        {"message": "401 Unauthorized"},
    )


@pytest.mark.parametrize(
    "profile, path, status",
    [
        ("google", "/v1/userinfo", 401),
        ("microsoft", "/v1.0/me", 401),
        ("gitlab", "/oauth/userinfo", 401),
        ("keycloak", f"{KEYCLOAK_OIDC}/userinfo", 401),
    ],
)
def test_user_endpoint_refuses_an_unknown_token(
    profile: str, path: str, status: int
) -> None:
    with ProviderEmulator(profile=profile) as emulator:
        response = api_get(emulator, path, "made-up")
    assert response.status_code == status
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


# What each profile's API answers for a resource it does not have:
# (status, body); Graph's body also has an innerError with the date and IDs.
UNKNOWN_RESOURCE: dict[str, tuple[int, dict[str, Any]]] = {
    "github": (
        404,
        {
            "message": "Not Found",
            "documentation_url": "https://docs.github.com/rest",
            "status": "404",
        },
    ),
    "google": (
        404,
        {"error": {"code": 404, "message": "Method not found.", "status": "NOT_FOUND"}},
    ),
    "microsoft": (
        400,
        {
            "error": {
                "code": "BadRequest",
                "message": "Resource not found for the segment 'no-such-thing'.",
            }
        },
    ),
    "gitlab": (404, {"error": "404 Not Found"}),
    "keycloak": (
        404,
        {
            "error": "Unable to find matching target resource method",
            "error_description": "For more on this error consult the server log.",
        },
    ),
}


@pytest.mark.parametrize("token", [True, False], ids=["with token", "anonymous"])
def test_unknown_api_resource_answers_the_providers_json_error(
    provider: ProviderEmulator, token: bool
) -> None:
    bearer = access_token(provider) if token else None
    path = provider.api_base_url[len(provider.base_url) :] + "no-such-thing"
    response = api_get(provider, path, bearer)
    status, body = UNKNOWN_RESOURCE[provider.profile]
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    answer = response.json()
    if provider.profile == "microsoft":
        inner = answer["error"].pop("innerError")
        assert set(inner) == {"date", "request-id", "client-request-id"}
    assert answer == body


def test_unknown_resource_through_the_apps_authlib_client(
    provider: ProviderEmulator,
) -> None:
    # What an app calling one more endpoint after login reads: JSON it can
    # decode, never an HTML page.
    app = make_app(provider)

    @app.route("/more")
    def more() -> Any:
        oauth = app.extensions["authlib.integrations.flask_client"]
        token = {"access_token": access_token(provider), "token_type": "Bearer"}
        answer = oauth.idp.get("no-such-thing", token=token)
        return {"status": answer.status_code, "body": answer.json()}

    body = app.test_client().get("/more").json
    assert body is not None
    assert body["status"] == UNKNOWN_RESOURCE[provider.profile][0]
    assert isinstance(body["body"], dict)


def test_graph_path_without_a_version() -> None:
    with ProviderEmulator(profile="microsoft") as emulator:
        response = api_get(emulator, "/me", None)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("BadRequest", "Invalid version.")


def test_user_fields_reach_the_id_token(oidc_provider: ProviderEmulator) -> None:
    field = "mail" if oidc_provider.profile == "microsoft" else "email"
    oidc_provider.user[field] = "mona@example.test"
    client = make_app(oidc_provider).test_client()
    body = sign_in(oidc_provider, client).json
    assert body is not None
    assert body["id_token_claims"]["email"] == "mona@example.test"
    assert body["user"][field] == "mona@example.test"


@pytest.mark.parametrize(
    "profile, token_keys",
    [
        ("google", ["access_token", "expires_in", "scope", "token_type", "id_token"]),
        (
            "microsoft",
            [
                "token_type",
                "scope",
                "expires_in",
                "ext_expires_in",
                "access_token",
                "id_token",
            ],
        ),
        (
            "gitlab",
            [
                "access_token",
                "token_type",
                "expires_in",
                "refresh_token",
                "scope",
                "created_at",
                "id_token",
            ],
        ),
        (
            "keycloak",
            [
                "access_token",
                "expires_in",
                "refresh_expires_in",
                "refresh_token",
                "token_type",
                "id_token",
                "not-before-policy",
                "session_state",
                "scope",
            ],
        ),
    ],
)
def test_token_response_is_shaped_like_the_real_one(
    profile: str, token_keys: list[str]
) -> None:
    with ProviderEmulator(profile=profile, callback_url=CALLBACK) as emulator:
        response = exchange(emulator, issue_code(emulator, nonce="n-0S6_WzA2Mj"))
        jwks = requests.get(
            requests.get(emulator.server_metadata_url, timeout=5).json()["jwks_uri"],
            timeout=5,
        ).json()
    assert response.status_code == 200
    body = response.json()
    assert list(body) == token_keys
    assert body["token_type"] == "Bearer"
    header, claims = jwt_parts(body["id_token"])
    assert (header["alg"], header["kid"]) == ("RS256", jwks["keys"][0]["kid"])
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["aud"] == emulator.client_id


def test_entra_grants_graph_user_read_and_google_spells_out_scopes() -> None:
    with ProviderEmulator(profile="microsoft", callback_url=CALLBACK) as entra:
        scope = exchange(entra, issue_code(entra)).json()["scope"]
    assert scope == "openid email profile https://graph.microsoft.com/User.Read"
    with ProviderEmulator(profile="google", callback_url=CALLBACK) as google:
        query = location_query(authorize(google))
        scope = exchange(google, query["code"]).json()["scope"]
    assert query["code"].startswith("4/0A")
    assert (query["authuser"], query["prompt"]) == ("0", "consent")
    assert scope == (
        "openid https://www.googleapis.com/auth/userinfo.email "
        "https://www.googleapis.com/auth/userinfo.profile"
    )


def test_no_id_token_without_openid(oidc_provider: ProviderEmulator) -> None:
    # Google grants openid with email or profile: a scope of another API.
    scope = {
        "gitlab": "read_user",
        "google": "https://www.googleapis.com/auth/drive.readonly",
    }.get(oidc_provider.profile, "email")
    body = exchange(oidc_provider, issue_code(oidc_provider, scope=scope)).json()
    assert "id_token" not in body


# -- token errors, per profile ---------------------------------------------


def test_used_code(provider: ProviderEmulator) -> None:
    code = issue_code(provider)
    assert exchange(provider, code).status_code == 200
    assert token_error(exchange(provider, code)) == USED_CODE[provider.profile]


def test_reject_next_codes_answers_the_used_code_error(
    provider: ProviderEmulator,
) -> None:
    provider.reject_next_codes()
    assert (
        token_error(exchange(provider, issue_code(provider)))
        == USED_CODE[provider.profile]
    )
    assert exchange(provider, issue_code(provider)).status_code == 200


def test_expired_code(provider: ProviderEmulator) -> None:
    fresh, stale = issue_code(provider), issue_code(provider)
    provider.advance_clock(provider.code_lifetime - 1)
    assert exchange(provider, fresh).status_code == 200
    provider.advance_clock(2)
    assert token_error(exchange(provider, stale)) == EXPIRED_CODE[provider.profile]


def test_wrong_secret(provider: ProviderEmulator) -> None:
    code = issue_code(provider)
    response = exchange(provider, code, client_secret="not-the-secret")
    assert token_error(response) == wrong_secret_error(
        provider.profile, provider.client_id
    )
    # The credentials are checked first: the code survives.
    assert exchange(provider, code).status_code == 200


def test_secret_sent_with_basic_auth(provider: ProviderEmulator) -> None:
    response = requests.post(
        provider.token_url,
        data={
            "grant_type": "authorization_code",
            "code": issue_code(provider),
            "redirect_uri": CALLBACK,
        },
        auth=(provider.client_id, provider.client_secret),
        headers={"Accept": "application/json"},
        timeout=5,
    )
    assert response.status_code == 200
    assert "access_token" in response.json()


def test_entra_secret_id_pasted_as_the_secret() -> None:
    with ProviderEmulator(profile="microsoft", callback_url=CALLBACK) as entra:
        response = exchange(
            entra,
            issue_code(entra),
            client_secret="3c5a8f1e-2b4d-4e6f-8a9b-0c1d2e3f4a5b",
        )
    assert token_error(response) == wrong_secret_error("microsoft", entra.client_id)
    assert response.json()["error_codes"] == [7000215]
    assert "not the client secret ID" in response.json()["error_description"]


@pytest.mark.parametrize("via", ["attribute", "control endpoint"])
def test_expired_secret(provider: ProviderEmulator, via: str) -> None:
    if via == "attribute":
        provider.client_secret_expired = True
    else:
        fault = requests.post(
            f"{provider.base_url}/_emulator/faults",
            json={"fault": "expire_secret"},
            timeout=5,
        )
        assert fault.status_code == 204
    response = exchange(provider, issue_code(provider))
    if provider.profile == "microsoft":
        assert token_error(response) == (
            401,
            "invalid_client",
            f"AADSTS7000222: The provided client secret keys for app "
            f"'{provider.client_id}' are expired. Visit the Azure portal to create "
            "new keys for your app: https://aka.ms/NewClientSecret, or consider "
            "using certificate credentials for added security: "
            "https://aka.ms/certCreds.",
        )
        assert response.json()["error_codes"] == [7000222]
    else:
        assert token_error(response) == wrong_secret_error(
            provider.profile, provider.client_id
        )
    provider.reset()
    assert exchange(provider, issue_code(provider)).status_code == 200


@pytest.mark.parametrize(
    "profile, expected",
    [
        (
            "github",
            (
                200,
                "incorrect_client_credentials",
                "The client_id and/or client_secret passed are incorrect.",
            ),
        ),
        ("google", (400, "invalid_request", "client_secret is missing.")),
        (
            "microsoft",
            (
                401,
                "invalid_client",
                "AADSTS7000218: The request body must contain the following "
                "parameter: 'client_assertion' or 'client_secret'.",
            ),
        ),
        ("gitlab", (401, "invalid_client", GITLAB_INVALID_CLIENT)),
        ("keycloak", (401, "unauthorized_client", KEYCLOAK_BAD_CLIENT)),
    ],
)
def test_missing_secret(profile: str, expected: TokenError) -> None:
    with ProviderEmulator(profile=profile, callback_url=CALLBACK) as emulator:
        response = exchange(emulator, issue_code(emulator), client_secret="")
    assert token_error(response) == expected


def test_redirect_uri_differs_between_the_steps(provider: ProviderEmulator) -> None:
    code = issue_code(provider)
    response = exchange(provider, code, redirect_uri=ELSEWHERE)
    assert token_error(response) == TOKEN_REDIRECT_MISMATCH[provider.profile]
    if provider.profile == "microsoft":
        assert response.json()["error_codes"] == [500112]


def test_entra_older_redirect_uri_mismatch_wording() -> None:
    dialect = MicrosoftDialect(legacy_redirect_mismatch=True)
    with ProviderEmulator(profile=dialect, callback_url=CALLBACK) as entra:
        response = exchange(entra, issue_code(entra), redirect_uri=ELSEWHERE)
    body = response.json()
    assert (response.status_code, body["error"], body["error_codes"]) == (
        400,
        "invalid_client",
        [70002, 50011],
    )
    assert body["error_description"].startswith(
        "AADSTS70002: Error validating credentials. AADSTS50011: The reply address "
        f"'{ELSEWHERE}' does not match the reply address '{CALLBACK}'"
    )


@pytest.mark.parametrize("method", ["S256", "plain"])
def test_pkce_verifier_mismatch(provider: ProviderEmulator, method: str) -> None:
    verifier = "v" * 64
    challenge = s256(verifier) if method == "S256" else verifier
    issued = {"code_challenge": challenge, "code_challenge_method": method}
    good = exchange(provider, issue_code(provider, **issued), code_verifier=verifier)
    wrong = exchange(provider, issue_code(provider, **issued), code_verifier="w" * 64)
    missing = exchange(provider, issue_code(provider, **issued))
    if provider.profile == "github" and method == "plain":
        # GitHub supports S256 only.
        assert token_error(good) == USED_CODE["github"]
    else:
        assert good.status_code == 200, good.text
    assert token_error(wrong) == PKCE_MISMATCH[provider.profile]
    assert token_error(missing) == PKCE_MISSING[provider.profile]


def test_code_issued_to_another_client(provider: ProviderEmulator) -> None:
    code = issue_code(provider)
    provider.client_id = "another-client"
    status, error, _ = token_error(exchange(provider, code))
    assert error in {"bad_verification_code", "invalid_grant"}
    assert status == (200 if provider.profile == "github" else 400)


def test_unknown_code(provider: ProviderEmulator) -> None:
    status, error, description = token_error(exchange(provider, "never-issued"))
    assert error in {"bad_verification_code", "invalid_grant"}
    if provider.profile == "microsoft":
        assert description == (
            "AADSTS70000: The provided value for the 'code' parameter is not valid."
        )


# -- the wire details: content types, headers, Entra's body ------------------


@pytest.mark.parametrize(
    "profile, content_type",
    [
        ("google", "application/json; charset=utf-8"),
        ("microsoft", "application/json; charset=utf-8"),
        ("gitlab", "application/json; charset=utf-8"),
        ("keycloak", "application/json"),
    ],
)
def test_token_errors_are_json(profile: str, content_type: str) -> None:
    with ProviderEmulator(profile=profile, callback_url=CALLBACK) as emulator:
        response = exchange(emulator, "never-issued", headers={"Accept": "*/*"})
    assert response.headers["Content-Type"] == content_type
    assert response.json()["error"] == "invalid_grant"


def test_github_token_errors_stay_form_encoded_by_default() -> None:
    with ProviderEmulator(callback_url=CALLBACK) as github:
        response = exchange(github, "never-issued", headers={"Accept": "*/*"})
    assert response.status_code == 200
    assert dict(parse_qsl(response.text)) == {
        "error": "bad_verification_code",
        "error_description": "The code passed is incorrect or expired.",
        "error_uri": GITHUB_TOKEN_DOCS + "#bad-verification-code",
    }


@pytest.mark.parametrize(
    "secret, status, error, description",
    [
        (None, 400, "invalid_grant", GITLAB_INVALID_GRANT),
        ("wrong", 401, "invalid_client", GITLAB_INVALID_CLIENT),
    ],
)
def test_gitlab_doorkeeper_headers(
    secret: str | None, status: int, error: str, description: str
) -> None:
    with ProviderEmulator(profile="gitlab", callback_url=CALLBACK) as gitlab:
        code = issue_code(gitlab)
        exchange(gitlab, code)
        response = exchange(gitlab, code, client_secret=secret or gitlab.client_secret)
    assert response.status_code == status
    assert response.json() == {"error": error, "error_description": description}
    assert response.headers["Cache-Control"] == "no-store, no-cache"
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer realm="Doorkeeper", error="{error}", error_description="{description}"'
    )


def test_entra_error_body() -> None:
    with ProviderEmulator(profile="microsoft", callback_url=CALLBACK) as entra:
        code = issue_code(entra)
        exchange(entra, code)
        used = exchange(
            entra,
            code,
            headers={"client-request-id": "c0ffee00-0000-4000-8000-000000000001"},
        )
        wrong_secret = exchange(entra, issue_code(entra), client_secret="x")
    body = used.json()
    assert used.headers["Content-Type"] == "application/json; charset=utf-8"
    assert set(body) == {
        "error",
        "error_description",
        "error_codes",
        "timestamp",
        "trace_id",
        "correlation_id",
    }
    assert body["error_codes"] == [54005]
    assert body["correlation_id"] == "c0ffee00-0000-4000-8000-000000000001"
    assert re.fullmatch(GUID, body["trace_id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", body["timestamp"])
    assert body["error_description"] == (
        f"{ENTRA_USED_CODE}\r\nTrace ID: {body['trace_id']}\r\n"
        f"Correlation ID: {body['correlation_id']}\r\nTimestamp: {body['timestamp']}"
    )
    assert wrong_secret.json()["error_uri"] == (
        "https://login.microsoftonline.com/error?code=7000215"
    )


def test_entra_tenant_in_the_path_matters() -> None:
    other = "11111111-2222-4333-8444-555555555555"
    with ProviderEmulator(profile="microsoft", callback_url=CALLBACK) as entra:
        base = entra.base_url
        code = issue_code(entra)
        response = exchange(entra, code, url=f"{base}/{other}/oauth2/v2.0/token")
        page = authorize(entra, url=f"{base}/{other}/oauth2/v2.0/authorize")
        # The code survived: the app was not found before any code check.
        assert exchange(entra, code).status_code == 200
        for tenant in ("common", "organizations"):
            tenant_code = issue_code(
                entra, url=f"{base}/{tenant}/oauth2/v2.0/authorize"
            )
            accepted = exchange(
                entra, tenant_code, url=f"{base}/{tenant}/oauth2/v2.0/token"
            )
            assert accepted.status_code == 200, accepted.text
    not_found = (
        f"AADSTS700016: Application with identifier '{entra.client_id}' was not "
        f"found in the directory '{other}'. This can happen if the application has "
        "not been installed by the administrator of the tenant or consented to by "
        "any user in the tenant. You may have sent your authentication request to "
        "the wrong tenant."
    )
    assert token_error(response) == (400, "unauthorized_client", not_found)
    assert response.json()["error_codes"] == [700016]
    assert page.status_code == 200 and "Location" not in page.headers
    assert not_found.replace("'", "&#x27;") in page.text


# -- authorize: unregistered redirect_uri, unknown client, cancel ------------

AUTHORIZE_MISMATCH_PAGES = {
    # profile: (status, texts on the page)
    "google": (
        400,
        [
            "Access blocked: This app&#x27;s request is invalid",
            "Error 400: redirect_uri_mismatch",
        ],
    ),
    "microsoft": (
        200,
        [
            "AADSTS50011: The redirect URI &#x27;http://localhost/elsewhere&#x27; "
            "specified in the request does not match the redirect URIs configured "
            "for the application"
        ],
    ),
    "gitlab": (
        200,
        ["An error has occurred", "The redirect URI included is not valid."],
    ),
    "keycloak": (400, ["We are sorry...", "Invalid parameter: redirect_uri"]),
}


def test_unregistered_redirect_uri_at_authorize(provider: ProviderEmulator) -> None:
    response = authorize(provider, redirect_uri=UNREGISTERED)
    if provider.profile == "github":
        # GitHub goes back to the *registered* callback.
        assert response.headers["Location"].startswith(CALLBACK + "?error=")
        assert location_query(response)["error"] == "redirect_uri_mismatch"
        return
    status, texts = AUTHORIZE_MISMATCH_PAGES[provider.profile]
    assert response.status_code == status
    assert "Location" not in response.headers
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    for text in texts:
        assert text in response.text


def test_follow_stops_on_the_providers_own_page(
    oidc_provider: ProviderEmulator,
) -> None:
    oidc_provider.callback_url = "https://app.example.test/callback"
    client = make_app(oidc_provider).test_client()
    status, _ = AUTHORIZE_MISMATCH_PAGES[oidc_provider.profile]
    with pytest.raises(AssertionError, match=f"answered {status} to "):
        oidc_provider.follow(client, client.get("/login"))
    assert oidc_provider.token_requests == []


@pytest.mark.parametrize(
    "profile, matches, mismatches",
    [
        (
            "google",
            ["http://localhost/callback"],
            [
                "http://localhost/callback/",
                "http://LOCALHOST/callback",
                "http://localhost:5000/callback",
            ],
        ),
        (
            "microsoft",
            ["http://localhost/callback", "http://localhost:8123/callback"],
            ["http://localhost/Callback", "http://127.0.0.1/callback"],
        ),
        (
            "gitlab",
            ["http://localhost/callback", "http://localhost/callback?next=/x"],
            ["http://localhost:8123/callback", "http://localhost/callback/"],
        ),
        (
            "keycloak",
            ["http://localhost/callback"],
            ["http://localhost/callback/", "http://localhost/callbackx"],
        ),
    ],
)
def test_redirect_uri_matching_rules(
    profile: str, matches: list[str], mismatches: list[str]
) -> None:
    with ProviderEmulator(profile=profile, callback_url=CALLBACK) as emulator:
        for uri in matches:
            assert "code" in location_query(authorize(emulator, redirect_uri=uri)), uri
        for uri in mismatches:
            assert "Location" not in authorize(emulator, redirect_uri=uri).headers, uri


def test_gitlab_loopback_ip_ports_and_several_uris() -> None:
    registered = "http://127.0.0.1/callback\nhttps://app.example.test/cb"
    with ProviderEmulator(profile="gitlab", callback_url=registered) as gitlab:
        assert "code" in location_query(
            authorize(gitlab, redirect_uri="http://127.0.0.1:49152/callback")
        )
        assert "code" in location_query(
            authorize(gitlab, redirect_uri="https://app.example.test/cb")
        )


def test_keycloak_wildcard_redirect_uri() -> None:
    with ProviderEmulator(
        profile="keycloak", callback_url="http://localhost/*"
    ) as keycloak:
        assert "code" in location_query(authorize(keycloak, redirect_uri=ELSEWHERE))


@pytest.mark.parametrize(
    "profile, status, text",
    [
        ("github", 404, "Not Found"),
        ("google", 401, "Error 401: invalid_client"),
        (
            "microsoft",
            200,
            "AADSTS700016: Application with identifier &#x27;nobody&#x27;",
        ),
        ("gitlab", 200, GITLAB_INVALID_CLIENT),
        ("keycloak", 400, "Client not found."),
    ],
)
def test_unknown_client_at_authorize(profile: str, status: int, text: str) -> None:
    with ProviderEmulator(profile=profile, callback_url=CALLBACK) as emulator:
        response = authorize(emulator, client_id="nobody")
    assert response.status_code == status
    assert "Location" not in response.headers
    assert text in response.text


@pytest.mark.parametrize(
    "profile, missing_status",
    [("google", 400), ("gitlab", 200), ("keycloak", 400)],
)
def test_missing_redirect_uri_where_it_is_required(
    profile: str, missing_status: int
) -> None:
    with ProviderEmulator(profile=profile, callback_url=CALLBACK) as emulator:
        response = authorize(emulator, redirect_uri="")
    assert response.status_code == missing_status
    assert "Location" not in response.headers


def test_entra_without_redirect_uri_uses_the_registered_one() -> None:
    with ProviderEmulator(profile="microsoft", callback_url=CALLBACK) as entra:
        response = authorize(entra, redirect_uri="")
    assert response.headers["Location"].startswith(CALLBACK + "?code=")


CANCELS = {
    "github": {
        "error": "access_denied",
        "error_description": "The user has denied your application access.",
        "error_uri": GITHUB_DOCS
        + "troubleshooting-authorization-request-errors/#access-denied",
        "state": "xyz",
    },
    "google": {"error": "access_denied", "state": "xyz"},
    "microsoft": {
        "error": "access_denied",
        "error_description": "AADSTS65004: User declined to consent to access the app.",
        "state": "xyz",
    },
    "gitlab": {
        "error": "access_denied",
        "error_description": (
            "The resource owner or authorization server denied the request."
        ),
        "state": "xyz",
    },
    "keycloak": {"error": "access_denied", "state": "xyz"},
}


def test_cancel(provider: ProviderEmulator) -> None:
    provider.deny_next_authorizations()
    response = authorize(provider)
    assert response.headers["Location"].startswith(CALLBACK + "?error=access_denied")
    assert location_query(response) == CANCELS[provider.profile]
    assert "code" in location_query(authorize(provider))


def test_cancel_reaches_the_app(provider: ProviderEmulator) -> None:
    provider.deny_next_authorizations()
    client = make_app(provider).test_client()
    body = sign_in(provider, client).json
    assert body is not None
    assert body["error"] == "access_denied"
    # Authlib reads a missing description as "".
    assert body["description"] == CANCELS[provider.profile].get("error_description", "")
    assert provider.token_requests == []


def test_deny_with_a_description_of_ones_own(provider: ProviderEmulator) -> None:
    provider.deny_next_authorizations(
        "server_error", description="Boom", uri="https://status.test/"
    )
    query = location_query(authorize(provider))
    assert (query["error"], query["error_description"], query["error_uri"]) == (
        "server_error",
        "Boom",
        "https://status.test/",
    )


# -- faults through an Authlib app -------------------------------------------


def test_rejected_code_reaches_the_app(provider: ProviderEmulator) -> None:
    provider.reject_next_codes()
    client = make_app(provider).test_client()
    body = sign_in(provider, client).json
    assert body is not None
    _, error, description = USED_CODE[provider.profile]
    assert body["error"] == error
    assert body["description"].split("\r\n")[0] == description


def test_gateway_failure_then_a_good_sign_in(provider: ProviderEmulator) -> None:
    provider.fail_next_token_requests(
        502, "<h1>Bad gateway</h1>", headers={"Retry-After": "3"}
    )
    client = make_app(provider).test_client()
    assert sign_in(provider, client).json == {"error": "http", "status": 502}
    body = sign_in(provider, client).json
    assert body is not None and "user" in body, body
    assert len(provider.token_requests) == 2


def test_hung_token_request_times_out_in_the_app(provider: ProviderEmulator) -> None:
    provider.hang_next_token_requests(60)
    scope = provider.client_kwargs()["client_kwargs"]["scope"]
    app = make_app(provider, client_kwargs={"scope": scope, "default_timeout": 0.3})
    client = app.test_client()
    assert sign_in(provider, client).json == {"error": "timeout"}
    body = sign_in(provider, client).json
    assert body is not None and "user" in body, body


def test_control_endpoint_works_on_every_profile(provider: ProviderEmulator) -> None:
    faults = f"{provider.base_url}/_emulator/faults"
    assert (
        requests.post(faults, json={"fault": "reject_codes"}, timeout=5).status_code
        == 204
    )
    assert (
        token_error(exchange(provider, issue_code(provider)))
        == USED_CODE[provider.profile]
    )
    assert requests.post(faults, json={"fault": "deny"}, timeout=5).status_code == 204
    assert location_query(authorize(provider)) == CANCELS[provider.profile]
    clock = {"fault": "advance_clock", "seconds": provider.code_lifetime + 1}
    code = issue_code(provider)
    assert requests.post(faults, json=clock, timeout=5).status_code == 204
    assert token_error(exchange(provider, code)) == EXPIRED_CODE[provider.profile]
    fail = {"fault": "fail_token", "status": 503, "body": "down"}
    assert requests.post(faults, json=fail, timeout=5).status_code == 204
    assert exchange(provider, issue_code(provider)).status_code == 503
    assert requests.post(faults, json={"fault": "reset"}, timeout=5).status_code == 204
    assert exchange(provider, issue_code(provider)).status_code == 200


# -- stand_in_for: apps registered with the real providers --------------------

STAND_INS = {
    # profile: (registration, absolute API URL the app reads the user from)
    "google": (
        {
            "server_metadata_url": "https://accounts.google.com/.well-known/openid-configuration",
            "api_base_url": "https://openidconnect.googleapis.com/v1/",
            "client_kwargs": {"scope": "openid email profile"},
        },
        "https://openidconnect.googleapis.com/v1/userinfo",
    ),
    "microsoft": (
        {
            "server_metadata_url": (
                "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
            ),
            "api_base_url": "https://graph.microsoft.com/v1.0/",
            "client_kwargs": {"scope": "openid email profile User.Read"},
        },
        "https://graph.microsoft.com/v1.0/me",
    ),
    "gitlab": (
        {
            "server_metadata_url": "https://gitlab.com/.well-known/openid-configuration",
            "api_base_url": "https://gitlab.com/api/v4/",
            "client_kwargs": {"scope": "openid email read_user"},
        },
        "https://gitlab.com/api/v4/user",
    ),
}


@pytest.mark.parametrize("profile", list(STAND_INS))
def test_stand_in_for_an_app_registered_with_the_real_provider(profile: str) -> None:
    registration, user_url = STAND_INS[profile]
    app = Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY="test")
    oauth = OAuth(app)
    oauth.register(
        profile, client_id="real-id", client_secret="real-secret", **registration
    )

    @app.route("/login")
    def login() -> Any:
        client = oauth.create_client(profile)
        return client.authorize_redirect(url_for("callback", _external=True))

    @app.route("/callback")
    def callback() -> Any:
        client = oauth.create_client(profile)
        token = client.authorize_access_token()
        relative = client.get(USER_RESOURCE[profile], token=token).json()
        return {
            "email": token["userinfo"]["email"],
            "absolute": client.get(user_url, token=token).json(),
            "relative": relative,
        }

    with ProviderEmulator(profile=profile, callback_url=CALLBACK) as emulator:
        with emulator.stand_in_for(app):
            response = sign_in(emulator, app.test_client())
        assert oauth.create_client(profile).client_id == "real-id"
    body = response.json
    assert body is not None, response.text
    assert body["email"] == "octocat@example.com"
    assert body["absolute"] == body["relative"]
    assert "octocat@example.com" in body["absolute"].values()


def test_stand_in_maps_a_real_api_root_to_the_same_path() -> None:
    app = Flask(__name__)
    oauth = OAuth(app)
    oauth.register(
        "google",
        client_id="real-id",
        client_secret="real-secret",
        authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
        access_token_url="https://oauth2.googleapis.com/token",
        api_base_url="https://www.googleapis.com/oauth2/v3/",
    )
    with ProviderEmulator(profile="google") as emulator, emulator.stand_in_for(app):
        google = oauth.create_client("google")
        assert google.api_base_url == emulator.base_url + "/oauth2/v3/"
        assert google.authorize_url == emulator.authorize_url
        assert google.access_token_url == emulator.token_url
    assert google.api_base_url == "https://www.googleapis.com/oauth2/v3/"
