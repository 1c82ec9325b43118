"""What the extension did about one callback: the record that pages, log
lines, signals and error-page handlers all read."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from dataclasses import field

from .classify import Failure
from .diagnose import Finding
from .state import COOKIE_MISSING
from .state import STATE_LOST


class OutcomeKind(enum.Enum):
    """The extension's answer to a failed callback."""

    RESTARTED = "restarted"
    CONFIG_ERROR = "config_error"
    CANCELLED = "cancelled"
    GAVE_UP = "gave_up"
    UNAVAILABLE = "unavailable"
    INVALID_CALLBACK = "invalid_callback"


#: HTTP status of each page.
STATUS = {
    OutcomeKind.RESTARTED: 302,
    OutcomeKind.CONFIG_ERROR: 500,
    OutcomeKind.CANCELLED: 403,
    OutcomeKind.GAVE_UP: 500,
    OutcomeKind.UNAVAILABLE: 503,
    OutcomeKind.INVALID_CALLBACK: 400,
}


@dataclass
class Outcome:
    """One handled callback failure.

    :param kind: what was done.
    :param client_name: the Authlib client's name.
    :param failure: the classified failure (``None`` for an invalid callback).
    :param attempt: restarts this login had had before this callback.
    :param findings: diagnoses, most specific first.
    :param facts: what the extension saw (label, value), never a secret.
    :param reference: a short id shown on the page and in the log line.
    :param reason: for an invalid callback, what was wrong with it.
    :param provider: the provider's display name, for pages and JSON.
    :param link_hosts: hosts an ``error_uri`` from the token response may
        be linked to (the provider's own and its documentation hosts).
    :param history: the login's failed attempts, this one included, one
        letter each (see :mod:`flask_oauth_recover.state`).
    :param profile: the name of the provider profile that read the failure
        (``"google"``; ``"oauth2"`` for the RFC baseline), as JSON gives it.
    """

    kind: OutcomeKind
    client_name: str
    failure: Failure | None
    attempt: int
    reference: str
    findings: list[Finding] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    reason: str | None = None
    provider: str | None = None
    link_hosts: frozenset[str] = frozenset()
    history: str = ""
    profile: str | None = None

    @property
    def state_was_lost(self) -> bool:
        """Did this login lose its state in an attempt? Only then may a page
        suspect the browser's cookies."""
        return bool(set(self.history) & {STATE_LOST, COOKIE_MISSING})

    @property
    def cookie_was_missing(self) -> bool:
        """Did the session cookie stay away in an attempt? Only then may a
        page suspect the browser's cookie settings."""
        return COOKIE_MISSING in self.history

    @property
    def status(self) -> int:
        """The HTTP status the response carries."""
        return STATUS[self.kind]

    @property
    def error(self) -> str:
        """The machine-readable error code: the provider's, or ours."""
        if self.kind is OutcomeKind.GAVE_UP:
            return "restarts_exhausted"
        if self.failure is None:
            return str(self.kind.value)
        return str(self.failure.error)
