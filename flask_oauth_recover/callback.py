"""The wrapped callback view: the order in which a callback is checked,
run, and, when it fails, restarted or explained."""

from __future__ import annotations

import dataclasses
import logging
import math
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask import after_this_request
from flask import current_app
from flask import g
from flask import redirect
from flask import request
from flask import session
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from . import signals
from .app_state import current_state
from .callback_cookie import finished_location
from .callback_cookie import remember_finished
from .callback_cookie import remember_recipe
from .callback_cookie import remembered_recipe
from .callback_params import CallbackParams
from .callback_params import InvalidCallback
from .callback_params import Values
from .callback_params import read_callback_params
from .classify import LOST_STATE
from .classify import MISSING_CODE
from .classify import SECRET_KEY_MISMATCH
from .classify import Failure
from .classify import FailureKind
from .classify import classify
from .clients import CAUGHT_KEY
from .clients import EXTENSION_KEY
from .clients import caught_failure
from .clients import link_hosts
from .clients import provider_hosts
from .clients import provider_of
from .diagnose import Evidence
from .diagnose import LoginSnapshot
from .diagnose import diagnose
from .diagnose import relevant_facts
from .diagnose import secret_key_mismatch_finding
from .diagnose import session_cookie_present
from .diagnose import session_cookie_verifies
from .diagnose import snapshot_login
from .diagnose import state_entry
from .diagnose.evidence import FrameworkSettings
from .diagnose.facts import callback_url
from .diagnose.facts import failure_facts
from .duplicate import Hold
from .duplicate import claim_callback
from .duplicate import wait_for_first_callback
from .framework import Framework
from .log_line import log_line
from .outcome import Outcome
from .outcome import OutcomeKind
from .pages import RETRY_PARAM
from .pages import render_outcome
from .providers import Match
from .restart import Recipe
from .restart import no_store
from .restart import recipe_from_request
from .restart import recipe_from_signed_state
from .restart import recipe_from_state_data
from .restart import restart_authorization
from .state import CODE_MISSING
from .state import CODE_REFUSED
from .state import COOKIE_MISSING
from .state import GRANT_REFUSED
from .state import STATE_LOST
from .state import SignedState
from .state import looks_minted
from .state import read_state
from .state import signature_holds
from .token_response import SENT_KEY
from .token_response import sent_token_request
from .used_states import first_use

logger = logging.getLogger("flask_oauth_recover")

#: A function that may replace an error page: the Outcome in, a response
#: or ``None`` out (see ``OAuthRecover.error_page_handler``).
ErrorPageHandler = Callable[[Outcome], "ResponseReturnValue | None"]
#: A view's own answer to a failure it caught: a response, or the exception
#: it raised instead.
Answer = Any

# Sec-Purpose, Purpose, X-Purpose and X-Moz, read from the environ: building
# the headers object costs more than the check on every callback.
_PREFETCH_ENVIRON = ("HTTP_SEC_PURPOSE", "HTTP_PURPOSE", "HTTP_X_PURPOSE", "HTTP_X_MOZ")

NO_FRAMEWORK = FrameworkSettings()

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


