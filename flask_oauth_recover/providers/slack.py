"""Slack (``oauth.v2.access`` and Sign in with Slack on slack.com).

Slack answers token errors with HTTP 200 and ``{"ok": false, "error":
...}``, in codes of its own: ``invalid_code`` for a code that is wrong,
used or expired, ``bad_client_secret``, ``invalid_client_id``,
``bad_redirect_uri``. A login that asks only for user scopes gets its token
under ``authed_user``, with no top-level ``access_token``. An unregistered
redirect URI stops on Slack's own page ("redirect_uri did not match any
configured URIs").
"""

from __future__ import annotations

import re

from .baseline import AUTHORIZE_ERRORS
from .baseline import TOKEN_ERRORS
from .profile import CONFIG
from .profile import CREDENTIALS
from .profile import REDIRECT_URI
from .profile import TRANSIENT
from .profile import UNAVAILABLE
from .profile import ConsolePage
from .profile import CredentialShapes
from .profile import EndpointShape
from .profile import Profile
from .profile import Reading
from .profile import RedirectErrorPage
from .profile import RedirectRule

#: A client ID: the team's number, a dot, the app's number.
CLIENT_ID_SHAPE = re.compile(r"[0-9]{6,16}\.[0-9]{6,16}")
#: A client secret: 32 hexadecimal characters.
SECRET_SHAPE = re.compile(r"[0-9a-f]{32}")
_APPS = ConsolePage("https://api.slack.com/apps")

#: ``oauth.v2.access`` errors, from Slack's method reference.
SLACK_ERRORS: dict[str, Reading] = {
    "invalid_code": Reading(TRANSIENT),
    "bad_client_secret": Reading(CREDENTIALS),
    "invalid_client_id": Reading(CREDENTIALS),
    "bad_redirect_uri": Reading(REDIRECT_URI),
    # The login used the v1 /oauth/authorize URL, not /oauth/v2/authorize.
    "oauth_authorization_url_mismatch": Reading(CONFIG),
    **dict.fromkeys(
        (
            "invalid_grant_type",
            "invalid_refresh_token",
            "no_scopes",
            "cannot_install_an_org_installed_app",
            "preview_feature_not_available",
            "user_email_unverified",
            "invalid_form_data",
            "invalid_post_type",
            "missing_post_type",
            "invalid_charset",
            "request_timeout",
        ),
        Reading(CONFIG),
    ),
    **dict.fromkeys(
        (
            "ratelimited",
            "internal_error",
            "fatal_error",
            "service_unavailable",
            "team_added_to_org",
            "accesslimited",
        ),
        Reading(UNAVAILABLE),
    ),
}

PROFILE = Profile(
    name="slack",
    display_name="Slack",
    hosts=frozenset({"slack.com"}),
    shape=EndpointShape(
        authorize=re.compile(r"(.*)/oauth/v2/authorize$"),
        token=re.compile(r"(.*)/api/oauth\.v2\.access$"),
    ),
    token_errors={**TOKEN_ERRORS, **SLACK_ERRORS},
    authorize_errors=AUTHORIZE_ERRORS,
    redirect_rule=RedirectRule("slack_redirect_urls"),
    redirect_error_page=RedirectErrorPage(
        statuses=frozenset(),
        markers=("redirect_uri did not match any configured URIs",),
    ),
    credentials=CredentialShapes(
        key="slack",
        client_id_notation="[0-9]+.[0-9]+",
        secret_notation="[0-9a-f]{32}",
        client_id=(CLIENT_ID_SHAPE,),
        secret=(SECRET_SHAPE,),
        token_prefixes=("xoxb-", "xoxp-", "xoxe-", "xoxa-", "xoxr-"),
    ),
    console={CREDENTIALS: _APPS, REDIRECT_URI: _APPS},
    doc_hosts=frozenset({"api.slack.com", "docs.slack.dev"}),
    token_locations=(("authed_user", "access_token"),),
)
