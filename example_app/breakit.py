"""The demo's "break it" panel: one button per way a GitHub login fails.

A button arms a failure for the next sign-in and signs the visitor out, so
they can watch it. Every failure is real at the place it happens:

- provider faults (an expired code, an outage, a hang) are injected into
  the embedded provider emulator when the sign-in starts; a cancel is a
  click on the provider's authorization page;
- configuration faults change what the app itself sends: its token request
  really carries a wrong secret or an unregistered redirect URI, and the
  provider really refuses it;
- the SameSite fault really marks the session cookie ``SameSite=Strict``,
  and the browser really leaves it out on the way back from the provider.

Which failure is armed lives in its own small cookie, not in the session:
the session cookie is exactly what one of the failures takes away.
"""

from __future__ import annotations

import copy
import hashlib
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import requests
from flask import Blueprint
from flask import Flask
from flask import abort
from flask import current_app
from flask import g
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask.sessions import SecureCookieSessionInterface
from werkzeug.wrappers import Response

from flask_oauth_recover.diagnose import fingerprint

from .provider import EmbeddedGitHub

logger = logging.getLogger(__name__)

#: The cookie holding ``<fault>.<phase>`` for this browser.
DEMO_COOKIE = "oauth_demo"
#: Armed by a button, not yet used by a sign-in.
ARMED = "armed"
#: A sign-in started with the failure in place.
ACTIVE = "active"
#: The failure did its one-time part (the code was redeemed once already).
SPENT = "spent"
PHASES = (ARMED, ACTIVE, SPENT)

#: The path the "wrong redirect URI" login sends instead of the callback's.
WRONG_CALLBACK_PATH = "/oauth/callback"
#: What a failing gateway in front of GitHub answers.
BAD_GATEWAY_PAGE = (
    "<!doctype html><title>502 Bad Gateway</title><h1>502 Bad Gateway</h1>"
)

EXTENSION_KEY = "breakit"
_STATE = "_breakit_state"
_CHANGED = "_breakit_changed"


@dataclass(frozen=True)
class Fault:
    """One button of the panel.

    :param name: its URL slug and cookie value.
    :param title: the button's heading.
    :param simulates: one line: what goes wrong, and where.
    :param expect: one line: what the visitor should now see.
    :param outcome: ``heals``, ``fix``, ``explains`` or ``guard``; styles
        the card's label.
    :param needs_emulator: only the embedded provider can do it.
    """

    name: str
    title: str
    simulates: str
    expect: str
    outcome: str
    needs_emulator: bool = False


#: Labels for :attr:`Fault.outcome`.
OUTCOME_LABELS = {
    "heals": "Heals by itself",
    "fix": "Names the fix",
    "explains": "Explains",
    "guard": "Loop guard",
}

FAULTS: tuple[Fault, ...] = (
    Fault(
        "expired_code",
        "Expired code, once",
        "GitHub answers bad_verification_code to the first code, as it does "
        "to one older than ten minutes.",
        "No error page: one silent restart, then your account page.",
        "heals",
        needs_emulator=True,
    ),
    Fault(
        "code_used_twice",
        "Code used twice",
        "The callback is opened twice (a double click, a refresh): the first "
        "request redeems the code, the second is refused.",
        "No error page: one silent restart, then your account page.",
        "heals",
    ),
    Fault(
        "wrong_secret",
        "Wrong client secret",
        "The app sends an old secret, as after a rotation nobody deployed.",
        '"Sign-in is not set up correctly", with incorrect_client_credentials '
        "and the fingerprint of the secret sent (the right one's is {fingerprint}).",
        "fix",
    ),
    Fault(
        "secret_newline",
        "Secret with a trailing newline",
        "The right secret plus a newline, as when it is read from a file or "
        "pasted into an environment variable.",
        "The same page; the secret it shows is 41 characters, not 40.",
        "fix",
    ),
    Fault(
        "wrong_redirect_uri",
        "Wrong redirect URI",
        f"The login sends {WRONG_CALLBACK_PATH}, while the OAuth app has "
        "/callback registered.",
        '"Sign-in is not set up correctly", with redirect_uri_mismatch and the '
        "URI that was sent.",
        "fix",
    ),
    Fault(
        "user_cancels",
        "User cancels",
        "GitHub shows its authorization page, and you press Cancel.",
        '"Sign-in cancelled", with a button to sign in again.',
        "explains",
        needs_emulator=True,
    ),
    Fault(
        "provider_down",
        "GitHub is down",
        "The token endpoint answers 502 Bad Gateway, once.",
        '"GitHub is not responding"; Try again then signs you in.',
        "explains",
        needs_emulator=True,
    ),
    Fault(
        "provider_hangs",
        "GitHub hangs",
        "The token endpoint holds the request past the app's timeout of {timeout} s.",
        'After {timeout} s, "GitHub is not responding" instead of a tab that '
        "spins forever.",
        "explains",
        needs_emulator=True,
    ),
    Fault(
        "session_cookie_dropped",
        "Session cookie dropped",
        "The session cookie is SameSite=Strict: after you press Authorize on "
        "GitHub's page, the browser leaves it out on the way back.",
        'Two silent restarts, then "We could not sign you in", naming the '
        "missing cookie.",
        "guard",
    ),
)
FAULTS_BY_NAME = {fault.name: fault for fault in FAULTS}


