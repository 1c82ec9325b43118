"""Keycloak's OpenID Connect wire format, as the emulator speaks it.

The ``"keycloak"`` profile: one realm (``myrealm`` unless told otherwise)
with its endpoints under ``/realms/<realm>/protocol/openid-connect/``
(``auth``, ``token``, ``userinfo``, ``certs``) and discovery at
``/realms/<realm>/.well-known/openid-configuration``. Other realms are not
there (404).

Keycloak's ways, from ``PROVIDERS.md`` and Keycloak's source: an
unregistered ``redirect_uri`` gets Keycloak's own page ("We are sorry...",
"Invalid parameter: redirect_uri", HTTP 400) and never returns to the app;
valid redirect URIs are patterns, ``*`` allowed at the end. Token errors are
JSON: a wrong secret is 401 ``unauthorized_client`` "Invalid client or
Invalid client credentials" (not RFC 6749's ``invalid_client``), a used
code 400 ``invalid_grant`` "Code not valid", an expired one "Code is
expired", a different ``redirect_uri`` "Incorrect redirect_uri", a wrong
PKCE verifier "PKCE verification failed: Code mismatch". Codes live as long
as the realm's "Client login timeout": one minute by default. Other paths
are 404 with Keycloak's JSON ``error`` "Unable to find matching target
resource method".

What apps read after signing in: the realm's userinfo, and the ID token.
The realm's default client scopes (``profile``, ``email``, ``roles``,
``web-origins``, ``acr``, ``basic``) apply whatever the client asks for, so
both carry ``sub``, ``email_verified``, ``name``, ``preferred_username``,
``given_name``, ``family_name`` and ``email``; the ID token adds ``exp``,
``iat``, ``auth_time``, ``jti``, ``iss``, ``aud``, ``typ`` ``"ID"``,
``azp``, ``nonce``, ``session_state``, ``at_hash``, ``acr`` and ``sid``.
Realm and client roles (``realm_access``, ``resource_access``) are in the
access token only, unless the realm's role mappers add them to userinfo or
the ID token: ``ProviderEmulator(user={"realm_access": {"roles": [...]}})``
does that; any claim's name replaces it, ``None`` leaving it out.

Sources:

- https://www.keycloak.org/securing-apps/oidc-layers (endpoints)
- https://www.keycloak.org/docs/latest/server_admin/ (client scopes, the
  default protocol mappers)
"""

from __future__ import annotations

import time
import uuid
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
from .oidc import present
from .oidc import with_fields

__all__ = ["KeycloakDialect"]

#: The realm the client lives in, unless told otherwise.
DEFAULT_REALM = "myrealm"
#: A client ID as people name them in Keycloak.
DEFAULT_CLIENT_ID = "my-app"
#: A client secret as Keycloak generates them: 32 letters and digits.
DEFAULT_CLIENT_SECRET = "Xo5eGl0Wq3Ck9Yn2Bv7Ua4Ti1Rs8Pm6J"
#: Seconds a code stays valid: the default "Client login timeout".
CODE_LIFETIME = 60.0

