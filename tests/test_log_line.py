"""The log line: one line per handled callback, whose facts read back as
they were, whatever a browser or a provider puts in them."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_oauth_recover import Failure
from flask_oauth_recover import FailureKind
from flask_oauth_recover import Finding
from flask_oauth_recover import Outcome
from flask_oauth_recover import OutcomeKind
from flask_oauth_recover.log_line import GAVE_UP_FIX
from flask_oauth_recover.log_line import GAVE_UP_REFUSED_FIX
from flask_oauth_recover.log_line import GAVE_UP_STATE_LOST_FIX
from flask_oauth_recover.log_line import log_line
from flask_oauth_recover.log_line import quote
from flask_oauth_recover.state import CODE_MISSING
from flask_oauth_recover.state import CODE_REFUSED
from flask_oauth_recover.state import COOKIE_MISSING
from flask_oauth_recover.state import STATE_LOST
from flask_oauth_recover.testing import ProviderEmulator

from .conftest import SignalRecorder

_STRING = r'"(?:[^"\\]|\\.)*"'
LINE = re.compile(
    rf"OAuth callback for (?P<client>{_STRING}): (?P<kind>[a-z_]+) "
    rf"\((?P<what>{_STRING})\) \[ref (?P<reference>[0-9a-f]{{8}})\]\. "
    r"Fix: (?P<fix>[^.]*)\. Diagnosis: (?P<ids>[a-z_.,]+)\. Facts: (?P<facts>.*)"
)
FACT = re.compile(rf'(?P<label>{_STRING}|[^";=]+)=(?P<value>{_STRING})(?:; |$)')


def parse(line: str) -> dict[str, Any]:
    """Read a log line the way a log pipeline would: by its quoting."""
    match = LINE.fullmatch(line)
    assert match is not None, line
    facts = []
    position = 0
    text = match["facts"]
    while position < len(text):
        fact = FACT.match(text, position)
        assert fact is not None, text[position:]
        label = fact["label"]
        facts.append(
            (json.loads(label) if label[0] == '"' else label, json.loads(fact["value"]))
        )
        position = fact.end()
    return {
        "client": json.loads(match["client"]),
        "kind": match["kind"],
        "what": json.loads(match["what"]),
        "reference": match["reference"],
        "fix": match["fix"],
        "ids": match["ids"].split(","),
        "facts": facts,
    }


def logged(caplog: pytest.LogCaptureFixture) -> str:
    [record] = [r for r in caplog.records if r.name == "flask_oauth_recover"]
    return record.getMessage()


HOSTILE = [
    'x"; client_id="FORGED',
    "x; client_id=FORGED",
    "a\nOAuth callback for 'github': restarted",
    "tab\tand\rreturn",
    "line\u2028separator\u2029paragraph",
    "right-to-left \u202emark",
    "escape \x1b[31mred\x1b[0m and del \x7f",
    "non-BMP \U000e0001 tag and é, 日本",
    'backslash \\" quote',
]


@pytest.mark.parametrize("value", HOSTILE)
def test_any_value_reads_back_as_it_was(value: str) -> None:
    failure = Failure(FailureKind.CONFIG, value, source="token")
    outcome = Outcome(
        OutcomeKind.CONFIG_ERROR,
        "github",
        failure,
        attempt=0,
        reference="0123abcd",
        findings=[Finding("credentials.shape", "cause", "fix")],
        facts=[("client_id", "Iv1.0123456789abcdef"), ("error code", value)],
    )

    line = log_line(outcome)

    assert line.isprintable()
    parsed = parse(line)
    assert parsed["what"] == value
    assert parsed["facts"] == outcome.facts
    assert parsed["ids"] == ["credentials.shape"]


def test_the_line_names_what_happened_and_the_fix() -> None:
    failure = Failure(FailureKind.TRANSIENT, "bad_verification_code")
    outcome = Outcome(
        OutcomeKind.RESTARTED,
        "github",
        failure,
        attempt=0,
        reference="1a2b3c4d",
        facts=[("client", "github"), ("redirect_uri sent", "http://localhost/cb")],
    )

    assert log_line(outcome) == (
        'OAuth callback for "github": restarted ("bad_verification_code") '
        "[ref 1a2b3c4d]. Fix: none needed, a new authorization was started. "
        'Diagnosis: none. Facts: client="github"; '
        'redirect_uri sent="http://localhost/cb"'
    )


@pytest.mark.parametrize(
    ("history", "fix"),
    [
        (CODE_REFUSED * 3, GAVE_UP_REFUSED_FIX),
        (CODE_REFUSED + CODE_MISSING, GAVE_UP_REFUSED_FIX),
        (CODE_REFUSED + COOKIE_MISSING + CODE_REFUSED, GAVE_UP_FIX),
        (STATE_LOST * 3, GAVE_UP_STATE_LOST_FIX),
        ("", GAVE_UP_FIX),
    ],
)
def test_giving_up_names_the_fix_for_what_happened(history: str, fix: str) -> None:
    failure = Failure(FailureKind.TRANSIENT, "bad_verification_code")
    outcome = Outcome(
        OutcomeKind.GAVE_UP,
        "github",
        failure,
        attempt=2,
        reference="0123abcd",
        history=history,
    )

    assert parse(log_line(outcome))["fix"] == fix


def test_a_label_that_is_not_plain_is_quoted_too() -> None:
    outcome = Outcome(
        OutcomeKind.INVALID_CALLBACK,
        "github",
        None,
        attempt=0,
        reference="0123abcd",
        reason="the parameter 'state' is repeated",
        facts=[('odd"; label=', "value")],
    )

    parsed = parse(log_line(outcome))

    assert parsed["facts"] == [('odd"; label=', "value")]
    assert parsed["what"] == "the parameter 'state' is repeated"


def test_quote_is_a_json_string_on_one_line() -> None:
    for value in HOSTILE:
        quoted = quote(value)
        assert quoted.isprintable()
        assert json.loads(quoted) == value


# -- through a real callback ---------------------------------------------------


def forged_callback(
    client: FlaskClient, headers: dict[str, str] | None = None, **query: str
) -> None:
    """Start a login, then answer its callback with ``query``."""
    authorize = client.get("/login")
    [state] = parse_qs(urlsplit(authorize.location).query)["state"]
    client.get("/callback?" + urlencode({**query, "state": state}), headers=headers)


def test_an_error_code_from_the_browser_forges_no_fact(
    make_app: Callable[..., Flask],
    provider: ProviderEmulator,
    caplog: pytest.LogCaptureFixture,
    signals: SignalRecorder,
) -> None:
    client = make_app().test_client()

    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        forged_callback(client, error="x; client_id=FORGED")

    parsed = parse(logged(caplog))
    assert parsed["what"] == "x; client_id=FORGED"
    assert parsed["facts"] == signals.sent[-1][1]["outcome"].facts
    assert dict(parsed["facts"])["client_id"] == provider.client_id


def test_an_error_code_from_the_token_endpoint_forges_no_fact(
    make_app: Callable[..., Flask],
    provider: ProviderEmulator,
    caplog: pytest.LogCaptureFixture,
    signals: SignalRecorder,
) -> None:
    client = make_app().test_client()
    forged = 'x"; client_id="FORGED"\nOAuth callback for "github": restarted'
    body = json.dumps({"error": forged})
    provider.fail_next_token_requests(200, body, content_type="application/json")

    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        provider.follow(client, client.get("/login"))

    line = logged(caplog)
    assert "\n" not in line
    assert 'client_id="FORGED"' not in line
    parsed = parse(line)
    assert parsed["what"] == forged
    assert parsed["facts"] == signals.sent[-1][1]["outcome"].facts
    assert dict(parsed["facts"])["client_id"] == provider.client_id


def test_a_forwarded_header_forges_no_fact(
    make_app: Callable[..., Flask],
    provider: ProviderEmulator,
    caplog: pytest.LogCaptureFixture,
    signals: SignalRecorder,
) -> None:
    client = make_app().test_client()
    header = 'app.example"; client_id="FORGED'

    with caplog.at_level(logging.INFO, logger="flask_oauth_recover"):
        forged_callback(
            client, {"X-Forwarded-Host": header}, error="redirect_uri_mismatch"
        )

    parsed = parse(logged(caplog))
    facts = dict(parsed["facts"])
    assert facts["X-Forwarded-Host"] == header
    assert facts["client_id"] == provider.client_id
    assert parsed["facts"] == signals.sent[-1][1]["outcome"].facts
