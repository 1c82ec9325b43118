"""The one log line each handled callback writes: what happened, the fix,
the diagnosis ids and the facts, for operators and log search.

Every value that is not the extension's own text is quoted as a JSON
string, so a provider's or a browser's ``;``, ``=``, quote or line break
stays inside its value and cannot forge a fact::

    OAuth callback for "github": restarted ("bad_verification_code")
    [ref 1a2b3c4d]. Fix: none needed, a new authorization was started.
    Diagnosis: none. Facts: client="github"; client_id="Iv1.0123456789abcdef"

(one line in the log; wrapped here).
"""

from __future__ import annotations

import json
import re

from .classify import FailureKind
from .outcome import Outcome
from .outcome import OutcomeKind
from .state import COOKIE_MISSING
from .state import STATE_LOST

#: The fix the log line names, per kind of failure.
LOG_FIXES = {
    FailureKind.TRANSIENT: "none needed, a new authorization was started",
    FailureKind.CREDENTIALS: "check the client_id and client_secret the app "
    "sends against the OAuth app's settings",
    FailureKind.REDIRECT_URI: "register the redirect_uri shown as the OAuth "
    "app's callback URL, or send the registered one",
    FailureKind.CONFIG: "check the OAuth app's settings at the provider",
    FailureKind.CANCELLED: "none, the user declined",
    FailureKind.UNAVAILABLE: "none on our side; the user was asked to retry",
}
#: The fix for a login that gave up after its session cookie stayed away,
#: after its state was lost while the cookie came back, and for one whose
#: every code the provider refused or never sent.
GAVE_UP_FIX = "see the diagnosis ids; the session cookie did not come back"
GAVE_UP_STATE_LOST_FIX = (
    "see the diagnosis ids; the session came back without the login's state, "
    "so the session store lost it"
)
GAVE_UP_REFUSED_FIX = (
    "see the diagnosis ids and error codes: the provider refused the "
    "authorization code, or sent none, on every attempt"
)
INVALID_CALLBACK_FIX = "none, the request did not come from the provider"
#: Fixes for failures of the site's own, by their error code.
ERROR_FIXES = {
    "secret_key_mismatch": "give every instance and worker the same SECRET_KEY "
    "(where it is set: see the diagnosis) and keep it across restarts",
}

# Fact labels are the extension's own; one with other characters is quoted.
_PLAIN_LABEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_ .:()\[\]/-]*")


def log_line(outcome: Outcome) -> str:
    """The log line for ``outcome``, on one line whatever its values hold.

    :param outcome: what the extension did about a callback.
    """
    failure = outcome.failure
    what = outcome.reason if failure is None else failure.error
    if outcome.kind is OutcomeKind.GAVE_UP:
        if COOKIE_MISSING in outcome.history or not outcome.history:
            fix = GAVE_UP_FIX
        elif STATE_LOST in outcome.history:
            fix = GAVE_UP_STATE_LOST_FIX
        else:
            fix = GAVE_UP_REFUSED_FIX
    elif failure is not None:
        fix = ERROR_FIXES.get(failure.error) or LOG_FIXES[failure.kind]
    else:
        fix = INVALID_CALLBACK_FIX
    facts = "; ".join(
        f"{_label(label)}={quote(value)}" for label, value in outcome.facts
    )
    ids = ",".join(dict.fromkeys(f.id for f in outcome.findings)) or "none"
    return (
        f"OAuth callback for {quote(outcome.client_name)}: {outcome.kind.value} "
        f"({quote(what or '')}) [ref {outcome.reference}]. Fix: {fix}. "
        f"Diagnosis: {ids}. Facts: {facts}"
    )


def quote(value: str) -> str:
    """``value`` as a JSON string literal with every character that is not
    printable escaped, line and paragraph separators and direction marks
    included, so the result is one line and reads back with ``json.loads``.

    :param value: any text.
    """
    text = json.dumps(str(value), ensure_ascii=False)
    return "".join(
        char if char.isprintable() else json.dumps(char)[1:-1] for char in text
    )


def _label(label: str) -> str:
    return label if _PLAIN_LABEL.fullmatch(label) else quote(label)
