"""GitLab's OAuth 2.0 / OpenID Connect wire format (Doorkeeper 5.9), as the
emulator speaks it.

The ``"gitlab"`` profile: ``/oauth/authorize``, ``/oauth/token``,
``/oauth/userinfo``, the JWKS at ``/oauth/discovery/keys``, discovery at the
root, and the REST API's ``/api/v4/user``, as on gitlab.com or a
self-managed instance.

GitLab's ways, from ``PROVIDERS.md`` and Doorkeeper's source: an
unregistered ``redirect_uri`` gets GitLab's own "An error has occurred" page
("The redirect URI included is not valid.", HTTP 200) and never returns to
the app. The registered URIs are one per line; a request's URI must equal
one of them, its port ignored only for loopback IP literals, its query
ignored when the registered one has none. Every token error is JSON with
``Cache-Control: no-store, no-cache`` and ``WWW-Authenticate: Bearer
realm="Doorkeeper", error="...", error_description="..."``; a wrong secret
is 401 ``invalid_client``; a used, expired or foreign code, a
``redirect_uri`` differing between the steps and a wrong PKCE verifier are
all the same 400 ``invalid_grant`` sentence. Codes live 600 seconds.
Other paths answer as GitLab's API does: 404 ``{"error": "404 Not Found"}``.

What apps read after signing in: the REST API's ``/api/v4/user`` (Flask-Dance's
GitLab blueprint has ``/api/v4/`` as its base URL, so apps call
``gitlab.get("user")``), with the fields of GitLab's "Get the current user"
(``null`` where the user has no value, as GitLab sends them); and, for
``openid``, ``/oauth/userinfo`` (``sub``, ``sub_legacy``, ``name``,
``nickname``, ``preferred_username``, ``email``, ``email_verified``,
``website``, ``profile``, ``picture``, ``groups``) and an ID token with the
same claims but ``groups_direct`` for ``groups``, plus ``auth_time``.
``ProviderEmulator(user={...})`` takes the REST API's names (``username``,
``email``...), from which userinfo and the ID token follow; a claim's own
name replaces that claim, ``None`` leaving it out.

Sources:

- https://docs.gitlab.com/api/oauth2/
- https://docs.gitlab.com/api/users/ (the current user)
- https://docs.gitlab.com/integration/openid_connect_provider/ (claims)
- https://flask-dance.readthedocs.io/en/latest/providers.html (GitLab)
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

from .dialect import DEFAULT_PORTS
from .dialect import Account
from .dialect import AuthorizeAttempt
from .dialect import AuthorizeRefusal
from .dialect import Grant
from .dialect import TokenAttempt
from .dialect import TokenFailure
from .dialect import error_page
from .dialect import json_response
from .oidc import OIDCDialect
from .oidc import with_fields

__all__ = ["GitLabDialect"]

#: An application ID: 64 hexadecimal characters.
DEFAULT_CLIENT_ID = "5b0c3e6f1a2d4c8e9f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e"
#: An application secret as GitLab 16.5+ shows it: ``gloas-`` and 64 hex.
DEFAULT_CLIENT_SECRET = (
    "gloas-0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
)
#: Seconds a code stays valid.
CODE_LIFETIME = 600.0

#: The authorization endpoint's path.
AUTHORIZE_PATH = "/oauth/authorize"
#: The token endpoint's path.
TOKEN_PATH = "/oauth/token"
#: The OpenID Connect userinfo path.
USERINFO_PATH = "/oauth/userinfo"
#: The JWKS path.
JWKS_PATH = "/oauth/discovery/keys"
#: The REST API's signed-in user.
USER_PATH = "/api/v4/user"
#: gitlab.com's API and OAuth prefixes, for absolute URLs in apps.
API_ORIGINS = {
    "https://gitlab.com/api/v4/": "/api/v4/",
    "https://gitlab.com/oauth/": "/oauth/",
}
#: Scopes that let a token read ``/api/v4/user``.
USER_SCOPES = frozenset({"api", "read_api", "read_user"})

#: Doorkeeper's ``invalid_client`` sentence.
INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client "
    "authentication included, or unsupported authentication method."
)
#: Doorkeeper's one ``invalid_grant`` sentence, for every code problem.
INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not "
    "match the redirection URI used in the authorization request, or was "
    "issued to another client."
)
#: GitLab's ``invalid_request`` sentence.
INVALID_REQUEST = (
    "The request is missing a required parameter, includes an unsupported "
    "parameter value, or is otherwise malformed."
)
#: GitLab's text for an unregistered ``redirect_uri``.
INVALID_REDIRECT_URI = "The redirect URI included is not valid."

_AUTHORIZE_ERRORS = {
    "access_denied": "The resource owner or authorization server denied the request.",
    "invalid_request": INVALID_REQUEST,
    "invalid_scope": "The requested scope is invalid, unknown, or malformed.",
    "unauthorized_client": (
        "The client is not authorized to perform this request using this method."
    ),
    "server_error": (
        "The authorization server encountered an unexpected condition which "
        "prevented it from fulfilling the request."
    ),
    "temporarily_unavailable": (
        "The authorization server is currently unable to handle the request due "
        "to a temporary overloading or maintenance of the server."
    ),
}
_TOKEN_ERRORS: dict[TokenFailure, str] = {
    "wrong_tenant": "invalid_client",
    "unknown_client": "invalid_client",
    "missing_secret": "invalid_client",
    "wrong_secret": "invalid_client",
    "expired_secret": "invalid_client",
    "unknown_code": "invalid_grant",
    "used_code": "invalid_grant",
    "expired_code": "invalid_grant",
    "foreign_code": "invalid_grant",
    "redirect_uri_missing": "invalid_request",
    "redirect_uri_mismatch": "invalid_grant",
    "pkce_missing": "invalid_request",
    "pkce_mismatch": "invalid_grant",
}
_DESCRIPTIONS = {
    "invalid_client": INVALID_CLIENT,
    "invalid_grant": INVALID_GRANT,
    "invalid_request": INVALID_REQUEST,
}
_NO_STORE = {"Cache-Control": "no-store, no-cache"}
# The user id that /api/v4/user reports.
_USER_ID = 1


class GitLabDialect(OIDCDialect):
    """The ``"gitlab"`` profile: an OAuth application on gitlab.com or a
    self-managed GitLab."""

    name = "gitlab"
    code_lifetime = CODE_LIFETIME
    default_client_id = DEFAULT_CLIENT_ID
    default_client_secret = DEFAULT_CLIENT_SECRET
    authorize_path = AUTHORIZE_PATH
    token_path = TOKEN_PATH
    jwks_path = JWKS_PATH
    userinfo_path = USERINFO_PATH
    api_paths = ((USER_PATH, "user"),)
    api_base_path = "/api/v4/"
    api_origins = API_ORIGINS
    denial_descriptions = _AUTHORIZE_ERRORS
    # read_user, so that get("user") may read /api/v4/user.
    client_scope = "openid email profile read_user"

    def redirect_uri_matches(self, candidate: str, registered: str) -> bool:
        """Doorkeeper's rule against each registered URI (one per line)."""
        if "#" in candidate:
            return False
        return any(_matches(candidate, one) for one in registered.split())

    def refuse_authorization(
        self, refusal: AuthorizeRefusal, attempt: AuthorizeAttempt
    ) -> Response:
        """GitLab's "An error has occurred" page, HTTP 200."""
        if refusal in ("redirect_uri_missing", "redirect_uri_mismatch"):
            message = INVALID_REDIRECT_URI
        else:
            message = INVALID_CLIENT
        return error_page("GitLab", "An error has occurred", [message], 200)

    def new_code(self) -> str:
        """A code as Doorkeeper makes them: 64 hexadecimal characters."""
        return secrets.token_hex(32)

    def token_error(self, failure: TokenFailure, attempt: TokenAttempt) -> Response:
        """Doorkeeper's error: JSON, ``no-store``, ``WWW-Authenticate``;
        401 for ``invalid_client``, 400 otherwise."""
        error = _TOKEN_ERRORS[failure]
        return doorkeeper_error(error, _DESCRIPTIONS[error])

    def new_access_token(self) -> str:
        """An access token: 64 hexadecimal characters."""
        return secrets.token_hex(32)

    def token_success(
        self, access_token: str, grant: Grant, account: Account, attempt: TokenAttempt
    ) -> Response:
        """Doorkeeper's token response (a refresh token, ``created_at``), and
        an ID token for ``openid``."""
        payload: dict[str, Any] = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 7200,
            "refresh_token": secrets.token_hex(32),
            "scope": grant.scope,
            "created_at": int(attempt.now),
        }
        if "openid" in grant.scope.split():
            payload["id_token"] = self._id_token(grant, account)
        return self.json_answer(payload, headers={**_NO_STORE, "Pragma": "no-cache"})

    def api(
        self, resource: str, grant: Grant | None, account: Account, request: Request
    ) -> Response:
        """``/api/v4/user`` (for ``read_user``, ``read_api`` or ``api``) and
        ``/oauth/userinfo``."""
        if resource == "userinfo":
            if grant is None:
                return doorkeeper_error(
                    "invalid_token", "The access token is invalid", 401
                )
            info = _userinfo(_user(account, request.host_url))
            return self.json_answer(with_fields(info, account.fields))
        if grant is None:
            return self.json_answer({"message": "401 Unauthorized"}, 401)
        if not USER_SCOPES & set(grant.scope.split()):
            return _insufficient_scope()
        return self.json_answer(_user(account, request.host_url))

    def not_found(self, request: Request) -> Response:
        """The API's ``{"error": "404 Not Found"}``, 404."""
        return self.json_answer({"error": "404 Not Found"}, 404)

    def metadata(self, site: str, route: Mapping[str, str]) -> dict[str, Any]:
        """GitLab's discovery document."""
        root = site.rstrip("/")
        return self.discovery(
            site,
            route,
            revocation_endpoint=f"{root}/oauth/revoke",
            introspection_endpoint=f"{root}/oauth/introspect",
            scopes_supported=[
                "api",
                "read_api",
                "read_user",
                "openid",
                "profile",
                "email",
            ],
            response_modes_supported=["query", "fragment", "form_post"],
            claim_types_supported=["normal"],
            claims_supported=[
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "sub_legacy",
                "name",
                "nickname",
                "preferred_username",
                "email",
                "email_verified",
                "website",
                "profile",
                "picture",
                "groups",
            ],
        )

    def _id_token(self, grant: Grant, account: Account) -> str:
        now = int(time.time())
        info = _userinfo(_user(account, grant.site))
        info.pop("groups", None)
        claims: dict[str, Any] = {
            "iss": self.issuer(grant.site, self.home_route),
            "sub": info.pop("sub"),
            "aud": grant.client_id,
            # GitLab's ID tokens live two minutes.
            "exp": now + 120,
            "iat": now,
            "auth_time": now,
            **info,
            "groups_direct": [],
            "nonce": grant.nonce,
        }
        return self.signing_key.sign(with_fields(claims, account.fields))


