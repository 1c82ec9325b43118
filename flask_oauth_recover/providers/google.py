"""Google (accounts.google.com, oauth2.googleapis.com).

Token errors are JSON with HTTP 400 or 401. A used or expired code and a
PKCE mismatch share ``invalid_grant``; only the description tells the PKCE
case apart. An unregistered redirect URI stops on Google's own page
("Error 400: redirect_uri_mismatch").
"""

from __future__ import annotations

import re

from .baseline import AUTHORIZE_ERRORS
from .baseline import TOKEN_ERRORS
from .profile import CONFIG
from .profile import CREDENTIALS
from .profile import PKCE_MISMATCH
from .profile import REDIRECT_URI
from .profile import SECRET_MISSING
from .profile import ConsolePage
from .profile import CredentialShapes
from .profile import EndpointShape
from .profile import Profile
from .profile import Reading
from .profile import RedirectErrorPage
from .profile import RedirectRule
from .profile import Worded

#: A client ID: the project number, a dash, and a suffix of its own.
CLIENT_ID_SHAPE = re.compile(
    r"[0-9]{6,20}-[a-z0-9]{16,64}\.apps\.googleusercontent\.com"
)
#: Client secrets since 2021 start with this.
SECRET_PREFIX = "GOCSPX-"
_CONSOLE = "https://console.cloud.google.com/auth/clients"

PROFILE = Profile(
    name="google",
    display_name="Google",
    hosts=frozenset(
        {"accounts.google.com", "oauth2.googleapis.com", "www.googleapis.com"}
    ),
    shape=EndpointShape(authorize=re.compile(r"(.*)/o/oauth2(?:/v2)?/auth$")),
    token_errors=TOKEN_ERRORS,
    authorize_errors=AUTHORIZE_ERRORS,
    worded=(
        Worded(
            "invalid_grant",
            re.compile(r"(?:Invalid|Missing) code verifier"),
            Reading(CONFIG, PKCE_MISMATCH),
        ),
        Worded(
            "invalid_request",
            re.compile(r"client_secret is missing"),
            Reading(CREDENTIALS, SECRET_MISSING),
        ),
    ),
    redirect_rule=RedirectRule(
        "exact_case",
        exact_case=True,
        https_except_loopback=True,
    ),
    redirect_error_page=RedirectErrorPage(
        statuses=frozenset({400}), markers=("redirect_uri_mismatch",)
    ),
    checks_redirect_first=True,
    credentials=CredentialShapes(
        key="google",
        client_id_notation="[0-9]+-[a-z0-9]+.apps.googleusercontent.com",
        secret_notation="GOCSPX-[A-Za-z0-9_-]{28}",
        client_id=(CLIENT_ID_SHAPE,),
        secret=(re.compile(r"GOCSPX-[A-Za-z0-9_-]{20,40}"),),
        # Before 2021: 24 characters without a prefix.
        legacy_secret=(re.compile(r"[A-Za-z0-9_-]{24}"),),
        secret_prefixes=(SECRET_PREFIX,),
        api_key_prefixes=("AIza",),
    ),
    console={
        CREDENTIALS: ConsolePage(_CONSOLE, _CONSOLE + "/{client_id}"),
        REDIRECT_URI: ConsolePage(_CONSOLE, _CONSOLE + "/{client_id}"),
    },
    doc_hosts=frozenset({"developers.google.com", "support.google.com"}),
)
