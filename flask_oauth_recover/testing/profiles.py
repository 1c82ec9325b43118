"""The emulator's provider profiles by name: ``ProviderEmulator(profile=...)``.

Each name makes its profile module's dialect with the defaults; to change
them (Entra's tenant, Keycloak's realm, Okta's authorization server,
Apple's team and key IDs), pass a dialect instead, e.g.
``ProviderEmulator(profile=MicrosoftDialect(tenant_id=...))``.
"""

from __future__ import annotations

from collections.abc import Callable

from .apple import AppleDialect
from .auth0 import Auth0Dialect
from .dialect import Dialect
from .discord import DiscordDialect
from .facebook import FacebookDialect
from .github import GitHubDialect
from .gitlab import GitLabDialect
from .google import GoogleDialect
from .keycloak import KeycloakDialect
from .microsoft import MicrosoftDialect
from .okta import OktaDialect
from .slack import SlackDialect

__all__ = ["PROFILES", "dialect_for"]

#: Profile name -> the dialect it stands for.
PROFILES: dict[str, Callable[[], Dialect]] = {
    "github": GitHubDialect,
    "google": GoogleDialect,
    "microsoft": MicrosoftDialect,
    "gitlab": GitLabDialect,
    "keycloak": KeycloakDialect,
    "apple": AppleDialect,
    "slack": SlackDialect,
    "facebook": FacebookDialect,
    "okta": OktaDialect,
    "discord": DiscordDialect,
    "auth0": Auth0Dialect,
}


def dialect_for(profile: str | Dialect) -> Dialect:
    """The dialect for a profile name, or the dialect given.

    :param profile: One of :data:`PROFILES`, or a dialect.
    :raises ValueError: For an unknown name.
    """
    if not isinstance(profile, str):
        return profile
    try:
        make = PROFILES[profile]
    except KeyError:
        raise ValueError(
            f"unknown provider profile {profile!r}; one of {sorted(PROFILES)}"
        ) from None
    return make()