def doorkeeper_error(
    error: str, description: str, status: int | None = None
) -> Response:
    """A Doorkeeper error response: JSON, ``Cache-Control: no-store,
    no-cache`` and ``WWW-Authenticate: Bearer realm="Doorkeeper", ...``.

    :param error: The ``error`` code.
    :param description: The ``error_description``.
    :param status: The HTTP status; by default 401 for ``invalid_client``
        and ``unauthorized_client``, 400 otherwise.
    """
    if status is None:
        status = 401 if error in ("invalid_client", "unauthorized_client") else 400
    challenge = (
        f'Bearer realm="Doorkeeper", error="{_header_safe(error)}", '
        f'error_description="{_header_safe(description)}"'
    )
    return json_response(
        {"error": error, "error_description": description},
        status,
        headers={**_NO_STORE, "WWW-Authenticate": challenge},
    )


def _header_safe(value: str) -> str:
    # Doorkeeper replaces what RFC 6750 forbids in error attributes with "_".
    return "".join(
        char if char in " !" or ("#" <= char <= "[") or ("]" <= char <= "~") else "_"
        for char in value
    )


def _insufficient_scope() -> Response:
    description = (
        "The request requires higher privileges than provided by the access token."
    )
    scopes = "api read_api read_user"
    challenge = (
        'Bearer realm="Protected by OAuth 2.0", error="insufficient_scope", '
        f'error_description="{description}", scope="{scopes}"'
    )
    return json_response(
        {
            "error": "insufficient_scope",
            "error_description": description,
            "scope": scopes,
        },
        403,
        headers={"WWW-Authenticate": challenge},
    )


