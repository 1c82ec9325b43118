"""OpenID Connect pieces the OIDC profiles share: an RS256 signing key with
its JWKS, ID tokens, the discovery document, and :class:`OIDCDialect`, the
base of their dialects.

Google, Microsoft Entra ID, GitLab and Keycloak all sign ID tokens with
RS256 and publish the public key as a JSON Web Key Set at the ``jwks_uri``
of their discovery document; a relying party such as Authlib checks the
signature, ``iss``, ``aud``, ``exp``, ``iat`` and the ``nonce`` it sent. Each
profile module decides the claims and the document's contents; this module
signs and serializes them. The key is generated when the profile is, with
the ``cryptography`` package (an Authlib dependency).
"""

from __future__ import annotations

import base64
import hashlib
import json
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.routing import Rule
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

from .dialect import Addresses
from .dialect import BaseDialect
from .dialect import route_path

__all__ = [
    "DISCOVERY_PATH",
    "OIDCDialect",
    "SigningKey",
    "at_hash",
    "discovery_document",
    "present",
    "with_fields",
]

#: Where OpenID Connect Discovery puts the document, below the issuer.
DISCOVERY_PATH = "/.well-known/openid-configuration"


class SigningKey:
    """A fresh 2048-bit RSA key that signs JWTs with RS256.

    :param kid_prefix: Prepended to the key ID (the RFC 7638 thumbprint), as
        some providers give their key IDs a recognizable shape.
    """

    def __init__(self, kid_prefix: str = "") -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self._key.public_key().public_numbers()
        self._public = {
            "e": _b64_int(numbers.e),
            "kty": "RSA",
            "n": _b64_int(numbers.n),
        }
        canonical = json.dumps(self._public, separators=(",", ":"), sort_keys=True)
        thumbprint = _b64(hashlib.sha256(canonical.encode()).digest())
        #: The key ID, in every token's header and in the JWKS.
        self.kid = f"{kid_prefix}{thumbprint}"

    def __repr__(self) -> str:
        return f"<SigningKey kid={self.kid!r}>"

    def sign(
        self, claims: Mapping[str, Any], headers: Mapping[str, Any] | None = None
    ) -> str:
        """A compact JWS of ``claims``, signed with RS256.

        :param claims: The JWT claims.
        :param headers: Header fields besides ``alg``, ``kid`` and ``typ``.
        :return: ``header.payload.signature``.
        """
        header = {"alg": "RS256", "kid": self.kid, "typ": "JWT", **(headers or {})}
        signing_input = f"{_b64_json(header)}.{_b64_json(dict(claims))}"
        signature = self._key.sign(
            signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        return f"{signing_input}.{_b64(signature)}"

    def jwk(self, **extra: Any) -> dict[str, Any]:
        """The public key as a JSON Web Key.

        :param extra: Further members, e.g. ``issuer`` as Entra adds it.
        """
        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": self._public["n"],
            "e": self._public["e"],
            **extra,
        }

    def jwks(self, **extra: Any) -> dict[str, Any]:
        """The JSON Web Key Set a ``jwks_uri`` serves.

        :param extra: Further members of the one key.
        """
        return {"keys": [self.jwk(**extra)]}


