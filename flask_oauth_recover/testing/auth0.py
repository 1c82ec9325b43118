"""Auth0's wire format, as the emulator speaks it.

The ``"auth0"`` profile: a tenant's ``/authorize``, ``/oauth/token``,
``/userinfo``, the JWKS at ``/.well-known/jwks.json`` and discovery at
``/.well-known/openid-configuration``. The issuer ends in a slash, as
Auth0's does.

Auth0's ways, from ``PROVIDERS-2.md``: a wrong secret or an unknown client
is 401 ``{"error": "access_denied", "error_description": "Unauthorized"}``
(not ``invalid_client``); a used or expired code is 403 ``invalid_grant``
"Invalid authorization code"; a redirect URI that differs from the login's
is ``unauthorized_client`` "The redirect URI is wrong. You sent <uri>, and
we expected <uri>" (its status, 403 here, was not captured); a wrong PKCE
verifier is 403 ``invalid_grant`` "Failed to verify code verifier". An
unlisted callback URL gets Auth0's hosted error page, "Callback URL
mismatch.", and never returns. A cancel comes back as ``access_denied``
with the identity provider's words. The code lifetime is not documented;
ten minutes here.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

from .dialect import Account
from .dialect import AuthorizeAttempt
from .dialect import AuthorizeRefusal
from .dialect import Grant
from .dialect import TokenAttempt
from .dialect import TokenFailure
from .dialect import error_page
from .dialect import random_token
from .oidc import OIDCDialect
from .oidc import at_hash

__all__ = ["Auth0Dialect"]

#: A client ID as Auth0 makes them: 32 letters and digits.
DEFAULT_CLIENT_ID = "Xk7Qm2Rp9Ls4Tv6Wn1Yb8Zc3Hd5Jf0Ga"
#: A client secret: 64 letters, digits, ``-`` and ``_``.
DEFAULT_CLIENT_SECRET = (
    "pQ4-rS8_tU2vW6xY0zA3bC7dE1fG5hJ9kL3mN7oP1qR5sT9uV3wX7yZ1aB5cD9eF"
)
#: Seconds a code stays valid here (Auth0 does not say).
CODE_LIFETIME = 600.0

_UNAUTHORIZED = (401, "access_denied", "Unauthorized")
_BAD_CODE = (403, "invalid_grant", "Invalid authorization code")
_PKCE = (403, "invalid_grant", "Failed to verify code verifier")
_TOKEN_ERRORS: dict[TokenFailure, tuple[int, str, str]] = {
    "wrong_tenant": _UNAUTHORIZED,
    "unknown_client": _UNAUTHORIZED,
    "missing_secret": _UNAUTHORIZED,
    "wrong_secret": _UNAUTHORIZED,
    "expired_secret": _UNAUTHORIZED,
    "unknown_code": _BAD_CODE,
    "used_code": _BAD_CODE,
    "expired_code": _BAD_CODE,
    "foreign_code": _BAD_CODE,
    "redirect_uri_missing": (403, "unauthorized_client", "The redirect URI is wrong"),
    "redirect_uri_mismatch": (403, "unauthorized_client", "The redirect URI is wrong"),
    "pkce_missing": _PKCE,
    "pkce_mismatch": _PKCE,
}
_CALLBACK_MISMATCH = (
    "Callback URL mismatch. The provided redirect_uri is not in the list of "
    "allowed callback URLs. Please go to the Application Settings page and make "
    "sure you are sending a valid callback url from your application."
)


class Auth0Dialect(OIDCDialect):
    """The ``"auth0"`` profile: a Regular Web Application in one tenant."""

    name = "auth0"
    code_lifetime = CODE_LIFETIME
    default_client_id = DEFAULT_CLIENT_ID
    default_client_secret = DEFAULT_CLIENT_SECRET
    authorize_path = "/authorize"
    token_path = "/oauth/token"
    jwks_path = "/.well-known/jwks.json"
    userinfo_path = "/userinfo"
    api_base_path = "/"
    token_errors = _TOKEN_ERRORS
    # Only a tenant on auth0.com says which provider this is.
    known_by_host_only = True
    denial_descriptions = {
        "access_denied": "The user has denied your application access.",
    }

    def issuer(self, site: str, route: Mapping[str, str]) -> str:
        """The tenant's URL with its trailing slash."""
        return site.rstrip("/") + "/"

    def refuse_authorization(
        self, refusal: AuthorizeRefusal, attempt: AuthorizeAttempt
    ) -> Response:
        """Auth0's hosted error page."""
        if refusal in ("redirect_uri_missing", "redirect_uri_mismatch"):
            text = [_CALLBACK_MISMATCH]
        else:
            text = [f"invalid_request: Unknown client: {attempt.client_id or ''}"]
        return error_page("Error", "Oops!, something went wrong", text, 400)

    def token_error(self, failure: TokenFailure, attempt: TokenAttempt) -> Response:
        """JSON; a differing redirect URI names both."""
        status, error, description = self.token_errors[failure]
        if failure in ("redirect_uri_missing", "redirect_uri_mismatch"):
            description = (
                f"{description}. You sent {attempt.redirect_uri or 'undefined'}, "
                f"and we expected {attempt.authorized_redirect_uri or 'undefined'}"
            )
        return self.json_answer(
            {"error": error, "error_description": description}, status
        )

    def new_code(self) -> str:
        """A code shaped like Auth0's: letters, digits, ``-`` and ``_``."""
        return random_token(43)

    def new_access_token(self) -> str:
        """An access token shaped like Auth0's encrypted JWTs."""
        return "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0.." + random_token(300)

    def token_success(
        self, access_token: str, grant: Grant, account: Account, attempt: TokenAttempt
    ) -> Response:
        """The access token, and an ID token for ``openid``."""
        payload: dict[str, Any] = {"access_token": access_token}
        if "openid" in grant.scope.split():
            payload["id_token"] = self._id_token(access_token, grant, account)
        payload.update(scope=grant.scope, expires_in=86400, token_type="Bearer")
        return self.json_answer(payload)

    def api(
        self, resource: str, grant: Grant | None, account: Account, request: Request
    ) -> Response:
        """Userinfo; 401 "Unauthorized" without a token it issued."""
        if grant is None:
            return Response("Unauthorized", status=401, mimetype="text/plain")
        return self.json_answer(_userinfo(account))

    def not_found(self, request: Request) -> Response:
        """Auth0's JSON 404."""
        return self.json_answer(
            {"statusCode": 404, "error": "Not Found", "message": "Not Found"}, 404
        )

    def metadata(self, site: str, route: Mapping[str, str]) -> dict[str, Any]:
        """The tenant's discovery document."""
        root = site.rstrip("/")
        return self.discovery(
            site,
            route,
            device_authorization_endpoint=f"{root}/oauth/device/code",
            revocation_endpoint=f"{root}/oauth/revoke",
            end_session_endpoint=f"{root}/oidc/logout",
            response_modes_supported=["query", "fragment", "form_post"],
            scopes_supported=["openid", "profile", "offline_access", "email"],
            token_endpoint_auth_methods_supported=[
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt",
            ],
            code_challenge_methods_supported=["S256", "plain"],
        )

    def _id_token(self, access_token: str, grant: Grant, account: Account) -> str:
        now = int(time.time())
        info = _userinfo(account)
        claims: dict[str, Any] = {
            **{key: value for key, value in info.items() if key != "sub"},
            "iss": self.issuer(grant.site, self.home_route),
            "aud": grant.client_id,
            "sub": info["sub"],
            "iat": now,
            "exp": now + 36000,
            "sid": random_token(32),
            "at_hash": at_hash(access_token),
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        return self.signing_key.sign(claims)


def subject(login: str) -> str:
    """The stable ``sub`` of a database user: ``auth0|`` and 24 hex.

    :param login: The user's login in the emulator.
    """
    return "auth0|" + hashlib.sha256(f"auth0:{login}".encode()).hexdigest()[:24]


def _userinfo(account: Account) -> dict[str, Any]:
    info: dict[str, Any] = {
        "sub": subject(account.login),
        "nickname": account.login,
        "name": account.email,
        "picture": "https://s.gravatar.com/avatar/0?s=480&r=pg&d=mp",
        "updated_at": "2026-11-01T00:00:00.000Z",
        "email": account.email,
        "email_verified": True,
    }
    info.update(account.fields)
    return info
