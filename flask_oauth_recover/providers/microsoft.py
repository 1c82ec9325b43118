"""Microsoft Entra ID (the v2.0 endpoints on login.microsoftonline.com and
the national clouds).

Errors carry AADSTS numbers beside the RFC ``error``: in ``error_codes``
and at the start of the description. Microsoft asks apps not to depend on
them, so a number this profile does not know leaves the decision to the
RFC ``error``. An unregistered redirect URI stops on Microsoft's own page
(AADSTS50011).
"""

from __future__ import annotations

import re

from .baseline import AUTHORIZE_ERRORS
from .baseline import TOKEN_ERRORS
from .profile import APP_NOT_IN_DIRECTORY
from .profile import CANCELLED
from .profile import CONFIG
from .profile import CREDENTIALS
from .profile import PKCE_MISMATCH
from .profile import REDIRECT_URI
from .profile import SECRET_EXPIRED
from .profile import SECRET_MISSING
from .profile import TRANSIENT
from .profile import ConsolePage
from .profile import CredentialShapes
from .profile import EndpointShape
from .profile import NumberedCodes
from .profile import Profile
from .profile import Reading
from .profile import RedirectErrorPage
from .profile import RedirectRule

#: A GUID: the Application (client) ID, and a secret's ID.
GUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
#: A client secret's value: about 40 characters, with "Q~" a few in.
SECRET_SHAPE = re.compile(r"[A-Za-z0-9_~.-]{2,6}Q~[A-Za-z0-9_~.-]{28,40}")


def _aadsts(number: int, kind: str, reason: str | None = None) -> tuple[int, Reading]:
    return number, Reading(kind, reason, f"AADSTS{number}")


#: The AADSTS numbers this profile reads; the others leave it to the RFC code.
AADSTS = dict(
    [
        _aadsts(54005, TRANSIENT),  # the code was already redeemed
        _aadsts(70008, TRANSIENT),  # the code has expired
        _aadsts(70000, TRANSIENT),  # invalid grant: expired or revoked code
        _aadsts(7000215, CREDENTIALS),  # invalid client secret
        _aadsts(7000222, CREDENTIALS, SECRET_EXPIRED),
        _aadsts(7000218, CREDENTIALS, SECRET_MISSING),
        _aadsts(700016, CREDENTIALS, APP_NOT_IN_DIRECTORY),
        _aadsts(50011, REDIRECT_URI),  # the redirect URI is not registered
        _aadsts(500112, REDIRECT_URI),  # differs from the authorize step's
        _aadsts(501481, CONFIG, PKCE_MISMATCH),
        _aadsts(65004, CANCELLED),  # the user declined consent
    ]
)

_BLADE = (
    "{console}/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/"
    "{page}/appId/{{client_id}}"
)
_APP_LIST = "{console}/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade"

PROFILE = Profile(
    name="microsoft",
    display_name="Microsoft",
    hosts=frozenset(
        {
            "login.microsoftonline.com",
            "login.microsoftonline.us",
            "login.chinacloudapi.cn",
            "login.partner.microsoftonline.cn",
        }
    ),
    shape=EndpointShape(
        authorize=re.compile(r"(.*)/oauth2/v2\.0/authorize$"),
        token=re.compile(r"(.*)/oauth2/v2\.0/token$"),
    ),
    token_errors=TOKEN_ERRORS,
    authorize_errors=AUTHORIZE_ERRORS,
    numbered=NumberedCodes("AADSTS", AADSTS),
    redirect_rule=RedirectRule(
        "exact_localhost_port",
        any_port_hosts=frozenset({"localhost"}),
        https_except_loopback=True,
        bare_gets_slash=True,
        unsupported_hosts=frozenset({"::1"}),
    ),
    redirect_error_page=RedirectErrorPage(
        statuses=frozenset(), markers=("AADSTS50011",)
    ),
    checks_redirect_first=True,
    credentials=CredentialShapes(
        key="microsoft",
        client_id_notation="[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        secret_notation="[A-Za-z0-9_~.-]{3}Q~[A-Za-z0-9_~.-]{34}",
        client_id=(GUID,),
        secret=(SECRET_SHAPE,),
        secret_id=GUID,
    ),
    console={
        CREDENTIALS: ConsolePage(
            _APP_LIST, _BLADE.format(console="{console}", page="Credentials")
        ),
        REDIRECT_URI: ConsolePage(
            _APP_LIST, _BLADE.format(console="{console}", page="Authentication")
        ),
    },
    console_hosts={
        "login.microsoftonline.us": "https://portal.azure.us",
        "login.chinacloudapi.cn": "https://portal.azure.cn",
        "login.partner.microsoftonline.cn": "https://portal.azure.cn",
        "*": "https://portal.azure.com",
    },
    doc_hosts=frozenset({"learn.microsoft.com", "login.microsoftonline.com"}),
    directory=re.compile(r"^/([^/]+)/(?:oauth2/|v2\.0/)"),
)
