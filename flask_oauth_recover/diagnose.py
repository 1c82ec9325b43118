"""Why a login failed: findings built from evidence the extension can see.

Each finding has a stable id (part of the public contract), a cause and a
fix. Cause and fix are English message ids with ``%(name)s`` placeholders,
translated when a page is rendered; ``snippet`` is code or a URL, never
translated. A rule fires only on the evidence it names: no guesses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from flask import current_app
from flask import request

from .classify import Failure
from .classify import FailureKind


@dataclass(frozen=True)
class Finding:
    """One diagnosis.

    :param id: stable identifier, e.g. ``"session.cookie_missing"``.
    :param cause: what is wrong (message id, English).
    :param fix: the change that fixes it (message id, English).
    :param params: values for the placeholders in ``cause`` and ``fix``.
    :param snippet: code, configuration or a URL to copy, untranslated.
    """

    id: str
    cause: str
    fix: str
    params: dict[str, str] = field(default_factory=dict)
    snippet: str | None = None


@dataclass
class Evidence:
    """What a rule may look at.

    :param client: the Authlib client.
    :param client_name: its registered name.
    :param failure: the classified failure, if any.
    :param redirect_uri_sent: the redirect URI the login sent, when known.
    :param gave_up: the restart bound was reached.
    """

    client: Any
    client_name: str
    failure: Failure | None
    redirect_uri_sent: str | None
    gave_up: bool = False

    @property
    def kind(self) -> FailureKind | None:
        return self.failure.kind if self.failure else None


Rule = Callable[[Evidence], Iterable[Finding]]


def diagnose(evidence: Evidence) -> list[Finding]:
    """Run every rule that applies to the failure, most specific first."""
    rules: list[Rule] = []
    if evidence.kind is FailureKind.CREDENTIALS:
        rules += CREDENTIAL_RULES
    if evidence.kind is FailureKind.REDIRECT_URI:
        rules += REDIRECT_URI_RULES
    if evidence.gave_up or (
        evidence.failure is not None and evidence.failure.source == "state"
    ):
        rules += SESSION_RULES
    return [finding for rule in rules for finding in rule(evidence)]


def secret_facts(secret: object) -> list[tuple[str, str]]:
    """Length, whitespace and a short SHA-256 fingerprint of a secret, so a
    developer can compare it with the value they meant. Never the secret."""
    if not isinstance(secret, str) or not secret:
        return [("client_secret", "(empty)")]
    return [
        ("client_secret length", str(len(secret))),
        ("client_secret SHA-256", fingerprint(secret)),
    ]


def fingerprint(secret: str) -> str:
    """The first 8 hex digits of the SHA-256 of ``secret``."""
    return hashlib.sha256(secret.encode()).hexdigest()[:8]


def session_cookie_present() -> bool:
    """Did the browser send the app's session cookie with this request?"""
    name = current_app.config.get("SESSION_COOKIE_NAME", "session")
    return name in request.cookies


def _session_cookie_missing(evidence: Evidence) -> Iterator[Finding]:
    if not session_cookie_present():
        yield Finding(
            "session.cookie_missing",
            "The browser came back from the provider without the session "
            "cookie, so the login's state could not be found.",
            "Make sure the session cookie is sent on the redirect back from "
            'the provider: SESSION_COOKIE_SAMESITE must be "Lax" (or '
            '"None" with Secure), and the callback must be on the same '
            "host and scheme as the login.",
        )


CREDENTIAL_RULES: list[Rule] = []
REDIRECT_URI_RULES: list[Rule] = []
SESSION_RULES: list[Rule] = [_session_cookie_missing]
