"""Failures are classified by exception type, and by error code in the
dialect of the provider's profile; text counts only where a profile says a
shared code needs it."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

import pytest
import requests
from authlib.integrations.base_client import MismatchingStateError
from authlib.integrations.base_client import OAuthError
from authlib.oauth2.rfc6749.errors import MissingCodeException

from flask_oauth_recover import Failure
from flask_oauth_recover import FailureKind
from flask_oauth_recover.classify import classify
from flask_oauth_recover.providers import BASELINE
from flask_oauth_recover.providers import PROFILES
from flask_oauth_recover.providers import Profile
from flask_oauth_recover.providers.profile import Reading
from flask_oauth_recover.testing import ProviderEmulator
from flask_oauth_recover.token_response import ProviderResponseError
from flask_oauth_recover.token_response import TokenError

PROVIDER = frozenset({"github.com", "127.0.0.1:8000"})
GITHUB = PROFILES["github"]


@pytest.mark.parametrize(
    ("profile", "error", "kind"),
    [
        (GITHUB, "bad_verification_code", FailureKind.TRANSIENT),
        (GITHUB, "incorrect_client_credentials", FailureKind.CREDENTIALS),
        (BASELINE, "invalid_grant", FailureKind.TRANSIENT),
        (BASELINE, "invalid_client", FailureKind.CREDENTIALS),
        (BASELINE, "unauthorized_client", FailureKind.CREDENTIALS),
        (BASELINE, "redirect_uri_mismatch", FailureKind.REDIRECT_URI),
        (BASELINE, "invalid_request", FailureKind.CONFIG),
        (BASELINE, "unsupported_grant_type", FailureKind.CONFIG),
        (BASELINE, "invalid_scope", FailureKind.CONFIG),
        (BASELINE, "server_error", FailureKind.UNAVAILABLE),
        (BASELINE, "temporarily_unavailable", FailureKind.UNAVAILABLE),
        (BASELINE, "something_new", FailureKind.CONFIG),
        # Another provider's code means nothing to the baseline: explain it.
        (BASELINE, "bad_verification_code", FailureKind.CONFIG),
    ],
)
def test_token_endpoint_errors(profile: Profile, error: str, kind: FailureKind) -> None:
    failure = classify(
        OAuthError(error=error),
        authorize_error=None,
        provider_hosts=PROVIDER,
        profile=profile,
    )

    assert failure is not None
    assert (failure.kind, failure.error, failure.source) == (kind, error, "token")


@pytest.mark.parametrize(
    ("profile", "exc", "kind", "reason", "code", "ambiguous"),
    [
        (
            "microsoft",
            TokenError(
                "invalid_client",
                "AADSTS7000222: The provided client secret keys are expired.",
                status=401,
                error_codes=(7000222,),
            ),
            FailureKind.CREDENTIALS,
            "secret_expired",
            "AADSTS7000222",
            False,
        ),
        (
            "microsoft",
            TokenError("invalid_grant", "AADSTS54005: already redeemed", status=400),
            FailureKind.TRANSIENT,
            None,
            "AADSTS54005",
            False,
        ),
        (
            "google",
            TokenError("invalid_grant", "Invalid code verifier.", status=400),
            FailureKind.CONFIG,
            "pkce_mismatch",
            None,
            False,
        ),
        (
            "gitlab",
            TokenError("invalid_grant", "The provided authorization grant is invalid",
                       status=400),
            FailureKind.TRANSIENT,
            None,
            None,
            True,
        ),
        (
            "keycloak",
            TokenError("unauthorized_client", "Invalid client credentials", status=401),
            FailureKind.CREDENTIALS,
            None,
            None,
            False,
        ),
    ],
)  # fmt: skip
def test_the_profile_reads_its_providers_answer(
    profile: str,
    exc: TokenError,
    kind: FailureKind,
    reason: str | None,
    code: str | None,
    ambiguous: bool,
) -> None:
    failure = classify(
        exc,
        authorize_error=None,
        provider_hosts=PROVIDER,
        profile=PROFILES[profile],
    )

    assert failure is not None
    assert (failure.kind, failure.reason, failure.provider_code) == (kind, reason, code)
    assert failure.ambiguous is ambiguous
    assert failure.http_status == exc.status


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        ("access_denied", FailureKind.CANCELLED),
        ("redirect_uri_mismatch", FailureKind.REDIRECT_URI),
        ("application_suspended", FailureKind.CONFIG),
        ("consent_required", FailureKind.CONFIG),
        ("unauthorized_client", FailureKind.CREDENTIALS),
        ("invalid_request", FailureKind.CONFIG),
        ("unsupported_response_type", FailureKind.CONFIG),
        ("invalid_scope", FailureKind.CONFIG),
        ("server_error", FailureKind.UNAVAILABLE),
        ("temporarily_unavailable", FailureKind.UNAVAILABLE),
    ],
)
def test_authorize_errors(error: str, kind: FailureKind) -> None:
    failure = classify(
        OAuthError(error=error),
        authorize_error=error,
        provider_hosts=PROVIDER,
        profile=GITHUB,
    )

    assert failure is not None
    assert (failure.kind, failure.source) == (kind, "authorize")


def test_description_text_does_not_change_the_class() -> None:
    misleading = OAuthError(
        error="bad_verification_code", description="incorrect client credentials"
    )

    failure = classify(
        misleading, authorize_error=None, provider_hosts=PROVIDER, profile=GITHUB
    )

    assert failure is not None and failure.kind is FailureKind.TRANSIENT


@pytest.mark.parametrize(
    "exc", [MismatchingStateError(), MissingCodeException()], ids=["state", "code"]
)
def test_lost_state_and_missing_code_restart(exc: Exception) -> None:
    failure = classify(exc, authorize_error=None, provider_hosts=PROVIDER)

    assert failure is not None and failure.kind is FailureKind.TRANSIENT


def transport_error(cls: type[requests.RequestException], url: str) -> Exception:
    return cls(request=requests.Request("POST", url).prepare())


@pytest.mark.parametrize(
    ("cls", "error"),
    [
        (requests.ConnectTimeout, "provider_timeout"),
        (requests.ReadTimeout, "provider_timeout"),
        (requests.ConnectionError, "provider_unreachable"),
        (requests.HTTPError, "provider_bad_response"),
    ],
)
def test_provider_transport_errors(
    cls: type[requests.RequestException], error: str
) -> None:
    exc = transport_error(cls, "https://github.com/login/oauth/access_token")

    failure = classify(exc, authorize_error=None, provider_hosts=PROVIDER)

    assert failure is not None
    assert (failure.kind, failure.error) == (FailureKind.UNAVAILABLE, error)


@pytest.mark.parametrize(
    "url", ["https://api.example.com/orders", "http://127.0.0.1:9000/internal"]
)
def test_transport_errors_of_the_app_itself_propagate(url: str) -> None:
    exc = transport_error(requests.ConnectionError, url)

    assert classify(exc, authorize_error=None, provider_hosts=PROVIDER) is None


def test_provider_response_error_is_unavailable() -> None:
    exc = ProviderResponseError(502, "the provider reported an outage", 7)

    failure = classify(exc, authorize_error=None, provider_hosts=PROVIDER)

    assert failure is not None
    assert (failure.kind, failure.http_status, failure.retry_after) == (
        FailureKind.UNAVAILABLE,
        502,
        7,
    )


@pytest.mark.parametrize(
    "exc", [ValueError("bad"), KeyError("login"), RuntimeError(), ZeroDivisionError()]
)
def test_app_bugs_are_not_oauth_failures(exc: Exception) -> None:
    assert classify(exc, authorize_error=None, provider_hosts=PROVIDER) is None


@pytest.mark.parametrize(
    "exc",
    [MissingCodeException(), OAuthError(error="mismatching_state")],
    ids=["missing-code", "state"],
)
def test_a_posted_error_is_read_from_the_callback_not_from_authlib(
    exc: Exception,
) -> None:
    # response_mode=form_post: Authlib complains about the code first.
    failure = classify(exc, authorize_error="access_denied", provider_hosts=PROVIDER)

    assert failure is not None
    assert (failure.kind, failure.error, failure.source) == (
        FailureKind.CANCELLED,
        "access_denied",
        "authorize",
    )


def test_authlibs_generic_oauth_error_is_not_ours() -> None:
    exc = OAuthError(description='Missing "request_token" in temporary data')

    assert exc.error == "oauth_error"
    assert classify(exc, authorize_error=None, provider_hosts=PROVIDER) is None


# What a caller reads from a Failure: every field, not only the kind.

GITHUB_DOCS = (
    "https://docs.github.com/apps/managing-oauth-apps/"
    "troubleshooting-oauth-app-access-token-request-errors/#incorrect-client-credentials"
)


def test_a_token_error_keeps_the_providers_words_link_and_status() -> None:
    exc = TokenError(
        "incorrect_client_credentials",
        "The client_id and/or client_secret passed are incorrect.",
        GITHUB_DOCS,
        status=200,
    )

    failure = classify(
        exc, authorize_error=None, provider_hosts=PROVIDER, profile=GITHUB
    )

    assert failure == Failure(
        FailureKind.CREDENTIALS,
        "incorrect_client_credentials",
        description="The client_id and/or client_secret passed are incorrect.",
        uri=GITHUB_DOCS,
        source="token",
        http_status=200,
    )


def test_an_empty_description_is_no_description() -> None:
    failure = classify(
        TokenError("invalid_grant", "", status=400),
        authorize_error=None,
        provider_hosts=PROVIDER,
    )

    assert failure is not None
    assert (failure.kind, failure.description, failure.uri) == (
        FailureKind.TRANSIENT,
        None,
        None,
    )


@pytest.mark.parametrize("profile", [BASELINE, PROFILES["google"]])
def test_an_unknown_code_answered_401_is_a_credentials_failure(
    profile: Profile,
) -> None:
    # RFC 6749 section 5.2: a failed client authentication may be a 401
    # whatever code comes with it.
    exc = TokenError("invalid_client_secret", "Unauthorized", status=401)

    failure = classify(
        exc, authorize_error=None, provider_hosts=PROVIDER, profile=profile
    )

    assert failure is not None
    assert (failure.kind, failure.http_status) == (FailureKind.CREDENTIALS, 401)


def test_an_unknown_code_answered_400_is_explained_not_blamed_on_credentials() -> None:
    exc = TokenError("invalid_client_secret", "Bad request", status=400)

    failure = classify(exc, authorize_error=None, provider_hosts=PROVIDER)

    assert failure is not None and failure.kind is FailureKind.CONFIG


def test_microsofts_error_codes_are_read_even_when_the_description_has_none() -> None:
    exc = TokenError(
        "invalid_client",
        "The provided client secret keys for app are expired.",
        status=401,
        error_codes=(7000222,),
    )

    failure = classify(
        exc,
        authorize_error=None,
        provider_hosts=PROVIDER,
        profile=PROFILES["microsoft"],
    )

    assert failure is not None
    assert (failure.kind, failure.reason, failure.provider_code) == (
        FailureKind.CREDENTIALS,
        "secret_expired",
        "AADSTS7000222",
    )


def test_an_authlib_error_without_error_codes_is_read_from_its_description() -> None:
    # Authlib's own OAuthError (no compliance hook) carries no error_codes.
    exc = OAuthError(error="invalid_grant", description="AADSTS54005: already redeemed")

    failure = classify(
        exc,
        authorize_error=None,
        provider_hosts=PROVIDER,
        profile=PROFILES["microsoft"],
    )

    assert failure is not None
    assert (failure.kind, failure.provider_code) == (
        FailureKind.TRANSIENT,
        "AADSTS54005",
    )


def test_an_authorize_error_carries_the_reason_its_profile_reads() -> None:
    profile = replace(
        BASELINE,
        authorize_errors={"pkce_required": Reading("config", "pkce_mismatch")},
    )

    failure = classify(
        MissingCodeException(),
        authorize_error="pkce_required",
        provider_hosts=PROVIDER,
        profile=profile,
    )

    assert failure == Failure(
        FailureKind.CONFIG, "pkce_required", source="authorize", reason="pkce_mismatch"
    )


def test_a_lost_state_is_said_to_be_ours_not_the_providers() -> None:
    failure = classify(
        MismatchingStateError(), authorize_error=None, provider_hosts=PROVIDER
    )

    assert failure == Failure(
        FailureKind.TRANSIENT, "mismatching_state", source="state"
    )


def test_a_missing_code_is_an_authorize_step_failure() -> None:
    failure = classify(
        MissingCodeException(), authorize_error=None, provider_hosts=PROVIDER
    )

    assert failure == Failure(FailureKind.TRANSIENT, "missing_code", source="authorize")


def test_a_bad_provider_response_says_why_in_our_own_words() -> None:
    exc = ProviderResponseError(429, "the provider asked to slow down", 30)

    failure = classify(exc, authorize_error=None, provider_hosts=PROVIDER)

    assert failure == Failure(
        FailureKind.UNAVAILABLE,
        "provider_bad_response",
        description="the provider asked to slow down",
        source="transport",
        http_status=429,
        retry_after=30,
    )


@pytest.mark.parametrize(
    ("cls", "error"),
    [
        (requests.ConnectTimeout, "provider_timeout"),
        (requests.ConnectionError, "provider_unreachable"),
    ],
)
def test_a_transport_failure_has_no_status_and_no_provider_words(
    cls: type[requests.RequestException], error: str
) -> None:
    exc = transport_error(cls, "https://github.com/login/oauth/access_token")

    failure = classify(exc, authorize_error=None, provider_hosts=PROVIDER)

    assert failure == Failure(FailureKind.UNAVAILABLE, error, source="transport")


def test_a_real_error_status_from_the_token_endpoint_is_kept(
    provider: ProviderEmulator,
) -> None:
    provider.fail_next_token_requests(502, "<html>Bad gateway</html>")
    answer = requests.post(provider.token_url, data={"code": "x"}, timeout=10)
    with pytest.raises(requests.HTTPError) as raised:
        answer.raise_for_status()
    hosts = frozenset({urlsplit(provider.token_url).netloc})

    failure = classify(raised.value, authorize_error=None, provider_hosts=hosts)

    assert failure == Failure(
        FailureKind.UNAVAILABLE,
        "provider_bad_response",
        source="transport",
        http_status=502,
    )


def test_a_transport_error_without_a_request_is_not_the_providers() -> None:
    # requests raises some errors (an invalid URL, a bad proxy setting)
    # before any request exists: nothing says the provider failed.
    exc = requests.ConnectionError("proxy misconfigured")

    assert exc.request is None
    assert classify(exc, authorize_error=None, provider_hosts=PROVIDER) is None
