"""GitHub's OAuth App wire format, as the emulator speaks it.

Everything the emulator does the GitHub way lives here, as data and small
pure functions: the endpoint paths, the error texts and troubleshooting
links, the shapes of client credentials, codes and tokens, the
``redirect_uri`` matching rule, the token response's content negotiation,
and the REST API's ``/user``, ``/user/emails``, ``/user/repos`` and
``/user/orgs`` bodies, and its JSON 404 for any other path.
:class:`GitHubDialect` puts them together as the ``"github"`` profile, the
emulator's default; :mod:`~flask_oauth_recover.testing.emulator` holds the
provider-free machinery (serving, faults, driving a test client) and asks
it.

GitHub's quirks, kept on purpose: token errors come back as HTTP 200 with an
``error`` field, the token endpoint answers form-encoded unless the client
asks for JSON, and an unregistered ``redirect_uri`` sends the user back to
the *registered* callback with ``error=redirect_uri_mismatch``.

``/user`` has every field of GitHub's "Get the authenticated user", in its
order; the private ones (``notification_email``, ``private_gists``,
``plan``...) only for a token with the ``user`` scope, as on GitHub. A field
GitHub has no value for is ``null`` there, so ``user={"email": None}`` is
the user who keeps the address private. These are the calls apps make after
signing in: Flask-Dance's GitHub docs read ``/user``; apps that need an
address the user keeps private read ``/user/emails``.

Sources:

- https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
- https://docs.github.com/en/rest/users/users#get-the-authenticated-user
- https://docs.github.com/en/rest/users/emails#list-email-addresses-for-the-authenticated-user
- https://flask-dance.readthedocs.io/en/latest/quickstarts/github.html
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote
from urllib.parse import urlencode
from urllib.parse import urlsplit

from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

from .dialect import DEFAULT_PORTS
from .dialect import Account
from .dialect import Addresses
from .dialect import AuthorizeAttempt
from .dialect import AuthorizeRefusal
from .dialect import BaseDialect
from .dialect import Grant
from .dialect import TokenAttempt
from .dialect import TokenFailure
from .dialect import json_response
from .dialect import random_token
from .dialect import redirect_to

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
#: Where the emulator describes itself (RFC 8414), for clients that find
#: their endpoints through a ``server_metadata_url``. GitHub has no such
#: document; the emulator offers one all the same.
METADATA_PATH = "/.well-known/oauth-authorization-server"
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
#: The ``documentation_url`` of the REST API's 404 for a path it does not
#: have.
REST_DOCS = f"{_DOCS}/rest"
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

# The id that ``/user`` reports; GitHub's first user had it too.
_USER_ID = 1
# The repositories ``/user/repos`` lists: (id, name, description, created,
# default branch), as octocat's own.
_REPOSITORIES = (
    (
        1296269,
        "Hello-World",
        "My first repository on GitHub!",
        "2011-01-26T19:01:12Z",
        "master",
    ),
    (
        1300192,
        "Spoon-Knife",
        "This repo is for demonstration purposes only.",
        "2011-01-27T19:30:43Z",
        "main",
    ),
)
_CLIENT_FAILURES = frozenset(
    {
        "wrong_tenant",
        "unknown_client",
        "missing_secret",
        "wrong_secret",
        "expired_secret",
    }
)
# REST API path (below the API root) -> the resource the dialect answers.
_API_PATHS = (
    ("user", "user"),
    ("user/emails", "emails"),
    ("user/repos", "repos"),
    ("user/orgs", "orgs"),
)
_TOKEN_ALPHABET = string.ascii_letters + string.digits
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
    return "gho_" + random_token(36, _TOKEN_ALPHABET)


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
        return json_response(dict(payload))
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
    login: str,
    user_id: int,
    site: str,
    overrides: Mapping[str, Any],
    *,
    private: bool = False,
) -> dict[str, Any]:
    """The body of ``GET /user`` for the signed-in user: every field of
    GitHub's answer, in its order.

    :param login: The user's login.
    :param user_id: The user's numeric id.
    :param site: The emulator's own address, ending in a slash: the body's
        URLs point there rather than at github.com.
    :param overrides: Fields that replace or extend the defaults.
    :param private: Whether the token has the ``user`` scope, which adds
        the private profile fields.
    """
    api = f"{site}users/{login}"
    profile: dict[str, Any] = {
        "login": login,
        "id": user_id,
        "user_view_type": "private" if private else "public",
        "node_id": base64.b64encode(f"04:User{user_id}".encode()).decode(),
        "avatar_url": f"{site}avatars/u/{user_id}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{site}{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": "User",
        "site_admin": False,
        "name": "The Octocat",
        "company": "@github",
        "blog": "https://github.blog",
        "location": "San Francisco",
        "email": f"{login}@example.com",
    }
    if private:
        profile["notification_email"] = f"{login}@example.com"
    profile.update(
        {
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
    )
    if private:
        profile.update(
            {
                "private_gists": 0,
                "total_private_repos": 0,
                "owned_private_repos": 0,
                "disk_usage": 1024,
                "collaborators": 0,
                "two_factor_authentication": True,
                "plan": {
                    "name": "free",
                    "space": 976562499,
                    "private_repos": 10000,
                    "collaborators": 0,
                },
            }
        )
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


def user_repos(profile: Mapping[str, Any], site: str) -> list[dict[str, Any]]:
    """The body of ``GET /user/repos``: two public repositories the user
    owns, with the fields apps read from the real list.

    :param profile: The user's ``/user`` body, whose ``login`` and ``id``
        the owner carries.
    :param site: The emulator's own address, ending in a slash.
    """
    login = str(profile.get("login"))
    owner = {
        key: profile.get(key)
        for key in (
            "login",
            "id",
            "node_id",
            "avatar_url",
            "url",
            "html_url",
            "type",
            "site_admin",
        )
    }
    repos = []
    for repo_id, name, description, created, branch in _REPOSITORIES:
        full_name = f"{login}/{name}"
        repos.append(
            {
                "id": repo_id,
                "node_id": base64.b64encode(
                    f"010:Repository{repo_id}".encode()
                ).decode(),
                "name": name,
                "full_name": full_name,
                "private": False,
                "owner": owner,
                "html_url": f"{site}{full_name}",
                "description": description,
                "fork": False,
                "url": f"{site}repos/{full_name}",
                "created_at": created,
                "updated_at": "2024-01-22T12:00:00Z",
                "pushed_at": "2024-01-22T12:00:00Z",
                "visibility": "public",
                "default_branch": branch,
                "permissions": {
                    "admin": True,
                    "maintain": True,
                    "push": True,
                    "triage": True,
                    "pull": True,
                },
            }
        )
    return repos


def not_found() -> Response:
    """The REST API's answer to a path it does not have."""
    return json_response(
        {"message": "Not Found", "documentation_url": REST_DOCS, "status": "404"},
        status=404,
    )


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


