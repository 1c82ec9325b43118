"""The wrapped callback view: the order in which a callback is checked,
run, and, when it fails, restarted or explained."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask import redirect
from flask import request
from flask import session
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from . import signals
from .callback_params import CallbackParams
from .callback_params import InvalidCallback
from .callback_params import read_callback_params
from .classify import Failure
from .classify import FailureKind
from .classify import classify
from .diagnose import Evidence
from .diagnose import LoginSnapshot
from .diagnose import diagnose
from .diagnose import public_client_id
from .diagnose import relevant_facts
from .diagnose import secret_facts
from .diagnose import snapshot_login
from .diagnose import state_entry
from .duplicate import claim_callback
from .duplicate import wait_for_first_callback
from .outcome import Outcome
from .outcome import OutcomeKind
from .pages import RETRY_PARAM
from .pages import render_outcome
from .restart import Recipe
from .restart import read_attempt
from .restart import recipe_from_callback_url
from .restart import recipe_from_state_data
from .restart import remember_recipe
from .restart import remembered_recipe
from .restart import restart_authorization
from .token_response import install
from .token_response import sent_token_request
from .token_response import token_was_requested

if TYPE_CHECKING:
    from .extension import OAuthRecover

logger = logging.getLogger("flask_oauth_recover")

DONE_KEY = "_oauth_recover_done"
#: How long a finished login's callback URL still leads to where it went.
REPLAY_SECONDS = 600
# Sec-Purpose, Purpose, X-Purpose and X-Moz, read from the environ: building
# the headers object costs more than the check on every callback.
_PREFETCH_ENVIRON = ("HTTP_SEC_PURPOSE", "HTTP_PURPOSE", "HTTP_X_PURPOSE", "HTTP_X_MOZ")

_SIGNALS = {
    OutcomeKind.RESTARTED: signals.authorization_restarted,
    OutcomeKind.CONFIG_ERROR: signals.configuration_error,
    OutcomeKind.CANCELLED: signals.login_cancelled,
    OutcomeKind.GAVE_UP: signals.restarts_exhausted,
    OutcomeKind.UNAVAILABLE: signals.provider_unavailable,
    OutcomeKind.INVALID_CALLBACK: signals.invalid_callback,
}
_LOG_LEVELS = {
    OutcomeKind.RESTARTED: logging.INFO,
    OutcomeKind.CONFIG_ERROR: logging.ERROR,
    OutcomeKind.CANCELLED: logging.INFO,
    OutcomeKind.GAVE_UP: logging.ERROR,
    OutcomeKind.UNAVAILABLE: logging.WARNING,
    OutcomeKind.INVALID_CALLBACK: logging.WARNING,
}
_LOG_FIXES = {
    FailureKind.TRANSIENT: "none needed, a new authorization was started",
    FailureKind.CREDENTIALS: "check the client_id and client_secret the app "
    "sends against the OAuth app's settings",
    FailureKind.REDIRECT_URI: "register the redirect_uri shown as the OAuth "
    "app's callback URL, or send the registered one",
    FailureKind.CONFIG: "check the OAuth app's settings at the provider",
    FailureKind.CANCELLED: "none, the user declined",
    FailureKind.UNAVAILABLE: "none on our side; the user was asked to retry",
}


class CallbackRun:
    """One request to a wrapped callback view.

    :param recover: the extension.
    :param client_ref: the client name or object given to the decorator.
    """

    def __init__(self, recover: OAuthRecover, client_ref: Any) -> None:
        self.recover = recover
        self.client_name, self.client = recover.resolve_client(client_ref)
        install(self.client, current_app.config["OAUTH_RECOVER_TIMEOUT"])
        self.values = request.args if request.method == "GET" else request.form
        self.state_entry: object = None
        self.login: LoginSnapshot | None = None

    def __call__(
        self, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> ResponseReturnValue:
        if _is_prefetch():
            return Response(status=204, headers={"Cache-Control": "no-store"})
        if self.values.get(RETRY_PARAM) == "retry":
            recipe = remembered_recipe(self.client_name) or recipe_from_callback_url()
            return restart_authorization(self.client, recipe, attempt=0)
        try:
            params = read_callback_params(self.values)
        except InvalidCallback as exc:
            return self._invalid(exc.reason)

        attempt = read_attempt(params.state)
        if not claim_callback(self.client, params.state):
            # A duplicate of a callback in flight (double click): let the
            # first one finish, then follow it instead of spending the code.
            wait_for_first_callback(self.client, str(params.state))
        state_data = self._state_data(params.state)
        # Authlib deletes the entry as the view runs; keep it for diagnosis.
        self.state_entry = state_entry(self.client, params.state)
        if state_data is None:
            replay = _replayed_destination(params.state)
            if replay is not None:
                return redirect(replay)
        try:
            rv = current_app.ensure_sync(view)(*args, **kwargs)
        except Exception as exc:
            failure = classify(
                exc,
                from_authorize=params.error is not None,
                provider_hosts=self.recover.provider_hosts(self.client),
            )
            if failure is None:
                raise
            if failure.source == "authorize":
                # Authlib keeps only the code and description of ?error=.
                failure = dataclasses.replace(
                    failure,
                    description=params.error_description,
                    uri=params.error_uri,
                )
            # Authlib deleted the state data as it read it; ``state_data`` is
            # the copy taken before. Built only here: success needs no recipe.
            recipe = (
                recipe_from_state_data(state_data)
                if state_data is not None
                else recipe_from_callback_url()
            )
            self.login = snapshot_login(params.state, self.state_entry, state_data)
            return self._failed(failure, params, recipe, attempt)
        response = current_app.make_response(rv)
        _remember_success(params.state, response)
        return response

    def _state_data(self, state: str | None) -> dict[str, Any] | None:
        if not state:
            return None
        data = self.client.framework.get_state_data(session, state)
        return dict(data) if isinstance(data, dict) else None

    def _failed(
        self, failure: Failure, params: CallbackParams, recipe: Recipe, attempt: int
    ) -> Response:
        if params.state:
            self.client.framework.clear_state_data(session, params.state)
        remember_recipe(self.client_name, recipe)
        if failure.kind is FailureKind.TRANSIENT:
            if attempt < current_app.config["OAUTH_RECOVER_MAX_RESTARTS"]:
                outcome = self._outcome(OutcomeKind.RESTARTED, failure, attempt, recipe)
                self._announce(outcome)
                return restart_authorization(self.client, recipe, attempt + 1)
            kind = OutcomeKind.GAVE_UP
        elif failure.kind is FailureKind.CANCELLED:
            kind = OutcomeKind.CANCELLED
        elif failure.kind is FailureKind.UNAVAILABLE:
            kind = OutcomeKind.UNAVAILABLE
        else:
            kind = OutcomeKind.CONFIG_ERROR
        return self._respond(self._outcome(kind, failure, attempt, recipe))

    def _invalid(self, reason: str) -> Response:
        outcome = Outcome(
            OutcomeKind.INVALID_CALLBACK,
            self.client_name,
            failure=None,
            attempt=0,
            reference=_reference(),
            reason=reason,
            facts=[("problem", reason)],
        )
        return self._respond(outcome)

    def _outcome(
        self, kind: OutcomeKind, failure: Failure, attempt: int, recipe: Recipe
    ) -> Outcome:
        sent = sent_token_request()
        redirect_uri = sent.get("redirect_uri") or recipe.redirect_uri
        evidence = Evidence(
            client=self.client,
            client_name=self.client_name,
            failure=failure,
            redirect_uri_sent=redirect_uri,
            gave_up=kind is OutcomeKind.GAVE_UP,
            login=self.login,
        )
        return Outcome(
            kind,
            self.client_name,
            failure,
            attempt,
            reference=_reference(),
            findings=diagnose(evidence),
            facts=self._facts(failure, sent, redirect_uri, attempt)
            + relevant_facts(evidence),
        )

    def _facts(
        self,
        failure: Failure,
        sent: dict[str, str],
        redirect_uri: str | None,
        attempt: int,
    ) -> list[tuple[str, str]]:
        facts = [
            ("client", self.client_name),
            (
                "client_id",
                public_client_id(self.client.client_id, self.client.client_secret),
            ),
            ("redirect_uri sent", redirect_uri or "(the client's default)"),
            ("callback URL received", request.base_url),
            ("error code", failure.error),
            ("restarts so far", str(attempt)),
        ]
        if "url" in sent:
            facts.append(("token endpoint", f"{sent['url']} (HTTP {sent['status']})"))
        elif failure.http_status is not None:
            facts.append(("token endpoint HTTP status", str(failure.http_status)))
        if failure.kind is FailureKind.CREDENTIALS:
            facts += secret_facts(self.client.client_secret)
        return facts

    def _respond(self, outcome: Outcome) -> Response:
        self._announce(outcome)
        handler = self.recover.error_page_callback
        if handler is not None:
            custom = handler(outcome)
            if custom is not None:
                return current_app.make_response(custom)
        return render_outcome(outcome, show_details=show_details())

    def _announce(self, outcome: Outcome) -> None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        _SIGNALS[outcome.kind].send(app, client_name=self.client_name, outcome=outcome)
        logger.log(_LOG_LEVELS[outcome.kind], _log_line(outcome))


def show_details() -> bool:
    """``OAUTH_RECOVER_SHOW_DETAILS``, with ``None`` meaning ``app.debug``."""
    setting = current_app.config["OAUTH_RECOVER_SHOW_DETAILS"]
    return bool(current_app.debug if setting is None else setting)


def _log_line(outcome: Outcome) -> str:
    failure = outcome.failure
    what = outcome.reason if failure is None else failure.error
    if outcome.kind is OutcomeKind.GAVE_UP:
        fix = "see the diagnosis ids; the session cookie is the usual cause"
    elif failure is not None:
        fix = _LOG_FIXES[failure.kind]
    else:
        fix = "none, the request did not come from the provider"
    facts = "; ".join(f"{label}={value}" for label, value in outcome.facts)
    ids = ",".join(dict.fromkeys(f.id for f in outcome.findings)) or "none"
    return (
        f"OAuth callback for {outcome.client_name!r}: {outcome.kind.value} "
        f"({what}) [ref {outcome.reference}]. Fix: {fix}. "
        f"Diagnosis: {ids}. Facts: {facts}"
    )


def _is_prefetch() -> bool:
    environ = request.environ
    return any("prefetch" in environ.get(key, "").lower() for key in _PREFETCH_ENVIRON)


def _state_digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def _remember_success(state: str | None, response: Response) -> None:
    if not state or not token_was_requested():
        return
    location = response.location if 300 <= response.status_code < 400 else None
    if not location or urlsplit(location).netloc not in ("", request.host):
        location = f"{request.script_root}/"
    session[DONE_KEY] = {
        "state": _state_digest(state),
        "to": location,
        "at": int(time.time()),
    }


def _replayed_destination(state: str | None) -> str | None:
    done = session.get(DONE_KEY)
    if not state or not isinstance(done, dict):
        return None
    fresh = time.time() - float(done.get("at", 0)) < REPLAY_SECONDS
    if fresh and done.get("state") == _state_digest(state):
        location = done.get("to")
        return location if isinstance(location, str) else None
    return None


def _reference() -> str:
    return secrets.token_hex(4)
