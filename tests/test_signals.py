"""Signals and log lines: one per event, naming what happened and the fix."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_oauth_recover import Outcome
from flask_oauth_recover import OutcomeKind
from flask_oauth_recover.testing import ProviderEmulator

from .conftest import SignalRecorder


def trigger(
    event: str, provider: ProviderEmulator, make_app: Callable[..., Flask]
) -> FlaskClient:
    overrides = {"client_secret": "f" * 40} if event == "configuration_error" else {}
    client = make_app(client_overrides=overrides).test_client()
    if event == "login_cancelled":
        provider.deny_next_authorizations("access_denied")
    elif event == "provider_unavailable":
        provider.fail_next_token_requests(502, "<html>bad gateway</html>")
    elif event == "restarts_exhausted":
        provider.reject_next_codes(3)
    elif event == "authorization_restarted":
        provider.reject_next_codes(1)
    if event == "invalid_callback":
        client.get("/callback?state=a&state=b")
    else:
        provider.follow(client, client.get("/login"))
    return client


EVENTS = {
    "authorization_restarted": (OutcomeKind.RESTARTED, logging.INFO),
    "configuration_error": (OutcomeKind.CONFIG_ERROR, logging.ERROR),
    "login_cancelled": (OutcomeKind.CANCELLED, logging.INFO),
    "restarts_exhausted": (OutcomeKind.GAVE_UP, logging.ERROR),
    "provider_unavailable": (OutcomeKind.UNAVAILABLE, logging.WARNING),
    "invalid_callback": (OutcomeKind.INVALID_CALLBACK, logging.WARNING),
}


@pytest.mark.parametrize("event", EVENTS)
def test_each_event_sends_its_signal_with_the_outcome(
    event: str,
    provider: ProviderEmulator,
    make_app: Callable[..., Flask],
    signals: SignalRecorder,
) -> None:
    trigger(event, provider, make_app)

    name, kwargs = signals.sent[-1]
    assert name == event
    assert kwargs["client_name"] == "github"
    outcome = kwargs["outcome"]
    assert isinstance(outcome, Outcome)
    assert outcome.kind is EVENTS[event][0]


@pytest.mark.parametrize("event", EVENTS)
def test_each_event_logs_one_line_with_the_fix(
    event: str,
    provider: ProviderEmulator,
    make_app: Callable[..., Flask],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="flask_oauth_recover"):
        trigger(event, provider, make_app)

    record = caplog.records[-1]
    kind, level = EVENTS[event]
    assert record.levelno == level
    assert f": {kind.value} (" in record.getMessage()
    assert "Fix: " in record.getMessage()


def test_restart_signal_counts_attempts(
    provider: ProviderEmulator,
    make_app: Callable[..., Flask],
    signals: SignalRecorder,
) -> None:
    trigger("restarts_exhausted", provider, make_app)

    attempts = [kwargs["outcome"].attempt for _, kwargs in signals.sent]
    assert signals.names == ["authorization_restarted"] * 2 + ["restarts_exhausted"]
    assert attempts == [0, 1, 2]