def server_metadata(site: str) -> dict[str, Any]:
    """The emulator's RFC 8414 metadata, its addresses on ``site``.

    :param site: The emulator's address, ending in a slash.
    """
    root = site.rstrip("/")
    return {
        "issuer": root,
        "authorization_endpoint": f"{root}{AUTHORIZE_PATH}",
        "token_endpoint": f"{root}{TOKEN_PATH}",
        "userinfo_endpoint": f"{root}/user",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "client_secret_basic",
        ],
    }


def _effective_port(scheme: str, port: int | None) -> int | None:
    return port if port is not None else DEFAULT_PORTS.get(scheme)


def _path_segments(path: str) -> list[str]:
    return [unquote(segment) for segment in path.split("/") if segment]


class GitHubDialect(BaseDialect):
    """The ``"github"`` profile: an OAuth App on github.com.

    The API answers at the root, as api.github.com does, and under
    ``/api/``, where :meth:`client_kwargs` points ``api_base_url``: the
    signed-in user's ``/user``, ``/user/emails``, ``/user/repos`` and
    ``/user/orgs``, and GitHub's JSON 404 anywhere else.
    """

    name = "github"
    code_lifetime = CODE_LIFETIME
    default_client_id = DEFAULT_CLIENT_ID
    default_client_secret = DEFAULT_CLIENT_SECRET
    pkce_methods = frozenset({"S256"})
    # PKCE is part of GitHub's code check: a wrong verifier reads as a bad
    # code even when the redirect_uri is wrong as well.
    pkce_checked_first = True
    redirect_uri_required = False
    authorize_path = AUTHORIZE_PATH
    token_path = TOKEN_PATH
    metadata_path = METADATA_PATH
    api_paths = tuple(
        (f"{prefix}{path}", resource)
        for prefix in ("/", "/api/")
        for path, resource in _API_PATHS
    )
    api_base_path = "/api/"
    stand_in_api_base_path = "/"
    api_origins = {API_ORIGIN: "/"}

    def client_kwargs(
        self, addresses: Addresses, client_id: str, client_secret: str
    ) -> dict[str, Any]:
        """Literal endpoint URLs and the ``read:user`` scope."""
        return addresses.literal_registration(
            client_id,
            client_secret,
            client_kwargs={"scope": "read:user"},
        )

    def redirect_uri_matches(self, candidate: str, registered: str) -> bool:
        """GitHub's rule: see :func:`redirect_uri_matches`."""
        return redirect_uri_matches(candidate, registered)

    def refuse_authorization(
        self, refusal: AuthorizeRefusal, attempt: AuthorizeAttempt
    ) -> Response:
        """An unknown client gets a bare 404; an unregistered
        ``redirect_uri`` goes back to the *registered* callback with
        ``error=redirect_uri_mismatch``."""
        if refusal == "redirect_uri_mismatch" and attempt.registered is not None:
            return redirect_to(
                attempt.registered,
                self.denial_params("redirect_uri_mismatch", None, None, attempt),
            )
        return Response("Not Found", status=404, mimetype="text/plain")

    def own_denial(self, error: str) -> tuple[str | None, str | None]:
        """GitHub's texts: see :func:`authorize_error`."""
        return authorize_error(error)

    def new_code(self) -> str:
        """See :func:`new_code`."""
        return new_code()

    def granted_scope(self, requested: str) -> str:
        """See :func:`normalize_scope`."""
        return normalize_scope(requested)

    def token_error(self, failure: TokenFailure, attempt: TokenAttempt) -> Response:
        """HTTP 200 with ``incorrect_client_credentials``,
        ``redirect_uri_mismatch`` or, for everything about the code (PKCE
        included), ``bad_verification_code``."""
        if failure in _CLIENT_FAILURES:
            error = "incorrect_client_credentials"
        elif failure in ("redirect_uri_missing", "redirect_uri_mismatch"):
            error = "redirect_uri_mismatch"
        else:
            error = "bad_verification_code"
        return token_error(error, accepts_json(attempt.request))

    def new_access_token(self) -> str:
        """See :func:`new_access_token`."""
        return new_access_token()

    def token_success(
        self, access_token: str, grant: Grant, account: Account, attempt: TokenAttempt
    ) -> Response:
        """``access_token``, ``token_type=bearer`` and the comma-separated
        ``scope``, as JSON or form-encoded."""
        return token_payload(
            {
                "access_token": access_token,
                "token_type": "bearer",
                "scope": grant.scope,
            },
            accepts_json(attempt.request),
        )

    def metadata(self, site: str, route: Mapping[str, str]) -> dict[str, Any]:
        """See :func:`server_metadata`."""
        return server_metadata(site)

    def api(
        self, resource: str, grant: Grant | None, account: Account, request: Request
    ) -> Response:
        """``/user``, ``/user/emails``, ``/user/repos`` and ``/user/orgs``
        (none), with ``X-OAuth-Scopes``."""
        if grant is None:
            return bad_credentials()
        site = request.host_url
        profile = user_profile(
            account.login,
            _USER_ID,
            site,
            account.fields,
            private="user" in grant.scope.split(","),
        )
        body: Any
        if resource == "emails":
            if not EMAIL_SCOPES & set(grant.scope.split(",")):
                return emails_not_found(grant.scope)
            body = user_emails(profile, account.login)
        elif resource == "repos":
            body = user_repos(profile, site)
        elif resource == "orgs":
            body = []
        else:
            body = profile
        response = json_response(body)
        response.headers["X-OAuth-Scopes"] = scopes_header(grant.scope)
        return response

    def not_found(self, request: Request) -> Response:
        """``{"message": "Not Found", "documentation_url": ...}``, 404."""
        return not_found()
