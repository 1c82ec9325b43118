"""A small app that signs in with GitHub, Google, Microsoft or GitLab,
through Authlib or Flask-Dance, or with Apple, Slack, Facebook, Okta,
Discord or Auth0 through Authlib, wrapped by flask-oauth-recover, with a
panel to break the login on purpose.

Run it with ``flask --app example_app run`` (or ``python -m example_app``)
and open http://localhost:5000/. It signs in against provider emulators
served by the same process; with ``GITHUB_CLIENT_ID`` and
``GITHUB_CLIENT_SECRET`` set, GitHub is github.com itself, through the same
code.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from typing import Any

import click
from flask import Flask
from flask import abort
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from werkzeug.serving import is_running_from_reloader
from werkzeug.wrappers import Response

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover import Outcome
from flask_oauth_recover import authorization_restarted

from . import breakit
from . import switches
from .authlib_clients import register_clients
from .provider import AUTHLIB
from .provider import FLASK_DANCE
from .provider import GITHUB_ENDPOINTS
from .provider import LIBRARIES
from .provider import PROVIDERS
from .provider import EmbeddedProviders
from .provider import Provider

__all__ = ["create_app", "print_banner"]

#: Where a sign-in goes when the login link names no ``next``.
DEFAULT_NEXT = "/account"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the demo app.

    :param config: configuration that wins over the environment. Set
        ``GITHUB_CLIENT_ID`` to ``None`` here to use the embedded emulator
        even when the environment has credentials.
    """
    app = Flask(__name__)
    # Each browser's copy of the app can be misconfigured its own way.
    app.config = breakit.DemoConfig(app.root_path, app.config)
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_hex(32),
        SESSION_COOKIE_SAMESITE="Lax",
        # A developer demo: error pages show the diagnosis and the fix.
        OAUTH_RECOVER_SHOW_DETAILS=True,
        OAUTH_RECOVER_TIMEOUT=3.0,
        # The emulators all live on 127.0.0.1: say which provider each
        # client is, since their URLs cannot.
        OAUTH_RECOVER_PROVIDERS={name: name for name in PROVIDERS},
        GITHUB_CLIENT_ID=os.environ.get("GITHUB_CLIENT_ID"),
        GITHUB_CLIENT_SECRET=os.environ.get("GITHUB_CLIENT_SECRET"),
        **GITHUB_ENDPOINTS,
    )
    app.config.update(config or {})
    real_github = bool(
        app.config["GITHUB_CLIENT_ID"] and app.config["GITHUB_CLIENT_SECRET"]
    )
    if real_github:
        # Flask-Dance's GitHub blueprint uses the same OAuth app.
        app.config.setdefault("GITHUB_OAUTH_CLIENT_ID", app.config["GITHUB_CLIENT_ID"])
        app.config.setdefault(
            "GITHUB_OAUTH_CLIENT_SECRET", app.config["GITHUB_CLIENT_SECRET"]
        )
    embedded = EmbeddedProviders(
        real_github, int(app.config.get("DEMO_PROVIDER_PORT", 0))
    )
    app.config.update(embedded.credentials())

    # Endpoints come from the config keys, read when each client is first
    # used: by then the emulators are running.
    oauth = register_clients(app)
    recover = OAuthRecover(app, oauth=oauth)
    dance = _dance_logins(app, recover)
    switches.init_app(app, dance_available=dance is not None)
    breakit.init_app(app, oauth, embedded, dance)

    @authorization_restarted.connect_via(app, weak=False)
    def remember_restart(sender: Flask, outcome: Outcome, **extra: Any) -> None:
        # Shown on the account page: the restarts a visitor never noticed.
        error = outcome.failure.error if outcome.failure else "restart"
        session["restarts"] = [*session.get("restarts", []), error]

    @app.get("/")
    def home() -> str:
        return render_template("demo/home.html", **_page_context())

    @app.post("/switch")
    def switch() -> Response:
        """Change provider or library; that signs out and disarms."""
        switches.choose(request.form.get("provider"), request.form.get("library"))
        session.clear()
        breakit.disarm_state()
        return redirect(url_for("home"))

    @app.get("/login")
    def login() -> Response:
        session["next"] = _safe_next(request.args.get("next"))
        session.pop("restarts", None)
        selection = switches.current()
        if selection.library == FLASK_DANCE:
            return redirect(url_for(f"{selection.provider.dance_name}.login"))
        client = oauth.create_client(selection.provider.name)
        redirect_uri = breakit.redirect_uri(selection.callback_url())
        return client.authorize_redirect(redirect_uri)  # type: ignore[no-any-return]

    # POST too: Apple posts the callback (response_mode=form_post).
    @app.route("/callback", defaults={"provider": "github"}, methods=["GET", "POST"])
    @app.route("/callback/<provider>", methods=["GET", "POST"])
    @recover.callback()
    def callback(provider: str) -> Response:
        # The extension serves the client the URL names: /callback/google
        # is the "google" client's callback.
        spec = PROVIDERS.get(provider)
        if spec is None:
            abort(404)
        client = oauth.create_client(provider)
        token = client.authorize_access_token()
        signed_in(spec, AUTHLIB, who_signed_in(spec, client, token))
        return land()

    @app.get("/landed")
    def landed() -> Response:
        """Where Flask-Dance sends the browser after a login."""
        return land()

    @app.get("/account")
    def account() -> str | Response:
        if "user" not in session:
            return redirect(url_for("login", next=request.full_path.rstrip("?")))
        return render_template("demo/account.html", **_page_context())

    @app.post("/logout")
    def logout() -> Response:
        session.clear()
        return redirect(url_for("home"))

    _announce(app, embedded)
    return app