@dataclass(frozen=True)
class DemoState:
    """The failure this browser has armed, and how far its sign-in got."""

    fault: Fault
    phase: str


class _BreakIt:
    """What the panel keeps in ``app.extensions["breakit"]``."""

    def __init__(self, oauth: Any, embedded: EmbeddedGitHub | None) -> None:
        self.oauth = oauth
        self.embedded = embedded


class DemoSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, made ``SameSite=Strict`` while the "session
    cookie dropped" failure is in play: what an app configured with
    ``SESSION_COOKIE_SAMESITE = "Strict"`` sends to every visitor."""

    def get_cookie_samesite(self, app: Flask) -> str | None:
        """``"Strict"`` during the demo, else the app's setting."""
        state = current_state()
        if (
            state is not None
            and state.fault.name == "session_cookie_dropped"
            and state.phase != ARMED
        ):
            return "Strict"
        return super().get_cookie_samesite(app)


bp = Blueprint("breakit", __name__, url_prefix="/break")


def init_app(app: Flask, oauth: Any, embedded: EmbeddedGitHub | None) -> None:
    """Add the panel's routes and hooks to the demo app.

    :param app: the demo app.
    :param oauth: its Authlib registry, with a ``github`` client.
    :param embedded: the embedded provider, or ``None`` for real GitHub.
    """
    app.extensions[EXTENSION_KEY] = _BreakIt(oauth, embedded)
    app.session_interface = DemoSessionInterface()
    app.register_blueprint(bp)
    app.before_request(_before_request)
    app.after_request(_write_cookie)
    app.context_processor(lambda: {"panel": panel()})


def _demo() -> _BreakIt:
    demo: _BreakIt = current_app.extensions[EXTENSION_KEY]
    return demo


@bp.post("/<name>")
def arm(name: str) -> Response:
    """Arm a failure for this browser's next sign-in, and sign out."""
    fault = FAULTS_BY_NAME.get(name)
    if fault is None:
        abort(404)
    embedded = _demo().embedded
    if fault.needs_emulator and embedded is None:
        abort(400, "This failure needs the built-in GitHub emulator.")
    if embedded is not None and embedded.started:
        # Drop faults a sign-in that was abandoned halfway left behind.
        embedded.reset()
    session.clear()
    _set_state(DemoState(fault, ARMED))
    return redirect(url_for("home"))


@bp.post("/off")
def disarm() -> Response:
    """Forget the armed failure."""
    _set_state(None)
    return redirect(url_for("home"))


def github_client() -> Any:
    """The Authlib client for this request: the app's ``github`` client, or,
    while a wrong-secret failure is in play, the same client with the secret
    the misconfigured app would have."""
    client = _demo().oauth.github
    state = current_state()
    if state is None or state.phase == ARMED:
        return client
    if state.fault.name == "wrong_secret":
        return _with_secret(client, rotated_secret(client.client_secret))
    if state.fault.name == "secret_newline":
        return _with_secret(client, client.client_secret + "\n")
    return client


def rotated_secret(secret: str) -> str:
    """A stand-in for the secret before the last rotation: as long as the
    real one, and different."""
    return hashlib.sha1(b"rotated:" + secret.encode()).hexdigest()[: len(secret)]


def redirect_uri(callback_url: str) -> str:
    """The redirect URI the login sends: the callback's, or an unregistered
    one while the "wrong redirect URI" failure is in play.

    :param callback_url: the app's real, registered callback URL.
    """
    state = current_state()
    if state is not None and state.fault.name == "wrong_redirect_uri":
        parts = urlsplit(callback_url)
        return urlunsplit(parts._replace(path=WRONG_CALLBACK_PATH))
    return callback_url


def current_state() -> DemoState | None:
    """This browser's armed failure, as of this point of the request."""
    if _STATE in g:
        state: DemoState | None = g.get(_STATE)
        return state
    name, _, phase = request.cookies.get(DEMO_COOKIE, "").partition(".")
    fault = FAULTS_BY_NAME.get(name)
    if fault is None or phase not in PHASES:
        return None
    return DemoState(fault, phase)


