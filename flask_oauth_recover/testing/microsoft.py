"""Microsoft Entra ID's (v2.0 endpoints) wire format, as the emulator speaks it.

The ``"microsoft"`` profile: ``/<tenant>/oauth2/v2.0/authorize`` and
``/<tenant>/oauth2/v2.0/token`` as on login.microsoftonline.com, discovery at
``/<tenant>/v2.0/.well-known/openid-configuration``, the JWKS at
``/<tenant>/discovery/v2.0/keys``, and Microsoft Graph's ``/v1.0/me`` and
``/oidc/userinfo`` as on graph.microsoft.com.

The tenant in the path matters: the app is registered in one directory
(:attr:`MicrosoftDialect.tenant_id`); ``common`` and ``organizations`` are
accepted as well, any other tenant answers AADSTS700016. As on Entra, the
discovery document of ``common`` and ``organizations`` has the issuer
``.../{tenantid}/v2.0`` with the placeholder left in, which a relying party
that checks ``iss`` against it (Authlib does) cannot accept: register with
the tenant's own document, as :meth:`MicrosoftDialect.client_kwargs` does.

Entra's ways, from ``PROVIDERS.md``: an unregistered ``redirect_uri`` gets
Entra's own AADSTS50011 page, never returning to the app; the match is exact
except that ``localhost`` ignores the port. Token errors are JSON with
``error_codes``, ``timestamp``, ``trace_id``, ``correlation_id`` and a
description that starts with ``AADSTS<n>:`` and ends with the trace,
correlation and timestamp lines (``\\r\\n`` between them); ``error_uri``
comes with some of them. A wrong secret (a secret's ID, a GUID, pasted as
the secret included) is 401 AADSTS7000215, an expired one AADSTS7000222.
Other paths answer as Graph does, 400 ``BadRequest`` in Graph's error
shape: "Resource not found for the segment '...'." under ``/v1.0/`` and
``/beta/``, "Invalid version." elsewhere.

What apps read after signing in: Graph's ``/v1.0/me`` (Flask-Dance's Azure
docs and Microsoft's own Flask samples) with its default properties, ``null``
where the user has no value, as Graph sends them; ``/oidc/userinfo`` with
``sub``, and ``name``, ``family_name``, ``given_name``, ``picture`` for the
``profile`` scope and ``email`` for ``email``; and the v2.0 ID token:
``aud``, ``iss``, ``iat``, ``nbf``, ``exp``, ``aio``, ``email`` (``email``
scope, when the user has an address), ``name``, ``oid`` and
``preferred_username`` (``profile`` scope), ``nonce``, ``rh``, ``sid``,
``sub`` (pairwise, per app), ``tid``, ``uti`` and ``ver`` ``"2.0"``; no
``at_hash`` from the token endpoint. ``ProviderEmulator(user={...})`` takes
Graph's property names (``displayName``, ``mail``...), from which userinfo
and the ID token follow; a claim's own name replaces that claim, ``None``
leaving it out, and ``roles`` or ``groups`` add app roles or group IDs as
an app registration configured for them gets.

Sources:

- https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference
- https://learn.microsoft.com/en-us/entra/identity-platform/userinfo
- https://learn.microsoft.com/en-us/graph/api/user-get (``GET /me``)
- https://flask-dance.readthedocs.io/en/latest/quickstarts/azure.html
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Mapping
from datetime import datetime
from datetime import timezone
from typing import Any
from urllib.parse import urlsplit

from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

from .dialect import Account
from .dialect import AuthorizeAttempt
from .dialect import AuthorizeRefusal
from .dialect import Grant
from .dialect import TokenAttempt
from .dialect import TokenFailure
from .dialect import error_page
from .dialect import json_response
from .dialect import random_token
from .oidc import DISCOVERY_PATH
from .oidc import OIDCDialect
from .oidc import with_fields

__all__ = ["MicrosoftDialect"]

#: The directory (tenant) ID the app is registered in, unless told otherwise.
DEFAULT_TENANT_ID = "9f3c2b1a-5d4e-4f60-8a7b-1c2d3e4f5a6b"
#: The Application (client) ID: a GUID.
DEFAULT_CLIENT_ID = "d2c1b0a9-8e7f-4a6b-9c5d-4e3f2a1b0c9d"
#: A client secret *value* as Entra shows it once: 40 characters with ``Q~``.
DEFAULT_CLIENT_SECRET = "Wq48Q~AbCdEfGhIjKlMnOpQrStUvWxYz0123.4_5"
#: Seconds a code stays valid: "about 10 minutes".
CODE_LIFETIME = 600.0
#: Tenants in the path that stand for any directory the app is in.
MULTI_TENANT_PATHS = frozenset({"common", "organizations"})

#: Microsoft Graph, which apps call with absolute URLs.
GRAPH_ORIGIN = "https://graph.microsoft.com/"
#: Graph's signed-in user.
ME_PATH = "/v1.0/me"
#: Graph's OpenID Connect userinfo, the discovery document's endpoint.
USERINFO_PATH = "/oidc/userinfo"
#: Graph's API versions, the first segment of its paths.
GRAPH_VERSIONS = frozenset({"v1.0", "beta"})

_LOGIN_ERROR_URI = "https://login.microsoftonline.com/error?code={code}"
_OIDC_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})
_GRAPH_DEFAULT_SCOPE = "https://graph.microsoft.com/User.Read"
# Claims an app registration can be configured to add to the ID token.
_ADDABLE_CLAIMS = frozenset({"roles", "groups"})
_NO_STORE = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}
_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%SZ"

_USED_CODE = (
    "AADSTS54005: OAuth2 Authorization code was already redeemed, please retry "
    "with a new valid code or use an existing refresh token."
)
_EXPIRED_CODE = (
    "AADSTS70008: The provided authorization code or refresh token has expired "
    "due to inactivity. Send a new interactive authorization request for this "
    "user and resource."
)
_INVALID_CODE = "AADSTS70000: The provided value for the 'code' parameter is not valid."
_PKCE_MISMATCH = (
    "AADSTS501481: The Code_Verifier does not match the code_challenge supplied "
    "in the authorization request."
)
_MISSING_SECRET = (
    "AADSTS7000218: The request body must contain the following parameter: "
    "'client_assertion' or 'client_secret'."
)
_DENIED = "AADSTS65004: User declined to consent to access the app."


class MicrosoftDialect(OIDCDialect):
    """The ``"microsoft"`` profile: an app registration in Entra ID.

    :param tenant_id: The directory (tenant) ID the app is registered in.
    :param legacy_redirect_mismatch: Answer a ``redirect_uri`` that differs
        between the two steps the older way (``invalid_client``,
        AADSTS70002 with AADSTS50011) instead of AADSTS500112.
    """

    name = "microsoft"
    code_lifetime = CODE_LIFETIME
    default_client_id = DEFAULT_CLIENT_ID
    default_client_secret = DEFAULT_CLIENT_SECRET
    redirect_uri_required = False
    authorize_path = "/<tenant>/oauth2/v2.0/authorize"
    token_path = "/<tenant>/oauth2/v2.0/token"
    metadata_path = f"/<tenant>/v2.0{DISCOVERY_PATH}"
    jwks_path = "/<tenant>/discovery/v2.0/keys"
    userinfo_path = USERINFO_PATH
    api_paths = ((ME_PATH, "me"),)
    api_base_path = "/v1.0/"
    api_origins = {GRAPH_ORIGIN: "/"}
    denial_descriptions = {"access_denied": _DENIED}

    def __init__(
        self,
        tenant_id: str = DEFAULT_TENANT_ID,
        *,
        legacy_redirect_mismatch: bool = False,
    ) -> None:
        super().__init__()
        self.tenant_id = tenant_id
        self.legacy_redirect_mismatch = legacy_redirect_mismatch

    def __repr__(self) -> str:
        return f"<MicrosoftDialect tenant={self.tenant_id}>"

    @property
    def home_route(self) -> Mapping[str, str]:
        """The registered tenant."""
        return {"tenant": self.tenant_id}

    def route_accepts(self, route: Mapping[str, str]) -> bool:
        """Whether the path's tenant is the app's, ``common`` or
        ``organizations``."""
        tenant = route.get("tenant", "").lower()
        return tenant == self.tenant_id.lower() or tenant in MULTI_TENANT_PATHS

    def redirect_uri_matches(self, candidate: str, registered: str) -> bool:
        """Entra's rule: exact (path case included), except that the port is
        ignored for ``localhost``; a registered URI without a path has a
        trailing slash."""
        try:
            got, want = urlsplit(candidate), urlsplit(registered)
            got_port, want_port = got.port, want.port
        except ValueError:
            return False
        if (
            got.scheme.lower() != want.scheme.lower()
            or (got.hostname or "") != (want.hostname or "")
            or got.username is not None
            or got.query != want.query
            or got.fragment
        ):
            return False
        if want.hostname != "localhost" and got_port != want_port:
            return False
        return (got.path or "/") == (want.path or "/")

    def refuse_authorization(
        self, refusal: AuthorizeRefusal, attempt: AuthorizeAttempt
    ) -> Response:
        """Entra's sign-in error page, HTTP 200: AADSTS50011 for an
        unregistered ``redirect_uri``, AADSTS700016 for an app not in the
        tenant."""
        client_id = attempt.client_id or ""
        if refusal == "redirect_uri_mismatch":
            message = (
                f"AADSTS50011: The redirect URI '{attempt.redirect_uri}' specified "
                "in the request does not match the redirect URIs configured for "
                f"the application '{client_id}'. Make sure the redirect URI sent "
                "in the request matches one added to your application in the Azure "
                "portal. Navigate to https://aka.ms/redirectUriMismatchError to "
                "learn more about how to fix this."
            )
        elif refusal == "redirect_uri_missing":
            message = (
                "AADSTS900144: The request body must contain the following "
                "parameter: 'redirect_uri'."
            )
        else:
            message = _app_not_found(client_id, attempt.route.get("tenant", ""))
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        return error_page(
            "Sign in to your account",
            "Sign in",
            [
                "Sorry, but we're having trouble signing you in.",
                message,
                f"Request Id: {trace}",
                f"Correlation Id: {correlation}",
                f"Timestamp: {_timestamp(attempt.now)}",
            ],
            200,
        )

    def new_code(self) -> str:
        """A code shaped like Entra's: ``1.A`` and many more characters."""
        return "1.A" + random_token(300)

    def code_params(
        self, code: str, scope: str, attempt: AuthorizeAttempt
    ) -> list[tuple[str, str | None]]:
        """``code``, ``state`` and a ``session_state``."""
        return [
            ("code", code),
            ("state", attempt.state),
            ("session_state", str(uuid.uuid4())),
        ]

    def granted_scope(self, requested: str) -> str:
        """The OpenID scopes asked for, then the resource scopes as full
        URLs; Graph's ``User.Read`` when none was asked for."""
        parts = requested.split()
        resources = [
            part if "://" in part else f"https://graph.microsoft.com/{part}"
            for part in parts
            if part not in _OIDC_SCOPES
        ]
        oidc = [part for part in parts if part in _OIDC_SCOPES]
        return " ".join(oidc + (resources or [_GRAPH_DEFAULT_SCOPE]))

    def token_error(self, failure: TokenFailure, attempt: TokenAttempt) -> Response:
        """Entra's JSON error, with ``error_codes``, trace and correlation."""
        client_id = attempt.client_id or ""
        tenant = attempt.route.get("tenant", "")
        if failure in ("wrong_tenant", "unknown_client"):
            return _token_error(
                attempt,
                400,
                "unauthorized_client",
                [700016],
                _app_not_found(client_id, tenant),
            )
        if failure == "missing_secret":
            return _token_error(
                attempt, 401, "invalid_client", [7000218], _MISSING_SECRET
            )
        if failure == "wrong_secret":
            return _token_error(
                attempt,
                401,
                "invalid_client",
                [7000215],
                "AADSTS7000215: Invalid client secret provided. Ensure the secret "
                "being sent in the request is the client secret value, not the "
                "client secret ID, for a secret added to app "
                f"'{client_id}'.",
            )
        if failure == "expired_secret":
            return _token_error(
                attempt,
                401,
                "invalid_client",
                [7000222],
                "AADSTS7000222: The provided client secret keys for app "
                f"'{client_id}' are expired. Visit the Azure portal to create new "
                "keys for your app: https://aka.ms/NewClientSecret, or consider "
                "using certificate credentials for added security: "
                "https://aka.ms/certCreds.",
            )
        if failure == "used_code":
            return _token_error(
                attempt, 400, "invalid_grant", [54005], _USED_CODE, uri=False
            )
        if failure == "expired_code":
            return _token_error(
                attempt, 400, "invalid_grant", [70008], _EXPIRED_CODE, uri=False
            )
        if failure in ("redirect_uri_missing", "redirect_uri_mismatch"):
            return self._redirect_mismatch(attempt)
        if failure in ("pkce_missing", "pkce_mismatch"):
            return _token_error(
                attempt, 400, "invalid_grant", [501481], _PKCE_MISMATCH, uri=False
            )
        return _token_error(
            attempt, 400, "invalid_grant", [70000], _INVALID_CODE, uri=False
        )

    def new_access_token(self) -> str:
        """An opaque token shaped like the JWTs Entra issues for Graph."""
        return "eyJ0eXAiOiJKV1QiLCJub25jZSI6" + random_token(200)

    def token_success(
        self, access_token: str, grant: Grant, account: Account, attempt: TokenAttempt
    ) -> Response:
        """Bearer token for Graph, a refresh token for ``offline_access``,
        an ID token for ``openid``."""
        scopes = set(grant.scope.split())
        payload: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": grant.scope,
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": access_token,
        }
        if "offline_access" in scopes:
            payload["refresh_token"] = "1.A" + random_token(200)
        if "openid" in scopes:
            payload["id_token"] = self._id_token(grant, account)
        return self.json_answer(payload, headers=_NO_STORE)

    def api(
        self, resource: str, grant: Grant | None, account: Account, request: Request
    ) -> Response:
        """Graph's ``/v1.0/me`` and ``/oidc/userinfo``."""
        if grant is None:
            empty = not request.headers.get("Authorization")
            return _graph_unauthorized(empty)
        user = _graph_user(account, request.host_url)
        if resource == "userinfo":
            return self.json_answer(_userinfo(user, account, grant, request.host_url))
        return self.json_answer(user)

    def not_found(self, request: Request) -> Response:
        """Graph's 400 ``BadRequest``: "Resource not found for the segment
        '...'." for an unknown resource of a version, "Invalid version."
        for a path without one."""
        segments = [segment for segment in request.path.split("/") if segment]
        if segments and segments[0] in GRAPH_VERSIONS:
            unknown = next(
                (segment for segment in segments[1:] if segment != "me"),
                segments[-1],
            )
            message = f"Resource not found for the segment '{unknown}'."
        else:
            message = "Invalid version."
        return _graph_error(request, 400, "BadRequest", message)

    def _redirect_mismatch(self, attempt: TokenAttempt) -> Response:
        sent, authorized = (
            attempt.redirect_uri or "",
            attempt.authorized_redirect_uri or "",
        )
        reply = (
            f"The reply address '{sent}' does not match the reply address "
            f"'{authorized}' provided when requesting Authorization code."
        )
        if self.legacy_redirect_mismatch:
            return _token_error(
                attempt,
                400,
                "invalid_client",
                [70002, 50011],
                f"AADSTS70002: Error validating credentials. AADSTS50011: {reply}",
                uri=False,
            )
        return _token_error(
            attempt, 400, "invalid_grant", [500112], f"AADSTS500112: {reply}", uri=False
        )

    def issuer(self, site: str, route: Mapping[str, str]) -> str:
        """The tenant's issuer; ``common`` and ``organizations`` keep
        Entra's ``{tenantid}`` placeholder."""
        tenant = route.get("tenant", "")
        issuer_tenant = "{tenantid}" if tenant.lower() in MULTI_TENANT_PATHS else tenant
        if tenant.lower() == self.tenant_id.lower():
            issuer_tenant = self.tenant_id
        return f"{site.rstrip('/')}/{issuer_tenant}/v2.0"

    def metadata(self, site: str, route: Mapping[str, str]) -> dict[str, Any]:
        """The discovery document of the path's tenant."""
        tenant_root = f"{site.rstrip('/')}/{route.get('tenant', '')}"
        document = self.discovery(
            site,
            route,
            token_endpoint_auth_methods_supported=[
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            response_modes_supported=["query", "fragment", "form_post"],
            subject_types_supported=["pairwise"],
            response_types_supported=[
                "code",
                "id_token",
                "code id_token",
                "id_token token",
            ],
            scopes_supported=["openid", "profile", "email", "offline_access"],
            request_uri_parameter_supported=False,
            end_session_endpoint=f"{tenant_root}/oauth2/v2.0/logout",
            claims_supported=[
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "nonce",
                "preferred_username",
                "name",
                "tid",
                "ver",
                "email",
            ],
            tenant_region_scope="EU",
            cloud_instance_name="microsoftonline.com",
            msgraph_host="graph.microsoft.com",
        )
        # Entra's document does not list PKCE methods, nor grant types.
        del document["code_challenge_methods_supported"]
        del document["grant_types_supported"]
        return document

    def _id_token(self, grant: Grant, account: Account) -> str:
        now = int(time.time())
        user = _graph_user(account, grant.site)
        scopes = set(grant.scope.split())
        profile = "profile" in scopes
        claims: dict[str, Any] = {
            "aud": grant.client_id,
            "iss": self.issuer(grant.site, self.home_route),
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "aio": random_token(80),
            "email": user.get("mail") if "email" in scopes else None,
            "name": user.get("displayName") if profile else None,
            "nonce": grant.nonce,
            "oid": user.get("id") if profile else None,
            "preferred_username": user.get("userPrincipalName") if profile else None,
            "rh": "1.A" + random_token(40),
            "sid": str(uuid.uuid4()),
            "sub": pairwise_subject(account.login, grant.client_id),
            "tid": self.tenant_id,
            "uti": random_token(22),
            "ver": "2.0",
        }
        return self.signing_key.sign(
            with_fields(claims, account.fields, _ADDABLE_CLAIMS)
        )


def object_id(login: str) -> str:
    """The stable object ID (``oid``, Graph's ``id``) of a user: a GUID.

    :param login: The user's login in the emulator.
    """
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"entra-user:{login}"))


