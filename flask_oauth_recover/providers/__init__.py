"""Provider profiles: everything the extension knows about each provider,
and the only place that names one.

A profile is data and small pure functions (:mod:`.profile`); one module
per provider holds one. This package imports nothing else of the
extension: the modules that classify, diagnose and render ask it.

A client's profile comes from, in order: the name the app gave
(``@recover.callback(name, provider="gitlab")`` or
``OAUTH_RECOVER_PROVIDERS``), the hosts of its endpoints (github.com,
accounts.google.com, ...), the shape of their paths (GitHub Enterprise
Server, self-managed GitLab, Keycloak realms), and else the RFC 6749 /
OpenID Connect baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from . import apple
from . import auth0
from . import baseline
from . import discord
from . import facebook
from . import github
from . import gitlab
from . import google
from . import keycloak
from . import microsoft
from . import okta
from . import slack
from .profile import EndpointShape
from .profile import Profile

__all__ = [
    "BASELINE",
    "PROFILES",
    "TOKEN_LOCATIONS",
    "Match",
    "Profile",
    "identify",
    "known_name",
    "profile_named",
    "recognize",
]

#: The RFC 6749 / OpenID Connect baseline, for every other provider.
BASELINE = baseline.PROFILE
#: Every profile by name, the baseline included, in the order their
#: endpoint shapes are tried.
PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        github.PROFILE,
        google.PROFILE,
        microsoft.PROFILE,
        gitlab.PROFILE,
        keycloak.PROFILE,
        apple.PROFILE,
        slack.PROFILE,
        facebook.PROFILE,
        okta.PROFILE,
        discord.PROFILE,
        auth0.PROFILE,
        BASELINE,
    )
}

#: Every place, as key paths, where some provider puts the access token of
#: a successful token response besides ``access_token``.
TOKEN_LOCATIONS: tuple[tuple[str, ...], ...] = tuple(
    dict.fromkeys(
        location
        for profile in PROFILES.values()
        for location in profile.token_locations
    )
)


@dataclass(frozen=True)
class Match:
    """The profile serving one client, and the name to show for it.

    :param profile: the profile.
    :param display_name: the provider's name for pages.
    :param certain: named by the app, or recognized by its own hosts; not
        only by the shape of a path, which other servers may share.
    """

    profile: Profile
    display_name: str
    certain: bool


def profile_named(name: str) -> Profile:
    """The profile called ``name``.

    :raises ValueError: no profile has that name.
    """
    try:
        return PROFILES[name.lower()]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(
            f"unknown provider profile {name!r}: use one of {known}"
        ) from None


def known_name(client_name: str) -> str:
    """The provider's name as people know it, from a client's name."""
    return baseline.KNOWN_NAMES.get(client_name.lower(), client_name.title())


def recognize(
    authorize_url: str | None,
    token_url: str | None,
    metadata_url: str | None = None,
) -> tuple[Profile, bool] | None:
    """The profile a client's endpoints identify, and whether by the
    provider's own hosts (``True``) or only by the shape of their paths.

    :param authorize_url: the authorization endpoint, if known.
    :param token_url: the token endpoint, if known.
    :param metadata_url: the server metadata document, if any.
    """
    urls = [url for url in (authorize_url, token_url, metadata_url) if url]
    hosts = {_host(url) for url in urls} - {""}
    for profile in PROFILES.values():
        if any(profile.owns_host(host) for host in hosts):
            return profile, True
    for profile in PROFILES.values():
        if profile.shape is not None and _shaped(
            profile.shape, authorize_url, token_url, metadata_url
        ):
            return profile, False
    return None


def identify(
    client_name: str,
    authorize_url: str | None,
    token_url: str | None,
    metadata_url: str | None = None,
    named: str | None = None,
) -> Match:
    """The :class:`Match` for a client.

    :param client_name: the client's registered name.
    :param authorize_url: its authorization endpoint, if known.
    :param token_url: its token endpoint, if known.
    :param metadata_url: its server metadata document, if any.
    :param named: the profile the app named for it, if any.
    :raises ValueError: ``named`` is no profile's name.
    """
    if named:
        profile = profile_named(named)
        return Match(profile, _display_name(profile, client_name), True)
    recognized = recognize(authorize_url, token_url, metadata_url)
    if recognized is None:
        return Match(BASELINE, known_name(client_name), False)
    profile, by_host = recognized
    if by_host:
        return Match(profile, profile.display_name, True)
    # A self-hosted server, a gateway or an emulator: what the app calls
    # the client says more to its users than the server software does.
    known = baseline.KNOWN_NAMES.get(client_name.lower())
    return Match(profile, known or profile.display_name, False)


def _display_name(profile: Profile, client_name: str) -> str:
    if profile is BASELINE:
        return known_name(client_name)
    return profile.display_name


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _path(url: str | None) -> tuple[str, str] | None:
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower(), parts.path


def _shaped(
    shape: EndpointShape,
    authorize_url: str | None,
    token_url: str | None,
    metadata_url: str | None,
) -> bool:
    authorize, token = _path(authorize_url), _path(token_url)
    if shape.both:
        if authorize is None or token is None or shape.authorize is None:
            return False
        if shape.token is None or authorize[0] != token[0]:
            return False
        found = shape.authorize.match(authorize[1]), shape.token.match(token[1])
        return bool(found[0] and found[1] and found[0].group(1) == found[1].group(1))
    pairs = (
        (shape.authorize, authorize),
        (shape.token, token),
        (shape.metadata, _path(metadata_url)),
    )
    return any(
        pattern is not None and found is not None and pattern.match(found[1])
        for pattern, found in pairs
    )