def finish() -> Fault | None:
    """Called by the demo's own pages: a sign-in that ran with a failure is
    over, so disarm it.

    :return: the failure that just ran, to say how it went.
    """
    state = current_state()
    if state is None or state.phase == ARMED:
        return None
    _set_state(None)
    return state.fault


def panel() -> dict[str, Any]:
    """What the templates need to draw the panel."""
    embedded = _demo().embedded
    state = current_state()
    values = {
        "timeout": f"{current_app.config['OAUTH_RECOVER_TIMEOUT']:g}",
        "fingerprint": fingerprint(current_app.config["GITHUB_CLIENT_SECRET"] or ""),
    }
    return {
        "faults": [
            {
                "fault": fault,
                "label": OUTCOME_LABELS[fault.outcome],
                "simulates": fault.simulates.format(**values),
                "expect": fault.expect.format(**values),
                "available": embedded is not None or not fault.needs_emulator,
            }
            for fault in FAULTS
        ],
        "armed": state.fault if state is not None and state.phase == ARMED else None,
        "provider_url": (
            embedded.emulator.base_url
            if embedded is not None and embedded.started
            else None
        ),
    }


def _before_request() -> Response | None:
    embedded = _demo().embedded
    if embedded is not None:
        embedded.ensure_started(current_app._get_current_object())  # type: ignore[attr-defined]
        if request.host.split(":")[0] == "127.0.0.1":
            # The emulator is on 127.0.0.1: serving the app on localhost makes
            # the provider another site, as github.com is, so that browsers
            # apply SameSite rules as they would in production.
            return redirect(_on_localhost(request.url))
    if request.endpoint == "login":
        _start_login(embedded)
    elif request.endpoint == "callback" and "code" in request.args:
        _redeem_code_first()
    return None


def _start_login(embedded: EmbeddedGitHub | None) -> None:
    state = current_state()
    if embedded is not None:
        # The OAuth app's registered callback is wherever this app serves it.
        embedded.emulator.callback_url = url_for("callback", _external=True)
    if state is None or state.phase != ARMED:
        return
    _set_state(DemoState(state.fault, ACTIVE))
    if embedded is None:
        return
    emulator = embedded.emulator
    name = state.fault.name
    if name == "expired_code":
        emulator.reject_next_codes(1)
    elif name == "user_cancels":
        embedded.consent.require_next(
            "press Cancel, as someone who changed their mind would."
        )
    elif name == "session_cookie_dropped":
        # The cookie is only left out when the way back starts with a click
        # on the provider's page, so make sure there is one.
        embedded.consent.require_next(
            "press Authorize. The way back to the app then starts on GitHub's "
            "site, so the browser leaves the SameSite=Strict cookie out."
        )
    elif name == "provider_down":
        emulator.fail_next_token_requests(502, BAD_GATEWAY_PAGE)
    elif name == "provider_hangs":
        timeout = float(current_app.config["OAUTH_RECOVER_TIMEOUT"])
        emulator.hang_next_token_requests(timeout + 2)


def _redeem_code_first() -> None:
    """Play the first of two requests to the same callback URL: redeem the
    code at the token endpoint before the app's own request does."""
    state = current_state()
    if state is None or state.fault.name != "code_used_twice":
        return
    if state.phase != ACTIVE:
        return
    _set_state(DemoState(state.fault, SPENT))
    client = _demo().oauth.github
    try:
        requests.post(
            client.access_token_url,
            data={
                "client_id": client.client_id,
                "client_secret": client.client_secret,
                "code": request.args["code"],
            },
            headers={"Accept": "application/json"},
            timeout=5,
        )
    except requests.RequestException as exc:
        logger.warning("demo: could not redeem the code a first time: %s", exc)


def _with_secret(client: Any, secret: str) -> Any:
    # Same name, same state storage, same endpoints: only the secret differs.
    variant = copy.copy(client)
    variant.client_secret = secret
    return variant


def _set_state(state: DemoState | None) -> None:
    setattr(g, _STATE, state)
    setattr(g, _CHANGED, True)


def _write_cookie(response: Response) -> Response:
    if not g.get(_CHANGED):
        return response
    state: DemoState | None = g.get(_STATE)
    if state is None:
        response.delete_cookie(DEMO_COOKIE, httponly=True, samesite="Lax")
    else:
        response.set_cookie(
            DEMO_COOKIE,
            f"{state.fault.name}.{state.phase}",
            httponly=True,
            samesite="Lax",
        )
    return response


def _on_localhost(url: str) -> str:
    parts = urlsplit(url)
    netloc = "localhost" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
