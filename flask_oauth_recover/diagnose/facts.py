"""Facts shown next to the findings: what the app saw, never a secret."""

from __future__ import annotations

import hashlib

from flask import current_app
from flask import request

from ..classify import FailureKind
from ..providers.profile import PKCE_MISMATCH
from ..state import CODE_MISSING
from ..state import CODE_REFUSED
from ..state import COOKIE_MISSING
from ..state import GRANT_REFUSED
from ..state import STATE_LOST
from .addresses import FORWARDED
from .addresses import request_view
from .credentials import credential_source
from .credentials import strip_padding
from .evidence import Evidence
from .grant import REPEATED
from .grant import pkce_sent
from .grant import redirect_uris
from .session import session_cookie_size
from .shapes import shown_in_full

#: What each letter of a login's history says.
ATTEMPT_FACTS = {
    CODE_REFUSED: "the provider refused the authorization code",
    STATE_LOST: "the login's state was not in the session (cookie present)",
    COOKIE_MISSING: "the login's state was lost: no session cookie came back",
    CODE_MISSING: "the provider sent no authorization code",
    GRANT_REFUSED: "the provider refused the code (invalid_grant: a used code, "
    "a redirect_uri differing between the two steps, or a PKCE mismatch)",
}


def failure_facts(
    evidence: Evidence, sent: dict[str, str], attempt: int
) -> list[tuple[str, str]]:
    """What the callback saw of a failure: the client, the redirect URI the
    login sent, the URL the callback came to, the error code, each attempt
    so far and the token endpoint's answer; never a secret.

    :param evidence: the failed callback's evidence (its ``failure`` set).
    :param sent: what the token request sent (``sent_token_request()``).
    :param attempt: restarts the login had had before this callback.
    """
    failure = evidence.failure
    assert failure is not None
    client = evidence.client
    facts = [
        ("client", evidence.client_name),
        ("client_id", public_client_id(client.client_id, client.client_secret)),
        ("redirect_uri sent", _redirect_uri_fact(evidence)),
    ]
    if evidence.known_redirect_uri is None and evidence.state_origin:
        facts.append(("redirect_uri origin (signed state)", evidence.state_origin))
    facts += [
        ("callback URL received", callback_url()),
        ("error code", failure.error),
        ("restarts so far", str(attempt)),
    ]
    facts += [
        (f"attempt {number}", ATTEMPT_FACTS[letter])
        for number, letter in enumerate(evidence.history, start=1)
    ]
    if "url" in sent:
        facts.append(("token endpoint", f"{sent['url']} (HTTP {sent['status']})"))
    elif failure.http_status is not None:
        facts.append(("token endpoint HTTP status", str(failure.http_status)))
    if failure.kind is FailureKind.CREDENTIALS:
        facts += secret_facts(client.client_secret)
    return facts


def callback_url() -> str:
    """The URL the callback request came to, without its query, whatever
    its Host header holds."""
    try:
        return request.base_url
    except ValueError:
        return "(unreadable Host header)"


def _redirect_uri_fact(evidence: Evidence) -> str:
    known = evidence.known_redirect_uri
    if known is not None:
        return known
    if evidence.login is not None and evidence.login.found:
        return "unknown: the login used the client's default redirect URI"
    return "unknown: the login's state data did not come back with this request"


def secret_facts(secret: object) -> list[tuple[str, str]]:
    """Length, whitespace and a short SHA-256 fingerprint of a secret, so a
    developer can compare it with the value they meant. Never the secret."""
    if not isinstance(secret, str) or not secret:
        return [("client_secret", "(empty)")]
    facts = [
        ("client_secret length", str(len(secret))),
        ("client_secret SHA-256", fingerprint(secret)),
    ]
    stripped = strip_padding(secret)
    if stripped and stripped != secret:
        facts.append(
            ("client_secret SHA-256 without whitespace", fingerprint(stripped))
        )
    return facts


def fingerprint(secret: str) -> str:
    """The first 8 hex digits of the SHA-256 of ``secret``."""
    return hashlib.sha256(secret.encode()).hexdigest()[:8]


def public_client_id(client_id: object, client_secret: object = None) -> str:
    """The client_id as it may be shown on a page, in JSON, in a log line or
    by ``flask oauth-recover check``: in full only when it has the shape of
    a client ID. A value shaped like any provider's secret or token, or
    equal to the client_secret, is shown as its length and fingerprint,
    since a developer who mixed the two up would otherwise see the secret.

    :param client_id: the client_id the app holds.
    :param client_secret: the client_secret it holds, to compare with.
    """
    if not isinstance(client_id, str) or not client_id:
        return "(empty)"
    secret = strip_padding(client_secret) if isinstance(client_secret, str) else None
    if shown_in_full(strip_padding(client_id), secret):
        return client_id
    return (
        f"(hidden: shaped like a secret; {len(client_id)} characters, "
        f"SHA-256 {fingerprint(client_id)})"
    )


def relevant_facts(evidence: Evidence) -> list[tuple[str, str]]:
    """The configuration and request details the rules for this failure
    looked at, for the page to show when no finding applies."""
    config = current_app.config
    facts: list[tuple[str, str]] = [("provider profile", evidence.profile.name)]
    failure = evidence.failure
    if failure is not None and failure.provider_code:
        facts.append(("provider's own error code", failure.provider_code))
    refusals = evidence.history.count(GRANT_REFUSED)
    if refusals >= REPEATED or evidence.reason == PKCE_MISMATCH:
        if refusals >= REPEATED:
            authorize_uri, token_uri = redirect_uris(evidence)
            facts += [
                ("redirect_uri at the authorization step", authorize_uri or "unknown"),
                ("redirect_uri at the token step", token_uri or "not sent"),
            ]
        facts.append(("PKCE code_verifier", "sent" if pkce_sent() else "not sent"))
    if evidence.kind is FailureKind.CREDENTIALS:
        for name in ("client_id", "client_secret"):
            source = credential_source(
                evidence.client_name, name, evidence.client, evidence.framework
            )
            where = "(not set)" if source.origin == "nowhere" else source.where
            facts.append((f"{name} read from", where))
    if evidence.kind is FailureKind.REDIRECT_URI:
        for header in FORWARDED:
            if header in request.headers:
                facts.append((header, request.headers[header]))
        for key in ("SERVER_NAME", "PREFERRED_URL_SCHEME", "APPLICATION_ROOT"):
            facts.append((key, repr(config.get(key))))
        view = request_view()
        if not view.host_known:
            host = request.headers.get("Host", "")
            facts.append(("Host header (not host[:port])", host))
        elif view.public.url != view.seen.url:
            facts.append(("callback URL as the browser saw it", view.public.url))
    if evidence.gave_up or (
        evidence.failure is not None and evidence.failure.source == "state"
    ):
        size = session_cookie_size()
        facts.append(
            ("session cookie", "missing" if size is None else f"present, {size} bytes")
        )
        interface = current_app.session_interface
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        facts += [
            ("SESSION_COOKIE_SAMESITE", repr(interface.get_cookie_samesite(app))),
            ("SESSION_COOKIE_SECURE", repr(interface.get_cookie_secure(app))),
            ("SESSION_COOKIE_DOMAIN", repr(interface.get_cookie_domain(app))),
        ]
        if "Sec-Fetch-Site" in request.headers:
            facts.append(("Sec-Fetch-Site", request.headers["Sec-Fetch-Site"]))
    return facts
