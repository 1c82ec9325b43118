"""The RFC 6749 / OpenID Connect baseline: what any OAuth 2 provider's
errors mean when nothing more is known about it."""

from __future__ import annotations

from .profile import CANCELLED
from .profile import CONFIG
from .profile import CREDENTIALS
from .profile import REDIRECT_URI
from .profile import TRANSIENT
from .profile import UNAVAILABLE
from .profile import Profile
from .profile import Reading
from .profile import RedirectRule

#: Token endpoint errors of RFC 6749 section 5.2, and ``redirect_uri_mismatch``,
#: which several providers send and nothing else means.
TOKEN_ERRORS: dict[str, Reading] = {
    "invalid_grant": Reading(TRANSIENT),
    "invalid_client": Reading(CREDENTIALS),
    "unauthorized_client": Reading(CREDENTIALS),
    "redirect_uri_mismatch": Reading(REDIRECT_URI),
    "invalid_request": Reading(CONFIG),
    "unsupported_grant_type": Reading(CONFIG),
    "invalid_scope": Reading(CONFIG),
    "server_error": Reading(UNAVAILABLE),
    "temporarily_unavailable": Reading(UNAVAILABLE),
}

#: Errors that come back on the callback as ``?error=`` (RFC 6749 section
#: 4.1.2.1), and ``redirect_uri_mismatch``.
AUTHORIZE_ERRORS: dict[str, Reading] = {
    "access_denied": Reading(CANCELLED),
    "redirect_uri_mismatch": Reading(REDIRECT_URI),
    "unauthorized_client": Reading(CREDENTIALS),
    "invalid_request": Reading(CONFIG),
    "unsupported_response_type": Reading(CONFIG),
    "invalid_scope": Reading(CONFIG),
    "server_error": Reading(UNAVAILABLE),
    "temporarily_unavailable": Reading(UNAVAILABLE),
}

#: Names people know providers by, for clients no profile recognizes.
KNOWN_NAMES = {
    "apple": "Apple",
    "github": "GitHub",
    "gitlab": "GitLab",
    "google": "Google",
    "microsoft": "Microsoft",
    "azure": "Microsoft",
    "entra": "Microsoft",
    "keycloak": "Keycloak",
    "facebook": "Facebook",
    "twitter": "X",
    "discord": "Discord",
    "slack": "Slack",
    "linkedin": "LinkedIn",
    "auth0": "Auth0",
    "okta": "Okta",
}

PROFILE = Profile(
    name="oauth2",
    display_name="OAuth 2.0",
    token_errors=TOKEN_ERRORS,
    authorize_errors=AUTHORIZE_ERRORS,
    # RFC 6749 section 3.1.2.3: simple string comparison.
    redirect_rule=RedirectRule("exact"),
)
