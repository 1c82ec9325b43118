"""GitHub's OAuth App wire format, as the emulator speaks it.

Everything the emulator does the GitHub way lives here, as data and small
pure functions: the endpoint paths, the error texts and troubleshooting
links, the shapes of client credentials, codes and tokens, the
``redirect_uri`` matching rule, the token response's content negotiation,
and the REST API's ``/user`` and ``/user/emails`` bodies.
:mod:`~flask_oauth_recover.testing.emulator` holds the provider-free
machinery (serving, faults, driving a test client) and asks this module.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import string
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote
from urllib.parse import urlencode
from urllib.parse import urlsplit

from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

#: The client ID the emulator registers unless told otherwise.
DEFAULT_CLIENT_ID = "Iv1.0123456789abcdef"
#: The client secret the emulator registers unless told otherwise.
DEFAULT_CLIENT_SECRET = "0123456789abcdef0123456789abcdef01234567"
#: Seconds an authorization code stays valid, as on GitHub.
CODE_LIFETIME = 600.0

#: The authorization endpoint's path on github.com.
AUTHORIZE_PATH = "/login/oauth/authorize"
#: The token endpoint's path on github.com.
TOKEN_PATH = "/login/oauth/access_token"
#: The REST API's address: apps call ``/user`` on it, or name it as the
#: client's ``api_base_url``.
API_ORIGIN = "https://api.github.com/"
#: Scopes that let a token list the user's email addresses.
EMAIL_SCOPES = frozenset({"user", "user:email"})

_DOCS = "https://docs.github.com"
_TOKEN_ERRORS_PAGE = (
    f"{_DOCS}/apps/managing-oauth-apps/"
    "troubleshooting-oauth-app-access-token-request-errors/"
)
AUTHORIZE_ERRORS_PAGE = (
    f"{_DOCS}/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/"
)
_EMAILS_DOCS = (
    f"{_DOCS}/rest/users/emails#list-email-addresses-for-the-authenticated-user"
)
_REDIRECT_MISMATCH_DESCRIPTION = (
    "The redirect_uri MUST match the registered callback URL for this application."
)

_TOKEN_ERRORS: dict[str, tuple[str, str]] = {
    "incorrect_client_credentials": (
        "The client_id and/or client_secret passed are incorrect.",
        f"{_TOKEN_ERRORS_PAGE}#incorrect-client-credentials",
    ),
    # GitHub points this token error at the authorization troubleshooting page.
    "redirect_uri_mismatch": (
        _REDIRECT_MISMATCH_DESCRIPTION,
        f"{AUTHORIZE_ERRORS_PAGE}#redirect-uri-mismatch2",
    ),
    "bad_verification_code": (
        "The code passed is incorrect or expired.",
        f"{_TOKEN_ERRORS_PAGE}#bad-verification-code",
    ),
}

_AUTHORIZE_ERRORS: dict[str, tuple[str, str]] = {
    "redirect_uri_mismatch": (
        _REDIRECT_MISMATCH_DESCRIPTION,
        f"{AUTHORIZE_ERRORS_PAGE}#redirect-uri-mismatch",
    ),
    "access_denied": (
        "The user has denied your application access.",
        f"{AUTHORIZE_ERRORS_PAGE}#access-denied",
    ),
    "application_suspended": (
        "Your application has been suspended. Contact support@github.com.",
        f"{AUTHORIZE_ERRORS_PAGE}#application-suspended",
    ),
}

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TOKEN_ALPHABET = string.ascii_letters + string.digits
_JSON = "application/json; charset=utf-8"
_FORM = "application/x-www-form-urlencoded; charset=utf-8"


# -- authorization -------------------------------------------------------------


def authorize_error(error: str) -> tuple[str, str]:
    """GitHub's ``error_description`` and ``error_uri`` for an authorization
    error, or generic ones for a code GitHub does not document.

    :param error: The ``error`` code, e.g. ``access_denied``.
    """
    return _AUTHORIZE_ERRORS.get(
        error, (f"The authorization request failed: {error}.", AUTHORIZE_ERRORS_PAGE)
    )


def redirect_uri_matches(candidate: str, registered: str) -> bool:
    """Apply GitHub's rule: same scheme, host and port, and a path equal to
    or below the registered path. The query is ignored.

    :param candidate: The ``redirect_uri`` a request sent.
    :param registered: The OAuth App's registered callback URL.
    """
    try:
        got, want = urlsplit(candidate), urlsplit(registered)
        got_port, want_port = got.port, want.port
    except ValueError:
        return False
    got_scheme, want_scheme = got.scheme.lower(), want.scheme.lower()
    if (
        got_scheme != want_scheme
        or got.username is not None
        or got.password is not None
        or (got.hostname or "") != (want.hostname or "")
        or _effective_port(got_scheme, got_port)
        != _effective_port(want_scheme, want_port)
    ):
        return False
    got_segments = _path_segments(got.path)
    # A dot segment could climb out of the registered path once resolved.
    if any(segment in {".", ".."} for segment in got_segments):
        return False
    want_segments = _path_segments(want.path)
    return got_segments[: len(want_segments)] == want_segments


def new_code() -> str:
    """A fresh authorization code: 20 hexadecimal characters."""
    return secrets.token_hex(10)


def normalize_scope(scope: str) -> str:
    """The scopes as GitHub reports them granted: comma-separated, whatever
    the separator sent.

    :param scope: The ``scope`` parameter of an authorization request.
    """
    return ",".join(part for part in scope.replace(",", " ").split() if part)


# -- token -----------------------------------------------------------------------


def pkce_satisfied(
    challenge: str | None, method: str | None, verifier: str | None
) -> bool:
    """Whether a token request's ``code_verifier`` answers the code's
    challenge. GitHub supports ``S256`` only: a ``plain`` challenge can never
    be satisfied.

    :param challenge: The ``code_challenge`` sent when the code was issued.
    :param method: The ``code_challenge_method`` sent with it.
    :param verifier: The ``code_verifier`` of the token request.
    """
    if challenge is None:
        return True
    if not verifier or method != "S256":
        return False
    digest = hashlib.sha256(verifier.encode()).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=")
    return secrets.compare_digest(expected, challenge.encode())


def new_access_token() -> str:
    """A fresh OAuth App user token: ``gho_`` and 36 letters and digits."""
    return "gho_" + "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(36))


def accepts_json(request: Request) -> bool:
    """Whether a token request asked for JSON. A wildcard is not enough:
    GitHub answers form-encoded to ``*/*``.

    :param request: The token request.
    """
    return any(
        value.split(";")[0].strip().lower() == "application/json" and quality > 0
        for value, quality in request.accept_mimetypes
    )


def token_payload(payload: Mapping[str, str], as_json: bool) -> Response:
    """A token endpoint answer: HTTP 200, JSON or form-encoded.

    :param payload: The fields of the answer.
    :param as_json: Whether the request asked for JSON.
    """
    if as_json:
        return Response(json.dumps(dict(payload)), status=200, content_type=_JSON)
    return Response(urlencode(sorted(payload.items())), status=200, content_type=_FORM)


def token_error(error: str, as_json: bool) -> Response:
    """A token endpoint error, which GitHub sends with HTTP 200.

    :param error: One of ``incorrect_client_credentials``,
        ``redirect_uri_mismatch`` and ``bad_verification_code``.
    :param as_json: Whether the request asked for JSON.
    """
    description, uri = _TOKEN_ERRORS[error]
    return token_payload(
        {"error": error, "error_description": description, "error_uri": uri}, as_json
    )


# -- REST API ------------------------------------------------------------------


def user_profile(
    login: str, user_id: int, site: str, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """The body of ``GET /user`` for the signed-in user, with the fields
    apps read from the real one.

    :param login: The user's login.
    :param user_id: The user's numeric id.
    :param site: The emulator's own address, ending in a slash: the body's
        URLs point there rather than at github.com.
    :param overrides: Fields that replace or extend the defaults.
    """
    profile: dict[str, Any] = {
        "login": login,
        "id": user_id,
        "node_id": base64.b64encode(f"04:User{user_id}".encode()).decode(),
        "avatar_url": f"{site}avatars/u/{user_id}?v=4",
        "gravatar_id": "",
        "url": f"{site}users/{login}",
        "html_url": f"{site}{login}",
        "type": "User",
        "site_admin": False,
        "name": "The Octocat",
        "company": "@github",
        "blog": "https://github.blog",
        "location": "San Francisco",
        "email": f"{login}@example.com",
        "hireable": None,
        "bio": None,
        "twitter_username": None,
        "public_repos": 8,
        "public_gists": 8,
        "followers": 20,
        "following": 0,
        "created_at": "2011-01-25T18:44:36Z",
        "updated_at": "2024-01-22T12:00:00Z",
    }
    profile.update(overrides)
    return profile


def user_emails(profile: Mapping[str, Any], login: str) -> list[dict[str, Any]]:
    """The body of ``GET /user/emails``: the primary address (public when the
    profile shows it) and the user's ``noreply`` address.

    :param profile: The user's ``/user`` body.
    :param login: The user's login.
    """
    public = profile.get("email")
    primary = public if isinstance(public, str) and public else f"{login}@example.com"
    return [
        {
            "email": primary,
            "primary": True,
            "verified": True,
            "visibility": "public" if public else "private",
        },
        {
            "email": f"{profile.get('id')}+{login}@users.noreply.github.com",
            "primary": False,
            "verified": True,
            "visibility": None,
        },
    ]


def bad_credentials() -> Response:
    """The REST API's answer to a missing or unknown token."""
    return json_response({"message": "Bad credentials"}, status=401)


def emails_not_found(granted: str) -> Response:
    """The REST API's answer to ``/user/emails`` for a token without an email
    scope: 404, not 403, as GitHub hides what a token may not see.

    :param granted: The token's granted scopes, comma-separated.
    """
    response = json_response(
        {"message": "Not Found", "documentation_url": _EMAILS_DOCS}, status=404
    )
    response.headers["X-Accepted-OAuth-Scopes"] = "user, user:email"
    response.headers["X-OAuth-Scopes"] = scopes_header(granted)
    return response


def scopes_header(granted: str) -> str:
    """The ``X-OAuth-Scopes`` header GitHub adds to API answers.

    :param granted: The token's granted scopes, comma-separated.
    """
    return ", ".join(scope for scope in granted.split(",") if scope)


def json_response(payload: Any, status: int = 200) -> Response:
    """A JSON answer, as the REST API sends them.

    :param payload: The body.
    :param status: The HTTP status.
    """
    return Response(json.dumps(payload), status=status, content_type=_JSON)


def _effective_port(scheme: str, port: int | None) -> int | None:
    return port if port is not None else _DEFAULT_PORTS.get(scheme)


def _path_segments(path: str) -> list[str]:
    return [unquote(segment) for segment in path.split("/") if segment]