def _user(account: Account, site: str) -> dict[str, Any]:
    login = account.login
    user: dict[str, Any] = {
        "id": _USER_ID,
        "username": login,
        "name": account.name,
        "state": "active",
        "locked": False,
        "avatar_url": f"{site}uploads/-/system/user/avatar/{_USER_ID}/avatar.png",
        "web_url": f"{site}{login}",
        "created_at": "2015-05-21T11:01:29.000Z",
        "bio": "",
        "location": "",
        "public_email": None,
        "skype": "",
        "linkedin": "",
        "twitter": "",
        "discord": "",
        "website_url": "",
        "organization": "",
        "job_title": "",
        "pronouns": None,
        "bot": False,
        "work_information": None,
        "followers": 0,
        "following": 0,
        "local_time": None,
        "last_sign_in_at": "2024-01-22T12:00:00.000Z",
        "confirmed_at": "2015-05-21T11:01:29.000Z",
        "last_activity_on": "2024-01-22",
        "email": account.email,
        "theme_id": 1,
        "color_scheme_id": 1,
        "projects_limit": 100000,
        "current_sign_in_at": "2024-01-22T12:00:00.000Z",
        "identities": [],
        "can_create_group": True,
        "can_create_project": True,
        "two_factor_enabled": False,
        "external": False,
        "private_profile": False,
        "commit_email": account.email,
    }
    user.update(account.fields)
    return user


