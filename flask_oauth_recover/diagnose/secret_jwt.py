"""Why a client secret that is a JWT the app signs itself was refused, read
from the secret the app holds, offline.

A provider whose profile has a ``secret_jwt`` (Sign in with Apple) takes
as its client secret a JWT the app makes with a private key, and refuses
it without a word when it has expired or its claims are not the required
ones. Its claims are readable without the
key, so these rules say which. They never verify the signature, and never
show the JWT: only the claims that are not secrets (dates, the audience,
the client ID).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Iterator
from typing import Any

from ..i18n import N_
from ..providers.profile import SecretJwt
from .evidence import Evidence
from .evidence import Finding
from .shapes import shown_in_full

#: The claims every such client secret carries.
REQUIRED_CLAIMS = ("iss", "iat", "exp", "aud", "sub")


def read_jwt(value: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The header and the claims of a compact JWS, unverified; ``None``
    when ``value`` is not one.

    :param value: the client secret, without surrounding whitespace.
    """
    parts = value.split(".")
    if len(parts) != 3:
        return None
    decoded = [_json_part(part) for part in parts[:2]]
    header, claims = decoded
    if header is None or claims is None:
        return None
    return header, claims


def expiry(value: str) -> float | None:
    """The ``exp`` of a JWT client secret, in seconds since the epoch."""
    parts = read_jwt(value)
    return _number(parts[1].get("exp")) if parts is not None else None


def utc_date(seconds: float) -> str:
    """``seconds`` since the epoch as ``YYYY-MM-DD HH:MM UTC``."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(seconds))


def check_secret_jwt(
    evidence: Evidence,
    rule: SecretJwt,
    client_id: str,
    secret: str,
    secret_source: str,
) -> Iterator[Finding]:
    """The ``credentials.expired`` and ``credentials.jwt_claims`` findings
    for a client secret that should be a JWT.

    :param evidence: what the rules look at.
    :param rule: what the provider requires of the JWT.
    :param client_id: the client ID, without padding.
    :param secret: the client secret, without padding.
    :param secret_source: where the app reads the secret from.
    """
    parts = read_jwt(secret)
    if parts is None:
        # Not a JWT at all: the shape rule says so.
        return
    header, claims = parts
    provider = evidence.provider
    shown_id = client_id if shown_in_full(client_id, secret) else "CLIENT_ID"
    snippet = _snippet(rule, shown_id)
    fix_params = {
        "provider": provider,
        "audience": rule.audience,
        "algorithm": rule.algorithm,
        "limit": str(rule.max_lifetime),
        "secret_source": secret_source,
    }
    exp, iat = _number(claims.get("exp")), _number(claims.get("iat"))
    if exp is not None and exp <= time.time():
        yield Finding(
            "credentials.expired",
            N_(
                "The client_secret is a JWT that expired on %(date)s (its exp "
                "claim), and %(provider)s refuses an expired client secret with "
                "a bare invalid_client."
            ),
            JWT_FIX,
            {**fix_params, "date": utc_date(exp)},
            snippet,
        )
    causes: list[tuple[str, dict[str, str]]] = []
    missing = [name for name in REQUIRED_CLAIMS if name not in claims]
    if missing:
        causes.append((MISSING_CLAIMS, {"claims": ", ".join(missing)}))
    sub = claims.get("sub")
    if rule.subject_is_client_id and "sub" in claims and sub != client_id:
        causes.append(
            (
                SUBJECT_CAUSE,
                {"sub": _shown(sub, secret), "client_id": shown_id},
            )
        )
    aud = claims.get("aud")
    if "aud" in claims and aud != rule.audience and aud != [rule.audience]:
        causes.append((AUDIENCE_CAUSE, {"aud": _shown(aud, secret)}))
    if exp is not None and iat is not None and exp - iat > rule.max_lifetime:
        causes.append((LIFETIME_CAUSE, {"days": str(int((exp - iat) // 86400))}))
    if header.get("alg") != rule.algorithm:
        causes.append((ALGORITHM_CAUSE, {"alg": _shown(header.get("alg"), secret)}))
    for cause, params in causes:
        yield Finding(
            "credentials.jwt_claims",
            cause,
            JWT_FIX,
            {**fix_params, **params},
            snippet,
        )


#: The fix for every problem of a JWT client secret.
JWT_FIX = N_(
    "Make a new client secret: a JWT signed with %(algorithm)s by the private "
    "key registered with %(provider)s, with iss your team's ID, sub the "
    "client ID, aud %(audience)s, and exp at most %(limit)s seconds (six "
    "months) after iat; put it into %(secret_source)s, and make a new one "
    "before it expires, for instance each time the app starts."
)
MISSING_CLAIMS = N_(
    "The client_secret JWT lacks the claims %(claims)s, which %(provider)s requires."
)
SUBJECT_CAUSE = N_(
    "The client_secret JWT's sub claim is %(sub)s, but the client_id is "
    "%(client_id)s: %(provider)s requires the two to be the same."
)
AUDIENCE_CAUSE = N_(
    "The client_secret JWT's aud claim is %(aud)s; %(provider)s requires %(audience)s."
)
LIFETIME_CAUSE = N_(
    "The client_secret JWT is valid for %(days)s days, from its iat to its "
    "exp: longer than the six months (%(limit)s seconds) %(provider)s accepts."
)
ALGORITHM_CAUSE = N_(
    "The client_secret JWT is signed with %(alg)s; %(provider)s accepts only "
    "%(algorithm)s."
)


def _snippet(rule: SecretJwt, client_id: str) -> str:
    return (
        "import time\n"
        "import jwt  # PyJWT, with cryptography\n\n"
        "now = int(time.time())\n"
        "client_secret = jwt.encode(\n"
        '    {"iss": TEAM_ID, "iat": now, '
        f'"exp": now + {rule.max_lifetime} - 3600,\n'
        f'     "aud": "{rule.audience}", "sub": "{client_id}"}},\n'
        "    PRIVATE_KEY,  # the .p8 file's contents\n"
        f'    algorithm="{rule.algorithm}",\n'
        '    headers={"kid": KEY_ID},\n'
        ")"
    )


def _shown(value: object, secret: str) -> str:
    """A claim's value as it may be shown: not a secret, and short."""
    text = value if isinstance(value, str) else json.dumps(value)
    if len(text) > 200 or not shown_in_full(text, secret):
        return "(not shown)"
    return text


def _json_part(part: str) -> dict[str, Any] | None:
    try:
        data = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        value = json.loads(data)
    except (binascii.Error, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)
