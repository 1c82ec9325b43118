"""The break-it panel's catalog: every failure it can arm, for which
providers, and in each provider's words; plus the small pure functions that
make a setting wrong the way a developer gets it wrong.

:mod:`.breakit` arms them and makes them happen.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

#: The path the "wrong redirect URI" login sends instead of the callback's.
WRONG_CALLBACK_PATH = "/oauth/callback"
#: What a failing gateway in front of the provider answers.
BAD_GATEWAY_PAGE = (
    "<!doctype html><title>502 Bad Gateway</title><h1>502 Bad Gateway</h1>"
)
#: The command that finds what no callback can: an unregistered redirect URI
#: on a provider that never sends the browser back.
CHECK_COMMAND = "flask --app example_app oauth-recover check --probe"

#: How each provider words what the panel talks about.
WORDS: dict[str, dict[str, str]] = {
    "github": {
        "expired_error": "bad_verification_code",
        "used_error": "bad_verification_code",
        "secret_error": "incorrect_client_credentials",
        "approve": "Authorize",
        "error_page": "",
    },
    "google": {
        "expired_error": "invalid_grant",
        "used_error": "invalid_grant",
        "secret_error": "invalid_client",
        "approve": "Continue",
        "error_page": '"Access blocked", Error 400: redirect_uri_mismatch',
    },
    "microsoft": {
        "expired_error": "AADSTS70008 (invalid_grant)",
        "used_error": "AADSTS54005 (invalid_grant)",
        "secret_error": "AADSTS7000215 (invalid_client)",
        "approve": "Accept",
        "error_page": "AADSTS50011, the redirect URI does not match",
    },
    "gitlab": {
        "expired_error": "invalid_grant",
        "used_error": "invalid_grant",
        "secret_error": "invalid_client",
        "approve": "Authorize",
        "error_page": '"An error has occurred": The redirect URI included is not '
        "valid.",
    },
    "apple": {
        "expired_error": "invalid_grant",
        "used_error": "invalid_grant",
        "secret_error": "invalid_client",
        "approve": "Continue",
        "error_page": '"invalid_request", Invalid web redirect url.',
    },
    "slack": {
        "expired_error": "invalid_code (HTTP 200)",
        "used_error": "invalid_code (HTTP 200)",
        "secret_error": "bad_client_secret",
        "approve": "Allow",
        "error_page": '"redirect_uri did not match any configured URIs"',
    },
    "facebook": {
        "expired_error": "Graph error subcode 36007",
        "used_error": "Graph error subcode 36009",
        "secret_error": "Graph error code 1",
        "approve": "Continue",
        "error_page": '"URL Blocked"',
    },
    "okta": {
        "expired_error": "invalid_grant",
        "used_error": "invalid_grant",
        "secret_error": "invalid_client",
        "approve": "Allow Access",
        "error_page": "\"400 Bad Request\": The 'redirect_uri' parameter must be a "
        "Login redirect URI",
    },
    "discord": {
        "expired_error": 'invalid_grant, Invalid "code" in request.',
        "used_error": 'invalid_grant, Invalid "code" in request.',
        "secret_error": "invalid_client",
        "approve": "Authorize",
        "error_page": '"Invalid OAuth2 redirect_uri"',
    },
    "auth0": {
        "expired_error": "403 invalid_grant",
        "used_error": "403 invalid_grant",
        "secret_error": "401 access_denied",
        "approve": "Accept",
        "error_page": '"Callback URL mismatch"',
    },
}


@dataclass(frozen=True)
class Fault:
    """One button of the panel. Texts may name ``{provider}`` and the
    other :data:`WORDS`.

    :param name: its URL slug and cookie value.
    :param title: the button's heading.
    :param simulates: one line: what goes wrong, and where.
    :param expect: one line: what the visitor should now see.
    :param outcome: ``heals``, ``fix``, ``explains``, ``guard`` or
        ``check``; styles the card's label.
    :param needs_emulator: only an emulated provider can do it.
    :param providers: the providers it is offered for; every one when empty.
    """

    name: str
    title: str
    simulates: str
    expect: str
    outcome: str
    needs_emulator: bool = False
    providers: frozenset[str] = frozenset()

    def offered_for(self, provider: str) -> bool:
        """Whether the panel shows this button for ``provider``."""
        return not self.providers or provider in self.providers


#: Labels for :attr:`Fault.outcome`.
OUTCOME_LABELS = {
    "heals": "Heals by itself",
    "fix": "Names the fix",
    "explains": "Explains",
    "guard": "Loop guard",
    "check": "Only check finds it",
}

FAULTS: tuple[Fault, ...] = (
    Fault(
        "expired_code",
        "Expired code, once",
        "{provider} answers {expired_error} to a code past its lifetime: the "
        "demo moves {provider}'s clock past that while you are on the way back.",
        "No error page: one silent restart, then your account page.",
        "heals",
        needs_emulator=True,
    ),
    Fault(
        "code_used_twice",
        "Code used twice",
        "The callback is opened twice (a double click, a refresh): the first "
        "request redeems the code, the second is refused with {used_error}.",
        "No error page: one silent restart, then your account page.",
        "heals",
    ),
    Fault(
        "wrong_secret",
        "Wrong client secret",
        "The app sends an old secret, as after a rotation nobody deployed.",
        '"Sign-in is not set up correctly", with {secret_error} and the '
        "fingerprint of the secret sent (the right one's is {fingerprint}).",
        "fix",
        providers=frozenset(
            {"github", "google", "slack", "facebook", "okta", "discord", "auth0"}
        ),
    ),
    Fault(
        "apple_secret_expired",
        "Expired client secret JWT",
        "The app signs its client secret, a JWT, once and keeps it: six months "
        "later its exp has passed, and Apple answers a bare invalid_client.",
        '"Sign-in is not set up correctly", with credentials.expired and the '
        "date it expired, read from the secret the app holds.",
        "fix",
        needs_emulator=True,
        providers=frozenset({"apple"}),
    ),
    Fault(
        "secret_id",
        "Secret ID pasted as the secret",
        'Entra shows a new secret\'s "Value" once, beside its "Secret ID", a '
        "GUID; the app was given the ID.",
        '"Sign-in is not set up correctly": {secret_error}, and '
        "credentials.secret_id: the secret sent is a GUID, the secret's ID "
        "rather than its value.",
        "fix",
        providers=frozenset({"microsoft"}),
    ),
    Fault(
        "expired_secret",
        "Expired client secret",
        "The secret's expiry date (24 months at most) has passed; Entra answers "
        "AADSTS7000222.",
        '"Sign-in is not set up correctly", with credentials.expired: add a new '
        'secret under "Certificates & secrets".',
        "fix",
        needs_emulator=True,
        providers=frozenset({"microsoft"}),
    ),
    Fault(
        "token_as_secret",
        "Access token as the secret",
        "The app was given a glpat- personal access token instead of the "
        "application's gloas- secret.",
        '"Sign-in is not set up correctly": {secret_error}, and '
        "credentials.shape naming the personal access token.",
        "fix",
        providers=frozenset({"gitlab"}),
    ),
    Fault(
        "secret_newline",
        "Secret with a trailing newline",
        "The right secret plus a newline, as when it is read from a file or "
        "pasted into an environment variable.",
        '"Sign-in is not set up correctly", naming the whitespace and the '
        ".strip() fix; the secret it shows is {secret_length_plus} characters, "
        "not {secret_length}.",
        "fix",
    ),
    Fault(
        "wrong_redirect_uri",
        "Wrong redirect URI",
        f"The login sends {WRONG_CALLBACK_PATH}, while the OAuth app has "
        "{callback_path} registered.",
        '"Sign-in is not set up correctly", with redirect_uri_mismatch and the '
        "URI that was sent.",
        "fix",
        providers=frozenset({"github"}),
    ),
    Fault(
        "unregistered_redirect_uri",
        "Unregistered redirect URI",
        "{registration}",
        "{provider}'s own error page ({error_page}): the app never hears of "
        "it, so no page of the app can help.",
        "check",
        needs_emulator=True,
        providers=frozenset(
            {"google", "microsoft", "gitlab", "apple", "slack", "okta", "auth0"}
        ),
    ),
    Fault(
        "redirect_differs",
        "Token request with another redirect URI",
        "The login sends {callback}, the token request {token_uri}. GitLab "
        "answers invalid_grant, the same words it uses for a used code.",
        'One silent restart (it could have been a used code), then "We could '
        'not sign you in", with token.invalid_grant_repeated naming both URIs.',
        "guard",
        needs_emulator=True,
        providers=frozenset({"gitlab"}),
    ),
    Fault(
        "user_cancels",
        "User cancels",
        "{provider} shows its authorization page, and you press Cancel.",
        '"Sign-in cancelled", with a button to sign in again.',
        "explains",
        needs_emulator=True,
    ),
    Fault(
        "provider_down",
        "{provider} is down",
        "The token endpoint answers 502 Bad Gateway, once.",
        '"{provider} is not responding"; Try again then signs you in.',
        "explains",
        needs_emulator=True,
    ),
    Fault(
        "provider_hangs",
        "{provider} hangs",
        "The token endpoint holds the request past the app's timeout of {timeout} s.",
        'After {timeout} s, "{provider} is not responding" instead of a tab '
        "that spins forever.",
        "explains",
        needs_emulator=True,
    ),
    Fault(
        "session_cookie_dropped",
        "Session cookie dropped",
        "The session cookie is SameSite=Strict: after you press {approve} on "
        "{provider}'s page, the browser leaves it out on the way back.",
        'Two silent restarts, then "We could not sign you in", naming the '
        "missing cookie.",
        "guard",
        providers=frozenset(
            {
                "github",
                "google",
                "microsoft",
                "gitlab",
                "slack",
                "facebook",
                "okta",
                "discord",
                "auth0",
            }
        ),
    ),
    Fault(
        "form_post_lax",
        "SameSite=Lax session cookie",
        "Apple posts the callback from its own site; the demo's session cookie "
        "is SameSite=None; Secure for that, but here it is Lax, the setting "
        "most apps have: the browser leaves it off the cross-site POST.",
        'Two silent restarts, then "We could not sign you in", with '
        "session.form_post_samesite and the setting that fixes it.",
        "guard",
        providers=frozenset({"apple"}),
    ),
)
FAULTS_BY_NAME = {fault.name: fault for fault in FAULTS}
#: How each provider's registration goes wrong in "Unregistered redirect URI".
REGISTRATIONS = {
    "google": "In the Google Cloud console the authorized redirect URI was "
    "saved as {registered}, with a trailing slash; the login sends {callback}, "
    "and Google compares exactly.",
    "microsoft": "The app registration lists {registered}; the login sends "
    "{callback}, and Entra compares paths case by case.",
    "gitlab": "The application lists {registered}, without the port; the login "
    "sends {callback}, and GitLab ignores the port only for 127.0.0.1, not for "
    "localhost.",
    "apple": "The Services ID's Return URLs list {registered}; the login sends "
    "{callback}.",
    "slack": "The app's Redirect URLs list {registered}; the login sends {callback}.",
    "okta": "The Sign-in redirect URIs list {registered}; the login sends "
    "{callback}, and Okta compares case by case.",
    "auth0": "The Allowed Callback URLs list {registered}; the login sends {callback}.",
}
#: The faults that change the secret the app sends.
SECRET_FAULTS = frozenset(
    {
        "wrong_secret",
        "secret_newline",
        "secret_id",
        "token_as_secret",
        "apple_secret_expired",
    }
)


def misconfigured_secret(fault: str, configured: str) -> str:
    """The secret the misconfigured app sends in ``fault``, one of
    :data:`SECRET_FAULTS`.

    :param fault: the failure's name.
    :param configured: the right secret.
    """
    if fault == "wrong_secret":
        return rotated_secret(configured)
    if fault == "secret_newline":
        return configured + "\n"
    if fault == "secret_id":
        # Entra's "Secret ID" column: a GUID beside the value.
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"secret-id:{configured}"))
    # A GitLab personal access token.
    return "glpat-" + hashlib.sha1(configured.encode()).hexdigest()[:20]


def rotated_secret(secret: str) -> str:
    """A stand-in for the secret before the last rotation: as long as the
    real one, with the same prefix (``GOCSPX-``, ``gloas-``...), and
    different."""
    cut = max(secret.rfind("-", 0, 8), secret.rfind("~", 0, 8)) + 1
    digest = hashlib.sha1(b"rotated:" + secret.encode()).hexdigest()
    while len(digest) < len(secret):
        digest += hashlib.sha1(digest.encode()).hexdigest()
    return secret[:cut] + digest[: len(secret) - cut]


def misregistered(provider: str, callback_url: str) -> str:
    """The callback as it is wrongly registered at ``provider`` in
    "unregistered redirect URI": with a trailing slash on Google, without
    the port on GitLab, with a capital letter in the path on Entra."""
    parts = urlsplit(callback_url)
    if provider == "google":
        return urlunsplit(parts._replace(path=parts.path + "/"))
    if provider == "gitlab":
        return urlunsplit(parts._replace(netloc=parts.hostname or ""))
    head, _, last = parts.path.rpartition("/")
    return urlunsplit(parts._replace(path=f"{head}/{last[:1].upper()}{last[1:]}"))


def loopback_alias(url: str) -> str:
    """``url`` on ``127.0.0.1`` instead of ``localhost``, or the other way."""
    parts = urlsplit(url)
    host = "localhost" if parts.hostname == "127.0.0.1" else "127.0.0.1"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
