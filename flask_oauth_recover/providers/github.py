"""GitHub (github.com and GitHub Enterprise Server): OAuth apps and
GitHub Apps.

GitHub answers every token error with HTTP 200 and codes of its own, and
sends the browser back to the *registered* callback URL with
``?error=redirect_uri_mismatch`` when the redirect URI is not registered.
"""

from __future__ import annotations

import re

from .baseline import AUTHORIZE_ERRORS
from .baseline import TOKEN_ERRORS
from .profile import CONFIG
from .profile import CREDENTIALS
from .profile import REDIRECT_URI
from .profile import TRANSIENT
from .profile import ConsolePage
from .profile import CredentialShapes
from .profile import EndpointShape
from .profile import Profile
from .profile import Reading
from .profile import RedirectRule

#: Prefixes of GitHub tokens: personal access tokens, OAuth, user-to-server,
#: server-to-server and refresh tokens.
TOKEN_PREFIXES = ("github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_")

#: An OAuth app's client secret: 40 hexadecimal characters.
SECRET_SHAPE = re.compile(r"[0-9a-f]{40}")

#: OAuth apps: Ov23 + 16 (new) or 20 hex (legacy); GitHub Apps: Iv1. + 16
#: hex or Iv23 + 16.
CLIENT_ID_SHAPE = re.compile(
    r"(?:Ov23|Iv23)[A-Za-z0-9]{16}|Iv1\.[0-9a-f]{16}|[0-9a-f]{20}"
)

PROFILE = Profile(
    name="github",
    display_name="GitHub",
    hosts=frozenset({"github.com"}),
    # GitHub Enterprise Server serves the same paths on its own host.
    shape=EndpointShape(
        authorize=re.compile(r"(.*)/login/oauth/authorize/?$"),
        token=re.compile(r"(.*)/login/oauth/access_token/?$"),
    ),
    token_errors={
        **TOKEN_ERRORS,
        "bad_verification_code": Reading(TRANSIENT),
        "incorrect_client_credentials": Reading(CREDENTIALS),
        "unverified_user_email": Reading(CONFIG),
    },
    authorize_errors={
        **AUTHORIZE_ERRORS,
        "application_suspended": Reading(CONFIG),
    },
    redirect_rule=RedirectRule(
        "prefix",
        path="prefix",
        any_port_hosts=frozenset({"localhost", "127.0.0.1"}),
    ),
    redirect_error_returns=True,
    credentials=CredentialShapes(
        key="github",
        client_id_notation="Ov23li[A-Za-z0-9]{14}",
        secret_notation="[0-9a-f]{40}",
        client_id=(CLIENT_ID_SHAPE,),
        secret=(SECRET_SHAPE,),
        token_prefixes=TOKEN_PREFIXES,
        # A GitHub App's App ID, a number, is not its Client ID.
        app_id=re.compile(r"[0-9]+"),
        # Client IDs changed shape over the years (20 hex, Iv1., Iv23,
        # Ov23li) and may again: only the App ID is a certain mistake.
        firm_client_id=False,
    ),
    console={
        CREDENTIALS: ConsolePage("{origin}/settings/developers"),
        REDIRECT_URI: ConsolePage("{origin}/settings/developers"),
        # Where a GitHub App's Client ID is, beside its App ID.
        "app": ConsolePage("{origin}/settings/apps"),
    },
    doc_hosts=frozenset({"docs.github.com"}),
)
