"""Okta (``<org>.okta.com`` and custom domains): the org authorization
server (``/oauth2/v1/``) and custom ones (``/oauth2/<id>/v1/``).

A wrong secret is a 401 ``invalid_client``. One ``invalid_grant`` stands
for a used or expired code, a redirect URI that differs from the login's
and a wrong PKCE verifier, and Okta's descriptions tell them apart: the
last two are configuration errors, and a failed PKCE check burns the code.
An unregistered redirect URI stops on Okta's own "400 Bad Request" page.
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
from .profile import CredentialShapes
from .profile import EndpointShape
from .profile import Profile
from .profile import Reading
from .profile import RedirectErrorPage
from .profile import RedirectRule
from .profile import Worded

#: A client ID: ``0oa`` and letters and digits.
CLIENT_ID_SHAPE = re.compile(r"0oa[A-Za-z0-9]{10,30}")
_SERVER = r"(.*)/oauth2(?:/[^/]+)?/v1/"
_APPS = ConsolePage("{admin}/admin/apps/active")

PROFILE = Profile(
    name="okta",
    display_name="Okta",
    host_suffixes=(".okta.com", ".oktapreview.com", ".okta-emea.com"),
    shape=EndpointShape(
        authorize=re.compile(_SERVER + r"authorize$"),
        token=re.compile(_SERVER + r"token$"),
        metadata=re.compile(
            r"(.*)/oauth2/[^/]+/\.well-known/"
            r"(?:openid-configuration|oauth-authorization-server)$"
        ),
    ),
    token_errors=TOKEN_ERRORS,
    authorize_errors=AUTHORIZE_ERRORS,
    worded=(
        Worded(
            "invalid_grant",
            re.compile(r"The 'redirect_uri' does not match"),
            Reading(REDIRECT_URI),
        ),
        Worded(
            "invalid_grant",
            re.compile(r"PKCE verification failed"),
            Reading(CONFIG, PKCE_MISMATCH),
        ),
    ),
    redirect_rule=RedirectRule("okta_sign_in_redirect", exact_case=True),
    redirect_error_page=RedirectErrorPage(
        statuses=frozenset({400}),
        markers=(
            "must be a Login redirect URI in the client app settings",
            "must be an absolute URI that is whitelisted in the client app settings",
        ),
    ),
    credentials=CredentialShapes(
        key="okta",
        client_id_notation="0oa[A-Za-z0-9]+",
        secret_notation="",
        client_id=(CLIENT_ID_SHAPE,),
        secret=(),
        firm_client_id=False,
        firm_secret=False,
    ),
    console={CREDENTIALS: _APPS, REDIRECT_URI: _APPS},
    doc_hosts=frozenset({"developer.okta.com", "support.okta.com"}),
    admin_host=(
        re.compile(r"([a-z0-9-]+)\.(okta\.com|oktapreview\.com|okta-emea\.com)"),
        r"\1-admin.\2",
    ),
)