def at_hash(access_token: str) -> str:
    """The ``at_hash`` claim for an RS256 ID token: the left half of the
    access token's SHA-256, base64url-encoded.

    :param access_token: The access token issued with the ID token.
    """
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return _b64(digest[: len(digest) // 2])


def present(claims: Mapping[str, Any]) -> dict[str, Any]:
    """The claims that have a value: OpenID Connect Core (5.3.2) leaves a
    claim it does not return out, never ``null``, so ``None`` (as a test's
    ``user={"locale": None}`` sets it) means "not sent".

    :param claims: ID token or userinfo claims, in order.
    """
    return {key: value for key, value in claims.items() if value is not None}


def with_fields(
    claims: Mapping[str, Any],
    fields: Mapping[str, Any],
    addable: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """``claims`` with the test's ``fields`` applied where they name one of
    them (or one of ``addable``), then :func:`present`: a test replaces a
    claim, or leaves it out with ``None``, by its name.

    :param claims: ID token or userinfo claims, in order.
    :param fields: ``ProviderEmulator(user=...)``.
    :param addable: Claims the provider adds when configured to (Entra's
        app ``roles``), which a test may add.
    """
    updated = dict(claims)
    for key, value in fields.items():
        if key in updated or key in addable:
            updated[key] = value
    return present(updated)


def discovery_document(
    *,
    issuer: str,
    authorization_endpoint: str,
    token_endpoint: str,
    userinfo_endpoint: str,
    jwks_uri: str,
    **extra: Any,
) -> dict[str, Any]:
    """An OpenID Connect discovery document with what every profile
    publishes (RS256, the code flow), then ``extra``.

    :param issuer: The ``iss`` of the ID tokens.
    :param authorization_endpoint: The authorization endpoint.
    :param token_endpoint: The token endpoint.
    :param userinfo_endpoint: The userinfo endpoint.
    :param jwks_uri: Where the JWKS is.
    :param extra: Further members, which may replace the defaults.
    """
    return {
        "issuer": issuer,
        "authorization_endpoint": authorization_endpoint,
        "token_endpoint": token_endpoint,
        "userinfo_endpoint": userinfo_endpoint,
        "jwks_uri": jwks_uri,
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "client_secret_basic",
        ],
        "code_challenge_methods_supported": ["plain", "S256"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        **extra,
    }


class OIDCDialect(BaseDialect):
    """What the OpenID Connect providers do alike, for their profile modules
    to subclass: a signing key and its JWKS at :attr:`jwks_path`, userinfo
    at :attr:`userinfo_path`, and an Authlib registration through the
    discovery document, which a subclass's :meth:`metadata` makes with
    :meth:`discovery`.

    Its RSA signing key is generated with the dialect.
    """

    #: The scopes :meth:`client_kwargs` asks for.
    client_scope = "openid email profile"

    def __init__(self) -> None:
        #: Signs ID tokens; published at :attr:`jwks_path`.
        self.signing_key = SigningKey()

    @property
    def metadata_path(self) -> str:
        """The discovery document's path: :data:`DISCOVERY_PATH`."""
        return DISCOVERY_PATH

    @property
    @abstractmethod
    def jwks_path(self) -> str:
        """The JWKS's path, the discovery document's ``jwks_uri``."""

    @property
    @abstractmethod
    def userinfo_path(self) -> str:
        """The userinfo endpoint's path (resource ``userinfo``)."""

    def rules(self) -> list[Rule]:
        """Those of :class:`BaseDialect`, the JWKS (``document:jwks``) and
        userinfo (``api:userinfo``)."""
        return [
            *super().rules(),
            Rule(self.jwks_path, endpoint="document:jwks", methods=["GET"]),
            Rule(self.userinfo_path, endpoint="api:userinfo", methods=["GET"]),
        ]

    def client_kwargs(
        self, addresses: Addresses, client_id: str, client_secret: str
    ) -> dict[str, Any]:
        """Discovery through ``server_metadata_url``, :attr:`client_scope`,
        and ``api_base_url`` for ``get()`` on the API."""
        return {
            "client_id": client_id,
            "client_secret": client_secret,
            "server_metadata_url": addresses.server_metadata_url,
            "api_base_url": addresses.api_base_url,
            "client_kwargs": {"scope": self.client_scope},
        }

    def document(
        self, name: str, request: Request, route: Mapping[str, str]
    ) -> Response:
        """The JWKS, or the discovery document."""
        if name == "jwks":
            return self.json_answer(self.signing_key.jwks())
        return super().document(name, request, route)

    def issuer(self, site: str, route: Mapping[str, str]) -> str:
        """The ``iss`` of ID tokens and the discovery document: the site's
        root.

        :param site: The emulator's address, ending in a slash.
        :param route: The variable parts of the requested path.
        """
        return site.rstrip("/")

    def discovery(
        self, site: str, route: Mapping[str, str], **extra: Any
    ) -> dict[str, Any]:
        """The discovery document with the issuer and the endpoints on
        ``site``; see :func:`discovery_document`.

        :param site: The emulator's address, ending in a slash.
        :param route: The variable parts of the requested path.
        :param extra: Further members, which may replace the defaults.
        """
        root = site.rstrip("/")
        return discovery_document(
            issuer=self.issuer(site, route),
            authorization_endpoint=root + route_path(self.authorize_path, route),
            token_endpoint=root + route_path(self.token_path, route),
            userinfo_endpoint=root + route_path(self.userinfo_path, route),
            jwks_uri=root + route_path(self.jwks_path, route),
            **extra,
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64_int(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _b64_json(value: Mapping[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())
