"""Okta's OpenID Connect wire format, as the emulator speaks it.

The ``"okta"`` profile: a custom authorization server (``default`` unless
told otherwise) with its endpoints under ``/oauth2/<server>/v1/``
(``authorize``, ``token``, ``keys``, ``userinfo``) and discovery at
``/oauth2/<server>/.well-known/openid-configuration``, as on an Okta org.

Okta's ways, from ``PROVIDERS-2.md``: a wrong secret or an unknown client
is 401 ``invalid_client`` "Client authentication failed. Either the client
or the client credentials are invalid."; one ``invalid_grant`` with three
descriptions: "The authorization code is invalid or has expired." for a
used or expired code (codes live about a minute), "The 'redirect_uri' does
not match the redirection URI used in the authorization request." and
"PKCE verification failed." (the failed attempt burns the code). An
unregistered redirect URI gets Okta's "400 Bad Request" page, "The
'redirect_uri' parameter must be a Login redirect URI in the client app
settings", and never returns. A cancel is the RFC's ``access_denied``
(unconfirmed). Other paths answer Okta's JSON error E0000007.
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
from .oidc import DISCOVERY_PATH
from .oidc import OIDCDialect
from .oidc import at_hash

__all__ = ["OktaDialect"]

#: The authorization server, unless told otherwise: Okta's stock one.
DEFAULT_SERVER = "default"
#: A client ID as Okta makes them: ``0oa`` and 17 letters and digits.
DEFAULT_CLIENT_ID = "0oa1b2c3d4e5f6G7h8i9"
#: A client secret: 40 letters, digits, ``-`` and ``_``.
DEFAULT_CLIENT_SECRET = "Zq3_xR8vT1mK5nB9wE2yH6jL0pA4sD7fG-cV3uN8"
#: Seconds a code stays valid, as observed.
CODE_LIFETIME = 60.0

_BAD_CLIENT = (
    "Client authentication failed. Either the client or the client credentials "
    "are invalid."
)
_BAD_CODE = "The authorization code is invalid or has expired."
_REDIRECT = (
    "The 'redirect_uri' does not match the redirection URI used in the "
    "authorization request."
)
_TOKEN_ERRORS: dict[TokenFailure, tuple[int, str, str]] = {
    "wrong_tenant": (401, "invalid_client", _BAD_CLIENT),
    "unknown_client": (401, "invalid_client", _BAD_CLIENT),
    "missing_secret": (401, "invalid_client", _BAD_CLIENT),
    "wrong_secret": (401, "invalid_client", _BAD_CLIENT),
    "expired_secret": (401, "invalid_client", _BAD_CLIENT),
    "unknown_code": (400, "invalid_grant", _BAD_CODE),
    "used_code": (400, "invalid_grant", _BAD_CODE),
    "expired_code": (400, "invalid_grant", _BAD_CODE),
    "foreign_code": (400, "invalid_grant", _BAD_CODE),
    "redirect_uri_missing": (400, "invalid_grant", _REDIRECT),
    "redirect_uri_mismatch": (400, "invalid_grant", _REDIRECT),
    "pkce_missing": (400, "invalid_grant", "PKCE verification failed."),
    "pkce_mismatch": (400, "invalid_grant", "PKCE verification failed."),
}
_NO_STORE = {"Cache-Control": "no-cache, no-store", "Pragma": "no-cache"}


class OktaDialect(OIDCDialect):
    """The ``"okta"`` profile: an OIDC web app integration in an Okta org.

    :param server: The custom authorization server's ID, in every path.
    """

    name = "okta"
    code_lifetime = CODE_LIFETIME
    default_client_id = DEFAULT_CLIENT_ID
    default_client_secret = DEFAULT_CLIENT_SECRET
    token_errors = _TOKEN_ERRORS
    denial_descriptions = {
        "access_denied": "The resource owner or authorization server denied the "
        "request."
    }

    def __init__(self, server: str = DEFAULT_SERVER) -> None:
        super().__init__()
        self.server = server

    def __repr__(self) -> str:
        return f"<OktaDialect server={self.server}>"

    @property
    def server_path(self) -> str:
        """``/oauth2/<server>``, below which everything is."""
        return f"/oauth2/{self.server}"

    @property
    def authorize_path(self) -> str:
        """The server's ``v1/authorize``."""
        return f"{self.server_path}/v1/authorize"

    @property
    def token_path(self) -> str:
        """The server's ``v1/token``."""
        return f"{self.server_path}/v1/token"

    @property
    def jwks_path(self) -> str:
        """The server's ``v1/keys``."""
        return f"{self.server_path}/v1/keys"

    @property
    def userinfo_path(self) -> str:
        """The server's ``v1/userinfo``."""
        return f"{self.server_path}/v1/userinfo"

    @property
    def metadata_path(self) -> str:
        """The server's discovery document."""
        return f"{self.server_path}{DISCOVERY_PATH}"

    @property
    def api_base_path(self) -> str:
        """The server's ``v1/``, so that ``get("userinfo")`` works."""
        return f"{self.server_path}/v1/"

    def issuer(self, site: str, route: Mapping[str, str]) -> str:
        """The server's URL: every ``iss`` names it."""
        return f"{site.rstrip('/')}{self.server_path}"

    def refuse_authorization(
        self, refusal: AuthorizeRefusal, attempt: AuthorizeAttempt
    ) -> Response:
        """Okta's "400 Bad Request" page."""
        if refusal in ("redirect_uri_missing", "redirect_uri_mismatch"):
            description = (
                "The 'redirect_uri' parameter must be a Login redirect URI in "
                "the client app settings"
            )
        else:
            description = "Invalid value for 'client_id' parameter."
        return error_page(
            "Okta",
            "400 Bad Request",
            [
                "Your request resulted in an error.",
                "Error Code: invalid_request",
                f"Description: {description}",
            ],
            400,
        )

    def new_code(self) -> str:
        """A code shaped like Okta's: 43 letters, digits, ``-`` and ``_``."""
        return random_token(43)

    def new_access_token(self) -> str:
        """An access token shaped like Okta's JWTs."""
        return "eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0." + random_token(300)

    def token_success(
        self, access_token: str, grant: Grant, account: Account, attempt: TokenAttempt
    ) -> Response:
        """The access token, and an ID token for ``openid``."""
        payload: dict[str, Any] = {
            "token_type": "Bearer",
            "expires_in": 3600,
            "access_token": access_token,
            "scope": grant.scope,
        }
        if "openid" in grant.scope.split():
            payload["id_token"] = self._id_token(access_token, grant, account)
        return self.json_answer(payload, headers=_NO_STORE)

    def api(
        self, resource: str, grant: Grant | None, account: Account, request: Request
    ) -> Response:
        """Userinfo, or 401 with Okta's challenge."""
        if grant is None:
            challenge = (
                'Bearer authorization_uri="", realm="", scope="openid", '
                'error="invalid_token", error_description="The access token is '
                'invalid."'
            )
            return Response(status=401, headers={"WWW-Authenticate": challenge})
        return self.json_answer(_userinfo(account))

    def not_found(self, request: Request) -> Response:
        """Okta's JSON error E0000007."""
        return self.json_answer(
            {
                "errorCode": "E0000007",
                "errorSummary": f"Not found: Resource not found: {request.path} (Path)",
                "errorLink": "E0000007",
                "errorId": "oae" + random_token(19),
                "errorCauses": [],
            },
            404,
        )

    def metadata(self, site: str, route: Mapping[str, str]) -> dict[str, Any]:
        """The authorization server's discovery document."""
        root = f"{site.rstrip('/')}{self.server_path}/v1"
        return self.discovery(
            site,
            route,
            registration_endpoint=f"{site.rstrip('/')}/oauth2/v1/clients",
            introspection_endpoint=f"{root}/introspect",
            revocation_endpoint=f"{root}/revoke",
            end_session_endpoint=f"{root}/logout",
            response_modes_supported=["query", "fragment", "form_post"],
            scopes_supported=["openid", "profile", "email", "offline_access"],
            code_challenge_methods_supported=["S256"],
        )

    def _id_token(self, access_token: str, grant: Grant, account: Account) -> str:
        now = int(time.time())
        info = _userinfo(account)
        claims: dict[str, Any] = {
            "sub": info["sub"],
            "name": info["name"],
            "email": info["email"],
            "ver": 1,
            "iss": self.issuer(grant.site, self.home_route),
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 3600,
            "jti": "ID." + random_token(43),
            "amr": ["pwd"],
            "idp": "00o" + random_token(17),
            "preferred_username": info["preferred_username"],
            "auth_time": now,
            "at_hash": at_hash(access_token),
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        return self.signing_key.sign(claims)


def subject(login: str) -> str:
    """The stable ``sub`` of an Okta user: ``00u`` and 17 more.

    :param login: The user's login in the emulator.
    """
    return "00u" + hashlib.sha256(f"okta:{login}".encode()).hexdigest()[:17]


def _userinfo(account: Account) -> dict[str, Any]:
    info: dict[str, Any] = {
        "sub": subject(account.login),
        "name": account.name,
        "locale": "en_US",
        "email": account.email,
        "preferred_username": account.email,
        "given_name": account.given_name,
        "family_name": account.family_name,
        "zoneinfo": "America/Los_Angeles",
        "updated_at": 1700000000,
        "email_verified": True,
    }
    info.update(account.fields)
    return info