class CallbackRun:
    """One request to a wrapped callback view.

    :param error_page_handler: the app's ``error_page_handler``, if any.
    :param client_name: the name of the client this request serves.
    :param client: the Authlib OAuth 2 client.
    :param provider: the provider profile the decorator named, if any.
    :param framework: the library that owns the callback view (Superset,
        Flask-Security...), when one does.
    """

    #: The provider profile serving the client, found on the first failure.
    _match: Match | None = None

    def __init__(
        self,
        error_page_handler: ErrorPageHandler | None,
        client_name: str,
        client: Any,
        provider: str | None = None,
        framework: Framework | None = None,
    ) -> None:
        self.error_page_handler = error_page_handler
        self.client_name = client_name
        self.client = client
        #: The provider profile named by the decorator, if any.
        self.provider_override = provider
        #: The library that owns this callback, if one does.
        self.framework = framework
        req = request._get_current_object()  # type: ignore[attr-defined]
        # Each looked up once: a context-local lookup is the commonest step
        # on the success path.
        self.request = req
        self.app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        self.g = g._get_current_object()
        self.environ: dict[str, Any] = req.environ
        # The app's own code (Authlib) parses the same query or form.
        self.values: Values = req.args if req.method == "GET" else req.form
        # The session object itself: Authlib reads it several times.
        self.session = session._get_current_object()  # type: ignore[attr-defined]
        self.state_entry: object = None
        #: This request's claim on its state, when the session holds it.
        self.hold: Hold | None = None
        self.flashes = 0
        self.signed: SignedState | None = None
        self.login: LoginSnapshot | None = None

    def __call__(
        self, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> ResponseReturnValue:
        try:
            rv = self._run(view, args, kwargs)
        except BaseException:
            if self.hold is not None:
                self.hold.release(None, self.app, self.session)
            raise
        if self.hold is not None:
            response = self.app.make_response(rv)
            self.hold.release(response, self.app, self.session)
            return response
        return rv

    def _run(
        self, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> ResponseReturnValue:
        if _is_prefetch(self.environ):
            return no_store(Response(status=204))
        if RETRY_PARAM in self.values and self.values.getlist(RETRY_PARAM)[:1] == [
            "retry"
        ]:
            recipe = remembered_recipe(self.client_name) or recipe_from_request()
            if recipe is None:
                return self._invalid("the Host header is not a valid host")
            # Through the framework's own login, where one owns it.
            return self._restart(None, "", recipe)
        try:
            params = read_callback_params(self.values)
        except InvalidCallback as exc:
            return self._invalid(exc.reason)

        state = params.state
        state_data = self._state_data(state)
        # Authlib deletes the entry as the view runs; keep it for diagnosis.
        # With a cache, the session keeps only this entry, and a request in
        # flight may have cleared the data already: the entry alone proves
        # that the state is this browser's.
        self.state_entry = state_entry(self.client, state, self.session)
        if state is not None and state_data is None and self.state_entry is None:
            finished = finished_location(self.client_name, state)
            if finished is not None:
                return no_store(redirect(finished))
            self.signed = self._read_signed(state)
            app_state = current_state()
            if self.signed is not None and not first_use(
                self.client,
                state,
                app_state.used_states,
                self._max_age(),
                seen=app_state.claims.get,
            ):
                # Whatever the first callback with it decided, a repeat is
                # a stranger's link: it must not restart, page or alert.
                self.signed = None
                return self._invalid("the state was already used")
        elif state is not None:
            followed = self._follow_first(state)
            if followed is not None:
                return followed
            if state_data is None:
                # The session holds the entry, the cache lost the data: the
                # session vouches for the state, whatever its age.
                self.signed = read_state(self._token(state), math.inf, self.client_name)
        self.flashes = _flash_count(self.session)
        try:
            rv = view(*args, **kwargs)
        except Exception as exc:
            caught = caught_failure()
            handled = self._handle(exc, params, state_data)
            if handled is None and isinstance(caught, Exception) and caught is not exc:
                # The view turned Authlib's exception into one of its own
                # (flask-oidc's abort(401)): the failure is still Authlib's.
                handled = self._handle(caught, params, state_data, answer=exc)
            if handled is None:
                raise
            return handled
        request_globals = vars(self.g)
        if CAUGHT_KEY in request_globals:
            caught = caught_failure()
            if isinstance(caught, Exception):
                # The view caught Authlib's exception itself and answered: a
                # restart still heals a transient failure; anything else
                # keeps the app's answer, with our signal and log line (a
                # framework's generic answer gives way to our page).
                return self._handle(caught, params, state_data, answer=rv) or rv
        if not state or SENT_KEY not in request_globals:
            # No code was spent: nothing to remember, and Flask makes the
            # response itself, as without the extension.
            return rv  # type: ignore[no-any-return]
        response = self.app.make_response(rv)
        location = response.location if 300 <= response.status_code < 400 else None
        if not location or _netloc(location) not in ("", self.request.host):
            location = f"{request.script_root}/"
        remember_finished(response, self.client_name, state, location)
        if self.hold is not None:
            self.hold.finished(location)
        return response

    def _follow_first(self, state: str) -> Response | None:
        """Claim the callback for ``state``, pending in this session; when a
        request of the same browser holds it (a double click), wait for it
        and answer as it did. ``None``: this request goes on."""
        app_state = self.app.extensions[EXTENSION_KEY]
        self.hold = claim_callback(
            self.client, state, app_state.claims, self._max_age()
        )
        if self.hold is not None:
            return None
        first = wait_for_first_callback(self.client, state, app_state.claims)
        if first.restarted_to is not None:
            return no_store(redirect(first.restarted_to))
        if (
            self._state_data(state) is not None
            or state_entry(self.client, state, self.session) is not None
        ):
            # The first request's session is not visible here (cookie
            # sessions on another worker): spend the code; a restart heals.
            return None
        if first.finished_to is not None:
            response = no_store(redirect(first.finished_to))
            remember_finished(response, self.client_name, state, first.finished_to)
            return response
        if first.outcome is not None:
            # Its page again, without a second log line or signal.
            return self._respond(first.outcome, None, announce=False)
        return None

    def _handle(
        self,
        exc: Exception,
        params: CallbackParams,
        state_data: dict[str, Any] | None,
        answer: Answer = None,
    ) -> Response | None:
        """Restart or explain the failure ``exc``; ``None`` when it is not
        an OAuth failure of ours.

        :param answer: the view's own answer, when it caught ``exc``: a
            response, or the exception it raised instead.
        """
        failure = classify(
            exc,
            authorize_error=params.error,
            provider_hosts=provider_hosts(self.client),
            profile=self._provider().profile,
        )
        if failure is None:
            return None
        if state_data is None and self.signed is None:
            if self._keys_differ(params.state):
                return self._secret_key_mismatch(params.state, answer)
            # Authlib refused a state this app never issued (or issued
            # long ago) before spending anything: a crafted link.
            return self._invalid(
                "the state is not one this site issued lately"
                if params.state
                else "the response carries no state",
                answer,
            )
        if failure.source == "authorize":
            # Authlib keeps only the code and description of ?error=.
            failure = dataclasses.replace(
                failure,
                description=params.error_description,
                uri=params.error_uri,
            )
        return self._failed(exc, failure, params, state_data, answer)

    def _provider(self) -> Match:
        # Only failures need it: the success path never looks.
        if self._match is None:
            self._match = provider_of(
                self.client, self.client_name, self.provider_override
            )
        return self._match

    def _state_data(self, state: str | None) -> dict[str, Any] | None:
        if not state:
            return None
        data = self.client.framework.get_state_data(self.session, state)
        return dict(data) if isinstance(data, dict) else None

    def _read_signed(self, state: str | None) -> SignedState | None:
        return read_state(self._token(state), self._max_age(), self.client_name)

    def _token(self, state: str | None) -> str | None:
        """Where the extension's signed state is: the state itself, or a
        part of a framework's own state."""
        framework = self.framework
        if state is None or framework is None or framework.signed_token is None:
            return state
        return framework.signed_token(state)

    def _discard_flashes(self) -> None:
        """Forget what the view flashed about the failure: our restart or
        page says it instead."""
        flashes = self.session.get("_flashes")
        if isinstance(flashes, list) and len(flashes) > self.flashes:
            if self.flashes:
                self.session["_flashes"] = flashes[: self.flashes]
            else:
                self.session.pop("_flashes")

    def _max_age(self) -> int:
        return int(self.app.config["OAUTH_RECOVER_STATE_MAX_AGE"])

    def _failed(
        self,
        exc: Exception,
        failure: Failure,
        params: CallbackParams,
        state_data: dict[str, Any] | None,
        answer: Answer = None,
    ) -> Response:
        if params.state:
            self.client.framework.clear_state_data(session, params.state)
        remembered: Recipe | None = None
        if state_data is not None:
            # The session proves the state is this browser's: its age is
            # irrelevant, only its history counts.
            self.signed = read_state(
                self._token(params.state), math.inf, self.client_name
            )
            recipe = remembered = recipe_from_state_data(state_data)
            framework = self.framework
            if framework is not None and framework.destination is not None:
                remembered = dataclasses.replace(
                    recipe, destination=framework.destination(str(params.state))
                )
        else:
            # Never kept for "try again": a signed state is anyone's to send.
            recipe = recipe_from_signed_state(self.signed)
        self.login = snapshot_login(params.state, self.state_entry, state_data)
        history = self.signed.history if self.signed else ""
        if failure.kind is FailureKind.TRANSIENT:
            letter = _history_letter(failure)
            # An ambiguous refusal gets one restart: a second one in a row
            # is a configuration error a restart cannot heal.
            repeated = letter == GRANT_REFUSED and history.endswith(GRANT_REFUSED)
            history += letter
            bound = current_app.config["OAUTH_RECOVER_MAX_RESTARTS"]
            if len(history) <= bound and not repeated:
                outcome = self._outcome(OutcomeKind.RESTARTED, failure, history, recipe)
                self._announce(outcome)
                if answer is not None:
                    self._discard_flashes()
                response = self._restart(params.state, history, recipe)
                if self.hold is not None:
                    self.hold.restarted(response.location or "")
                return response
            kind = OutcomeKind.GAVE_UP
        elif failure.kind is FailureKind.CANCELLED:
            kind = OutcomeKind.CANCELLED
        elif failure.kind is FailureKind.UNAVAILABLE:
            kind = OutcomeKind.UNAVAILABLE
        else:
            kind = OutcomeKind.CONFIG_ERROR
        outcome = self._outcome(kind, failure, history, recipe)
        return self._respond(outcome, exc, answer, remember=remembered)

    def _restart(self, state: str | None, history: str, recipe: Recipe) -> Response:
        framework = self.framework
        if framework is not None and framework.restart is not None:
            return no_store(framework.restart(self.client, state, history, recipe))
        return restart_authorization(self.client, recipe, history)

    def _keys_differ(self, state: str | None) -> bool:
        """Were the session cookie and the state, both of our making,
        signed with another secret key? (Replicas with different keys, or
        a key made at start-up.)"""
        token = self._token(state)
        if token is None or not looks_minted(token):
            return False
        if signature_holds(token, self.client_name):
            return False
        return session_cookie_verifies() is False

    def _secret_key_mismatch(self, state: str | None, answer: Answer) -> Response:
        failure = Failure(FailureKind.CONFIG, SECRET_KEY_MISMATCH, source="state")
        match = self._provider()
        settings = self.framework.settings if self.framework else NO_FRAMEWORK
        outcome = Outcome(
            OutcomeKind.CONFIG_ERROR,
            self.client_name,
            failure,
            attempt=0,
            reference=_reference(),
            findings=[secret_key_mismatch_finding(settings)],
            facts=[
                ("client", self.client_name),
                ("callback URL received", callback_url()),
                ("error code", SECRET_KEY_MISMATCH),
                ("session cookie", "sent, not signed with this SECRET_KEY"),
                ("state", "minted by this extension, not signed with this SECRET_KEY"),
            ],
            provider=match.display_name,
            profile=match.profile.name,
        )
        # Only the browser says so, and a forged cookie costs nothing: one
        # alert per state, and per worker per window, at most.
        app_state = current_state()
        alert = bool(state) and first_use(
            self.client, str(state), app_state.used_states, self._max_age()
        )
        alert = alert and app_state.alerts.add(SECRET_KEY_MISMATCH, self._max_age())
        return self._respond(outcome, None, answer, alert=alert)

    def _invalid(self, reason: str, answer: Answer = None) -> Response:
        outcome = Outcome(
            OutcomeKind.INVALID_CALLBACK,
            self.client_name,
            failure=None,
            attempt=0,
            reference=_reference(),
            reason=reason,
            facts=[("problem", reason)],
        )
        return self._respond(outcome, None, answer)

    def _outcome(
        self, kind: OutcomeKind, failure: Failure, history: str, recipe: Recipe
    ) -> Outcome:
        sent = sent_token_request()
        match = self._provider()
        evidence = Evidence(
            client=self.client,
            client_name=self.client_name,
            failure=failure,
            redirect_uri_sent=sent.get("redirect_uri") or recipe.redirect_uri,
            gave_up=kind is OutcomeKind.GAVE_UP,
            login=self.login,
            history=history,
            state_origin=self.signed.origin if self.signed else None,
            profile=match.profile,
            provider_name=match.display_name,
            framework=self.framework.settings if self.framework else NO_FRAMEWORK,
        )
        attempt = len(history) - (failure.kind is FailureKind.TRANSIENT)
        return Outcome(
            kind,
            self.client_name,
            failure,
            attempt,
            reference=_reference(),
            findings=diagnose(evidence),
            facts=failure_facts(evidence, sent, attempt) + relevant_facts(evidence),
            provider=match.display_name,
            link_hosts=link_hosts(self.client, match.profile),
            history=history,
            profile=match.profile.name,
        )

    def _respond(
        self,
        outcome: Outcome,
        exc: Exception | None,
        answer: Answer = None,
        *,
        remember: Recipe | None = None,
        announce: bool = True,
        alert: bool = True,
    ) -> Response:
        """The answer for ``outcome``: the app's own (``answer``, its
        ``error_page_handler``, its Flask error handler) or our page.

        :param answer: the view's own answer to the failure: kept for an
            app's own view; a framework's generic one gives way to our
            page, but for a cancel.
        :param remember: the login's recipe, for the page's "try again".
        :param announce: send the signal and log line (not for a duplicate
            repeating its first request's page).
        :param alert: log at the outcome's own level and send its signal;
            ``False``: a WARNING and no signal.
        """
        if announce:
            self._announce(outcome, alert=alert)
            if self.hold is not None:
                self.hold.showed(outcome)
        if remember is not None:
            client_name = self.client_name

            @after_this_request
            def keep_recipe(response: Response) -> Response:
                remember_recipe(response, client_name, remember)
                return response

        if answer is not None:
            if self.framework is None or outcome.kind is OutcomeKind.CANCELLED:
                if isinstance(answer, BaseException):
                    raise answer
                return current_app.make_response(answer)
            # The framework caught the failure: no app handler saw it, and
            # its generic message gives way to our page.
            self._discard_flashes()
            exc = None
        handler = self.error_page_handler
        if handler is not None:
            custom = handler(outcome)
            if custom is not None:
                return current_app.make_response(custom)
        handled = _handled_by_app(exc)
        if handled is not None:
            # The app chose how its OAuth errors look: it keeps that choice.
            raise handled
        return render_outcome(outcome, show_details=show_details())

    def _announce(self, outcome: Outcome, *, alert: bool = True) -> None:
        if not alert:
            logger.warning(log_line(outcome))
            return
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        _SIGNALS[outcome.kind].send(app, client_name=self.client_name, outcome=outcome)
        logger.log(_LOG_LEVELS[outcome.kind], log_line(outcome))


def _history_letter(failure: Failure) -> str:
    if failure.ambiguous:
        return GRANT_REFUSED
    if failure.error == LOST_STATE:
        return STATE_LOST if session_cookie_present() else COOKIE_MISSING
    if failure.error == MISSING_CODE:
        return CODE_MISSING
    return CODE_REFUSED


def _handled_by_app(exc: BaseException | None) -> BaseException | None:
    """The exception Flask would route to an error handler the app or the
    view's blueprint registered: ``exc``, or the library exception it was
    translated from (Flask-Dance's oauthlib errors), or ``None``."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for candidate in (exc, exc.__cause__ if exc is not None else None):
        if isinstance(candidate, Exception) and (
            app._find_error_handler(candidate, request.blueprints) is not None
        ):
            return candidate
    return None


def show_details() -> bool:
    """``OAUTH_RECOVER_SHOW_DETAILS``, with ``None`` meaning ``app.debug``."""
    setting = current_app.config["OAUTH_RECOVER_SHOW_DETAILS"]
    return bool(current_app.debug if setting is None else setting)


def _is_prefetch(environ: dict[str, Any]) -> bool:
    for key in _PREFETCH_ENVIRON:
        if key in environ and "prefetch" in environ[key].lower():
            return True
    return False


def _flash_count(store: Any) -> int:
    flashes = store.get("_flashes")
    return len(flashes) if isinstance(flashes, list) else 0


def _netloc(url: str) -> str | None:
    try:
        return urlsplit(url).netloc
    except ValueError:
        return None


def _reference() -> str:
    return secrets.token_hex(4)
