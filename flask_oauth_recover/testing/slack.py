"""Slack's OAuth v2 wire format, as the emulator speaks it.

The ``"slack"`` profile: ``/oauth/v2/authorize`` and the Web API method
``/api/oauth.v2.access``, as on slack.com, with the API methods an app
calls after signing in, ``/api/users.identity`` and ``/api/auth.test``.

Slack's ways, from ``PROVIDERS-2.md``: every Web API answer is HTTP 200
JSON with ``ok``, errors included: ``{"ok": false, "error":
"invalid_code"}`` for a code that is wrong, used or expired (codes live
ten minutes), ``bad_client_secret``, ``invalid_client_id``,
``bad_redirect_uri``. ``redirect_uri`` may be left out where it was at
authorize. A login that asks only for user scopes (``user_scope``, as
"Sign in with Slack" does with ``identity.basic``) gets no top-level
``access_token``: the user token (``xoxp-``) is under ``authed_user``. A
bot scope (``scope``) adds a bot token (``xoxb-``) at the top; the
emulator's API answers only the user token. An unregistered redirect URI
gets Slack's page "redirect_uri did not match any configured URIs. Passed
URI: ...". A cancel comes back as ``?error=access_denied&state=...``
(unconfirmed), and unknown methods answer ``unknown_method``.
"""

from __future__ import annotations

import hashlib
import secrets
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

__all__ = ["SlackDialect"]

#: The workspace's team number, the first half of the client ID.
TEAM_NUMBER = "2141029472"
#: A client ID: the team's number, a dot, the app's number.
DEFAULT_CLIENT_ID = f"{TEAM_NUMBER}.691202649728"
#: A client secret: 32 hexadecimal characters.
DEFAULT_CLIENT_SECRET = "3ab8f2e0c1d94b7a6e5f4c3d2b1a0f9e"
#: Seconds a code stays valid.
CODE_LIFETIME = 600.0
#: The method that exchanges a code.
TOKEN_PATH = "/api/oauth.v2.access"

_TOKEN_ERRORS: dict[TokenFailure, tuple[int, str, str]] = {
    "wrong_tenant": (200, "invalid_client_id", ""),
    "unknown_client": (200, "invalid_client_id", ""),
    "missing_secret": (200, "bad_client_secret", ""),
    "wrong_secret": (200, "bad_client_secret", ""),
    "expired_secret": (200, "bad_client_secret", ""),
    "unknown_code": (200, "invalid_code", ""),
    "used_code": (200, "invalid_code", ""),
    "expired_code": (200, "invalid_code", ""),
    "foreign_code": (200, "invalid_code", ""),
    "redirect_uri_missing": (200, "bad_redirect_uri", ""),
    "redirect_uri_mismatch": (200, "bad_redirect_uri", ""),
    "pkce_missing": (200, "invalid_code", ""),
    "pkce_mismatch": (200, "invalid_code", ""),
}
_TEAM = {"id": "T061EG9R6", "name": "Example Workspace"}


