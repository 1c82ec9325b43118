"""Keycloak, on any host: the endpoints sit under ``/realms/<realm>/``.

A wrong client secret is a 401 ``unauthorized_client``, not RFC's
``invalid_client``. One ``invalid_grant`` stands for a used or expired
code and a redirect URI that differs between the two steps; a PKCE
mismatch says so in its description. An unregistered redirect URI stops on
Keycloak's own page ("Invalid parameter: redirect_uri").
"""

from __future__ import annotations

import re

from .baseline import AUTHORIZE_ERRORS
from .baseline import TOKEN_ERRORS
from .profile import CONFIG
from .profile import CREDENTIALS
from .profile import PKCE_MISMATCH
from .profile import REDIRECT_URI
from .profile import TRANSIENT
from .profile import ConsolePage
from .profile import EndpointShape
from .profile import Profile
from .profile import Reading
from .profile import RedirectErrorPage
from .profile import RedirectRule
from .profile import Worded

_REALM = r"(.*)/realms/[^/]+"
_CLIENTS = ConsolePage("{origin}/admin/master/console/#/{realm}/clients")

PROFILE = Profile(
    name="keycloak",
    display_name="Keycloak",
    shape=EndpointShape(
        authorize=re.compile(_REALM + r"/protocol/openid-connect/auth$"),
        token=re.compile(_REALM + r"/protocol/openid-connect/token$"),
        metadata=re.compile(_REALM + r"/\.well-known/openid-configuration$"),
    ),
    token_errors={**TOKEN_ERRORS, "invalid_grant": Reading(TRANSIENT, ambiguous=True)},
    authorize_errors=AUTHORIZE_ERRORS,
    worded=(
        Worded(
            "invalid_grant",
            re.compile(r"PKCE (?:verification failed|code verifier not specified)"),
            Reading(CONFIG, PKCE_MISMATCH),
        ),
    ),
    redirect_rule=RedirectRule("pattern", path="pattern"),
    redirect_error_page=RedirectErrorPage(
        statuses=frozenset({400}), markers=("Invalid parameter: redirect_uri",)
    ),
    checks_redirect_first=True,
    console={CREDENTIALS: _CLIENTS, REDIRECT_URI: _CLIENTS},
    doc_hosts=frozenset({"www.keycloak.org"}),
    directory=re.compile(r"/realms/([^/]+)/"),
)
