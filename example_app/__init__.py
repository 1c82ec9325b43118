"""A small app that signs in with GitHub through Authlib, wrapped by
flask-oauth-recover, with a panel to break the login on purpose.

Run it with ``flask --app example_app run`` (or ``python -m example_app``)
and open http://localhost:5000/. Without ``GITHUB_CLIENT_ID`` and
``GITHUB_CLIENT_SECRET`` it signs in against a GitHub emulator served by the
same process; with them, against github.com, through the same code.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from typing import Any

import click
from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from werkzeug.local import LocalProxy
from werkzeug.serving import is_running_from_reloader
from werkzeug.wrappers import Response

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover import Outcome
from flask_oauth_recover import authorization_restarted

from . import breakit
from .provider import GITHUB_ENDPOINTS
from .provider import GITHUB_SCOPE
from .provider import EmbeddedGitHub

__all__ = ["create_app", "print_banner"]

#: Where a sign-in goes when the login link names no ``next``.
DEFAULT_NEXT = "/account"

# The GitHub client of the current request (see breakit.github_client: the
# demo swaps in a misconfigured copy while a secret failure is in play).
github: Any = LocalProxy(breakit.github_client)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the demo app.

    :param config: configuration that wins over the environment. Set
        ``GITHUB_CLIENT_ID`` to ``None`` here to use the embedded emulator
        even when the environment has credentials.
    """
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_hex(32),
        SESSION_COOKIE_SAMESITE="Lax",
        # A developer demo: error pages show the diagnosis and the fix.
        OAUTH_RECOVER_SHOW_DETAILS=True,
        OAUTH_RECOVER_TIMEOUT=3.0,
        GITHUB_CLIENT_ID=os.environ.get("GITHUB_CLIENT_ID"),
        GITHUB_CLIENT_SECRET=os.environ.get("GITHUB_CLIENT_SECRET"),
        **GITHUB_ENDPOINTS,
    )
    app.config.update(config or {})
    embedded = None
    if not (app.config["GITHUB_CLIENT_ID"] and app.config["GITHUB_CLIENT_SECRET"]):
        embedded = EmbeddedGitHub(int(app.config.get("DEMO_PROVIDER_PORT", 0)))

    # Endpoints and credentials come from the GITHUB_* config keys, read when
    # the client is first used: by then the emulator, if any, is running.
    oauth = OAuth()
    oauth.register("github", client_kwargs={"scope": GITHUB_SCOPE})
    oauth.init_app(app)
    recover = OAuthRecover(app, oauth=oauth)
    breakit.init_app(app, oauth, embedded)

    @authorization_restarted.connect_via(app, weak=False)
    def remember_restart(sender: Flask, outcome: Outcome, **extra: Any) -> None:
        # Shown on the account page: the restarts a visitor never noticed.
        error = outcome.failure.error if outcome.failure else "restart"
        session["restarts"] = [*session.get("restarts", []), error]

    @app.get("/")
    def home() -> str:
        return render_template("demo/home.html", **_page_context())

    @app.get("/login")
    def login() -> Response:
        session["next"] = _safe_next(request.args.get("next"))
        session.pop("restarts", None)
        callback_url = url_for("callback", _external=True)
        return github.authorize_redirect(breakit.redirect_uri(callback_url))  # type: ignore[no-any-return]

    @app.get("/callback")
    @recover.callback(github)
    def callback() -> Response:
        token = github.authorize_access_token()
        profile = github.get("user", token=token).json()
        session["user"] = {"login": profile["login"], "name": profile.get("name")}
        destination = session.pop("next", DEFAULT_NEXT)
        session["landed_via_next"] = destination
        return redirect(destination)

    @app.get("/account")
    def account() -> str | Response:
        if "user" not in session:
            return redirect(url_for("login", next=request.full_path.rstrip("?")))
        return render_template("demo/account.html", **_page_context())

    @app.post("/logout")
    def logout() -> Response:
        session.clear()
        return redirect(url_for("home"))

    _announce(app)
    return app


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


def _announce(app: Flask) -> None:
    """Print where to open the demo when ``flask run`` is serving it."""
    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.info_name != "run":
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
    provider = (
        "GitHub emulator in this process (no credentials needed)"
        if app.extensions[breakit.EXTENSION_KEY].embedded is not None
        else "github.com (GITHUB_CLIENT_ID is set)"
    )
    lines = [
        "flask-oauth-recover demo",
        "",
        f"  Open  http://localhost:{port}/",
        f"  Provider: {provider}",
        "  Sign in, then break it: each button arms one failure.",
    ]
    width = max(len(line) for line in lines) + 4
    rule = "+" + "-" * width + "+"
    box = [rule, *(f"|  {line.ljust(width - 2)}|" for line in lines), rule]
    click.echo("\n".join(["", *box, ""]), file=sys.stderr)
