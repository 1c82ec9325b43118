"""The demo's "break it" panel: one button per way a login fails, for the
provider and library this browser chose.

A button arms a failure for the next sign-in and signs the visitor out, so
they can watch it. Every failure is real at the place it happens:

- provider faults (an expired code, an outage, a hang, an expired secret)
  are injected into the provider emulator when the sign-in starts; a cancel
  is a click on the provider's authorization page;
- configuration faults change what the app itself sends, or what the
  provider has registered: the token request really carries a wrong
  secret, the login an unregistered redirect URI, and the provider really
  refuses it;
- the SameSite fault really marks the session cookie ``SameSite=Strict``,
  and the browser really leaves it out on the way back from the provider.

The same buttons work whichever library runs the login: the demo's Authlib
clients (:mod:`.authlib_clients`) and Flask-Dance sessions (:mod:`.dance`)
ask this module which secret and redirect URIs to send.

Which failure is armed lives in its own small cookie, not in the session:
the session cookie is exactly what one of the failures takes away.
"""

from __future__ import annotations

import logging
import time
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
from flask import has_request_context
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask.config import Config
from flask.sessions import SecureCookieSessionInterface
from werkzeug.wrappers import Response

from flask_oauth_recover.cli import oauth_recover
from flask_oauth_recover.diagnose import fingerprint
from flask_oauth_recover.testing import AppleDialect

from . import switches
from .faults import BAD_GATEWAY_PAGE
from .faults import CHECK_COMMAND
from .faults import FAULTS
from .faults import FAULTS_BY_NAME
from .faults import OUTCOME_LABELS
from .faults import REGISTRATIONS
from .faults import SECRET_FAULTS
from .faults import WORDS
from .faults import WRONG_CALLBACK_PATH
from .faults import Fault
from .faults import loopback_alias
from .faults import misconfigured_secret
from .faults import misregistered
from .provider import FLASK_DANCE
from .provider import LIBRARIES
from .provider import PROVIDERS
from .provider import EmbeddedProvider
from .provider import EmbeddedProviders

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

EXTENSION_KEY = "breakit"
_STATE = "_breakit_state"
_CHANGED = "_breakit_changed"
#: The config keys Flask-Dance reads each provider's secret from.
_DANCE_SECRET_KEYS = {
    provider.config_key(FLASK_DANCE, "client_secret"): provider.name
    for provider in PROVIDERS.values()
    if provider.dance_name
}


@dataclass(frozen=True)
class DemoState:
    """The failure this browser has armed, and how far its sign-in got."""

    fault: Fault
    phase: str


class _BreakIt:
    """What the panel keeps in ``app.extensions["breakit"]``."""

    def __init__(self, oauth: Any, embedded: EmbeddedProviders, dance: Any) -> None:
        self.oauth = oauth
        self.embedded = embedded
        self.dance = dance


class DemoConfig(Config):
    """The app's config, as this browser's copy of the app reads it.

    Flask-Dance reads its client secrets from the config before every
    request; while a secret failure is in play, the key it reads answers
    with the wrong secret the panel chose, for this browser only. (The
    Authlib clients read the config once; their secret is chosen in
    :mod:`.authlib_clients`.)
    """

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, this browser's where it differs."""
        value = super().get(key, default)
        provider = _DANCE_SECRET_KEYS.get(key)
        if provider is None or not has_request_context():
            return value
        return secret_sent(provider, FLASK_DANCE, value)


class DemoSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, made ``SameSite=Strict`` while the "session
    cookie dropped" failure is in play: what an app configured with
    ``SESSION_COOKIE_SAMESITE = "Strict"`` sends to every visitor.

    A provider that posts the callback from its own site (Apple) needs
    ``SameSite=None; Secure`` to get the cookie back, the fix
    ``session.form_post_samesite`` names: while one is chosen, the demo's
    cookie is that, unless "SameSite=Lax session cookie" is in play.
    (Browsers keep a Secure cookie from ``http://localhost``.)"""

    def get_cookie_samesite(self, app: Flask) -> str | None:
        """``"Strict"`` or ``"Lax"`` during those failures, ``"None"`` for a
        provider that posts the callback, else the app's setting."""
        state = current_state()
        playing = state.fault.name if state is not None and state.phase != ARMED else ""
        if playing == "session_cookie_dropped":
            return "Strict"
        if playing == "form_post_lax":
            return "Lax"
        if _posts_callback():
            return "None"
        return super().get_cookie_samesite(app)

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure with ``SameSite=None``, as browsers require."""
        if self.get_cookie_samesite(app) == "None":
            return True
        return super().get_cookie_secure(app)


def _posts_callback() -> bool:
    return has_request_context() and switches.current().provider.form_post


bp = Blueprint("breakit", __name__, url_prefix="/break")


def init_app(app: Flask, oauth: Any, embedded: EmbeddedProviders, dance: Any) -> None:
    """Add the panel's routes and hooks to the demo app.

    :param app: the demo app.
    :param oauth: its Authlib registry, one client per provider.
    :param embedded: the provider emulators.
    :param dance: its :class:`~example_app.dance.DanceLogins`, or ``None``
        without Flask-Dance.
    """
    app.extensions[EXTENSION_KEY] = _BreakIt(oauth, embedded, dance)
    app.session_interface = DemoSessionInterface()
    app.register_blueprint(bp)
    app.before_request(_before_request)
    app.after_request(_write_cookie)
    app.context_processor(lambda: {"panel": panel()})


def _demo() -> _BreakIt:
    demo: _BreakIt = current_app.extensions[EXTENSION_KEY]
    return demo


def embedded_pair() -> EmbeddedProvider | None:
    """The emulator this browser's provider and library talk to; ``None``
    for github.com."""
    selection = switches.current()
    return _demo().embedded.get(selection.provider.name, selection.library)


@bp.post("/<name>")
def arm(name: str) -> Response:
    """Arm a failure for this browser's next sign-in, and sign out."""
    fault = FAULTS_BY_NAME.get(name)
    provider = switches.current().provider.name
    if fault is None or not fault.offered_for(provider):
        abort(404)
    embedded = embedded_pair()
    if fault.needs_emulator and embedded is None:
        abort(400, "This failure needs the built-in emulator.")
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


@bp.post("/check")
def check() -> str:
    """Run ``flask oauth-recover check --probe`` on this app, in this
    process, against the emulators as this browser's failure left them."""
    selection = switches.current()
    state = current_state()
    for library in selection.provider.libraries:
        # The check covers both libraries' callbacks for this provider; only
        # this browser's has its failure.
        embedded = _demo().embedded.get(selection.provider.name, library)
        if embedded is not None:
            chosen = switches.Selection(selection.provider, library)
            _set_up_provider(embedded, chosen, state if chosen == selection else None)
    base_url = request.host_url.rstrip("/")
    args = ["check", selection.client_name, "--probe", "--base-url", base_url]
    result = current_app.test_cli_runner().invoke(oauth_recover, args)
    return render_template(
        "demo/check.html",
        command=f"{CHECK_COMMAND} --base-url {base_url} {selection.client_name}",
        output=result.output,
        exit_code=result.exit_code,
    )


def disarm_state() -> None:
    """Forget the armed failure, as part of another action (a switch)."""
    _set_state(None)


def secret_sent(client: str, library: str, configured: Any) -> Any:
    """The client secret the app sends: the configured one, or this
    browser's misconfigured one while a secret failure is in play.

    :param client: the provider of the client asking.
    :param library: ``"authlib"`` or ``"flask-dance"``.
    :param configured: the secret the config holds.
    """
    if not isinstance(configured, str) or not has_request_context():
        return configured
    state = current_state()
    if state is None or state.phase == ARMED or state.fault.name not in SECRET_FAULTS:
        return configured
    selection = switches.current()
    if (selection.provider.name, selection.library) != (client, library):
        return configured
    if state.fault.name == "apple_secret_expired":
        return _expired_client_secret(configured)
    return misconfigured_secret(state.fault.name, configured)


def _expired_client_secret(configured: str) -> str:
    """A client secret JWT signed by the emulator's key, as the app made it
    200 days ago for 180 days: past its exp."""
    embedded = embedded_pair()
    dialect = embedded.emulator.dialect if embedded is not None else None
    if not isinstance(dialect, AppleDialect):
        return configured
    today = int(time.time()) // 86400 * 86400
    return dialect.client_secret(issued_at=today - 200 * 86400, lifetime=180 * 86400)


def redirect_uri(callback_url: str) -> str:
    """The redirect URI the login sends: the callback's, or an unregistered
    one while the "wrong redirect URI" failure is in play.

    :param callback_url: the app's real, registered callback URL.
    """
    if _active("wrong_redirect_uri"):
        parts = urlsplit(callback_url)
        return urlunsplit(parts._replace(path=WRONG_CALLBACK_PATH, query=""))
    return callback_url


def token_redirect_uri(login_uri: str) -> str:
    """The redirect URI the token request sends: the login's, or another
    one while "token request with another redirect URI" is in play.

    :param login_uri: the redirect URI the login sent.
    """
    if _active("redirect_differs"):
        return loopback_alias(login_uri)
    return login_uri


def current_state() -> DemoState | None:
    """This browser's armed failure, as of this point of the request."""
    if _STATE in g:
        state: DemoState | None = g.get(_STATE)
        return state
    name, _, phase = request.cookies.get(DEMO_COOKIE, "").partition(".")
    fault = FAULTS_BY_NAME.get(name)
    if fault is None or phase not in PHASES:
        return None
    if not fault.offered_for(switches.current().provider.name):
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
    """What the templates need to draw the switches and the panel."""
    selection = switches.current()
    provider = selection.provider
    embedded = embedded_pair()
    state = current_state()
    values = _words(selection)
    faults = [
        {
            "fault": fault,
            "label": OUTCOME_LABELS[fault.outcome],
            "title": fault.title.format(**values),
            "simulates": fault.simulates.format(**values),
            "expect": fault.expect.format(**values),
            "available": embedded is not None or not fault.needs_emulator,
        }
        for fault in FAULTS
        if fault.offered_for(provider.name)
    ]
    return {
        "selection": selection,
        "providers": list(PROVIDERS.values()),
        "libraries": LIBRARIES,
        "dance_available": switches.dance_available(),
        "faults": faults,
        "armed": state.fault if state is not None and state.phase == ARMED else None,
        "check_command": CHECK_COMMAND,
        "provider_url": (
            embedded.emulator.base_url
            if embedded is not None and embedded.started
            else None
        ),
    }


def _words(selection: switches.Selection) -> dict[str, str]:
    provider = selection.provider
    # The right secret, whatever this browser's copy of the config says.
    key = provider.config_key(selection.library, "client_secret")
    secret = dict.get(current_app.config, key)
    secret = secret if isinstance(secret, str) else ""
    callback = selection.callback_url()
    values = {
        **WORDS[provider.name],
        "provider": provider.title,
        "timeout": f"{current_app.config['OAUTH_RECOVER_TIMEOUT']:g}",
        "fingerprint": fingerprint(secret),
        "secret_length": str(len(secret)),
        "secret_length_plus": str(len(secret) + 1),
        "callback": callback,
        "callback_path": urlsplit(callback).path,
        "token_uri": loopback_alias(callback),
    }
    values["registered"] = misregistered(provider.name, callback)
    values["registration"] = REGISTRATIONS.get(provider.name, "").format(**values)
    return values


def _active(fault: str) -> bool:
    if not has_request_context():
        return False
    state = current_state()
    return state is not None and state.phase != ARMED and state.fault.name == fault


def _before_request() -> Response | None:
    demo = _demo()
    if len(demo.embedded):
        if request.host.split(":")[0] == "127.0.0.1":
            # The emulators are on 127.0.0.1: serving the app on localhost
            # makes each provider another site, as github.com is, so that
            # browsers apply SameSite rules as they would in production.
            return redirect(_on_localhost(request.url))
        demo.embedded.ensure_started(
            current_app._get_current_object(),  # type: ignore[attr-defined]
            demo.dance,
        )
    if request.endpoint == "login":
        _start_login()
    elif switches.current().is_callback() and "code" in request.values:
        # request.values: a provider may post the callback (form_post).
        _on_code()
    return None


def _start_login() -> None:
    state = current_state()
    embedded = embedded_pair()
    if embedded is not None:
        _set_up_provider(embedded, switches.current(), state)
    if state is None or state.phase != ARMED:
        return
    _set_state(DemoState(state.fault, ACTIVE))
    if embedded is None:
        return
    emulator = embedded.emulator
    name = state.fault.name
    provider = switches.current().provider
    if name == "user_cancels":
        embedded.consent.require_next(
            "press Cancel, as someone who changed their mind would."
        )
    elif name == "session_cookie_dropped":
        # The cookie is only left out when the way back starts with a click
        # on the provider's page, so make sure there is one.
        embedded.consent.require_next(
            f"press {WORDS[provider.name]['approve']}. The way back to the app "
            f"then starts on {provider.title}'s site, so the browser leaves the "
            "SameSite=Strict cookie out."
        )
    elif name == "provider_down":
        emulator.fail_next_token_requests(502, BAD_GATEWAY_PAGE)
    elif name == "provider_hangs":
        timeout = float(current_app.config["OAUTH_RECOVER_TIMEOUT"])
        emulator.hang_next_token_requests(timeout + 2)


def _set_up_provider(
    embedded: EmbeddedProvider, selection: switches.Selection, state: DemoState | None
) -> None:
    """Make the provider's side what this browser's failure says: the
    registered callback, and whether the secret has expired."""
    emulator = embedded.emulator
    fault = state.fault.name if state is not None else None
    callback = selection.callback_url()
    if fault == "unregistered_redirect_uri":
        callback = misregistered(selection.provider.name, callback)
    emulator.callback_url = callback
    emulator.client_secret_expired = fault == "expired_secret"


def _on_code() -> None:
    """A callback with a code, while a failure may want it refused."""
    state = current_state()
    if state is None or state.phase != ACTIVE:
        return
    if state.fault.name == "expired_code":
        _set_state(DemoState(state.fault, SPENT))
        embedded = embedded_pair()
        if embedded is not None:
            emulator = embedded.emulator
            emulator.advance_clock(emulator.code_lifetime + 60)
    elif state.fault.name == "code_used_twice":
        _set_state(DemoState(state.fault, SPENT))
        _redeem_code_first()


def _redeem_code_first() -> None:
    """Play the first of two requests to the same callback URL: redeem the
    code at the token endpoint before the app's own request does."""
    token_url, client_id, client_secret = _token_endpoint()
    try:
        requests.post(
            token_url,
            data={
                "grant_type": "authorization_code",
                "client_id": client_id,
                "client_secret": client_secret,
                "code": request.values["code"],
                "redirect_uri": request.base_url,
            },
            headers={"Accept": "application/json"},
            timeout=5,
        )
    except requests.RequestException as exc:
        logger.warning("demo: could not redeem the code a first time: %s", exc)


def _token_endpoint() -> tuple[str, str, str]:
    """The token URL and the right credentials of this browser's client."""
    embedded = embedded_pair()
    if embedded is not None:
        emulator = embedded.emulator
        return emulator.token_url, emulator.client_id, emulator.client_secret
    selection = switches.current()
    demo = _demo()
    if selection.library == FLASK_DANCE:
        blueprint = demo.dance.blueprints[selection.provider.name]
        return blueprint.token_url, blueprint.client_id, blueprint.client_secret
    client = demo.oauth.create_client(selection.provider.name)
    return client.access_token_url, client.client_id, client.client_secret


def _set_state(state: DemoState | None) -> None:
    setattr(g, _STATE, state)
    setattr(g, _CHANGED, True)


def _write_cookie(response: Response) -> Response:
    if not g.get(_CHANGED):
        return response
    state: DemoState | None = g.get(_STATE)
    attributes = switches.cookie_attributes(switches.current().provider)
    if state is None:
        response.delete_cookie(DEMO_COOKIE, httponly=True, **attributes)
    else:
        response.set_cookie(
            DEMO_COOKIE,
            f"{state.fault.name}.{state.phase}",
            httponly=True,
            **attributes,
        )
    return response


def _on_localhost(url: str) -> str:
    parts = urlsplit(url)
    netloc = "localhost" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
