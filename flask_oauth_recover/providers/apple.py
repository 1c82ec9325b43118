"""Sign in with Apple (appleid.apple.com).

The client secret is a JWT the app signs itself with its Sign in with Apple
key (ES256), valid for six months at most. Apple answers every problem
with it (expired, too long-lived, wrong claims, bad signature), an unknown
client ID and a mismatched redirect URI with a bare 400 ``invalid_client``,
without a description: the diagnoses read the JWT the app holds to say
which. A used or expired code is ``invalid_grant``. A cancel comes back as
a POST to the callback with ``error=user_cancelled_authorize``, and with
the ``name`` or ``email`` scope every callback is a cross-site form POST
(``response_mode=form_post``). An unregistered return URL stops on Apple's
own page ("Invalid web redirect url.").

Only appleid.apple.com says it is Apple: its paths (``/auth/authorize``,
``/auth/token``) could be any server's.
"""

from __future__ import annotations

import re

from .baseline import AUTHORIZE_ERRORS
from .baseline import TOKEN_ERRORS
from .profile import CANCELLED
from .profile import CREDENTIALS
from .profile import REDIRECT_URI
from .profile import ConsolePage
from .profile import CredentialShapes
from .profile import Profile
from .profile import Reading
from .profile import RedirectErrorPage
from .profile import RedirectRule
from .profile import SecretJwt

#: A Services ID (web) or bundle ID (native): reverse DNS, ``com.example.web``.
CLIENT_ID_SHAPE = re.compile(r"[a-z][a-z0-9-]*(?:\.[A-Za-z][A-Za-z0-9-]*){2,}")
#: A compact JWS: three base64url parts, header and claims JSON objects.
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
#: The ``aud`` every client secret must carry.
AUDIENCE = "https://appleid.apple.com"
#: Six months, the longest a client secret may live (``exp - iat``).
MAX_SECRET_LIFETIME = 15777000

PROFILE = Profile(
    name="apple",
    display_name="Apple",
    hosts=frozenset({"appleid.apple.com"}),
    token_errors=TOKEN_ERRORS,
    authorize_errors={
        **AUTHORIZE_ERRORS,
        "user_cancelled_authorize": Reading(CANCELLED),
    },
    redirect_rule=RedirectRule("apple_return_urls", https_always=True),
    redirect_error_page=RedirectErrorPage(
        statuses=frozenset(), markers=("Invalid web redirect url",)
    ),
    credentials=CredentialShapes(
        key="apple",
        client_id_notation="com.example.web",
        secret_notation="eyJ….eyJ….… (JWT, ES256)",
        client_id=(CLIENT_ID_SHAPE,),
        secret=(JWT_SHAPE,),
        secret_prefixes=("eyJ",),
        # The .p8 key file itself, which should sign the secret.
        private_key_prefixes=("-----BEGIN PRIVATE KEY-----", "-----BEGIN EC"),
    ),
    console={
        CREDENTIALS: ConsolePage(
            "https://developer.apple.com/account/resources/authkeys/list"
        ),
        REDIRECT_URI: ConsolePage(
            "https://developer.apple.com/account/resources/identifiers/list/serviceId"
        ),
    },
    doc_hosts=frozenset({"developer.apple.com"}),
    secret_jwt=SecretJwt(AUDIENCE, "ES256", MAX_SECRET_LIFETIME),
    form_post_scopes=frozenset({"name", "email"}),
)
