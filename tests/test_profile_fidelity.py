"""Each profile answers what its provider answers, at the paths apps call:
field and claim names per endpoint and version, what each scope releases,
and a test's way to change or leave out any of them
(``ProviderEmulator(user=...)``), over real loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from flask_oauth_recover.testing import ProviderEmulator
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
