"""Facebook Login (the Graph API's ``/oauth/access_token``).

Token errors are Graph API error objects, ``{"error": {"message", "type",
"code", "error_subcode", "fbtrace_id"}}``, with HTTP 400: the numbers say
what happened, the message is free text. Code 100 with subcode 36009 is a
used code and 36007 an expired one (a restart heals both: back-button
reloads of the callback make thousands a day); 36008 is a redirect URI
that differs from the login dialog's; code 1 is a wrong app secret. The
login dialog's error pages are in the viewer's language and shown to a
signed-in browser, so ``check --probe`` cannot read them.
"""

from __future__ import annotations

import re

from .baseline import AUTHORIZE_ERRORS
from .baseline import TOKEN_ERRORS
from .profile import CONFIG
from .profile import CREDENTIALS
from .profile import NEEDS_SIGN_IN
from .profile import REDIRECT_URI
from .profile import TRANSIENT
from .profile import ConsolePage
from .profile import CredentialShapes
from .profile import EndpointShape
from .profile import NumberedCodes
from .profile import Profile
from .profile import Reading
from .profile import RedirectRule

#: An App ID: a number.
CLIENT_ID_SHAPE = re.compile(r"[0-9]{8,20}")
#: An App Secret: 32 hexadecimal characters (as seen; not documented).
SECRET_SHAPE = re.compile(r"[0-9a-f]{32}")
_APPS = "https://developers.facebook.com/apps/"

#: Graph API error subcodes and codes this profile reads, subcodes first;
#: a number not listed leaves the decision to the HTTP status.
GRAPH_CODES: dict[int, Reading] = {
    36009: Reading(TRANSIENT, code="error_subcode 36009"),  # code already used
    36007: Reading(TRANSIENT, code="error_subcode 36007"),  # code expired
    36008: Reading(REDIRECT_URI, code="error_subcode 36008"),
    1: Reading(CREDENTIALS, code="code 1"),  # "Error validating client secret."
    191: Reading(CONFIG, code="code 191"),  # "Missing redirect_uri parameter."
}

PROFILE = Profile(
    name="facebook",
    display_name="Facebook",
    hosts=frozenset(
        {
            "www.facebook.com",
            "facebook.com",
            "m.facebook.com",
            "web.facebook.com",
            "graph.facebook.com",
        }
    ),
    shape=EndpointShape(
        authorize=re.compile(r"(.*?)(?:/v[0-9]+\.[0-9]+)?/dialog/oauth/?$"),
        token=re.compile(r"(.*)/v[0-9]+\.[0-9]+/oauth/access_token$"),
    ),
    token_errors=TOKEN_ERRORS,
    authorize_errors=AUTHORIZE_ERRORS,
    numbered=NumberedCodes(None, GRAPH_CODES),
    redirect_rule=RedirectRule("facebook_valid_oauth"),
    probe_blind=NEEDS_SIGN_IN,
    credentials=CredentialShapes(
        key="facebook",
        client_id_notation="[0-9]+",
        secret_notation="[0-9a-f]{32}",
        client_id=(CLIENT_ID_SHAPE,),
        secret=(SECRET_SHAPE,),
        firm_secret=False,
    ),
    console={
        CREDENTIALS: ConsolePage(_APPS, _APPS + "{client_id}/settings/basic/"),
        REDIRECT_URI: ConsolePage(_APPS, _APPS + "{client_id}/fb-login/settings/"),
    },
    doc_hosts=frozenset({"developers.facebook.com"}),
)
