"""OAuth callbacks that heal themselves, or say exactly what to fix."""

from __future__ import annotations

from .classify import Failure
from .classify import FailureKind
from .diagnose import Finding
from .extension import OAuthRecover
from .outcome import Outcome
from .outcome import OutcomeKind
from .signals import authorization_restarted
from .signals import configuration_error
from .signals import invalid_callback
from .signals import login_cancelled
from .signals import provider_unavailable
from .signals import restarts_exhausted

__all__ = [
    "Failure",
    "FailureKind",
    "Finding",
    "OAuthRecover",
    "Outcome",
    "OutcomeKind",
    "authorization_restarted",
    "configuration_error",
    "invalid_callback",
    "login_cancelled",
    "provider_unavailable",
    "restarts_exhausted",
]