def pairwise_subject(login: str, client_id: str) -> str:
    """The ``sub`` Entra gives a user in one app: different for each app.

    :param login: The user's login in the emulator.
    :param client_id: The app's client ID.
    """
    digest = hashlib.sha256(f"{login}:{client_id}".encode()).hexdigest()
    return digest[:43]


def _graph_user(account: Account, site: str) -> dict[str, Any]:
    user: dict[str, Any] = {
        "@odata.context": f"{site}v1.0/$metadata#users/$entity",
        "businessPhones": [],
        "displayName": account.name,
        "givenName": account.given_name,
        "jobTitle": None,
        "mail": account.email,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": None,
        "surname": account.family_name,
        "userPrincipalName": account.email,
        "id": object_id(account.login),
    }
    user.update(account.fields)
    return user


def _userinfo(
    user: Mapping[str, Any], account: Account, grant: Grant, site: str
) -> dict[str, Any]:
    scopes = set(grant.scope.split())
    profile = "profile" in scopes
    info: dict[str, Any] = {
        "sub": pairwise_subject(account.login, grant.client_id),
        "name": user.get("displayName") if profile else None,
        "family_name": user.get("surname") if profile else None,
        "given_name": user.get("givenName") if profile else None,
        "picture": f"{site}v1.0/me/photo/$value" if profile else None,
        "email": user.get("mail") if "email" in scopes else None,
    }
    return with_fields(info, account.fields)


