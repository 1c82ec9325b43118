"""Provider profiles: recognition, each provider's error dialect, its
redirect-URI rule, its credential shapes and console pages, read as the
wire facts of ``PROVIDERS.md`` give them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from flask_oauth_recover import FailureKind
from flask_oauth_recover.providers import BASELINE
from flask_oauth_recover.providers import PROFILES
from flask_oauth_recover.providers import identify
from flask_oauth_recover.providers import profile_named
from flask_oauth_recover.providers import recognize
from flask_oauth_recover.providers.profile import APP_NOT_IN_DIRECTORY
from flask_oauth_recover.providers.profile import CANCELLED
from flask_oauth_recover.providers.profile import CONFIG
from flask_oauth_recover.providers.profile import CREDENTIALS
from flask_oauth_recover.providers.profile import KINDS
from flask_oauth_recover.providers.profile import PKCE_MISMATCH
from flask_oauth_recover.providers.profile import PROBE_ACCEPTED
from flask_oauth_recover.providers.profile import PROBE_UNCHECKED
from flask_oauth_recover.providers.profile import PROBE_UNREGISTERED
from flask_oauth_recover.providers.profile import REDIRECT_URI
from flask_oauth_recover.providers.profile import SECRET_EXPIRED
from flask_oauth_recover.providers.profile import SECRET_MISSING
from flask_oauth_recover.providers.profile import TRANSIENT
from flask_oauth_recover.providers.profile import UNAVAILABLE

PACKAGE = Path(__file__).resolve().parent.parent / "flask_oauth_recover"
WAVE_1 = ["github", "google", "microsoft", "gitlab", "keycloak"]
WAVE_2 = ["apple", "slack", "facebook", "okta", "discord", "auth0"]
NAMED = WAVE_1 + WAVE_2

# -- the package stands alone ----------------------------------------------------


def test_providers_import_nothing_else_of_the_extension() -> None:
    own = {"profile", "baseline", *NAMED}
    imported = []
    for path in sorted((PACKAGE / "providers").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                modules = [node.module] if node.module else []
                modules = modules or [alias.name for alias in node.names]
                if node.level > 1 or not set(modules) <= own:
                    imported.append(f"{path.name}: {'.' * node.level}{modules}")
            elif isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module] if isinstance(node, ast.ImportFrom) else []
                names += [alias.name for alias in node.names]
                imported += [
                    f"{path.name}: {name}"
                    for name in names
                    if name and name.startswith("flask_oauth_recover")
                ]
    assert imported == []


def test_nothing_outside_providers_names_a_provider() -> None:
    # The emulator (testing/) speaks each provider's wire format: it must.
    hosts = re.compile(
        r"github\.com|googleapis|googleusercontent|microsoftonline|gitlab\.com"
        r"|/login/oauth/|/realms/|AADSTS\d|GOCSPX|gloas-|glpat-|ghp_"
        r"|appleid|slack\.com|facebook\.com|okta\.com|auth0\.com|discord\.com"
        r"|authed_user|xox[abepr]-|oauth\.v2\.access|user_cancelled_authorize"
    )
    named = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(("providers/", "testing/")):
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if hosts.search(line):
                named.append(f"{relative}:{number}: {line.strip()}")
    assert named == []


def test_every_reading_is_a_failure_kind() -> None:
    assert KINDS == {kind.value for kind in FailureKind}
    for profile in PROFILES.values():
        readings = [*profile.token_errors.values(), *profile.authorize_errors.values()]
        readings += [worded.reading for worded in profile.worded]
        if profile.numbered is not None:
            readings += list(profile.numbered.readings.values())
        assert {reading.kind for reading in readings} <= KINDS, profile.name


# -- recognition ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorize", "token", "metadata", "expected", "by_host"),
    [
        (
            "https://github.com/login/oauth/authorize",
            "https://github.com/login/oauth/access_token",
            None,
            "github",
            True,
        ),
        (
            "https://ghe.corp.example/login/oauth/authorize",
            "https://ghe.corp.example/login/oauth/access_token",
            None,
            "github",
            False,
        ),
        (
            "https://accounts.google.com/o/oauth2/v2/auth",
            "https://oauth2.googleapis.com/token",
            None,
            "google",
            True,
        ),
        (
            None,
            None,
            "https://accounts.google.com/.well-known/openid-configuration",
            "google",
            True,
        ),
        *[
            (
                f"https://{host}/contoso.onmicrosoft.com/oauth2/v2.0/authorize",
                f"https://{host}/contoso.onmicrosoft.com/oauth2/v2.0/token",
                None,
                "microsoft",
                True,
            )
            for host in (
                "login.microsoftonline.com",
                "login.microsoftonline.us",
                "login.chinacloudapi.cn",
                "login.partner.microsoftonline.cn",
            )
        ],
        (
            "https://gitlab.com/oauth/authorize",
            "https://gitlab.com/oauth/token",
            None,
            "gitlab",
            True,
        ),
        (
            "https://git.corp.example/gitlab/oauth/authorize",
            "https://git.corp.example/gitlab/oauth/token",
            None,
            "gitlab",
            False,
        ),
        (
            "https://sso.corp.example/realms/staff/protocol/openid-connect/auth",
            "https://sso.corp.example/realms/staff/protocol/openid-connect/token",
            None,
            "keycloak",
            False,
        ),
        (
            None,
            None,
            "https://sso.corp.example/auth/realms/staff/.well-known/openid-configuration",
            "keycloak",
            False,
        ),
        (
            "https://appleid.apple.com/auth/authorize",
            "https://appleid.apple.com/auth/token",
            None,
            "apple",
            True,
        ),
        (
            "https://slack.com/oauth/v2/authorize",
            "https://slack.com/api/oauth.v2.access",
            None,
            "slack",
            True,
        ),
        (
            "https://slack.com/openid/connect/authorize",
            "https://slack.com/api/openid.connect.token",
            None,
            "slack",
            True,
        ),
        (
            "https://gateway.corp.example/slack/oauth/v2/authorize",
            "https://gateway.corp.example/slack/api/oauth.v2.access",
            None,
            "slack",
            False,
        ),
        (
            "https://www.facebook.com/v21.0/dialog/oauth",
            "https://graph.facebook.com/v21.0/oauth/access_token",
            None,
            "facebook",
            True,
        ),
        (
            None,
            "https://mirror.corp.example/v19.0/oauth/access_token",
            None,
            "facebook",
            False,
        ),
        (
            "https://dev-123456.okta.com/oauth2/default/v1/authorize",
            "https://dev-123456.okta.com/oauth2/default/v1/token",
            None,
            "okta",
            True,
        ),
        (
            "https://login.corp.example/oauth2/v1/authorize",
            "https://login.corp.example/oauth2/v1/token",
            None,
            "okta",
            False,
        ),
        (
            None,
            None,
            "https://login.corp.example/oauth2/aus1a2b3/.well-known/openid-configuration",
            "okta",
            False,
        ),
        (
            "https://discord.com/oauth2/authorize",
            "https://discord.com/api/v10/oauth2/token",
            None,
            "discord",
            True,
        ),
        (
            "https://corp.eu.auth0.com/authorize",
            "https://corp.eu.auth0.com/oauth/token",
            None,
            "auth0",
            True,
        ),
    ],
)
def test_recognized_from_the_endpoints(
    authorize: str | None,
    token: str | None,
    metadata: str | None,
    expected: str,
    by_host: bool,
) -> None:
    recognized = recognize(authorize, token, metadata)

    assert recognized is not None
    assert (recognized[0].name, recognized[1]) == (expected, by_host)


@pytest.mark.parametrize(
    ("authorize", "token"),
    [
        ("https://auth.example/authorize", "https://auth.example/oauth/token"),
        # Only one of GitLab's two paths, or on two servers: not GitLab.
        ("https://a.example/oauth/authorize", "https://a.example/token"),
        ("https://a.example/oauth/authorize", "https://b.example/oauth/token"),
        ("https://a.example/x/oauth/authorize", "https://a.example/y/oauth/token"),
        ("https://evil.example/github.com/authorize", "https://evil.example/token"),
        # Apple's and Auth0's paths are any server's: only their hosts count.
        ("https://a.example/auth/authorize", "https://a.example/auth/token"),
        ("https://auth0.com.evil.example/authorize", "https://a.example/oauth/token"),
        ("https://a.example/oauth2/authorize", "https://a.example/oauth2/token"),
    ],
)
def test_other_servers_get_the_baseline(authorize: str, token: str) -> None:
    match = identify("corp", authorize, token)

    assert match.profile is BASELINE
    assert match.profile.name == "oauth2"
    assert match.display_name == "Corp"


@pytest.mark.parametrize("name", NAMED)
def test_a_named_profile_wins_over_the_endpoints(name: str) -> None:
    match = identify(
        "corp",
        "https://github.com/login/oauth/authorize",
        "https://github.com/login/oauth/access_token",
        named=name,
    )

    assert match.profile.name == name
    assert match.certain


def test_an_unknown_profile_name_says_which_exist() -> None:
    with pytest.raises(ValueError, match="'gitlub'.*github, gitlab, google"):
        profile_named("gitlub")


@pytest.mark.parametrize(
    ("client_name", "shown"),
    [("gitlab", "GitLab"), ("corp", "Keycloak"), ("azure", "Microsoft")],
)
def test_a_self_hosted_server_shows_the_name_the_app_knows(
    client_name: str, shown: str
) -> None:
    realm = "https://sso.corp.example/realms/staff/protocol/openid-connect"
    gitlab_shaped = ("https://git.corp.example/oauth/authorize",) * 2
    urls = (
        (realm + "/auth", realm + "/token")
        if client_name == "corp"
        else (gitlab_shaped[0], "https://git.corp.example/oauth/token")
    )

    match = identify(client_name, *urls)

    assert match.display_name == shown
    assert not match.certain


# -- dialects ---------------------------------------------------------------------

KEYCLOAK_CLIENT = "Invalid client or Invalid client credentials"
KEYCLOAK_PKCE = "PKCE verification failed: Code mismatch"
#: (profile, error, description, HTTP status) -> (kind, reason), from
#: PROVIDERS.md's table.
TOKEN_ANSWERS = [
    ("github", "bad_verification_code", None, 200, TRANSIENT, None),
    ("github", "incorrect_client_credentials", None, 200, CREDENTIALS, None),
    ("github", "redirect_uri_mismatch", None, 200, REDIRECT_URI, None),
    ("github", "unverified_user_email", None, 200, CONFIG, None),
    ("google", "invalid_grant", "Bad Request", 400, TRANSIENT, None),
    ("google", "invalid_grant", "Code was already redeemed.", 400, TRANSIENT, None),
    ("google", "invalid_grant", "Invalid code verifier.", 400, CONFIG, PKCE_MISMATCH),
    ("google", "invalid_grant", "Missing code verifier.", 400, CONFIG, PKCE_MISMATCH),
    ("google", "invalid_client", "Unauthorized", 401, CREDENTIALS, None),
    ("google", "redirect_uri_mismatch", "Bad Request", 400, REDIRECT_URI, None),
    ("google", "invalid_request", "client_secret is missing.", 400, CREDENTIALS,
     SECRET_MISSING),
    ("gitlab", "invalid_client", "Client authentication failed", 401, CREDENTIALS,
     None),
    ("gitlab", "invalid_request", "The request is missing", 400, CONFIG, None),
    ("keycloak", "unauthorized_client", KEYCLOAK_CLIENT, 401, CREDENTIALS, None),
    ("keycloak", "invalid_grant", KEYCLOAK_PKCE, 400, CONFIG, PKCE_MISMATCH),
    ("apple", "invalid_grant", "The code has already been used.", 400, TRANSIENT,
     None),
    ("apple", "invalid_grant", "The code has expired or has been revoked.", 400,
     TRANSIENT, None),
    ("apple", "invalid_client", None, 400, CREDENTIALS, None),
    ("apple", "invalid_request", None, 400, CONFIG, None),
    ("slack", "invalid_code", None, 200, TRANSIENT, None),
    ("slack", "bad_client_secret", None, 200, CREDENTIALS, None),
    ("slack", "invalid_client_id", None, 200, CREDENTIALS, None),
    ("slack", "bad_redirect_uri", None, 200, REDIRECT_URI, None),
    ("slack", "oauth_authorization_url_mismatch", None, 200, CONFIG, None),
    ("slack", "no_scopes", None, 200, CONFIG, None),
    ("slack", "ratelimited", None, 200, UNAVAILABLE, None),
    ("slack", "internal_error", None, 200, UNAVAILABLE, None),
    ("slack", "invalid_auth", None, 200, CONFIG, None),
    ("auth0", "access_denied", "Unauthorized", 401, CREDENTIALS, None),
    ("auth0", "invalid_grant", "Invalid authorization code", 403, TRANSIENT, None),
    ("auth0", "invalid_grant", "Failed to verify code verifier", 403, CONFIG,
     PKCE_MISMATCH),
    ("auth0", "unauthorized_client", "The redirect URI is wrong. You sent "
     "http://a/cb, and we expected http://a/other", 403, REDIRECT_URI, None),
    ("auth0", "unauthorized_client", "Unauthorized", 403, CREDENTIALS, None),
    ("okta", "invalid_client", "Client authentication failed. Either the client "
     "or the client credentials are invalid.", 401, CREDENTIALS, None),
    ("okta", "invalid_grant", "The authorization code is invalid or has "
     "expired.", 400, TRANSIENT, None),
    ("okta", "invalid_grant", "The 'redirect_uri' does not match the redirection "
     "URI used in the authorization request.", 400, REDIRECT_URI, None),
    ("okta", "invalid_grant", "PKCE verification failed.", 400, CONFIG,
     PKCE_MISMATCH),
    # The secret sent twice (header and body): a request the app builds
    # wrongly, not a wrong value; the baseline's words.
    ("okta", "invalid_request", "Cannot supply multiple client credentials. Use "
     "one of the following", 401, CONFIG, None),
    ("discord", "invalid_grant", 'Invalid "code" in request.', 400, TRANSIENT,
     None),
    ("discord", "invalid_request", 'Invalid "code" in request.', 400, TRANSIENT,
     None),
    ("discord", "invalid_request", 'Invalid "redirect_uri" in request.', 400,
     REDIRECT_URI, None),
    ("discord", "invalid_client", None, 401, CREDENTIALS, None),
    ("oauth2", "invalid_grant", None, 400, TRANSIENT, None),
    ("oauth2", "something_new", None, 400, CONFIG, None),
    ("oauth2", "something_new", None, 401, CREDENTIALS, None),
]  # fmt: skip

ENTRA = "microsoft"
#: Entra's AADSTS numbers, from error_codes and from the description alone.
AADSTS = [
    (54005, "invalid_grant", TRANSIENT, None),
    (70008, "invalid_grant", TRANSIENT, None),
    (70000, "invalid_grant", TRANSIENT, None),
    (7000215, "invalid_client", CREDENTIALS, None),
    (7000222, "invalid_client", CREDENTIALS, SECRET_EXPIRED),
    (7000218, "invalid_request", CREDENTIALS, SECRET_MISSING),
    (700016, "unauthorized_client", CREDENTIALS, APP_NOT_IN_DIRECTORY),
    (50011, "invalid_request", REDIRECT_URI, None),
    (500112, "invalid_grant", REDIRECT_URI, None),
    (501481, "invalid_grant", CONFIG, PKCE_MISMATCH),
    (65004, "access_denied", CANCELLED, None),
]


@pytest.mark.parametrize(
    ("name", "error", "description", "status", "kind", "reason"), TOKEN_ANSWERS
)
def test_token_errors_read_in_each_dialect(
    name: str,
    error: str,
    description: str | None,
    status: int,
    kind: str,
    reason: str | None,
) -> None:
    reading = profile_named(name).read_token_error(error, description, status)

    assert (reading.kind, reading.reason) == (kind, reason)


#: Graph API error objects: (code, subcode) -> kind and the code shown.
GRAPH = [
    (100, 36009, TRANSIENT, "error_subcode 36009"),
    (100, 36007, TRANSIENT, "error_subcode 36007"),
    (100, 36008, REDIRECT_URI, "error_subcode 36008"),
    (1, None, CREDENTIALS, "code 1"),
    (191, None, CONFIG, "code 191"),
    (100, None, CONFIG, None),
    (100, 99999, CONFIG, None),
]


@pytest.mark.parametrize(("code", "subcode", "kind", "shown"), GRAPH)
def test_facebook_reads_the_numbers_of_its_error_object(
    code: int, subcode: int | None, kind: str, shown: str | None
) -> None:
    # As token_response passes them: subcode first, then code.
    numbers = [subcode, code] if subcode is not None else [code]

    reading = PROFILES["facebook"].read_token_error(
        "OAuthException", "This authorization code has been used.", 400, numbers
    )

    assert (reading.kind, reading.code) == (kind, shown)


def test_facebook_never_reads_numbers_in_its_free_text() -> None:
    reading = PROFILES["facebook"].read_token_error(
        "OAuthException", "subcode 36009, code 1", 400, []
    )

    assert (reading.kind, reading.code) == (CONFIG, None)


@pytest.mark.parametrize("where", ["error_codes", "description"])
@pytest.mark.parametrize(("number", "error", "kind", "reason"), AADSTS)
def test_entra_reads_its_aadsts_numbers(
    where: str, number: int, error: str, kind: str, reason: str | None
) -> None:
    description = (
        f"AADSTS{number}: the text Microsoft asks apps not to depend on.\r\n"
        "Trace ID: 0000\r\nCorrelation ID: 1111\r\nTimestamp: 2026-11-01 00:00:00Z"
    )
    codes = [number] if where == "error_codes" else []

    reading = PROFILES[ENTRA].read_token_error(error, description, 400, codes)

    assert (reading.kind, reading.reason, reading.code) == (
        kind,
        reason,
        f"AADSTS{number}",
    )


def test_entra_reads_the_specific_number_of_a_nested_answer() -> None:
    # The older token-step redirect answer: AADSTS70002 wrapping AADSTS50011.
    reading = PROFILES[ENTRA].read_token_error(
        "invalid_client",
        "AADSTS70002: Error validating credentials. AADSTS50011: The reply "
        "address 'http://localhost/cb' does not match the reply addresses "
        "configured for the application.",
        400,
        [70002, 50011],
    )

    assert (reading.kind, reading.code) == (REDIRECT_URI, "AADSTS50011")


def test_entra_leaves_an_unknown_number_to_the_rfc_code() -> None:
    reading = PROFILES[ENTRA].read_token_error(
        "invalid_client", "AADSTS9999999: something new", 401, [9999999]
    )

    assert (reading.kind, reading.code) == (CREDENTIALS, None)


@pytest.mark.parametrize("name", NAMED + ["oauth2"])
def test_a_used_or_expired_code_restarts_in_every_dialect(name: str) -> None:
    profile = PROFILES[name]
    error = "bad_verification_code" if name == "github" else "invalid_grant"
    codes = [54005] if name == ENTRA else []

    reading = profile.read_token_error(error, "Code not valid", 400, codes)

    assert reading.kind == TRANSIENT
    assert reading.ambiguous is (name in ("gitlab", "keycloak"))
    assert profile.grant_is_ambiguous is (name in ("gitlab", "keycloak"))


def test_words_do_not_decide_where_the_code_does() -> None:
    # A PKCE wording on another code, or misleading words on GitHub's code.
    google = PROFILES["google"]
    assert google.read_token_error("invalid_client", "Invalid code verifier.").kind == (
        CREDENTIALS
    )
    github = PROFILES["github"]
    reading = github.read_token_error(
        "bad_verification_code", "incorrect client credentials"
    )
    assert reading.kind == TRANSIENT


@pytest.mark.parametrize(
    ("name", "error", "kind"),
    [
        ("github", "application_suspended", CONFIG),
        ("github", "access_denied", CANCELLED),
        ("google", "access_denied", CANCELLED),
        ("google", "admin_policy_enforced", CONFIG),
        ("microsoft", "access_denied", CANCELLED),
        ("gitlab", "access_denied", CANCELLED),
        ("keycloak", "temporarily_unavailable", "unavailable"),
        ("apple", "user_cancelled_authorize", CANCELLED),
        ("apple", "access_denied", CANCELLED),
        ("facebook", "access_denied", CANCELLED),
        ("auth0", "access_denied", CANCELLED),
        ("okta", "access_denied", CANCELLED),
        ("slack", "access_denied", CANCELLED),
        ("discord", "invalid_scope", CONFIG),
        ("oauth2", "user_cancelled_authorize", CONFIG),
        ("oauth2", "redirect_uri_mismatch", REDIRECT_URI),
    ],
)
def test_authorize_errors(name: str, error: str, kind: str) -> None:
    assert PROFILES[name].read_authorize_error(error).kind == kind


# -- redirect URIs --------------------------------------------------------------

REGISTERED = {
    "github": "http://localhost:5000/callback",
    "google": "https://app.example/callback",
    "microsoft": "https://app.example/callback",
    "gitlab": "http://127.0.0.1:5000/callback",
    "keycloak": "https://app.example/auth/*",
    "apple": "https://localhost:5000/callback",
    "okta": "https://app.example/callback",
    "oauth2": "https://app.example/callback",
}
#: (profile, candidate, accepted): each rule as PROVIDERS.md states it.
REDIRECTS = [
    ("github", "http://localhost:5000/callback", True),
    ("github", "http://localhost:8000/callback", True),
    ("github", "http://localhost:5000/callback/github?x=1", True),
    ("github", "http://localhost:5000/callbacks", False),
    ("github", "http://localhost:5000/callback/../admin", False),
    ("github", "http://127.0.0.1:5000/callback", False),
    ("google", "https://app.example/callback", True),
    ("google", "https://app.example/callback/", False),
    ("google", "https://App.example/callback", False),
    ("google", "https://app.example:8443/callback", False),
    ("google", "https://app.example/Callback", False),
    ("google", "https://user@app.example/callback", False),
    ("microsoft", "https://app.example/callback", True),
    ("microsoft", "https://APP.example/callback", True),
    ("microsoft", "https://app.example/Callback", False),
    ("microsoft", "http://app.example/callback", False),
    ("gitlab", "http://127.0.0.1:5000/callback", True),
    ("gitlab", "http://127.0.0.1:9999/callback", True),
    ("gitlab", "http://127.0.0.1:5000/callback?tab=1", True),
    ("gitlab", "http://localhost:5000/callback", False),
    ("gitlab", "http://127.0.0.1:5000/callback/", False),
    ("keycloak", "https://app.example/auth/callback", True),
    ("keycloak", "https://app.example/other", False),
    ("apple", "https://localhost:5000/callback", True),
    ("apple", "http://localhost:5000/callback", False),
    ("okta", "https://app.example/callback", True),
    ("okta", "https://app.example/callback/", False),
    ("okta", "https://APP.example/callback", False),
    ("oauth2", "https://app.example/callback", True),
    ("oauth2", "https://app.example/callback?x=1", False),
]


@pytest.mark.parametrize(("name", "candidate", "accepted"), REDIRECTS)
def test_each_providers_redirect_rule(
    name: str, candidate: str, accepted: bool
) -> None:
    rule = PROFILES[name].redirect_rule

    assert rule.matches(candidate, REGISTERED[name]) is accepted


@pytest.mark.parametrize(
    ("registered", "candidate", "accepted"),
    [
        ("http://localhost:5000/cb", "http://localhost:9000/cb", True),
        ("http://127.0.0.1:5000/cb", "http://127.0.0.1:9000/cb", False),
        ("http://[::1]:5000/cb", "http://[::1]:5000/cb", False),
        ("https://app.example", "https://app.example/", True),
    ],
)
def test_entras_loopback_and_bare_uri_rules(
    registered: str, candidate: str, accepted: bool
) -> None:
    assert PROFILES[ENTRA].redirect_rule.matches(candidate, registered) is accepted


def test_gitlab_keeps_a_registered_query() -> None:
    rule = PROFILES["gitlab"].redirect_rule

    assert rule.matches("https://a.example/cb?x=1", "https://a.example/cb?x=1")
    assert not rule.matches("https://a.example/cb?x=2", "https://a.example/cb?x=1")


@pytest.mark.parametrize("name", NAMED)
def test_where_an_unregistered_redirect_uri_shows_up(name: str) -> None:
    profile = PROFILES[name]

    assert profile.redirect_error_returns is (name == "github")
    # Only GitHub comes back; Facebook's and Discord's pages cannot be read
    # without a signed-in browser or JavaScript, so nothing marks them.
    unread = name in ("github", "facebook", "discord")
    assert (profile.redirect_error_page is None) is unread
    assert (profile.probe_blind is not None) is (name in ("facebook", "discord"))


# -- credential shapes ------------------------------------------------------------

SHAPES = {
    "github": ("Ov23li" + "AbCdEf12345678", "0123456789abcdef" * 2 + "01234567"),
    "google": (
        "123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com",
        "GOCSPX-" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4",
    ),
    "microsoft": (
        "0b3e8f4c-1a2b-4c3d-9e8f-7a6b5c4d3e2f",
        "Abc8Q~" + "x1Y2z3W4v5U6t7S8r9Q0p1O2n3M4l5K6j7I8",
    ),
    "gitlab": ("f" * 8 + "0123456789abcdef" * 3 + "01234567", "gloas-" + "ab" * 32),
    "apple": (
        "com.example.web",
        "eyJhbGciOiJFUzI1NiIsImtpZCI6IkFCQzEyMyJ9.eyJpc3MiOiJURUFNIn0.c2lnbmF0dXJl",
    ),
    "slack": ("2141029472.691202649728", "3ab8f2e0c1d94b7a6e5f4c3d2b1a0f9e"),
    "facebook": ("1234567890123456", "0123456789abcdef0123456789abcdef"),
}


@pytest.mark.parametrize("name", SHAPES)
def test_each_providers_credential_shapes(name: str) -> None:
    shapes = PROFILES[name].credentials
    client_id, secret = SHAPES[name]

    assert shapes is not None
    assert shapes.is_client_id(client_id)
    assert shapes.is_secret(secret)
    assert not shapes.is_secret(secret[:12])


@pytest.mark.parametrize(
    ("name", "value", "foreign"),
    [
        ("github", "ghp_" + "x" * 36, ("ghp_", "token")),
        ("github", "github_pat_11AB", ("github_pat_", "token")),
        ("gitlab", "glpat-" + "x" * 20, ("glpat-", "token")),
        ("google", "AIzaSyA-0123456789", ("AIza", "api_key")),
        ("google", "GOCSPX-abc", None),
        ("slack", "xoxb-1234-5678-abcdef", ("xoxb-", "token")),
        ("slack", "xoxp-1234-5678-abcdef", ("xoxp-", "token")),
        (
            "apple",
            "-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMG",
            ("-----BEGIN PRIVATE KEY-----", "private_key"),
        ),
    ],
)
def test_tokens_and_keys_pasted_as_the_secret(
    name: str, value: str, foreign: tuple[str, str] | None
) -> None:
    shapes = PROFILES[name].credentials
    assert shapes is not None
    assert shapes.foreign_prefix(value) == foreign


def test_entra_knows_a_secret_id_when_it_sees_one() -> None:
    shapes = PROFILES[ENTRA].credentials

    assert shapes is not None and shapes.secret_id is not None
    assert shapes.secret_id.fullmatch("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")
    assert not shapes.is_secret("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")


# -- console pages and documentation ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "endpoint", "client_id", "fix", "url"),
    [
        (
            "github",
            "https://github.com/login/oauth/access_token",
            "Ov23liAbCdEf12345678",
            CREDENTIALS,
            "https://github.com/settings/developers",
        ),
        (
            "github",
            "https://ghe.corp.example/login/oauth/authorize",
            None,
            REDIRECT_URI,
            "https://ghe.corp.example/settings/developers",
        ),
        (
            "google",
            "https://oauth2.googleapis.com/token",
            "1-abc.apps.googleusercontent.com",
            CREDENTIALS,
            "https://console.cloud.google.com/auth/clients/1-abc.apps.googleusercontent.com",
        ),
        (
            "google",
            "https://oauth2.googleapis.com/token",
            None,
            REDIRECT_URI,
            "https://console.cloud.google.com/auth/clients",
        ),
        (
            "microsoft",
            "https://login.microsoftonline.com/contoso/oauth2/v2.0/authorize",
            "0b3e8f4c-1a2b-4c3d-9e8f-7a6b5c4d3e2f",
            REDIRECT_URI,
            "https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/"
            "ApplicationMenuBlade/~/Authentication/appId/"
            "0b3e8f4c-1a2b-4c3d-9e8f-7a6b5c4d3e2f",
        ),
        (
            "microsoft",
            "https://login.microsoftonline.us/contoso/oauth2/v2.0/token",
            None,
            CREDENTIALS,
            "https://portal.azure.us/#view/Microsoft_AAD_RegisteredApps/"
            "ApplicationsListBlade",
        ),
        (
            "gitlab",
            "https://git.corp.example/oauth/token",
            None,
            CREDENTIALS,
            "https://git.corp.example/-/user_settings/applications",
        ),
        (
            "keycloak",
            "https://sso.example/realms/staff/protocol/openid-connect/token",
            "web",
            CREDENTIALS,
            "https://sso.example/admin/master/console/#/staff/clients",
        ),
    ],
)
def test_console_pages(
    name: str, endpoint: str, client_id: str | None, fix: str, url: str
) -> None:
    assert PROFILES[name].console_url(fix, endpoint, client_id) == url


@pytest.mark.parametrize(
    ("name", "endpoint", "client_id", "fix", "url"),
    [
        (
            "apple",
            "https://appleid.apple.com/auth/token",
            "com.example.web",
            CREDENTIALS,
            "https://developer.apple.com/account/resources/authkeys/list",
        ),
        (
            "apple",
            "https://appleid.apple.com/auth/authorize",
            None,
            REDIRECT_URI,
            "https://developer.apple.com/account/resources/identifiers/list/serviceId",
        ),
        (
            "slack",
            "https://slack.com/api/oauth.v2.access",
            "2141029472.691202649728",
            CREDENTIALS,
            "https://api.slack.com/apps",
        ),
        (
            "facebook",
            "https://graph.facebook.com/v21.0/oauth/access_token",
            "1234567890123456",
            CREDENTIALS,
            "https://developers.facebook.com/apps/1234567890123456/settings/basic/",
        ),
        (
            "facebook",
            "https://www.facebook.com/v21.0/dialog/oauth",
            "1234567890123456",
            REDIRECT_URI,
            "https://developers.facebook.com/apps/1234567890123456/fb-login/settings/",
        ),
        (
            "okta",
            "https://dev-123456.okta.com/oauth2/default/v1/token",
            "0oa1b2c3d4e5f6g7h8i9",
            CREDENTIALS,
            "https://dev-123456-admin.okta.com/admin/apps/active",
        ),
        (
            "discord",
            "https://discord.com/api/oauth2/token",
            "123456789012345678",
            CREDENTIALS,
            "https://discord.com/developers/applications/123456789012345678/oauth2",
        ),
        (
            "auth0",
            "https://corp.eu.auth0.com/oauth/token",
            "abc",
            REDIRECT_URI,
            "https://manage.auth0.com/#/applications",
        ),
    ],
)
def test_console_pages_of_the_second_wave(
    name: str, endpoint: str, client_id: str | None, fix: str, url: str
) -> None:
    assert PROFILES[name].console_url(fix, endpoint, client_id) == url


def test_okta_on_a_custom_domain_knows_no_admin_console() -> None:
    assert (
        PROFILES["okta"].console_url(
            CREDENTIALS, "https://login.corp.example/oauth2/v1/token"
        )
        is None
    )


def test_the_baseline_knows_no_console() -> None:
    assert BASELINE.console_url(CREDENTIALS, "https://a.example/token") is None


@pytest.mark.parametrize(
    ("name", "host"),
    [
        ("github", "docs.github.com"),
        ("google", "developers.google.com"),
        ("microsoft", "learn.microsoft.com"),
        ("gitlab", "docs.gitlab.com"),
        ("keycloak", "www.keycloak.org"),
    ],
)
def test_documentation_hosts(name: str, host: str) -> None:
    assert host in PROFILES[name].doc_hosts


@pytest.mark.parametrize(
    ("url", "directory"),
    [
        ("https://login.microsoftonline.com/contoso/oauth2/v2.0/token", "contoso"),
        ("https://login.microsoftonline.com/common/v2.0/.well-known/x", "common"),
        ("https://a.example/token", None),
    ],
)
def test_entra_reads_the_tenant(url: str, directory: str | None) -> None:
    assert PROFILES[ENTRA].directory_of(url) == directory


# -- what an authorization request says about its redirect URI -----------------

SENT = "https://app.example/callback"


@pytest.mark.parametrize(
    ("name", "status", "location", "body", "result"),
    [
        (
            "github",
            302,
            "https://app.example/registered?error=redirect_uri_mismatch&state=x",
            "",
            PROBE_UNREGISTERED,
        ),
        ("github", 302, SENT + "?code=abc&state=x", "", PROBE_ACCEPTED),
        ("github", 302, "https://github.com/login?return_to=x", "", PROBE_UNCHECKED),
        (
            "google",
            400,
            None,
            "<h1>Access blocked</h1> Error 400: redirect_uri_mismatch",
            PROBE_UNREGISTERED,
        ),
        ("google", 302, "https://accounts.google.com/signin", "", PROBE_ACCEPTED),
        (
            "microsoft",
            200,
            None,
            "AADSTS50011: The redirect URI 'x' specified in the request does not "
            "match the redirect URIs configured for the application",
            PROBE_UNREGISTERED,
        ),
        ("microsoft", 200, None, "<title>Sign in</title>", PROBE_ACCEPTED),
        (
            "gitlab",
            200,
            None,
            "An error has occurred. The redirect URI included is not valid.",
            PROBE_UNREGISTERED,
        ),
        # GitLab asks for sign-in before it looks at the redirect URI.
        ("gitlab", 302, "https://gitlab.com/users/sign_in", "", PROBE_UNCHECKED),
        (
            "keycloak",
            400,
            None,
            "We are sorry... Invalid parameter: redirect_uri",
            PROBE_UNREGISTERED,
        ),
        ("keycloak", 200, None, "<form id='kc-form-login'>", PROBE_ACCEPTED),
        ("apple", 400, None, "invalid_request Invalid web redirect url.",
         PROBE_UNREGISTERED),
        ("apple", 200, None, "<title>Sign in with Apple</title>", PROBE_UNCHECKED),
        ("okta", 400, None, "400 Bad Request The 'redirect_uri' parameter must be "
         "a Login redirect URI in the client app settings", PROBE_UNREGISTERED),
        ("okta", 302, "https://dev-1.okta.com/login/login.htm", "", PROBE_UNCHECKED),
        ("auth0", 200, None, "Oops!, something went wrong. Callback URL mismatch.",
         PROBE_UNREGISTERED),
        ("slack", 200, None, "redirect_uri did not match any configured URIs. "
         "Passed URI: https://app.example/callback", PROBE_UNREGISTERED),
        # Pages a probe cannot read: never a guess either way.
        ("discord", 200, None, '<div id="app-mount"></div><script src="x.js">',
         PROBE_UNCHECKED),
        ("facebook", 200, None, "URL Blocked: This redirect failed", PROBE_UNCHECKED),
        ("facebook", 302, "https://www.facebook.com/login.php?next=x", "",
         PROBE_UNCHECKED),
        ("facebook", 302, SENT + "?code=abc&state=x", "", PROBE_ACCEPTED),
        ("oauth2", 400, None, "bad request", PROBE_UNCHECKED),
    ],
)  # fmt: skip
def test_reading_the_authorization_endpoints_answer(
    name: str, status: int, location: str | None, body: str, result: str
) -> None:
    assert PROFILES[name].read_authorize_probe(status, location, body, SENT) == result