def _userinfo(user: Mapping[str, Any]) -> dict[str, Any]:
    user_id = str(user.get("id"))
    info: dict[str, Any] = {
        "sub": user_id,
        "sub_legacy": hashlib.sha256(f"gitlab-user:{user_id}".encode()).hexdigest(),
        "name": user.get("name"),
        "nickname": user.get("username"),
        "preferred_username": user.get("username"),
        "email": user.get("email"),
        "email_verified": True,
        "website": user.get("website_url") or user.get("web_url"),
        "profile": user.get("web_url"),
        "picture": user.get("avatar_url"),
        "groups": [],
    }
    return info


def _matches(url: str, client_url: str) -> bool:
    try:
        got, want = urlsplit(url), urlsplit(client_url)
        got_port, want_port = got.port, want.port
    except ValueError:
        return False
    if "?" in client_url and sorted(got.query.split("&")) != sorted(
        want.query.split("&")
    ):
        return False
    got_scheme, want_scheme = got.scheme.lower(), want.scheme.lower()
    got_host, want_host = got.hostname or "", want.hostname or ""
    if _is_loopback_literal(got_host) and _is_loopback_literal(want_host):
        got_port = want_port = None
    else:
        got_port = got_port or DEFAULT_PORTS.get(got_scheme)
        want_port = want_port or DEFAULT_PORTS.get(want_scheme)
    return (
        got_scheme == want_scheme
        and got_host == want_host
        and got_port == want_port
        and got.username == want.username
        and got.password == want.password
        and (got.path or "/") == (want.path or "/")
    )


def _is_loopback_literal(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
