"""Google's OAuth 2.0 / OpenID Connect wire format, as the emulator speaks it.

The ``"google"`` profile: authorization at ``/o/oauth2/v2/auth`` (on
accounts.google.com), the token endpoint at ``/token`` (oauth2.googleapis.com),
discovery at the root, the JWKS at ``/oauth2/v3/certs``, and the user's
profile where apps read it, each path the one it has on its real host:

- ``/v1/userinfo`` (openidconnect.googleapis.com, the discovery document's
  ``userinfo_endpoint``) and ``/oauth2/v3/userinfo`` (www.googleapis.com):
  OpenID Connect claims, ``sub``, ``name``, ``given_name``, ``family_name``,
  ``picture``, ``email``, ``email_verified``, ``locale``, ``hd``;
- ``/oauth2/v1/userinfo``, ``/oauth2/v2/userinfo`` and ``/userinfo/v2/me``
  (www.googleapis.com, the OAuth2 API that Flask-Dance's examples and many
  apps read): the same person as ``id``, ``email``, ``verified_email``,
  ``name``, ``given_name``, ``family_name``, ``picture``, ``locale``, ``hd``.

Each sends only what the granted scopes release (``email``: the address and
whether it is verified; ``profile``: the name, picture and locale). The ID
token carries what Google's OpenID Connect page lists for those scopes:
``iss``, ``azp``, ``aud``, ``sub``, ``hd`` for a Workspace account,
``email``, ``email_verified``, ``at_hash``, ``nonce``, ``name``,
``picture``, ``given_name``, ``family_name``, ``locale``, ``iat``, ``exp``.
``ProviderEmulator(user={...})`` changes any of them, by either name
(``sub`` or ``id``, ``email_verified`` or ``verified_email``); ``None``
leaves one out, as Google leaves out what it does not know: its page says
``locale`` "might be provided", and lately it often is not. ``hd`` is sent
only when set. Asking for ``email`` or ``profile`` grants ``openid`` as
well, so an ID token comes back even when ``openid`` was not asked for, and
the granted scopes are spelled as Google's URLs: oauthlib's "Scope has
changed" warning (``OAUTHLIB_RELAX_TOKEN_SCOPE``) is Google's own.

Google's ways, from ``PROVIDERS.md``: an unregistered ``redirect_uri`` gets
Google's own "Error 400: redirect_uri_mismatch" page and never returns to
the app; the match is exact (scheme, host, port, case, trailing slash); a
cancel comes back as ``?error=access_denied&state=...`` with no description;
token errors are JSON with terse descriptions ("Bad Request" for a used or
expired code, 401 ``invalid_client`` "Unauthorized" for a wrong secret,
``redirect_uri_mismatch`` when the two steps' ``redirect_uri`` differ,
"Invalid code verifier." for PKCE). Other paths answer as Google's APIs
do, 404 with ``{"error": {"code": 404, "message": "Method not found.",
"status": "NOT_FOUND"}}``; the OAuth2 API refuses a missing or unknown
token in that shape too (401 ``UNAUTHENTICATED``), userinfo with
``invalid_request`` "Invalid Credentials". Google does not document the
code lifetime; the emulator uses ten minutes.

Sources:

- https://developers.google.com/identity/openid-connect/openid-connect
  (the ID token's payload, userinfo, the scopes);
- https://accounts.google.com/.well-known/openid-configuration;
- https://www.googleapis.com/discovery/v1/apis/oauth2/v2/rest (the OAuth2
  API's ``userinfo`` and ``Userinfo`` schema);
- https://flask-dance.readthedocs.io/en/latest/providers.html (Google:
  ``google.get("/oauth2/v2/userinfo")``);
- the ``openid`` Google adds: requests/requests-oauthlib#387,
  googleapis/google-api-python-client#1088.
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
from .dialect import json_response
from .dialect import random_token
from .oidc import OIDCDialect
from .oidc import at_hash
from .oidc import present

__all__ = ["GoogleDialect"]

#: A Web application client ID: digits, a dash, 32 letters and digits.
DEFAULT_CLIENT_ID = (
    "123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com"
)
#: A client secret as Google issues them since 2021: ``GOCSPX-`` and 28 more.
DEFAULT_CLIENT_SECRET = "GOCSPX-AbCdEfGhIjKlMnOpQrStUvWx1234"
#: Seconds a code stays valid. Google does not say; ten minutes, as others.
CODE_LIFETIME = 600.0

#: The authorization endpoint's path on accounts.google.com.
AUTHORIZE_PATH = "/o/oauth2/v2/auth"
#: The token endpoint's path on oauth2.googleapis.com.
TOKEN_PATH = "/token"
#: The userinfo endpoint's path on openidconnect.googleapis.com.
USERINFO_PATH = "/v1/userinfo"
#: The same userinfo on www.googleapis.com.
USERINFO_V3_PATH = "/oauth2/v3/userinfo"
#: The OAuth2 API's userinfo on www.googleapis.com, each version and alias,
#: with the older field names.
USERINFO_V2_PATHS = ("/oauth2/v1/userinfo", "/oauth2/v2/userinfo", "/userinfo/v2/me")
#: The JWKS path on www.googleapis.com.
JWKS_PATH = "/oauth2/v3/certs"
#: The API hosts apps call with absolute URLs; the emulator serves their
#: paths at its root.
API_ORIGINS = (
    "https://openidconnect.googleapis.com/",
    "https://www.googleapis.com/",
)

_SCOPE_URLS = {
    "email": "https://www.googleapis.com/auth/userinfo.email",
    "profile": "https://www.googleapis.com/auth/userinfo.profile",
}
# Which userinfo claims each scope releases; "sub" is always there.
_CLAIMS_BY_SCOPE = {
    "email": ("email", "email_verified"),
    "profile": ("name", "given_name", "family_name", "picture", "locale"),
}
# The OAuth2 API's (v1, v2) names for OpenID Connect claims; a test may use
# either in ProviderEmulator(user=...).
_V2_NAMES = {"sub": "id", "email_verified": "verified_email"}
# The OAuth2 API's fields, in the order Google sends them.
_V2_ORDER = (
    "id",
    "email",
    "verified_email",
    "name",
    "given_name",
    "family_name",
    "picture",
    "locale",
    "hd",
)
_DEVCONSOLE = "https://developers.google.com/identity/sign-in/web/devconsole-project"
_TOKEN_ERRORS: dict[TokenFailure, tuple[int, str, str]] = {
    # Google's paths name no tenant; kept for completeness.
    "wrong_tenant": (401, "invalid_client", "Unauthorized"),
    "unknown_client": (401, "invalid_client", "The OAuth client was not found."),
    "missing_secret": (400, "invalid_request", "client_secret is missing."),
    "wrong_secret": (401, "invalid_client", "Unauthorized"),
    "expired_secret": (401, "invalid_client", "Unauthorized"),
    "unknown_code": (400, "invalid_grant", "Bad Request"),
    "used_code": (400, "invalid_grant", "Bad Request"),
    "expired_code": (400, "invalid_grant", "Bad Request"),
    "foreign_code": (400, "invalid_grant", "Bad Request"),
    "redirect_uri_missing": (400, "invalid_request", "Missing parameter: redirect_uri"),
    "redirect_uri_mismatch": (400, "redirect_uri_mismatch", "Bad Request"),
    "pkce_missing": (400, "invalid_grant", "Missing code verifier."),
    "pkce_mismatch": (400, "invalid_grant", "Invalid code verifier."),
}
_NO_STORE = {
    "Cache-Control": "no-cache, no-store, max-age=0, must-revalidate",
    "Pragma": "no-cache",
}
_PAGE_TITLE = "Sign in - Google Accounts"
_INVALID_REQUEST = "Access blocked: This app's request is invalid"
_INVALID_REQUEST_TEXT = (
    "You can't sign in because this app sent an invalid request. You can try "
    "again later, or contact the developer about this issue. Learn more about "
    "this error"
)
_DEVELOPER_HINT = "If you are a developer of this app, see error details."


class GoogleDialect(OIDCDialect):
    """The ``"google"`` profile: a Web application OAuth client on Google."""

    name = "google"
    code_lifetime = CODE_LIFETIME
    default_client_id = DEFAULT_CLIENT_ID
    default_client_secret = DEFAULT_CLIENT_SECRET
    authorize_path = AUTHORIZE_PATH
    token_path = TOKEN_PATH
    jwks_path = JWKS_PATH
    userinfo_path = USERINFO_PATH
    api_paths = (
        (USERINFO_V3_PATH, "userinfo"),
        *((path, "userinfo_v2") for path in USERINFO_V2_PATHS),
    )
    api_base_path = "/v1/"
    api_origins = dict.fromkeys(API_ORIGINS, "/")
    token_errors = _TOKEN_ERRORS
    token_error_headers = _NO_STORE
    token_indent = 2

    def refuse_authorization(
        self, refusal: AuthorizeRefusal, attempt: AuthorizeAttempt
    ) -> Response:
        """Google's "Access blocked" page: 401 ``invalid_client`` for an
        unknown client, 400 ``redirect_uri_mismatch`` or
        ``invalid_request``."""
        if refusal == "redirect_uri_mismatch":
            return error_page(
                _PAGE_TITLE,
                _INVALID_REQUEST,
                [
                    _INVALID_REQUEST_TEXT,
                    _DEVELOPER_HINT,
                    "Error 400: redirect_uri_mismatch",
                    f"Request details: redirect_uri={attempt.redirect_uri} "
                    "flowName=GeneralOAuthFlow",
                ],
                400,
            )
        if refusal == "redirect_uri_missing":
            return error_page(
                _PAGE_TITLE,
                _INVALID_REQUEST,
                [
                    _INVALID_REQUEST_TEXT,
                    "Missing required parameter: redirect_uri",
                    "Error 400: invalid_request",
                ],
                400,
            )
        return error_page(
            _PAGE_TITLE,
            "Access blocked: Authorization Error",
            [
                "The OAuth client was not found.",
                _DEVELOPER_HINT,
                "Error 401: invalid_client",
            ],
            401,
        )

    def new_code(self) -> str:
        """A code shaped like Google's: ``4/0A`` and 70 more characters."""
        return "4/0A" + random_token(70)

    def code_params(
        self, code: str, scope: str, attempt: AuthorizeAttempt
    ) -> list[tuple[str, str | None]]:
        """``state``, ``code``, and the granted ``scope``, ``authuser`` and
        ``prompt`` that Google adds."""
        return [
            ("state", attempt.state),
            ("code", code),
            ("scope", scope),
            ("authuser", "0"),
            ("prompt", "consent"),
        ]

    def granted_scope(self, requested: str) -> str:
        """The scopes with ``email`` and ``profile`` spelled out as Google's
        URLs, as Google reports them, and ``openid`` added when either was
        asked for."""
        granted = [_SCOPE_URLS.get(scope, scope) for scope in requested.split()]
        if "openid" not in granted and set(granted) & set(_SCOPE_URLS.values()):
            granted.append("openid")
        return " ".join(granted)

    def new_access_token(self) -> str:
        """An access token shaped like Google's: ``ya29.a0`` and more."""
        return "ya29.a0" + random_token(150)

    def token_success(
        self, access_token: str, grant: Grant, account: Account, attempt: TokenAttempt
    ) -> Response:
        """The access token, a refresh token for ``access_type=offline``,
        and an ID token when ``openid`` was asked for."""
        scopes = set(grant.scope.split())
        payload: dict[str, Any] = {"access_token": access_token, "expires_in": 3599}
        if grant.authorize_params.get("access_type") == "offline":
            payload["refresh_token"] = "1//0g" + random_token(100)
        payload["scope"] = grant.scope
        payload["token_type"] = "Bearer"
        if "openid" in scopes:
            payload["id_token"] = self._id_token(access_token, grant, account)
        return self.json_answer(payload, headers=_NO_STORE, indent=self.token_indent)

    def api(
        self, resource: str, grant: Grant | None, account: Account, request: Request
    ) -> Response:
        """Userinfo (``sub`` and the claims the granted scopes release), or
        the OAuth2 API's older shape of it (``id``, ``verified_email``...)."""
        if resource == "userinfo_v2":
            if grant is None:
                return _oauth2_api_unauthorized(request)
            info = _userinfo(account, request.host_url, grant.scope)
            renamed = {_V2_NAMES.get(key, key): value for key, value in info.items()}
            ordered = {key: renamed[key] for key in _V2_ORDER if key in renamed}
            return self.json_answer({**ordered, **renamed}, indent=2)
        if grant is None:
            return self.json_answer(
                {
                    "error": "invalid_request",
                    "error_description": "Invalid Credentials",
                },
                401,
                headers={
                    "WWW-Authenticate": (
                        'Bearer realm="https://accounts.google.com/", '
                        'error="invalid_token"'
                    )
                },
            )
        return self.json_answer(_userinfo(account, request.host_url, grant.scope))

    def not_found(self, request: Request) -> Response:
        """Google's API error: ``{"error": {"code": 404, "message": ...,
        "status": "NOT_FOUND"}}``."""
        return self.json_answer(
            {
                "error": {
                    "code": 404,
                    "message": "Method not found.",
                    "status": "NOT_FOUND",
                }
            },
            404,
            indent=2,
        )

    def metadata(self, site: str, route: Mapping[str, str]) -> dict[str, Any]:
        """Google's discovery document."""
        root = site.rstrip("/")
        return self.discovery(
            site,
            route,
            device_authorization_endpoint=f"{root}/device/code",
            revocation_endpoint=f"{root}/revoke",
            response_types_supported=[
                "code",
                "token",
                "id_token",
                "code token",
                "code id_token",
                "token id_token",
                "code token id_token",
                "none",
            ],
            claims_supported=[
                "aud",
                "email",
                "email_verified",
                "exp",
                "family_name",
                "given_name",
                "iat",
                "iss",
                "name",
                "picture",
                "sub",
            ],
        )

    def _id_token(self, access_token: str, grant: Grant, account: Account) -> str:
        now = int(time.time())
        userinfo = _userinfo(account, grant.site, grant.scope)
        claims: dict[str, Any] = {
            "iss": self.issuer(grant.site, self.home_route),
            "azp": grant.client_id,
            "aud": grant.client_id,
            "sub": userinfo["sub"],
            "hd": userinfo.get("hd"),
            "email": userinfo.get("email"),
            "email_verified": userinfo.get("email_verified"),
            "at_hash": at_hash(access_token),
            "nonce": grant.nonce,
        }
        for key in ("name", "picture", "given_name", "family_name", "locale"):
            claims[key] = userinfo.get(key)
        # Fields of the test's own, beyond Google's.
        claims.update(
            {key: value for key, value in userinfo.items() if key not in claims}
        )
        claims["iat"] = now
        claims["exp"] = now + 3600
        return self.signing_key.sign(present(claims))


