"""GitHub's "Authorize application" screen, in front of the emulator.

The provider emulator grants every authorization at once, by redirect. Real
GitHub first shows a page where the person presses Authorize or Cancel, and
that click matters to browsers: the way back to the app then starts on the
provider's site, so a ``SameSite=Strict`` session cookie is left out. This
screen restores that step, on ``127.0.0.1`` like the emulator, and behaves
like GitHub: it asks once per browser, then lets later authorizations
through without a page, unless the demo asks for it again.
"""

from __future__ import annotations

import threading
from urllib.parse import parse_qsl
from urllib.parse import urlencode

from flask import Flask
from flask import redirect
from flask import render_template
from flask import request
from werkzeug.serving import BaseWSGIServer
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from flask_oauth_recover.testing import ProviderEmulator

#: The cookie, on the provider's site, that remembers this browser said yes.
GRANT_COOKIE = "demo_grant"
AUTHORIZE_PATH = "/login/oauth/authorize"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class ConsentScreen:
    """The authorization page, served on its own loopback port.

    :param emulator: the provider emulator that issues the codes.
    :param app_name: the OAuth app's name, as the page shows it.
    """

    def __init__(
        self, emulator: ProviderEmulator, app_name: str = "flask-oauth-recover demo"
    ) -> None:
        self.emulator = emulator
        self.app_name = app_name
        self._required: str | None = None
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.wsgi = Flask(__name__.rpartition(".")[0])
        self.wsgi.add_url_rule(AUTHORIZE_PATH, "ask", self._ask, methods=["GET"])
        self.wsgi.add_url_rule(AUTHORIZE_PATH, "decide", self._decide, methods=["POST"])

    @property
    def authorize_url(self) -> str:
        """Where the app sends the browser to authorize: this page."""
        if self._server is None:
            raise RuntimeError("the consent screen is not running")
        return f"http://127.0.0.1:{self._server.port}{AUTHORIZE_PATH}"

    def start(self) -> None:
        """Serve on a free port of ``127.0.0.1``, in a daemon thread."""
        server = make_server(
            "127.0.0.1", 0, self.wsgi, threaded=True, request_handler=_QuietHandler
        )
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="ConsentScreen",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._server.server_close()
        self._server = self._thread = None

    def require_next(self, hint: str = "") -> None:
        """Show the page at the next authorization, even to a browser that
        has said yes before.

        :param hint: a line for the person, e.g. which button the demo is
            about.
        """
        with self._lock:
            self._required = hint

    def reset(self) -> None:
        """Forget a :meth:`require_next` not yet used."""
        with self._lock:
            self._required = None

    def _ask(self) -> Response | str:
        with self._lock:
            hint, self._required = self._required, None
        query = request.query_string.decode()
        if hint is None and request.cookies.get(GRANT_COOKIE) == "yes":
            return redirect(f"{self.emulator.authorize_url}?{query}")
        params = dict(parse_qsl(query))
        return render_template(
            "demo/consent.html",
            app_name=self.app_name,
            login=self.emulator.login,
            scope=params.get("scope", ""),
            redirect_uri=params.get("redirect_uri", ""),
            query=query,
            hint=hint,
        )

    def _decide(self) -> Response:
        query = request.form.get("query", "")
        # Only the parameters of an authorization request go on to GitHub.
        forwarded = urlencode(parse_qsl(query))
        response = redirect(f"{self.emulator.authorize_url}?{forwarded}")
        if request.form.get("decision") == "authorize":
            response.set_cookie(GRANT_COOKIE, "yes", httponly=True, samesite="Lax")
        else:
            # GitHub sends the browser back with error=access_denied.
            self.emulator.deny_next_authorizations("access_denied")
        return response
