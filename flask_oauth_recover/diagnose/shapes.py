"""The shapes of OAuth credentials: which values may be shown as a client
ID, and which look like a secret or a token, whichever field they sit in.

One place for every provider's shapes (``PROVIDERS.md``), so that the
callback's facts, the log line and ``flask oauth-recover check`` decide
alike. A shape is a hint, never a guarantee: when in doubt a value counts
as a secret, and is shown only as its length and fingerprint.
"""

from __future__ import annotations

import re

#: Prefixes of GitHub tokens: personal access tokens, OAuth, user-to-server,
#: server-to-server and refresh tokens.
GITHUB_TOKEN_PREFIXES = ("github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_")

#: A GitHub OAuth app's client secret: 40 hexadecimal characters.
GITHUB_SECRET_SHAPE = re.compile(r"[0-9a-f]{40}")

# OAuth apps: Ov23 + 16 (new) or 20 hex (legacy); GitHub Apps: Iv1. + 16 hex
# or Iv23 + 16.
GITHUB_CLIENT_ID_SHAPE = re.compile(
    r"(?:Ov23|Iv23)[A-Za-z0-9]{16}|Iv1\.[0-9a-f]{16}|[0-9a-f]{20}"
)

#: Prefixes only secrets and tokens carry: GitHub's tokens, Google's client
#: secrets, GitLab's application secrets and personal access tokens.
SECRET_PREFIXES = (*GITHUB_TOKEN_PREFIXES, "GOCSPX-", "gloas-", "glpat-")

#: Client IDs, shown in full: GitHub's, Google's, a GUID (Microsoft Entra)
#: and a GitLab application ID.
CLIENT_ID_SHAPES = (
    GITHUB_CLIENT_ID_SHAPE,
    re.compile(r"[0-9]{6,20}-[a-z0-9]{16,64}\.apps\.googleusercontent\.com"),
    re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"),
    re.compile(r"[0-9a-f]{64}"),
)

# GitLab applications made before 16.4 have an unprefixed 64-hex secret,
# the shape of their application ID: such a value is a client ID only when
# the other credential is not one too.
_AMBIGUOUS = re.compile(r"[0-9a-f]{64}")
# Entra secrets: about 40 characters, with "Q~" a few characters in.
_ENTRA_SECRET = re.compile(r"[A-Za-z0-9_~.-]{2,6}Q~[A-Za-z0-9_~.-]{28,40}")
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
    if GITHUB_SECRET_SHAPE.fullmatch(value) or _ENTRA_SECRET.fullmatch(value):
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
        and _AMBIGUOUS.fullmatch(value)
        and _AMBIGUOUS.fullmatch(other)
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
