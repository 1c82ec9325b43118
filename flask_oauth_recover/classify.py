"""Decide what kind of failure an exception raised in a callback view is.

Classification looks at exception types, and asks the provider's profile
(:mod:`flask_oauth_recover.providers`) what its error codes mean. Message
text counts only where a profile says a provider uses one code for causes
that its descriptions alone tell apart.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError
from authlib.oauth2.rfc6749.errors import MissingCodeException

from .providers import BASELINE
from .providers import Profile
from .token_response import ProviderResponseError


class FailureKind(enum.Enum):
    """What the extension does about a failure."""

    #: The code or state is unusable but a new authorization will work.
    TRANSIENT = "transient"
    #: The client id or secret is wrong: only the developer can fix it.
    CREDENTIALS = "credentials"
    #: The redirect URI does not match the one registered with the provider.
    REDIRECT_URI = "redirect_uri"
    #: Another configuration problem (suspended app, bad scope, ...).
    CONFIG = "config"
    #: The user declined on the provider's consent page.
    CANCELLED = "cancelled"
    #: The provider is down, slow or answered something unreadable.
    UNAVAILABLE = "unavailable"


#: The code of Authlib's generic ``OAuthError``: raised by apps, by mocks and
#: by OAuth 1 flows, never a provider's answer, so it is not ours to handle.
GENERIC_ERROR = "oauth_error"

#: Our own codes, for failures the provider did not name.
LOST_STATE = "mismatching_state"
MISSING_CODE = "missing_code"
PROVIDER_UNREACHABLE = "provider_unreachable"
PROVIDER_TIMEOUT = "provider_timeout"
PROVIDER_BAD_RESPONSE = "provider_bad_response"
#: The session cookie and the state are signed with another secret key.
SECRET_KEY_MISMATCH = "secret_key_mismatch"


@dataclass(frozen=True)
class Failure:
    """One classified callback failure.

    :param kind: what to do about it.
    :param error: the provider's error code, or one of ours.
    :param description: the provider's ``error_description`` (untrusted).
    :param uri: the provider's ``error_uri`` (untrusted).
    :param source: ``"authorize"`` (``?error=`` on the callback), ``"token"``
        (the token response), ``"state"`` or ``"transport"``.
    :param http_status: the token endpoint's HTTP status, when it matters.
    :param retry_after: the provider's ``Retry-After`` in seconds, if any.
    :param ambiguous: a transient-looking refusal that may also be a
        configuration error (GitLab's and Keycloak's one ``invalid_grant``
        for a used code, a redirect URI or PKCE mismatch): restarted once.
    :param reason: a finer cause the provider named (a ``providers.profile``
        reason such as ``"pkce_mismatch"``), if any.
    :param provider_code: the provider's own numbered code beside
        ``error``, when its profile reads such codes.
    """

    kind: FailureKind
    error: str
    description: str | None = None
    uri: str | None = None
    source: str = "token"
    http_status: int | None = None
    retry_after: int | None = None
    ambiguous: bool = False
    reason: str | None = None
    provider_code: str | None = None


def classify(
    exc: BaseException,
    *,
    authorize_error: str | None,
    provider_hosts: frozenset[str],
    profile: Profile = BASELINE,
) -> Failure | None:
    """Classify an exception from a callback view, or return ``None`` when it
    is not an OAuth or provider-transport failure and must propagate.

    :param exc: the exception the view raised.
    :param authorize_error: the ``error`` the callback carried (query, or
        form with ``response_mode=form_post``), if any: then an OAuth error
        came from the authorization step, whatever Authlib raised about it.
    :param provider_hosts: ``host[:port]`` of the provider's endpoints;
        transport errors elsewhere belong to the app.
    :param profile: the provider's profile, which reads its error codes.
    """
    if authorize_error is not None and isinstance(
        exc, (AuthlibBaseError, MissingCodeException)
    ):
        # Authlib raises about the missing code before it reads a POSTed
        # error; the callback's own error code is what the provider said.
        reading = profile.read_authorize_error(authorize_error)
        return Failure(
            FailureKind(reading.kind),
            authorize_error,
            source="authorize",
            reason=reading.reason,
        )
    if isinstance(exc, MismatchingStateError):
        return Failure(FailureKind.TRANSIENT, LOST_STATE, source="state")
    if isinstance(exc, MissingCodeException):
        return Failure(FailureKind.TRANSIENT, MISSING_CODE, source="authorize")
    if isinstance(exc, ProviderResponseError):
        return Failure(
            FailureKind.UNAVAILABLE,
            PROVIDER_BAD_RESPONSE,
            description=exc.reason,
            source="transport",
            http_status=exc.status,
            retry_after=exc.retry_after,
        )
    if isinstance(exc, requests.RequestException):
        return _classify_transport(exc, provider_hosts)
    if (
        isinstance(exc, AuthlibBaseError)
        and isinstance(exc.error, str)
        and exc.error != GENERIC_ERROR
    ):
        # An unknown code is still the provider refusing: explain, never loop.
        status = getattr(exc, "status", None)
        reading = profile.read_token_error(
            exc.error,
            exc.description or None,
            status,
            getattr(exc, "error_codes", ()),
        )
        return Failure(
            FailureKind(reading.kind),
            exc.error,
            description=exc.description or None,
            uri=exc.uri,
            source="token",
            http_status=status,
            ambiguous=reading.ambiguous,
            reason=reading.reason,
            provider_code=reading.code,
        )
    return None


def _classify_transport(
    exc: requests.RequestException, provider_hosts: frozenset[str]
) -> Failure | None:
    url = getattr(exc.request, "url", None) or ""
    if urlsplit(url).netloc.lower() not in provider_hosts:
        return None
    status = exc.response.status_code if exc.response is not None else None
    if isinstance(exc, requests.Timeout):
        error = PROVIDER_TIMEOUT
    elif isinstance(exc, requests.ConnectionError):
        error = PROVIDER_UNREACHABLE
    else:
        error = PROVIDER_BAD_RESPONSE
    return Failure(
        FailureKind.UNAVAILABLE, error, source="transport", http_status=status
    )
