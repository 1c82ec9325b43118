"""Discord's OAuth2 wire format, as the emulator speaks it.

The ``"discord"`` profile: ``/api/oauth2/authorize`` and
``/api/oauth2/token``, and the API's ``/api/users/@me``, as on discord.com
(whose web app also answers ``/oauth2/authorize``, and whose API also takes
versioned paths such as ``/api/v10/``).

Discord's ways, from ``PROVIDERS-2.md``: the token endpoint takes only a
form body; a used, expired (codes live 100 seconds) or foreign code is 400
``invalid_grant`` 'Invalid "code" in request.'; a wrong secret is a bare
401 ``{"error": "invalid_client"}``; a redirect URI that differs from the
login's is 400 ``invalid_request`` 'Invalid "redirect_uri" in request.'. An
unregistered redirect URI gets Discord's web app, whose script then shows
"Invalid OAuth2 redirect_uri": without a browser that runs it, nothing says
so. A cancel comes back as ``access_denied`` (unconfirmed). Discord's
answer to a wrong PKCE verifier is not known: here, as a bad code. Other
API paths answer ``{"message": "404: Not Found", "code": 0}``.
"""

from __future__ import annotations

import base64
import hashlib
import json
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
from .dialect import oauth_server_metadata
from .dialect import random_token

__all__ = ["DiscordDialect"]

#: An application ID: a snowflake, 18 digits.
DEFAULT_CLIENT_ID = "123456789012345678"
#: A client secret: 32 letters, digits, ``-`` and ``_``.
DEFAULT_CLIENT_SECRET = "Ab3dEf6hIj9lMn2pQr5tUv8xYz1-Bc4_"
#: Seconds a code stays valid.
CODE_LIFETIME = 100.0

_BAD_CODE = (400, "invalid_grant", 'Invalid "code" in request.')
_BAD_REDIRECT = (400, "invalid_request", 'Invalid "redirect_uri" in request.')
_BAD_CLIENT = (401, "invalid_client", "")
_TOKEN_ERRORS: dict[TokenFailure, tuple[int, str, str]] = {
    "wrong_tenant": _BAD_CLIENT,
    "unknown_client": _BAD_CLIENT,
    "missing_secret": _BAD_CLIENT,
    "wrong_secret": _BAD_CLIENT,
    "expired_secret": _BAD_CLIENT,
    "unknown_code": _BAD_CODE,
    "used_code": _BAD_CODE,
    "expired_code": _BAD_CODE,
    "foreign_code": _BAD_CODE,
    "redirect_uri_missing": _BAD_REDIRECT,
    "redirect_uri_mismatch": _BAD_REDIRECT,
    "pkce_missing": _BAD_CODE,
    "pkce_mismatch": _BAD_CODE,
}


class DiscordDialect(BaseDialect):
    """The ``"discord"`` profile: an application in Discord's Developer
    Portal."""

    name = "discord"
    code_lifetime = CODE_LIFETIME
    default_client_id = DEFAULT_CLIENT_ID
    default_client_secret = DEFAULT_CLIENT_SECRET
    authorize_path = "/api/oauth2/authorize"
    token_path = "/api/oauth2/token"
    metadata_path = "/.well-known/oauth-authorization-server"
    api_paths = (("/api/users/@me", "users/@me"),)
    api_base_path = "/api/"
    api_origins = {"https://discord.com/api/": "/api/"}
    token_errors = _TOKEN_ERRORS
    denial_descriptions = {
        "access_denied": "The resource owner or authorization server denied the request"
    }

    def client_kwargs(
        self, addresses: Addresses, client_id: str, client_secret: str
    ) -> dict[str, Any]:
        """Literal endpoint URLs, the ``identify email`` scope, and the
        secret in the form body."""
        return addresses.literal_registration(
            client_id,
            client_secret,
            client_kwargs={
                "scope": "identify email",
                "token_endpoint_auth_method": "client_secret_post",
            },
        )

    def refuse_authorization(
        self, refusal: AuthorizeRefusal, attempt: AuthorizeAttempt
    ) -> Response:
        """Discord's web app, which says what is wrong only once its script
        runs: "Invalid OAuth2 redirect_uri", or "Unknown Application"."""
        message = (
            "Invalid OAuth2 redirect_uri"
            if refusal in ("redirect_uri_missing", "redirect_uri_mismatch")
            else "Unknown Application"
        )
        # Encoded, so that the words are on the page only once a browser
        # has run the script, as on Discord's own.
        encoded = base64.b64encode(json.dumps(message).encode()).decode()
        document = (
            "<!doctype html>\n"
            '<html lang="en">\n'
            '<head><meta charset="utf-8"><title>Discord</title></head>\n'
            '<body><div id="app-mount"></div>\n'
            "<script>document.getElementById('app-mount').textContent = "
            f"JSON.parse(atob('{encoded}'));</script>\n"
            "</body>\n</html>\n"
        )
        return Response(document, status=200, content_type="text/html; charset=utf-8")

    def token_error(self, failure: TokenFailure, attempt: TokenAttempt) -> Response:
        """``error``, and ``error_description`` where Discord gives one."""
        status, error, description = self.token_errors[failure]
        body = {"error": error}
        if description:
            body["error_description"] = description
        return self.json_answer(body, status)

    def new_code(self) -> str:
        """A code shaped like Discord's: 30 letters and digits."""
        return random_token(30, _ALPHANUMERIC)

    def new_access_token(self) -> str:
        """An access token shaped like Discord's: 30 letters and digits."""
        return random_token(30, _ALPHANUMERIC)

    def token_success(
        self, access_token: str, grant: Grant, account: Account, attempt: TokenAttempt
    ) -> Response:
        """A bearer token for a week, and a refresh token."""
        return self.json_answer(
            {
                "token_type": "Bearer",
                "access_token": access_token,
                "expires_in": 604800,
                "refresh_token": random_token(30, _ALPHANUMERIC),
                "scope": grant.scope,
            }
        )

    def api(
        self, resource: str, grant: Grant | None, account: Account, request: Request
    ) -> Response:
        """``/users/@me``: the user, with ``email`` under the ``email``
        scope."""
        if grant is None:
            return self.json_answer({"message": "401: Unauthorized", "code": 0}, 401)
        user: dict[str, Any] = {
            "id": subject(account.login),
            "username": account.login,
            "avatar": None,
            "discriminator": "0",
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "global_name": account.name,
            "mfa_enabled": False,
            "locale": "en-US",
            "premium_type": 0,
        }
        if "email" in grant.scope.split():
            user.update(email=account.email, verified=True)
        user.update(account.fields)
        return self.json_answer(user)

    def not_found(self, request: Request) -> Response:
        """Discord's JSON 404."""
        return self.json_answer({"message": "404: Not Found", "code": 0}, 404)

    def metadata(self, site: str, route: Mapping[str, str]) -> dict[str, Any]:
        """The emulator's own metadata."""
        return oauth_server_metadata(site, self.authorize_path, self.token_path)


_ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def subject(login: str) -> str:
    """A user's snowflake: 18 digits.

    :param login: The user's login in the emulator.
    """
    return str(int(hashlib.sha256(f"discord:{login}".encode()).hexdigest(), 16))[:18]