def subject(login: str) -> str:
    """The stable ``sub`` Google gives a user: 21 digits.

    :param login: The user's login in the emulator.
    """
    digits = str(int(hashlib.sha256(login.encode()).hexdigest(), 16))
    return "1" + digits[:20]


def _userinfo(account: Account, site: str, scope: str) -> dict[str, Any]:
    """The person as OpenID Connect userinfo: what the granted scopes
    release, the test's fields (by either name) applied, ``None`` left out."""
    sub = subject(account.login)
    claims: dict[str, Any] = {
        "sub": sub,
        "name": account.name,
        "given_name": account.given_name,
        "family_name": account.family_name,
        "picture": f"{site}a/{sub}=s96-c",
        "email": account.email,
        "email_verified": True,
        "locale": "en",
    }
    oidc_names = {v2: oidc for oidc, v2 in _V2_NAMES.items()}
    claims.update(
        {oidc_names.get(key, key): value for key, value in account.fields.items()}
    )
    granted = set(scope.split())
    withheld = {
        claim
        for scope_name, names in _CLAIMS_BY_SCOPE.items()
        if _SCOPE_URLS[scope_name] not in granted and scope_name not in granted
        for claim in names
    }
    return present({key: value for key, value in claims.items() if key not in withheld})


def _oauth2_api_unauthorized(request: Request) -> Response:
    """The OAuth2 API's 401, in Google's API error shape."""
    if request.headers.get("Authorization"):
        message = "Request had invalid authentication credentials."
        reason, detail = "authError", "Invalid Credentials"
    else:
        message = "Request is missing required authentication credential."
        reason, detail = "required", "Login Required."
    body = {
        "error": {
            "code": 401,
            "message": (
                f"{message} Expected OAuth 2 access token, login cookie or other "
                f"valid authentication credential. See {_DEVCONSOLE}."
            ),
            "errors": [
                {
                    "message": detail,
                    "domain": "global",
                    "reason": reason,
                    "location": "Authorization",
                    "locationType": "header",
                }
            ],
            "status": "UNAUTHENTICATED",
        }
    }
    return json_response(
        body,
        401,
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
        indent=2,
    )