class SlackDialect(BaseDialect):
    """The ``"slack"`` profile: a Slack app installed in one workspace."""

    name = "slack"
    code_lifetime = CODE_LIFETIME
    default_client_id = DEFAULT_CLIENT_ID
    default_client_secret = DEFAULT_CLIENT_SECRET
    redirect_uri_required = False
    authorize_path = "/oauth/v2/authorize"
    token_path = TOKEN_PATH
    metadata_path = "/.well-known/oauth-authorization-server"
    api_paths = (
        ("/api/users.identity", "users.identity"),
        ("/api/auth.test", "auth.test"),
    )
    api_base_path = "/api/"
    api_origins = {"https://slack.com/api/": "/api/"}
    token_errors = _TOKEN_ERRORS

    def client_kwargs(
        self, addresses: Addresses, client_id: str, client_secret: str
    ) -> dict[str, Any]:
        """Literal endpoint URLs, and "Sign in with Slack"'s user scopes."""
        return addresses.literal_registration(
            client_id,
            client_secret,
            authorize_params={"user_scope": "identity.basic,identity.email"},
        )

    def refuse_authorization(
        self, refusal: AuthorizeRefusal, attempt: AuthorizeAttempt
    ) -> Response:
        """Slack's page, in place of the authorization screen."""
        if refusal in ("redirect_uri_missing", "redirect_uri_mismatch"):
            text = [
                "redirect_uri did not match any configured URIs. Passed URI: "
                f"{attempt.redirect_uri or ''}"
            ]
        else:
            text = ["Invalid client_id parameter"]
        return error_page("Slack", "Oh no, something went wrong.", text, 400)

    def token_error(self, failure: TokenFailure, attempt: TokenAttempt) -> Response:
        """HTTP 200, ``{"ok": false, "error": ...}``."""
        status, error, _ = self.token_errors[failure]
        return self.json_answer({"ok": False, "error": error}, status)

    def new_code(self) -> str:
        """A code shaped like Slack's: team, app and a random part."""
        return f"{TEAM_NUMBER}.{secrets.randbelow(10**12):012d}.{secrets.token_hex(32)}"

    def granted_scope(self, requested: str) -> str:
        """Bot scopes, comma-separated as Slack writes them."""
        return ",".join(
            part for part in requested.replace(",", " ").split() if part.strip()
        )

    def new_access_token(self) -> str:
        """A user token: ``xoxp-`` and numbers and hex."""
        return (
            f"xoxp-{TEAM_NUMBER}-{secrets.randbelow(10**12):012d}-"
            f"{secrets.randbelow(10**12):012d}-{secrets.token_hex(16)}"
        )

    def token_success(
        self, access_token: str, grant: Grant, account: Account, attempt: TokenAttempt
    ) -> Response:
        """The user token under ``authed_user`` when user scopes were
        asked for, and a bot token at the top for bot scopes."""
        user_scope = grant.authorize_params.get("user_scope", "")
        authed_user: dict[str, Any] = {"id": user_id(account.login)}
        payload: dict[str, Any] = {"ok": True, "app_id": "A0KRD7HC3"}
        if user_scope:
            authed_user.update(
                scope=user_scope, access_token=access_token, token_type="user"
            )
        if grant.scope or not user_scope:
            payload.update(
                scope=grant.scope,
                token_type="bot",
                access_token="xoxb-" + access_token.removeprefix("xoxp-"),
                bot_user_id="U0KRQLJ9H",
            )
        payload.update(
            authed_user=authed_user,
            team=_TEAM,
            enterprise=None,
            is_enterprise_install=False,
        )
        return self.json_answer(payload)

    def api(
        self, resource: str, grant: Grant | None, account: Account, request: Request
    ) -> Response:
        """``users.identity`` and ``auth.test``, HTTP 200 either way."""
        if grant is None:
            has_token = "Authorization" in request.headers
            error = "invalid_auth" if has_token else "not_authed"
            return self.json_answer({"ok": False, "error": error})
        user = user_id(account.login)
        if resource == "auth.test":
            return self.json_answer(
                {
                    "ok": True,
                    "url": "https://example-workspace.slack.com/",
                    "team": _TEAM["name"],
                    "user": account.login,
                    "team_id": _TEAM["id"],
                    "user_id": user,
                }
            )
        identity: dict[str, Any] = {"name": account.name, "id": user}
        if "identity.email" in grant.authorize_params.get("user_scope", ""):
            identity["email"] = account.fields.get("email", account.email)
        identity.update(
            {key: value for key, value in account.fields.items() if key != "email"}
        )
        return self.json_answer({"ok": True, "user": identity, "team": _TEAM})

    def not_found(self, request: Request) -> Response:
        """HTTP 200, ``unknown_method``, as the Web API answers."""
        return self.json_answer({"ok": False, "error": "unknown_method"})

    def metadata(self, site: str, route: Mapping[str, str]) -> dict[str, Any]:
        """The emulator's own metadata: Slack publishes none for OAuth v2."""
        return oauth_server_metadata(site, self.authorize_path, self.token_path)


def user_id(login: str) -> str:
    """The stable ID of a Slack user: ``U`` and ten letters and digits.

    :param login: The user's login in the emulator.
    """
    return "U" + hashlib.sha256(f"slack:{login}".encode()).hexdigest()[:10].upper()
