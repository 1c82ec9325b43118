"""Each profile answers what its provider answers, at the paths apps call:
field and claim names per endpoint and version, what each scope releases,
and a test's way to change or leave out any of them
(``ProviderEmulator(user=...)``), over real loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from flask_oauth_recover.testing import ProviderEmulator
from flask_oauth_recover.testing.microsoft import DEFAULT_TENANT_ID
from flask_oauth_recover.testing.oidc import at_hash

from .test_emulator_profiles import CALLBACK
from .test_emulator_profiles import api_get
from .test_emulator_profiles import exchange
from .test_emulator_profiles import issue_code
from .test_emulator_profiles import jwt_parts

GOOGLE_OIDC_USERINFO = ["/v1/userinfo", "/oauth2/v3/userinfo"]
GOOGLE_OAUTH2_API = ["/oauth2/v1/userinfo", "/oauth2/v2/userinfo", "/userinfo/v2/me"]


def sign_in(
    provider: ProviderEmulator, scope: str = "openid email profile"
) -> dict[str, Any]:
    """The token endpoint's answer for a fresh code, with the ID token's
    claims (when one came) under ``claims``."""
    response = exchange(provider, issue_code(provider, scope=scope, nonce="n-0S6"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    if "id_token" in body:
        body["claims"] = jwt_parts(body["id_token"])[1]
    return body


def read(provider: ProviderEmulator, path: str, token: str) -> dict[str, Any]:
    response = api_get(provider, path, token)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def google() -> Iterator[ProviderEmulator]:
    with ProviderEmulator(profile="google", callback_url=CALLBACK) as emulator:
        yield emulator


# -- Google ------------------------------------------------------------------


def test_google_id_token_carries_the_documented_claims(
    google: ProviderEmulator,
) -> None:
    body = sign_in(google)
    claims = body["claims"]

    assert list(claims) == [
        "iss",
        "azp",
        "aud",
        "sub",
        "email",
        "email_verified",
        "at_hash",
        "nonce",
        "name",
        "picture",
        "given_name",
        "family_name",
        "locale",
        "iat",
        "exp",
    ]
    assert claims["azp"] == claims["aud"] == google.client_id
    assert claims["at_hash"] == at_hash(body["access_token"])
    assert (claims["email"], claims["email_verified"], claims["locale"]) == (
        "octocat@example.com",
        True,
        "en",
    )
    assert claims["exp"] - claims["iat"] == 3600


@pytest.mark.parametrize("path", GOOGLE_OIDC_USERINFO)
def test_google_userinfo_speaks_openid_connect(
    google: ProviderEmulator, path: str
) -> None:
    body = sign_in(google)
    info = read(google, path, body["access_token"])

    assert list(info) == [
        "sub",
        "name",
        "given_name",
        "family_name",
        "picture",
        "email",
        "email_verified",
        "locale",
    ]
    assert info["sub"] == body["claims"]["sub"]
    assert info["email_verified"] is True


@pytest.mark.parametrize("path", GOOGLE_OAUTH2_API)
def test_google_oauth2_api_userinfo_keeps_its_own_names(
    google: ProviderEmulator, path: str
) -> None:
    body = sign_in(google)
    info = read(google, path, body["access_token"])

    assert list(info) == [
        "id",
        "email",
        "verified_email",
        "name",
        "given_name",
        "family_name",
        "picture",
        "locale",
    ]
    assert info["id"] == body["claims"]["sub"]
    assert info["verified_email"] is True
    assert (
        info["picture"] == read(google, "/v1/userinfo", body["access_token"])["picture"]
    )


def test_google_leaves_out_what_a_test_sets_to_none(google: ProviderEmulator) -> None:
    google.user = {"locale": None, "family_name": None}
    body = sign_in(google)
    token = body["access_token"]

    for answer in (
        body["claims"],
        read(google, "/oauth2/v3/userinfo", token),
        read(google, "/oauth2/v2/userinfo", token),
    ):
        assert "locale" not in answer
        assert "family_name" not in answer
        assert answer["given_name"] == "The"


def test_google_fields_by_either_name(google: ProviderEmulator) -> None:
    google.user = {"id": "4242", "verified_email": False, "hd": "example.com"}
    body = sign_in(google)
    token = body["access_token"]
    v2 = read(google, "/oauth2/v2/userinfo", token)
    v3 = read(google, "/oauth2/v3/userinfo", token)

    assert (v2["id"], v2["verified_email"], v2["hd"]) == ("4242", False, "example.com")
    assert (v3["sub"], v3["email_verified"], v3["hd"]) == ("4242", False, "example.com")
    claims = body["claims"]
    assert (claims["sub"], claims["email_verified"], claims["hd"]) == (
        "4242",
        False,
        "example.com",
    )
    # Where Google's page puts hd: right after sub.
    assert list(claims)[3:5] == ["sub", "hd"]


def test_google_grants_openid_with_email_or_profile(google: ProviderEmulator) -> None:
    body = sign_in(google, scope="email")
    info = read(google, "/oauth2/v2/userinfo", body["access_token"])

    assert body["scope"] == "https://www.googleapis.com/auth/userinfo.email openid"
    assert set(body["claims"]) >= {"sub", "email", "email_verified"}
    assert not {"name", "picture", "locale"} & set(body["claims"])
    assert list(info) == ["id", "email", "verified_email"]


@pytest.mark.parametrize(
    "token, message, reason",
    [
        (None, "Request is missing required authentication credential.", "required"),
        ("made-up", "Request had invalid authentication credentials.", "authError"),
    ],
)
def test_google_oauth2_api_refuses_in_googles_api_shape(
    google: ProviderEmulator, token: str | None, message: str, reason: str
) -> None:
    response = api_get(google, "/oauth2/v2/userinfo", token)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (401, "UNAUTHENTICATED")
    assert error["message"].startswith(message)
    assert error["errors"][0]["reason"] == reason


# -- GitHub --------------------------------------------------------------------


GITHUB_PUBLIC_USER = [
    "login",
    "id",
    "user_view_type",
    "node_id",
    "avatar_url",
    "gravatar_id",
    "url",
    "html_url",
    "followers_url",
    "following_url",
    "gists_url",
    "starred_url",
    "subscriptions_url",
    "organizations_url",
    "repos_url",
    "events_url",
    "received_events_url",
    "type",
    "site_admin",
    "name",
    "company",
    "blog",
    "location",
    "email",
    "hireable",
    "bio",
    "twitter_username",
    "public_repos",
    "public_gists",
    "followers",
    "following",
    "created_at",
    "updated_at",
]


def test_github_user_has_every_public_field_in_order() -> None:
    with ProviderEmulator(callback_url=CALLBACK, user={"email": None}) as github:
        token = sign_in(github, scope="read:user")["access_token"]
        user = read(github, "/user", token)

    assert list(user) == GITHUB_PUBLIC_USER
    assert user["user_view_type"] == "public"
    # GitHub sends null for what the user keeps private: None stays.
    assert user["email"] is None


def test_github_user_scope_adds_the_private_fields() -> None:
    with ProviderEmulator(callback_url=CALLBACK) as github:
        token = sign_in(github, scope="user")["access_token"]
        user = read(github, "/user", token)

    assert user["user_view_type"] == "private"
    assert user["notification_email"] == "octocat@example.com"
    assert list(user)[-7:] == [
        "private_gists",
        "total_private_repos",
        "owned_private_repos",
        "disk_usage",
        "collaborators",
        "two_factor_authentication",
        "plan",
    ]
    assert set(user["plan"]) == {"name", "space", "private_repos", "collaborators"}


# -- Microsoft Entra ID ------------------------------------------------------


@pytest.fixture
def entra() -> Iterator[ProviderEmulator]:
    with ProviderEmulator(profile="microsoft", callback_url=CALLBACK) as emulator:
        yield emulator


def test_entra_id_token_claims_follow_the_scopes(entra: ProviderEmulator) -> None:
    full = sign_in(entra, scope="openid profile email")["claims"]
    bare = sign_in(entra, scope="openid")["claims"]

    assert list(full) == [
        "aud",
        "iss",
        "iat",
        "nbf",
        "exp",
        "aio",
        "email",
        "name",
        "nonce",
        "oid",
        "preferred_username",
        "rh",
        "sid",
        "sub",
        "tid",
        "uti",
        "ver",
    ]
    assert (full["tid"], full["ver"]) == (DEFAULT_TENANT_ID, "2.0")
    assert full["preferred_username"] == full["email"] == "octocat@example.com"
    # oid, name and preferred_username need profile; email needs email.
    assert not {"oid", "name", "preferred_username", "email"} & set(bare)
    assert bare["sub"] == full["sub"]


def test_entra_claims_replaced_left_out_or_added(entra: ProviderEmulator) -> None:
    entra.user = {"preferred_username": None, "roles": ["Task.Admin"], "mail": None}
    body = sign_in(entra, scope="openid profile email")
    claims = body["claims"]
    info = read(entra, "/oidc/userinfo", body["access_token"])
    me = read(entra, "/v1.0/me", body["access_token"])

    assert "preferred_username" not in claims
    assert claims["roles"] == ["Task.Admin"]
    # No address: no email claim anywhere, and Graph's mail is null.
    assert "email" not in claims and "email" not in info
    assert me["mail"] is None
    assert list(info) == ["sub", "name", "family_name", "given_name", "picture"]


def test_entra_userinfo_follows_the_scopes(entra: ProviderEmulator) -> None:
    token = sign_in(entra, scope="openid email")["access_token"]
    info = read(entra, "/oidc/userinfo", token)
    assert list(info) == ["sub", "email"]


# -- GitLab --------------------------------------------------------------------


def test_gitlab_claims_userinfo_and_rest_user() -> None:
    fields = {"website": None, "email_verified": False, "public_email": None}
    with ProviderEmulator(
        profile="gitlab", callback_url=CALLBACK, user=fields
    ) as gitlab:
        body = sign_in(gitlab, scope="openid email profile read_user")
        info = read(gitlab, "/oauth/userinfo", body["access_token"])
        user = read(gitlab, "/api/v4/user", body["access_token"])
    claims = body["claims"]

    assert list(claims) == [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "sub_legacy",
        "name",
        "nickname",
        "preferred_username",
        "email",
        "email_verified",
        "profile",
        "picture",
        "groups_direct",
        "nonce",
    ]
    assert list(info) == [
        "sub",
        "sub_legacy",
        "name",
        "nickname",
        "preferred_username",
        "email",
        "email_verified",
        "profile",
        "picture",
        "groups",
    ]
    assert claims["email_verified"] is info["email_verified"] is False
    # The REST API sends null for what the user has not set.
    assert user["public_email"] is None
    assert {"identities", "can_create_project", "last_sign_in_at"} <= set(user)


# -- Keycloak ------------------------------------------------------------------


def test_keycloak_claims_and_mapped_roles() -> None:
    roles = {"roles": ["default-roles-myrealm", "admin"]}
    fields = {"realm_access": roles, "given_name": None}
    with ProviderEmulator(
        profile="keycloak", callback_url=CALLBACK, user=fields
    ) as keycloak:
        body = sign_in(keycloak)
        info = read(
            keycloak,
            "/realms/myrealm/protocol/openid-connect/userinfo",
            body["access_token"],
        )
    claims = body["claims"]

    assert list(claims)[:13] == [
        "exp",
        "iat",
        "auth_time",
        "jti",
        "iss",
        "aud",
        "sub",
        "typ",
        "azp",
        "nonce",
        "session_state",
        "at_hash",
        "acr",
    ]
    assert (claims["typ"], claims["acr"]) == ("ID", "1")
    assert claims["realm_access"] == info["realm_access"] == roles
    assert "given_name" not in claims and "given_name" not in info
    assert (info["preferred_username"], info["email_verified"]) == ("octocat", True)