def signed_in(provider: Provider, library: str, user: Mapping[str, Any]) -> None:
    """Remember who signed in, with which provider and library.

    :param provider: the provider.
    :param library: ``"authlib"`` or ``"flask-dance"``.
    :param user: the provider's answer about the user.
    """
    session["user"] = {
        "login": str(_field(user, provider.login_field) or "?"),
        "name": _field(user, provider.name_field),
        "provider": provider.title,
        "library": LIBRARIES[library],
    }


def who_signed_in(provider: Provider, client: Any, token: Mapping[str, Any]) -> Any:
    """The provider's answer about the user: its user API's, or the ID
    token's claims where it has no such API (Apple).

    :param provider: the provider.
    :param client: its Authlib client.
    :param token: the token response.
    """
    if not provider.user_path:
        return dict(token.get("userinfo") or {})
    if provider.token_key:
        # Slack: a user token sits under authed_user, not at the top.
        user_token = token[provider.token_key]["access_token"]
        token = {"access_token": user_token, "token_type": "bearer"}
    answer = client.get(provider.user_path, token=token)
    answer.raise_for_status()
    return answer.json()


def land() -> Response:
    """Go where the login was asked to go."""
    destination = session.pop("next", DEFAULT_NEXT)
    session["landed_via_next"] = destination
    return redirect(destination)


def _field(user: Mapping[str, Any], path: str) -> Any:
    value: Any = user
    for key in path.split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _dance_logins(app: Flask, recover: OAuthRecover) -> Any:
    try:
        from .dance import DanceLogins
    except ImportError:  # the flask-dance extra is not installed
        return None
    return DanceLogins(app, recover, signed_in)


def _page_context() -> dict[str, Any]:
    return {
        "user": session.get("user"),
        "restarts": session.get("restarts", []),
        "landed_via_next": session.get("landed_via_next"),
        "finished": breakit.finish(),
    }


def _safe_next(value: str | None) -> str:
    # Only paths on this site: an open redirect would turn the login into a
    # phishing tool.
    if not value or not value.startswith("/") or value.startswith("//"):
        return DEFAULT_NEXT
    if "\\" in value or any(ord(char) < 32 for char in value):
        return DEFAULT_NEXT
    return value


def _announce(app: Flask, embedded: EmbeddedProviders) -> None:
    """Print where to open the demo when ``flask run`` is serving it; start
    the emulators at once for other commands (``flask oauth-recover
    check``), which serve no request that would."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return
    if ctx.info_name != "run":
        dance = app.extensions[breakit.EXTENSION_KEY].dance
        embedded.ensure_started(app, dance)
        return
    reload = ctx.params.get("reload")
    if reload is None:
        reload = app.debug
    if reload and not is_running_from_reloader():
        return  # the reloader's watcher process: the child will say it
    print_banner(app, int(ctx.params.get("port") or 5000))


def print_banner(app: Flask, port: int) -> None:
    """Say, in a box that stands out from the server's log, where to go.

    :param app: the demo app.
    :param port: the port it is served on.
    """
    embedded = app.extensions[breakit.EXTENSION_KEY].embedded
    real_github = embedded.get("github", AUTHLIB) is None
    providers = "all but GitHub" if real_github else "all ten"
    libraries = "Authlib or Flask-Dance" if switches.dance_available(app) else "Authlib"
    lines = [
        "flask-oauth-recover demo",
        "",
        f"  Open  http://localhost:{port}/",
        "  Providers: GitHub, Google, Microsoft, GitLab (through",
        f"  {libraries}), Apple, Slack, Facebook, Okta, Discord,",
        f"  Auth0 (Authlib); {providers} emulated in this process.",
        *(["  GitHub: github.com (GITHUB_CLIENT_ID is set)"] if real_github else []),
        "  Sign in, then break it: each button arms one failure.",
    ]
    width = max(len(line) for line in lines) + 4
    rule = "+" + "-" * width + "+"
    box = [rule, *(f"|  {line.ljust(width - 2)}|" for line in lines), rule]
    click.echo("\n".join(["", *box, ""]), file=sys.stderr)