_BAD_CLIENT = "Invalid client or Invalid client credentials"
_TOKEN_ERRORS: dict[TokenFailure, tuple[int, str, str]] = {
    "wrong_tenant": (401, "invalid_client", _BAD_CLIENT),
    "unknown_client": (401, "invalid_client", _BAD_CLIENT),
    "missing_secret": (401, "unauthorized_client", _BAD_CLIENT),
    "wrong_secret": (401, "unauthorized_client", _BAD_CLIENT),
    "expired_secret": (401, "unauthorized_client", _BAD_CLIENT),
    "unknown_code": (400, "invalid_grant", "Code not valid"),
    "used_code": (400, "invalid_grant", "Code not valid"),
    "expired_code": (400, "invalid_grant", "Code is expired"),
    "foreign_code": (
        400,
        "invalid_grant",
        "Auth error: Found different client_id in clientSession",
    ),
    "redirect_uri_missing": (400, "invalid_grant", "Incorrect redirect_uri"),
    "redirect_uri_mismatch": (400, "invalid_grant", "Incorrect redirect_uri"),
    "pkce_missing": (400, "invalid_grant", "PKCE code verifier not specified"),
    "pkce_mismatch": (400, "invalid_grant", "PKCE verification failed: Code mismatch"),
}
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class KeycloakDialect(OIDCDialect):
    """The ``"keycloak"`` profile: a confidential OpenID Connect client in
    one realm.

    :param realm: The realm's name, in every path.
    """

    name = "keycloak"
    code_lifetime = CODE_LIFETIME
    default_client_id = DEFAULT_CLIENT_ID
    default_client_secret = DEFAULT_CLIENT_SECRET
    token_errors = _TOKEN_ERRORS
    json_content_type = "application/json"

    def __init__(self, realm: str = DEFAULT_REALM) -> None:
        super().__init__()
        self.realm = realm

    def __repr__(self) -> str:
        return f"<KeycloakDialect realm={self.realm}>"

    @property
    def realm_path(self) -> str:
        """``/realms/<realm>``, below which everything is."""
        return f"/realms/{self.realm}"

    @property
    def protocol_path(self) -> str:
        """The realm's OpenID Connect endpoints' common path."""
        return f"{self.realm_path}/protocol/openid-connect"

    @property
    def authorize_path(self) -> str:
        """The protocol path's ``auth``."""
        return f"{self.protocol_path}/auth"

    @property
    def token_path(self) -> str:
        """The protocol path's ``token``."""
        return f"{self.protocol_path}/token"

    @property
    def jwks_path(self) -> str:
        """The protocol path's ``certs``."""
        return f"{self.protocol_path}/certs"

    @property
    def userinfo_path(self) -> str:
        """The protocol path's ``userinfo``."""
        return f"{self.protocol_path}/userinfo"

    @property
    def metadata_path(self) -> str:
        """The realm's discovery document."""
        return f"{self.realm_path}{DISCOVERY_PATH}"

    @property
    def api_base_path(self) -> str:
        """The protocol path, so that ``get("userinfo")`` works."""
        return f"{self.protocol_path}/"

    def redirect_uri_matches(self, candidate: str, registered: str) -> bool:
        """Keycloak's "Valid redirect URIs": each pattern (whitespace
        separated) matches itself, or, ending in ``*``, what starts with the
        rest."""
        for pattern in registered.split():
            if pattern.endswith("*"):
                if candidate.startswith(pattern[:-1]):
                    return True
            elif candidate == pattern:
                return True
        return False

    def refuse_authorization(
        self, refusal: AuthorizeRefusal, attempt: AuthorizeAttempt
    ) -> Response:
        """Keycloak's "We are sorry..." page, HTTP 400."""
        if refusal in ("redirect_uri_missing", "redirect_uri_mismatch"):
            message = "Invalid parameter: redirect_uri"
        else:
            message = "Client not found."
        return error_page(f"Sign in to {self.realm}", "We are sorry...", [message], 400)

    def new_code(self) -> str:
        """A code shaped like Keycloak's: three dot-separated UUIDs."""
        return ".".join(str(uuid.uuid4()) for _ in range(3))

    def code_params(
        self, code: str, scope: str, attempt: AuthorizeAttempt
    ) -> list[tuple[str, str | None]]:
        """``state``, ``session_state``, ``iss`` (RFC 9207) and ``code``."""
        return [
            ("state", attempt.state),
            ("session_state", str(uuid.uuid4())),
            ("iss", self.issuer(attempt.request.host_url, attempt.route)),
            ("code", code),
        ]

    def new_access_token(self) -> str:
        """An opaque token shaped like Keycloak's JWTs."""
        return "eyJhbGciOiJSUzI1NiIsInR5cCIgOiAiSldUIn0." + random_token(300)

    def token_success(
        self, access_token: str, grant: Grant, account: Account, attempt: TokenAttempt
    ) -> Response:
        """Keycloak's token response: refresh token, session state, and an
        ID token for ``openid``."""
        session_state = str(uuid.uuid4())
        payload: dict[str, Any] = {
            "access_token": access_token,
            "expires_in": 300,
            "refresh_expires_in": 1800,
            "refresh_token": "eyJhbGciOiJIUzUxMiIsInR5cCIgOiAiSldUIn0."
            + random_token(200),
            "token_type": "Bearer",
        }
        if "openid" in grant.scope.split():
            payload["id_token"] = self._id_token(
                access_token, grant, account, session_state
            )
        payload["not-before-policy"] = 0
        payload["session_state"] = session_state
        payload["scope"] = grant.scope
        return self.json_answer(payload, headers=_NO_STORE)

    def api(
        self, resource: str, grant: Grant | None, account: Account, request: Request
    ) -> Response:
        """The realm's userinfo."""
        if grant is None:
            description = "Token verification failed"
            challenge = (
                f'Bearer realm="{self.realm}", error="invalid_token", '
                f'error_description="{description}"'
            )
            return self.json_answer(
                {"error": "invalid_token", "error_description": description},
                401,
                headers={"WWW-Authenticate": challenge},
            )
        return self.json_answer(_userinfo(account))

    def not_found(self, request: Request) -> Response:
        """Keycloak's 404 for a path no resource serves: ``error`` and
        ``error_description`` as JSON."""
        return self.json_answer(
            {
                "error": "Unable to find matching target resource method",
                "error_description": "For more on this error consult the server log.",
            },
            404,
        )

    def issuer(self, site: str, route: Mapping[str, str]) -> str:
        """The realm's URL: every ``iss`` names the realm."""
        return f"{site.rstrip('/')}{self.realm_path}"

    def metadata(self, site: str, route: Mapping[str, str]) -> dict[str, Any]:
        """The realm's discovery document."""
        protocol = f"{site.rstrip('/')}{self.protocol_path}"
        return self.discovery(
            site,
            route,
            introspection_endpoint=f"{protocol}/token/introspect",
            end_session_endpoint=f"{protocol}/logout",
            check_session_iframe=f"{protocol}/login-status-iframe.html",
            grant_types_supported=[
                "authorization_code",
                "implicit",
                "refresh_token",
                "password",
                "client_credentials",
            ],
            response_types_supported=[
                "code",
                "none",
                "id_token",
                "token",
                "id_token token",
                "code id_token",
                "code token",
                "code id_token token",
            ],
            subject_types_supported=["public", "pairwise"],
            id_token_signing_alg_values_supported=["RS256"],
            scopes_supported=["openid", "email", "profile", "roles", "web-origins"],
            authorization_response_iss_parameter_supported=True,
        )

    def _id_token(
        self, access_token: str, grant: Grant, account: Account, session_state: str
    ) -> str:
        now = int(time.time())
        info = _userinfo(account)
        claims: dict[str, Any] = {
            "exp": now + 300,
            "iat": now,
            "auth_time": now,
            "jti": str(uuid.uuid4()),
            "iss": self.issuer(grant.site, self.home_route),
            "aud": grant.client_id,
            "sub": info.pop("sub"),
            "typ": "ID",
            "azp": grant.client_id,
            "nonce": grant.nonce,
            "session_state": session_state,
            "at_hash": at_hash(access_token),
            "acr": "1",
            "sid": session_state,
            **info,
        }
        return self.signing_key.sign(with_fields(claims, account.fields))


def subject(login: str) -> str:
    """The stable ``sub`` of a Keycloak user: the user's id, a UUID.

    :param login: The user's login in the emulator.
    """
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"keycloak-user:{login}"))


def _userinfo(account: Account) -> dict[str, Any]:
    info: dict[str, Any] = {
        "sub": subject(account.login),
        "email_verified": True,
        "name": account.name,
        "preferred_username": account.login,
        "given_name": account.given_name,
        "family_name": account.family_name,
        "email": account.email,
    }
    info.update(account.fields)
    return present(info)
