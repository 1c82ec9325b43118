"""Sign in with Apple's wire format, as the emulator speaks it.

The ``"apple"`` profile: ``/auth/authorize``, ``/auth/token``, the JWKS at
``/auth/keys`` and discovery at ``/.well-known/openid-configuration``, as on
appleid.apple.com. Apple has no userinfo endpoint: who signed in is in the
ID token.

The client secret is not a shared string but a JWT the app makes and signs
with ES256 using its private key (the ``.p8`` file). The dialect holds such
a key (:attr:`AppleDialect.private_key_pem`, its :attr:`~AppleDialect.key_id`
and :attr:`~AppleDialect.team_id`) and accepts any client secret it signed
whose claims are the ones Apple requires: ``iss`` the team ID, ``sub`` the
client ID, ``aud`` ``https://appleid.apple.com``, ``exp`` not passed (by the
emulator's clock, so :meth:`~flask_oauth_recover.testing.ProviderEmulator.advance_clock`
expires it) and at most six months after ``iat``. The default client
secret is such a JWT, valid for 180 days; :meth:`AppleDialect.client_secret`
makes others, wrong ones included.

Apple's ways, from ``PROVIDERS-2.md``: every refused client secret (and an
unknown client, and a redirect URI differing between the two steps) is a
400 ``{"error": "invalid_client"}`` without a description; a used code is
400 ``invalid_grant`` "The code has already been used.", an expired one
"The code has expired or has been revoked." (codes live five minutes).
With ``response_mode=form_post`` the answer is a page that posts it to the
callback, as a cross-site POST; asking for the ``name`` or ``email`` scope
without it is refused on Apple's page. A cancel is ``error=
user_cancelled_authorize`` and the ``state``, nothing else. An unregistered
return URL gets Apple's page "invalid_request", "Invalid web redirect
url.", HTTP 400. (The ``user`` form field Apple is said to add on a first
sign-in, with the name and address, is not sent.) Apple's answers to a
wrong PKCE verifier and to other paths are not known: a bare
``invalid_grant`` and a 404 ``{"error": "not_found"}``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from werkzeug.routing import Rule
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

from .dialect import Account
from .dialect import Addresses
from .dialect import AuthorizeAttempt
from .dialect import AuthorizeRefusal
from .dialect import Grant
from .dialect import TokenAttempt
from .dialect import TokenFailure
from .dialect import error_page
from .dialect import random_token
from .oidc import OIDCDialect
from .oidc import at_hash

__all__ = ["AppleDialect"]

#: A Services ID, the client ID of a web app.
DEFAULT_CLIENT_ID = "com.example.web"
#: The developer team's ID: ten characters.
DEFAULT_TEAM_ID = "ABCDE12345"
#: The private key's ID: ten characters.
DEFAULT_KEY_ID = "XYZ9876543"
#: The ``aud`` every client secret must carry.
AUDIENCE = "https://appleid.apple.com"
#: The longest a client secret may live: six months, in seconds.
MAX_SECRET_LIFETIME = 15777000
#: How long the default client secret lives: 180 days.
DEFAULT_SECRET_LIFETIME = 180 * 86400
#: Seconds a code stays valid.
CODE_LIFETIME = 300.0
#: Scopes with which Apple requires ``response_mode=form_post``.
FORM_POST_SCOPES = frozenset({"name", "email"})

_BARE_CLIENT = (400, "invalid_client", "")
_TOKEN_ERRORS: dict[TokenFailure, tuple[int, str, str]] = {
    "wrong_tenant": _BARE_CLIENT,
    "unknown_client": _BARE_CLIENT,
    "missing_secret": _BARE_CLIENT,
    "wrong_secret": _BARE_CLIENT,
    "expired_secret": _BARE_CLIENT,
    "unknown_code": (400, "invalid_grant", "The code has expired or has been revoked."),
    "used_code": (400, "invalid_grant", "The code has already been used."),
    "expired_code": (400, "invalid_grant", "The code has expired or has been revoked."),
    "foreign_code": (400, "invalid_grant", "The code has expired or has been revoked."),
    # Apple lists a mismatched redirect URI under invalid_client.
    "redirect_uri_missing": _BARE_CLIENT,
    "redirect_uri_mismatch": _BARE_CLIENT,
    "pkce_missing": (400, "invalid_grant", ""),
    "pkce_mismatch": (400, "invalid_grant", ""),
}
_PAGE_TITLE = "Sign in with Apple"


class AppleDialect(OIDCDialect):
    """The ``"apple"`` profile: a Services ID signing in with Apple on the
    web.

    :param team_id: The team that owns the key and the Services ID.
    :param key_id: The ID of the private key that signs client secrets.
    """

    name = "apple"
    code_lifetime = CODE_LIFETIME
    default_client_id = DEFAULT_CLIENT_ID
    authorize_path = "/auth/authorize"
    token_path = "/auth/token"
    jwks_path = "/auth/keys"
    userinfo_path = "/auth/userinfo"  # none at Apple: not served
    api_base_path = "/"
    token_errors = _TOKEN_ERRORS
    form_post = True
    # Only appleid.apple.com says which provider this is.
    known_by_host_only = True

    def __init__(
        self, team_id: str = DEFAULT_TEAM_ID, key_id: str = DEFAULT_KEY_ID
    ) -> None:
        super().__init__()
        self.team_id = team_id
        self.key_id = key_id
        self._secret_key = ec.generate_private_key(ec.SECP256R1())
        #: The client secret the emulator registers unless told otherwise.
        self.default_client_secret = self.client_secret()

    def __repr__(self) -> str:
        return f"<AppleDialect team={self.team_id} key={self.key_id}>"

    @property
    def private_key_pem(self) -> str:
        """The private key that signs client secrets, as Apple's ``.p8``
        file holds it (PKCS #8 PEM)."""
        return self._secret_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")

    def client_secret(
        self,
        client_id: str = DEFAULT_CLIENT_ID,
        *,
        issued_at: float | None = None,
        lifetime: float = DEFAULT_SECRET_LIFETIME,
        claims: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """A client secret JWT, signed with ES256 by this dialect's key, as
        an app makes it.

        :param client_id: Its ``sub``.
        :param issued_at: Its ``iat``; now when omitted.
        :param lifetime: Seconds from ``iat`` to ``exp``.
        :param claims: Claims that replace or extend those (``None`` values
            remove one), to make a wrong secret.
        :param headers: Header fields that replace or extend ``alg`` and
            ``kid``, likewise.
        """
        iat = int(time.time() if issued_at is None else issued_at)
        payload: dict[str, Any] = {
            "iss": self.team_id,
            "iat": iat,
            "exp": int(iat + lifetime),
            "aud": AUDIENCE,
            "sub": client_id,
        }
        header: dict[str, Any] = {"alg": "ES256", "kid": self.key_id}
        payload.update(claims or {})
        header.update(headers or {})
        payload = {key: value for key, value in payload.items() if value is not None}
        header = {key: value for key, value in header.items() if value is not None}
        signing_input = f"{_b64_json(header)}.{_b64_json(payload)}"
        der = self._secret_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return f"{signing_input}.{_b64(signature)}"

    def secret_accepted(
        self, sent: str, registered: str, client_id: str, now: float
    ) -> bool:
        """A JWT signed with ES256 by this dialect's key (its ``kid``), with
        the claims Apple requires; ``registered`` plays no part."""
        parts = sent.split(".")
        if len(parts) != 3:
            return False
        header, claims = _json_part(parts[0]), _json_part(parts[1])
        signature = _unb64(parts[2])
        if header is None or claims is None or signature is None:
            return False
        if header.get("alg") != "ES256" or header.get("kid") != self.key_id:
            return False
        if len(signature) != 64:
            # A DER signature, as openssl_sign makes it, is refused.
            return False
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        try:
            self._secret_key.public_key().verify(
                der, f"{parts[0]}.{parts[1]}".encode(), ec.ECDSA(hashes.SHA256())
            )
        except InvalidSignature:
            return False
        iat, exp = claims.get("iat"), claims.get("exp")
        return (
            claims.get("iss") == self.team_id
            and claims.get("sub") == client_id
            and claims.get("aud") in (AUDIENCE, [AUDIENCE])
            and isinstance(iat, int)
            and isinstance(exp, int)
            and exp > now
            and exp - iat <= MAX_SECRET_LIFETIME
        )

    def rules(self) -> list[Rule]:
        """Those of :class:`~.oidc.OIDCDialect` but userinfo, which Apple
        does not have."""
        return [rule for rule in super().rules() if rule.endpoint != "api:userinfo"]

    def client_kwargs(
        self, addresses: Addresses, client_id: str, client_secret: str
    ) -> dict[str, Any]:
        """Discovery, the ``openid name email`` scope with
        ``response_mode=form_post``, and the secret in the request body."""
        return {
            "client_id": client_id,
            "client_secret": client_secret,
            "server_metadata_url": addresses.server_metadata_url,
            "authorize_params": {"response_mode": "form_post"},
            "client_kwargs": {
                "scope": "openid name email",
                "token_endpoint_auth_method": "client_secret_post",
            },
        }

    def refuse_authorization(
        self, refusal: AuthorizeRefusal, attempt: AuthorizeAttempt
    ) -> Response:
        """Apple's page, HTTP 400: "invalid_request", "Invalid web redirect
        url." for a return URL it does not know, "invalid_client" for an
        unknown client."""
        if refusal in ("redirect_uri_missing", "redirect_uri_mismatch"):
            return error_page(
                _PAGE_TITLE, "invalid_request", ["Invalid web redirect url."], 400
            )
        return error_page(_PAGE_TITLE, "invalid_client", ["Invalid client id."], 400)

    def deliver(
        self,
        target: str,
        params: list[tuple[str, str | None]],
        attempt: AuthorizeAttempt,
    ) -> Response:
        """Apple refuses ``name`` and ``email`` without ``form_post``;
        otherwise as any provider."""
        scopes = set(attempt.params.get("scope", "").split())
        form_post = attempt.params.get("response_mode") == "form_post"
        if scopes & FORM_POST_SCOPES and not form_post:
            return error_page(
                _PAGE_TITLE,
                "invalid_request",
                [
                    "response_mode must be form_post when name or email scope "
                    "is requested."
                ],
                400,
            )
        return super().deliver(target, params, attempt)

    def denial_params(
        self,
        error: str,
        description: str | None,
        uri: str | None,
        attempt: AuthorizeAttempt,
    ) -> list[tuple[str, str | None]]:
        """A cancel (``access_denied``) in Apple's words,
        ``user_cancelled_authorize``, and the ``state``: no description."""
        if error == "access_denied":
            error = "user_cancelled_authorize"
        return [
            ("error", error),
            ("error_description", description),
            ("state", attempt.state),
        ]

    def code_params(
        self, code: str, scope: str, attempt: AuthorizeAttempt
    ) -> list[tuple[str, str | None]]:
        """``state`` and ``code``."""
        return [("state", attempt.state), ("code", code)]

    def token_error(self, failure: TokenFailure, attempt: TokenAttempt) -> Response:
        """``error``, and ``error_description`` only where Apple gives one."""
        status, error, description = self.token_errors[failure]
        body = {"error": error}
        if description:
            body["error_description"] = description
        return self.json_answer(body, status)

    def new_code(self) -> str:
        """A code shaped like Apple's: ``c``, hex, and dot-separated parts."""
        return (
            f"c{secrets.token_hex(16)}.0.{random_token(4).lower()}.{random_token(22)}"
        )

    def new_access_token(self) -> str:
        """An access token shaped like Apple's."""
        return (
            f"a{secrets.token_hex(16)}.0.{random_token(4).lower()}.{random_token(22)}"
        )

    def token_success(
        self, access_token: str, grant: Grant, account: Account, attempt: TokenAttempt
    ) -> Response:
        """The access token, a refresh token and the ID token."""
        payload = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": "r" + _opaque(),
            "id_token": self._id_token(access_token, grant, account),
        }
        return self.json_answer(payload)

    def api(
        self, resource: str, grant: Grant | None, account: Account, request: Request
    ) -> Response:
        """Apple has no API for the user: every path is unknown."""
        return self.not_found(request)

    def not_found(self, request: Request) -> Response:
        """404, ``{"error": "not_found"}`` (Apple's answer is not known)."""
        return self.json_answer({"error": "not_found"}, 404)

    def metadata(self, site: str, route: Mapping[str, str]) -> dict[str, Any]:
        """Apple's discovery document: no userinfo endpoint, form_post, the
        secret in the request body."""
        document = self.discovery(
            site,
            route,
            response_modes_supported=["query", "fragment", "form_post"],
            subject_types_supported=["pairwise"],
            scopes_supported=["openid", "email", "name"],
            token_endpoint_auth_methods_supported=["client_secret_post"],
            claims_supported=[
                "aud",
                "email",
                "email_verified",
                "exp",
                "iat",
                "is_private_email",
                "iss",
                "nonce",
                "nonce_supported",
                "real_user_status",
                "sub",
                "transfer_sub",
            ],
        )
        document.pop("userinfo_endpoint")
        return document

    def _id_token(self, access_token: str, grant: Grant, account: Account) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer(grant.site, self.home_route),
            "aud": grant.client_id,
            "exp": now + 600,
            "iat": now,
            "sub": subject(account.login),
            "at_hash": at_hash(access_token),
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        if "email" in grant.scope.split():
            claims["email"] = account.fields.get("email", account.email)
            claims["email_verified"] = "true"
            claims["is_private_email"] = "false"
        claims["auth_time"] = now
        claims["nonce_supported"] = True
        return self.signing_key.sign(claims)


def subject(login: str) -> str:
    """The stable ``sub`` Apple gives a user of one team:
    ``000123.<32 hex>.0456``.

    :param login: The user's login in the emulator.
    """
    digest = hashlib.sha256(f"apple-user:{login}".encode()).hexdigest()[:32]
    return f"001234.{digest}.0456"


def _opaque() -> str:
    return f"{secrets.token_hex(16)}.0.{random_token(4).lower()}.{random_token(22)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64_json(value: Mapping[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _unb64(part: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (ValueError, TypeError):
        return None


def _json_part(part: str) -> dict[str, Any] | None:
    data = _unb64(part)
    try:
        value = json.loads(data) if data is not None else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