def _graph_unauthorized(empty: bool) -> Response:
    message = "Access token is empty." if empty else "Access token validation failure."
    header = (
        'Bearer realm="", authorization_uri="https://login.microsoftonline.com/'
        'common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"'
    )
    return _graph_error(
        None,
        401,
        "InvalidAuthenticationToken",
        message,
        headers={"WWW-Authenticate": header},
    )


def _graph_error(
    request: Request | None,
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Graph's error body: ``code``, ``message`` and the ``innerError``
    with the date and request IDs (the client's own, when it sent one)."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    request_id = str(uuid.uuid4())
    sent = request.headers.get("client-request-id") if request is not None else None
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": now,
                "request-id": request_id,
                "client-request-id": sent or request_id,
            },
        }
    }
    return json_response(body, status, headers=headers)


def _app_not_found(client_id: str, tenant: str) -> str:
    return (
        f"AADSTS700016: Application with identifier '{client_id}' was not found "
        f"in the directory '{tenant}'. This can happen if the application has not "
        "been installed by the administrator of the tenant or consented to by any "
        "user in the tenant. You may have sent your authentication request to the "
        "wrong tenant."
    )


def _token_error(
    attempt: TokenAttempt,
    status: int,
    error: str,
    codes: list[int],
    message: str,
    *,
    uri: bool = True,
) -> Response:
    trace = str(uuid.uuid4())
    correlation = attempt.request.headers.get("client-request-id") or str(uuid.uuid4())
    timestamp = _timestamp(attempt.now)
    body: dict[str, Any] = {
        "error": error,
        "error_description": (
            f"{message}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}"
            f"\r\nTimestamp: {timestamp}"
        ),
        "error_codes": codes,
        "timestamp": timestamp,
        "trace_id": trace,
        "correlation_id": correlation,
    }
    if uri:
        body["error_uri"] = _LOGIN_ERROR_URI.format(code=codes[0])
    headers = {**_NO_STORE, "x-ms-request-id": trace}
    return json_response(body, status, headers=headers)


def _timestamp(now: float) -> str:
    return datetime.fromtimestamp(now, timezone.utc).strftime(_TIMESTAMP_FORMAT)
