"""Facebook Login's wire format, as the emulator speaks it.

The ``"facebook"`` profile: the login dialog at ``/v21.0/dialog/oauth`` (on
www.facebook.com) and the Graph API's ``/v21.0/oauth/access_token`` and
``/me`` (on graph.facebook.com), also without the version.

Facebook's ways, from ``PROVIDERS-2.md``: token errors are Graph API error
objects with HTTP 400, ``{"error": {"message", "type": "OAuthException",
"code", "error_subcode", "fbtrace_id"}}``, and a ``WWW-Authenticate: OAuth
"Facebook Platform" "invalid_code" "<message>"`` header: code 100 with
subcode 36009 "This authorization code has been used.", 36007 "This
authorization code has expired.", 36008 for a ``redirect_uri`` that
differs from the dialog's, code 1 "Error validating client secret.", code
191 "Missing redirect_uri parameter.". A code Facebook never issued is
answered like a used one, and an unknown app with code 101 (neither is
confirmed). A cancel comes back as ``?error=access_denied&error_code=200&
error_description=Permissions+error&error_reason=user_denied``. An
unregistered redirect URI gets the "URL Blocked" page, which real Facebook
shows in the viewer's language. Other Graph paths answer code 2500
"Unknown path components".
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

from .dialect import Account
from .dialect import Addresses
from .dialect import AuthorizeAttempt
from .dialect import AuthorizeRefusal
from .dialect import BaseDialect
from .dialect import Grant
from .dialect import TokenAttempt
from .dialect import TokenFailure
from .dialect import error_page
from .dialect import oauth_server_metadata
from .dialect import random_token

__all__ = ["FacebookDialect"]

#: The Graph API version in the paths.
VERSION = "v21.0"
#: An App ID: a number.
DEFAULT_CLIENT_ID = "1234567890123456"
#: An App Secret: 32 hexadecimal characters.
DEFAULT_CLIENT_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
#: Seconds a code stays valid (about ten minutes, weakly sourced).
CODE_LIFETIME = 600.0

_USED = (100, 36009, "This authorization code has been used.")
_EXPIRED = (100, 36007, "This authorization code has expired.")
_SECRET = (1, None, "Error validating client secret.")
_APP = (101, None, "Error validating application. Invalid application ID.")
#: failure -> (code, error_subcode, message).
_GRAPH_ERRORS: dict[TokenFailure, tuple[int, int | None, str]] = {
    "wrong_tenant": (
        101,
        None,
        "Error validating application. Invalid application ID.",
    ),
    "unknown_client": (
        101,
        None,
        "Error validating application. Invalid application ID.",
    ),
    "missing_secret": _SECRET,
    "wrong_secret": _SECRET,
    "expired_secret": _SECRET,
    "unknown_code": _USED,
    "used_code": _USED,
    "expired_code": _EXPIRED,
    "foreign_code": _USED,
    "redirect_uri_missing": (191, None, "Missing redirect_uri parameter."),
    "redirect_uri_mismatch": (
        100,
        36008,
        "Error validating verification code. Please make sure your redirect_uri "
        "is identical to the one you used in the OAuth dialog request",
    ),
    "pkce_missing": _USED,
    "pkce_mismatch": _USED,
}
_BLOCKED = (
    "URL Blocked: This redirect failed because the redirect URI is not "
    "whitelisted in the app's Client OAuth Settings. Make sure Client and Web "
    "OAuth Login are on and add all your app domains as Valid OAuth Redirect "
    "URIs."
)


class FacebookDialect(BaseDialect):
    """The ``"facebook"`` profile: a Meta app with Facebook Login."""

    name = "facebook"
    code_lifetime = CODE_LIFETIME
    default_client_id = DEFAULT_CLIENT_ID
    default_client_secret = DEFAULT_CLIENT_SECRET
    authorize_path = f"/{VERSION}/dialog/oauth"
    token_path = f"/{VERSION}/oauth/access_token"
    metadata_path = "/.well-known/oauth-authorization-server"
    api_paths = (("/me", "me"), (f"/{VERSION}/me", "me"))
    api_base_path = f"/{VERSION}/"
    api_origins = {"https://graph.facebook.com/": "/"}
    token_errors = {}

    def client_kwargs(
        self, addresses: Addresses, client_id: str, client_secret: str
    ) -> dict[str, Any]:
        """Literal endpoint URLs, the ``email public_profile`` scope, and
        the secret in the request."""
        return addresses.literal_registration(
            client_id,
            client_secret,
            client_kwargs={
                "scope": "email public_profile",
                "token_endpoint_auth_method": "client_secret_post",
            },
        )

    def refuse_authorization(
        self, refusal: AuthorizeRefusal, attempt: AuthorizeAttempt
    ) -> Response:
        """The dialog's own page: "URL Blocked" for a redirect URI it does
        not know, "Invalid App ID" for an unknown app."""
        if refusal in ("redirect_uri_missing", "redirect_uri_mismatch"):
            return error_page("Error", "Error", [_BLOCKED], 200)
        return error_page(
            "Error",
            "Error",
            ["Invalid App ID: The provided app ID does not look like a valid app ID."],
            200,
        )

    def denial_params(
        self,
        error: str,
        description: str | None,
        uri: str | None,
        attempt: AuthorizeAttempt,
    ) -> list[tuple[str, str | None]]:
        """A cancel with ``error_code``, ``error_description`` and
        ``error_reason``, as the dialog sends it."""
        if error != "access_denied":
            return super().denial_params(error, description, uri, attempt)
        return [
            ("error", error),
            ("error_code", "200"),
            (
                "error_description",
                "Permissions error" if description is None else description,
            ),
            ("error_reason", "user_denied"),
            ("state", attempt.state),
        ]

    def granted_scope(self, requested: str) -> str:
        """The permissions, comma-separated as Facebook writes them."""
        return ",".join(requested.replace(",", " ").split())

    def token_error(self, failure: TokenFailure, attempt: TokenAttempt) -> Response:
        """A Graph API error object, HTTP 400, with the challenge header."""
        code, subcode, message = _GRAPH_ERRORS[failure]
        error: dict[str, Any] = {
            "message": message,
            "type": "OAuthException",
            "code": code,
        }
        if subcode is not None:
            error["error_subcode"] = subcode
        error["fbtrace_id"] = random_token(11)
        challenge = f'OAuth "Facebook Platform" "invalid_code" "{message}"'
        return self.json_answer(
            {"error": error}, 400, headers={"WWW-Authenticate": challenge}
        )

    def new_code(self) -> str:
        """A code shaped like Facebook's: ``AQ`` and a long random part."""
        return "AQ" + random_token(300)

    def new_access_token(self) -> str:
        """A user access token shaped like Facebook's: ``EAA``..."""
        return "EAAB" + random_token(180, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkl0123")

    def token_success(
        self, access_token: str, grant: Grant, account: Account, attempt: TokenAttempt
    ) -> Response:
        """The access token, its type and lifetime (about 60 days)."""
        return self.json_answer(
            {
                "access_token": access_token,
                "token_type": "bearer",
                "expires_in": 5183944,
            }
        )

    def api(
        self, resource: str, grant: Grant | None, account: Account, request: Request
    ) -> Response:
        """``/me``: ``name`` and ``id``, and the fields asked for that the
        permissions release."""
        if grant is None:
            code, message = (
                (190, "Invalid OAuth access token data.")
                if "Authorization" in request.headers or "access_token" in request.args
                else (
                    2500,
                    "An active access token must be used to query information "
                    "about the current user.",
                )
            )
            return self._graph_error(code, message)
        person: dict[str, Any] = {"name": account.name}
        fields = set(request.args.get("fields", "").split(","))
        if "email" in fields and "email" in grant.scope.split(","):
            person["email"] = account.email
        person.update(account.fields)
        person["id"] = subject(account.login)
        return self.json_answer(person)

    def not_found(self, request: Request) -> Response:
        """Graph's 400 for a path it does not know: code 2500."""
        return self._graph_error(
            2500, f"Unknown path components: {request.path.rstrip('/')}"
        )

    def metadata(self, site: str, route: Mapping[str, str]) -> dict[str, Any]:
        """The emulator's own metadata: Facebook publishes none for this
        flow."""
        return oauth_server_metadata(site, self.authorize_path, self.token_path)

    def _graph_error(self, code: int, message: str) -> Response:
        return self.json_answer(
            {
                "error": {
                    "message": message,
                    "type": "OAuthException",
                    "code": code,
                    "fbtrace_id": random_token(11),
                }
            },
            400,
        )


def subject(login: str) -> str:
    """The app-scoped user ID Facebook gives a user: digits.

    :param login: The user's login in the emulator.
    """
    return str(int(hashlib.sha256(f"facebook:{login}".encode()).hexdigest(), 16))[:16]
