"""GitLab (gitlab.com and self-managed GitLab), whose OAuth provider is
Doorkeeper.

Token errors are JSON with a ``WWW-Authenticate`` header. One
``invalid_grant``, with one sentence, stands for a used or expired code, a
redirect URI that differs between the two steps, and a PKCE mismatch: only
a restart that fails the same way tells them apart. An unregistered
redirect URI stops on GitLab's own page, after the user has signed in.
"""

from __future__ import annotations

import re

from .baseline import AUTHORIZE_ERRORS
from .baseline import TOKEN_ERRORS
from .profile import CREDENTIALS
from .profile import REDIRECT_URI
from .profile import TRANSIENT
from .profile import ConsolePage
from .profile import CredentialShapes
from .profile import EndpointShape
from .profile import Profile
from .profile import Reading
from .profile import RedirectErrorPage
from .profile import RedirectRule

#: An application ID: 64 hexadecimal characters.
CLIENT_ID_SHAPE = re.compile(r"[0-9a-f]{64}")
#: An application secret since 16.4: ``gloas-`` and 64 hex.
SECRET_SHAPE = re.compile(r"gloas-[0-9a-f]{64}")
_APPLICATIONS = ConsolePage("{origin}/-/user_settings/applications")

PROFILE = Profile(
    name="gitlab",
    display_name="GitLab",
    hosts=frozenset({"gitlab.com"}),
    shape=EndpointShape(
        authorize=re.compile(r"(.*)/oauth/authorize$"),
        token=re.compile(r"(.*)/oauth/token$"),
        both=True,
    ),
    token_errors={**TOKEN_ERRORS, "invalid_grant": Reading(TRANSIENT, ambiguous=True)},
    authorize_errors=AUTHORIZE_ERRORS,
    redirect_rule=RedirectRule(
        "exact_loopback_ip_port",
        any_port_hosts=frozenset({"127.0.0.1", "::1"}),
        query_free_if_unregistered=True,
    ),
    redirect_error_page=RedirectErrorPage(
        statuses=frozenset({200, 400}),
        markers=("The redirect URI included is not valid.",),
    ),
    credentials=CredentialShapes(
        key="gitlab",
        client_id_notation="[0-9a-f]{64}",
        secret_notation="gloas-[0-9a-f]{64}",
        client_id=(CLIENT_ID_SHAPE,),
        secret=(SECRET_SHAPE,),
        # Before 16.4: 64 hex, the shape of the application ID.
        legacy_secret=(CLIENT_ID_SHAPE,),
        secret_prefixes=("gloas-",),
        token_prefixes=("glpat-", "gloas-pat-", "gldt-", "glrt-"),
    ),
    console={CREDENTIALS: _APPLICATIONS, REDIRECT_URI: _APPLICATIONS},
    doc_hosts=frozenset({"docs.gitlab.com"}),
)
