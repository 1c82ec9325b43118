"""Discord (discord.com).

A used or expired code (codes live 100 seconds) is ``invalid_grant``
'Invalid "code" in request.' (``invalid_request`` before 2022); a wrong
secret is a bare 401 ``invalid_client``; a redirect URI that differs from
the login's is ``invalid_request`` 'Invalid "redirect_uri" in request.'.
Discord's authorization page is built by JavaScript, its error for an
unregistered redirect URI included, so ``check --probe`` cannot read it.
"""

from __future__ import annotations

import re

from .baseline import AUTHORIZE_ERRORS
from .baseline import TOKEN_ERRORS
from .profile import CREDENTIALS
from .profile import NEEDS_JAVASCRIPT
from .profile import REDIRECT_URI
from .profile import TRANSIENT
from .profile import ConsolePage
from .profile import EndpointShape
from .profile import Profile
from .profile import Reading
from .profile import RedirectRule
from .profile import Worded

_API = r"(.*)/api(?:/v[0-9]+)?/oauth2/"
_APPLICATIONS = "https://discord.com/developers/applications"

PROFILE = Profile(
    name="discord",
    display_name="Discord",
    hosts=frozenset(
        {"discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com"}
    ),
    shape=EndpointShape(
        authorize=re.compile(_API + r"authorize$"),
        token=re.compile(_API + r"token$"),
    ),
    token_errors=TOKEN_ERRORS,
    authorize_errors=AUTHORIZE_ERRORS,
    worded=(
        Worded(
            "invalid_request",
            re.compile(r'Invalid "code" in request'),
            Reading(TRANSIENT),
        ),
        Worded(
            "invalid_request",
            re.compile(r'Invalid "redirect_uri" in request'),
            Reading(REDIRECT_URI),
        ),
    ),
    redirect_rule=RedirectRule("discord_redirects"),
    probe_blind=NEEDS_JAVASCRIPT,
    console={
        CREDENTIALS: ConsolePage(_APPLICATIONS, _APPLICATIONS + "/{client_id}/oauth2"),
        REDIRECT_URI: ConsolePage(_APPLICATIONS, _APPLICATIONS + "/{client_id}/oauth2"),
    },
    doc_hosts=frozenset({"discord.com", "docs.discord.com"}),
)
