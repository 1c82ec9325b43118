"""The provider's "Authorize" page, in front of an emulator.

The provider emulator grants every authorization at once, by redirect. Real
providers first show a page where the person presses Authorize (Continue,
Accept) or Cancel, and that click matters to browsers: the way back to the
app then starts on the provider's site, so a ``SameSite=Strict`` session
cookie is left out. This screen restores that step, on ``127.0.0.1`` like
the emulator, at the provider's own authorization path, and behaves like
the provider: it asks once per browser, then lets later authorizations
through without a page, unless the demo asks for it again.

Whatever it does not show a page for, it hands to the emulator in the same
process, unchanged: an authorization the provider refuses (an unregistered
redirect URI gets the provider's own error page, as it would before any
consent page), and every authorization after the first "yes".
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from urllib.parse import urlsplit

from flask import Flask
from flask import abort
from flask import render_template
from flask import request
from werkzeug.serving import BaseWSGIServer
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response

from flask_oauth_recover.testing import ProviderEmulator

#: The cookie, on the provider's site, that remembers this browser said yes;
#: the profile's name follows, since every provider shares ``127.0.0.1``.
GRANT_COOKIE = "demo_grant"


@dataclass(frozen=True)
class Brand:
    """How a provider's authorization page looks in the demo.

    :param header: the page's header colour.
    :param accent: its main button's colour.
    :param mark: one or two characters for its logo.
    :param heading: the page's question, with ``{app}`` for the app's name.
    :param approve: the approving button's label, with ``{login}``.
    """

    header: str
    accent: str
    mark: str
    heading: str
    approve: str


#: GitHub's "Authorize application" page.
GITHUB_BRAND = Brand("#1f2328", "#1f883d", "G", "Authorize {app}", "Authorize {login}")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class ConsentScreen:
    """The authorization page, served on its own loopback port.

    :param emulator: the provider emulator that issues the codes; it must
        be started before this screen is.
    :param title: the provider's name, as the page shows it.
    :param brand: the page's look.
    :param app_name: the OAuth app's name, as the page shows it.
    """

    def __init__(
        self,
        emulator: ProviderEmulator,
        title: str = "GitHub",
        brand: Brand = GITHUB_BRAND,
        app_name: str = "flask-oauth-recover demo",
    ) -> None:
        self.emulator = emulator
        self.title = title
        self.brand = brand
        self.app_name = app_name
        self._required: str | None = None
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.wsgi = Flask(__name__.rpartition(".")[0])
        self.wsgi.add_url_rule("/<path:path>", "ask", self._ask, methods=["GET"])
        self.wsgi.add_url_rule("/<path:path>", "decide", self._decide, methods=["POST"])

    @property
    def path(self) -> str:
        """The provider's authorization path, which this page serves."""
        return urlsplit(self.emulator.authorize_url).path

    @property
    def authorize_url(self) -> str:
        """Where the app sends the browser to authorize: this page."""
        if self._server is None:
            raise RuntimeError("the consent screen is not running")
        return f"http://127.0.0.1:{self._server.port}{self.path}"

    @property
    def grant_cookie(self) -> str:
        """The name of the cookie that remembers a "yes" for this provider."""
        return f"{GRANT_COOKIE}_{self.emulator.profile}"

    def start(self) -> None:
        """Serve on a free port of ``127.0.0.1``, in a daemon thread."""
        server = make_server(
            "127.0.0.1", 0, self.wsgi, threaded=True, request_handler=_QuietHandler
        )
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"ConsentScreen-{self.emulator.profile}",
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

    def _ask(self, path: str) -> Response | str:
        if f"/{path}" != self.path:
            abort(404)
        query = request.query_string.decode()
        params = dict(parse_qsl(query))
        if not self._would_grant(params):
            # The provider refuses before it asks anything.
            return self._emulator_answer(query)
        with self._lock:
            hint, self._required = self._required, None
        if hint is None and request.cookies.get(self.grant_cookie) == "yes":
            return self._emulator_answer(query)
        return render_template(
            "demo/consent.html",
            app_name=self.app_name,
            title=self.title,
            brand=self.brand,
            heading=self.brand.heading.format(app=self.app_name),
            approve=self.brand.approve.format(login=self.emulator.login),
            account=self._account(),
            scope=params.get("scope", ""),
            redirect_uri=params.get("redirect_uri", ""),
            query=query,
            hint=hint,
        )

    def _decide(self, path: str) -> Response:
        if f"/{path}" != self.path:
            abort(404)
        # Only the parameters of an authorization request go on.
        query = urlencode(parse_qsl(request.form.get("query", "")))
        if request.form.get("decision") == "authorize":
            response = self._emulator_answer(query)
            response.set_cookie(self.grant_cookie, "yes", httponly=True, samesite="Lax")
            return response
        # The provider sends the browser back with error=access_denied.
        self.emulator.deny_next_authorizations("access_denied")
        return self._emulator_answer(query)

    def _would_grant(self, params: Mapping[str, str]) -> bool:
        """Whether the emulator would send the browser back to the app
        (with a code, or with ``error=`` for a cancel) rather than refuse."""
        emulator = self.emulator
        if params.get("client_id") != emulator.client_id:
            return False
        sent = params.get("redirect_uri")
        if not sent:
            return not emulator.dialect.redirect_uri_required
        registered = emulator.callback_url
        return registered is None or emulator.dialect.redirect_uri_matches(
            sent, registered
        )

    def _emulator_answer(self, query: str) -> Response:
        """The emulator's own answer to the authorization request."""
        environ = EnvironBuilder(
            path=self.path, query_string=query, base_url=self.emulator.base_url
        ).get_environ()
        return Response.from_app(self.emulator.wsgi_app, environ)

    def _account(self) -> str:
        login = self.emulator.login
        # GitHub and GitLab show the handle; the others an address.
        if self.emulator.profile in ("github", "gitlab"):
            return login
        return f"{login}@example.com"
