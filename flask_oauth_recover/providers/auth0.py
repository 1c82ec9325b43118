"""Auth0 (``<tenant>.auth0.com`` and custom domains).

A wrong client secret or an unknown client is a 401 ``access_denied``
"Unauthorized" at the token endpoint: a credentials error, not a user who
pressed Cancel (a cancel comes back on the callback, as ``?error=``). A used
or expired code is 403 ``invalid_grant``; a redirect URI that differs from
the login's is ``unauthorized_client`` "The redirect URI is wrong. You sent
..., and we expected ...", and only those words tell it from a bad client.
An unlisted callback URL stops on Auth0's own page ("Callback URL
mismatch").

Only the tenant's own host (``*.auth0.com``) says it is Auth0: its paths
(``/authorize``, ``/oauth/token``) are those of many servers, so a custom
domain needs ``provider="auth0"`` or ``OAUTH_RECOVER_PROVIDERS``.
"""

from __future__ import annotations

import re

from .baseline import AUTHORIZE_ERRORS
from .baseline import TOKEN_ERRORS
from .profile import CONFIG
from .profile import CREDENTIALS
from .profile import PKCE_MISMATCH
from .profile import REDIRECT_URI
from .profile import ConsolePage
from .profile import Profile
from .profile import Reading
from .profile import RedirectErrorPage
from .profile import RedirectRule
from .profile import Worded

_APPLICATIONS = ConsolePage("https://manage.auth0.com/#/applications")

PROFILE = Profile(
    name="auth0",
    display_name="Auth0",
    host_suffixes=(".auth0.com",),
    token_errors={**TOKEN_ERRORS, "access_denied": Reading(CREDENTIALS)},
    authorize_errors=AUTHORIZE_ERRORS,
    worded=(
        Worded(
            "unauthorized_client",
            re.compile(r"The redirect URI is wrong"),
            Reading(REDIRECT_URI),
        ),
        Worded(
            "invalid_grant",
            re.compile(r"Failed to verify code verifier"),
            Reading(CONFIG, PKCE_MISMATCH),
        ),
    ),
    redirect_rule=RedirectRule("auth0_allowed_callbacks"),
    redirect_error_page=RedirectErrorPage(
        statuses=frozenset(), markers=("Callback URL mismatch",)
    ),
    console={CREDENTIALS: _APPLICATIONS, REDIRECT_URI: _APPLICATIONS},
    doc_hosts=frozenset({"auth0.com"}),
)
