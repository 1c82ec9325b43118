"""The shapes of OAuth credentials: which values may be shown as a client
ID, and which look like a secret or a token, whichever field they sit in.

One place that gathers every provider profile's shapes
(:mod:`flask_oauth_recover.providers`), so that the callback's facts, the
log line and ``flask oauth-recover check`` decide alike. A shape is a
hint, never a guarantee: when in doubt a value counts as a secret, and is
shown only as its length and fingerprint.
"""

from __future__ import annotations

import re

from ..providers import PROFILES

_SHAPES = [
    profile.credentials
    for profile in PROFILES.values()
    if profile.credentials is not None
]

#: Prefixes only secrets and tokens carry, of every provider with a profile.
SECRET_PREFIXES = tuple(
    prefix
    for shapes in _SHAPES
    for prefix in (
        *shapes.secret_prefixes,
        *shapes.token_prefixes,
        *shapes.api_key_prefixes,
        *shapes.private_key_prefixes,
    )
)

#: Client IDs of every provider with a profile, shown in full.
CLIENT_ID_SHAPES = tuple(shape for shapes in _SHAPES for shape in shapes.client_id)

# Secrets no client ID looks like.
_SECRETS = tuple(shape for shapes in _SHAPES for shape in shapes.secret)
# A shape both can have (a GitLab application made before 16.4 has an
# unprefixed 64-hex secret, the shape of its application ID) counts as a
# client ID only when the other credential is not of that shape too.
_AMBIGUOUS = tuple(
    shape
    for shapes in _SHAPES
    for shape in shapes.legacy_secret
    if any(shape.pattern == known.pattern for known in CLIENT_ID_SHAPES)
)
_LONG_HEX = re.compile(r"[0-9a-fA-F]{32,}")
# Runs of the characters secrets, tokens and base64 keys are made of.
_RUN = re.compile(r"[A-Za-z0-9+/=_~.-]{24,}")


def is_client_id_shaped(value: str) -> bool:
    """Has ``value`` the shape of a client ID of a known provider?"""
    return any(shape.fullmatch(value) for shape in CLIENT_ID_SHAPES)


def is_secret_shaped(value: str) -> bool:
    """Has ``value`` the shape of a client secret or a token of any
    provider, or does it hold a long random-looking string?

    :param value: the value, without surrounding whitespace or quotes.
    """
    if value.startswith(SECRET_PREFIXES):
        return True
    if any(shape.fullmatch(value) for shape in _SECRETS):
        return True
    if is_client_id_shaped(value):
        return False
    if _LONG_HEX.fullmatch(value) and not value.isdigit():
        return True
    return any(_random_looking(run) for run in _RUN.findall(value))


def shown_in_full(value: str, other: str | None = None) -> bool:
    """May ``value``, read from a client_id setting, be shown as it is?

    :param value: the client_id, without surrounding whitespace or quotes.
    :param other: the client_secret the app holds, likewise, if any.
    :return: ``False`` when the value has a secret's shape, equals the
        secret, or could be either of the two.
    """
    if not value:
        return True
    if is_secret_shaped(value) or value == other:
        return False
    return not (
        other is not None
        and any(
            shape.fullmatch(value) and shape.fullmatch(other) for shape in _AMBIGUOUS
        )
    )


def _random_looking(run: str) -> bool:
    # Words and numbers change character class rarely ("client-2024",
    # "MyAppClient"); random text changes between letters and digits, or
    # from lower to upper case, at least once in every 8 characters.
    changes = sum(
        (a.isdigit() and b.isalpha())
        or (a.isalpha() and b.isdigit())
        or (a.islower() and b.isupper())
        for a, b in zip(run, run[1:], strict=False)
    )
    return changes * 8 >= len(run)
