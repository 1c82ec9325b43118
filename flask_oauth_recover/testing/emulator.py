"""The provider emulator: GitHub's OAuth endpoints over loopback HTTP.

:class:`ProviderEmulator` serves GitHub's OAuth endpoints (authorize, access
token) and the REST API calls apps make after signing in (``/user``,
``/user/emails``) over real loopback HTTP on ``127.0.0.1``, answering in
GitHub's wire format (:mod:`~flask_oauth_recover.testing.github`), including
its quirks: token errors come back as HTTP 200 with an ``error`` field, and
the token endpoint answers form-encoded unless the client asks for JSON.
Faults (denied authorizations, rejected codes, gateway failures, slow
responses) can be injected from Python or, for other processes, over HTTP at
``POST /_emulator/faults``.

The control endpoint has no authentication: only ever use the emulator in
tests and local demos.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar
from urllib.parse import urlencode
from urllib.parse import urljoin
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import requests
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map
from werkzeug.routing import Rule
from werkzeug.serving import BaseWSGIServer
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

from . import github
from .github import CODE_LIFETIME
from .github import DEFAULT_CLIENT_ID
from .github import DEFAULT_CLIENT_SECRET
from .stand_in import Endpoints
from .stand_in import StandIn

if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import TracebackType

    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIEnvironment
    from flask import Flask
    from flask.testing import FlaskClient
    from werkzeug.test import TestResponse

__all__ = ["ProviderEmulator"]

#: Where the emulator describes itself (RFC 8414), for clients that find
#: their endpoints through a ``server_metadata_url``.
METADATA_PATH = "/.well-known/oauth-authorization-server"

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# The id that ``/user`` reports; GitHub's first user had it too.
_USER_ID = 1


@dataclass(frozen=True)
class _IssuedCode:
    client_id: str
    redirect_uri: str | None
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None
    issued_at: float


@dataclass(kw_only=True)
class _Fault:
    remaining: int


@dataclass(kw_only=True)
class _Denial(_Fault):
    error: str
    description: str
    uri: str


@dataclass(kw_only=True)
class _CannedResponse(_Fault):
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str]


@dataclass(kw_only=True)
class _Hang(_Fault):
    seconds: float


_F = TypeVar("_F", bound=_Fault)


class _QuietRequestHandler(WSGIRequestHandler):
    # Access logs from the emulator would drown the output of failing tests.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class ProviderEmulator:
    """A GitHub OAuth App provider served over loopback HTTP.

    :param client_id: The client ID of the one registered OAuth App.
    :param client_secret: Its client secret. A plain attribute: assign a new
        value to simulate a rotated secret.
    :param callback_url: The registered callback URL. ``None`` accepts any
        ``redirect_uri``. May be changed later through the attribute.
    :param login: The ``login`` that ``/user`` reports.
    :param profile: Fields of the ``/user`` body that replace or extend the
        defaults, e.g. ``{"email": None}`` for a user who keeps the address
        private. Also an attribute.
    :param clock: Returns the current time in seconds; code expiry is measured
        with it, shifted by :meth:`advance_clock`.
    """

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        callback_url: str | None = None,
        login: str = "octocat",
        profile: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.callback_url = callback_url
        self.login = login
        self.profile: dict[str, Any] = dict(profile or {})
        #: Form fields of every token request received, ``client_secret``
        #: replaced by ``"<redacted>"``.
        self.token_requests: list[dict[str, str]] = []
        #: Query arguments of every authorize request received.
        self.authorize_requests: list[dict[str, str]] = []
        self._clock = clock
        self._clock_offset = 0.0
        self._lock = threading.Lock()
        self._recorded = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._codes: dict[str, _IssuedCode] = {}
        self._tokens: dict[str, str] = {}
        self._rejections = 0
        self._denials: list[_Denial] = []
        self._failures: list[_CannedResponse] = []
        self._hangs: list[_Hang] = []
        self._stand_ins: list[StandIn] = []
        # The API answers at the root, as api.github.com does, and under
        # /api/, where api_base_url (and client_kwargs()) point.
        api_rules = [
            Rule(f"{prefix}{path}", endpoint=endpoint, methods=["GET"])
            for prefix in ("/", "/api/")
            for path, endpoint in (("user", "user"), ("user/emails", "emails"))
        ]
        self._url_map = Map(
            [
                Rule(github.AUTHORIZE_PATH, endpoint="authorize", methods=["GET"]),
                Rule(github.TOKEN_PATH, endpoint="token", methods=["POST"]),
                *api_rules,
                Rule(METADATA_PATH, endpoint="metadata", methods=["GET"]),
                Rule("/_emulator/faults", endpoint="faults", methods=["POST"]),
                Rule("/_emulator/health", endpoint="health", methods=["GET"]),
            ]
        )
        self._views: dict[str, Callable[[Request], Response]] = {
            "authorize": self._authorize,
            "token": self._token,
            "user": self._user,
            "emails": self._emails,
            "metadata": self._metadata,
            "faults": self._faults,
            "health": self._health,
        }

    def __repr__(self) -> str:
        where = self.base_url if self._server is not None else "stopped"
        return f"<ProviderEmulator {where}>"

    # -- lifecycle ---------------------------------------------------------

    def start(self, port: int = 0) -> ProviderEmulator:
        """Serve on ``127.0.0.1`` in a daemon thread.

        :param port: The port to bind; ``0`` lets the OS choose a free one.
        :return: The emulator itself, for chaining.
        :raises RuntimeError: If it is already running.
        """
        if self._server is not None:
            raise RuntimeError("the provider emulator is already running")
        self._stopping.clear()
        server = make_server(
            "127.0.0.1",
            port,
            self.wsgi_app,
            threaded=True,
            request_handler=_QuietRequestHandler,
        )
        # A short poll interval keeps stop() fast; the default makes every
        # fixture teardown wait up to half a second.
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"ProviderEmulator-{server.port}",
            daemon=True,
        )
        self._server = server
        self._thread = thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, and restore every client still pointed here by
        :meth:`stand_in_for`. Returns promptly even while a request is held by
        :meth:`hang_next_token_requests`; that request is then answered
        normally. Does nothing if the emulator is not running.
        """
        for stand_in in reversed(list(self._stand_ins)):
            stand_in.restore()
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping.set()
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        self._server = None
        self._thread = None

    def __enter__(self) -> ProviderEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running emulator.

        :raises RuntimeError: If the emulator is not running.
        """
        if self._server is None:
            raise RuntimeError("the provider emulator is not running; call start()")
        return f"http://127.0.0.1:{self._server.port}"

    @property
    def authorize_url(self) -> str:
        """The authorization endpoint, GitHub's ``/login/oauth/authorize``."""
        return f"{self.base_url}{github.AUTHORIZE_PATH}"

    @property
    def token_url(self) -> str:
        """The token endpoint, GitHub's ``/login/oauth/access_token``."""
        return f"{self.base_url}{github.TOKEN_PATH}"

    @property
    def api_base_url(self) -> str:
        """The REST API base, ending in a slash, so ``"user"`` resolves to
        ``/api/user``. The API also answers at the root, as api.github.com
        does."""
        return f"{self.base_url}/api/"

    @property
    def server_metadata_url(self) -> str:
        """The emulator's authorization server metadata (RFC 8414), for
        clients that find their endpoints through a ``server_metadata_url``."""
        return f"{self.base_url}{METADATA_PATH}"

    # -- client registration -----------------------------------------------

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for Authlib's ``oauth.register(name, **kwargs)``.

        :return: ``client_id``, ``client_secret``, the endpoint URLs and
            ``client_kwargs`` requesting the ``read:user`` scope.
        """
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "authorize_url": self.authorize_url,
            "access_token_url": self.token_url,
            "api_base_url": self.api_base_url,
            "client_kwargs": {"scope": "read:user"},
        }

    def register(self, oauth: Any, name: str = "github", **overrides: Any) -> Any:
        """Register the emulator as a client of an Authlib ``OAuth`` registry.

        :param oauth: An ``authlib.integrations.flask_client.OAuth`` instance.
        :param name: The client name, reachable afterwards as ``oauth.<name>``.
        :param overrides: Replace or add keys of :meth:`client_kwargs`.
        :return: The registered Authlib client.
        """
        return oauth.register(name, **{**self.client_kwargs(), **overrides})

    def stand_in_for(self, app: Flask, name: str = "github") -> StandIn:
        """Point an app's already registered Authlib client at this emulator,
        for that app only, leaving the app's code as it is.

        However the app registered the client (literal github.com URLs in
        ``oauth.register()``, ``GITHUB_*`` configuration keys, a
        ``server_metadata_url``; ``OAuth(app)`` or ``init_app`` in a
        factory), its credentials become :attr:`client_id` and
        :attr:`client_secret`, its endpoints the emulator's, and API calls
        through the client (``oauth.github.get("user")``, ``get("/user")``,
        ``get("https://api.github.com/user")``) reach the emulator's API.

        Use the result as a context manager to restore the client on exit;
        otherwise the client is restored when the emulator stops::

            with provider.stand_in_for(app, "github"):
                response, visited = provider.follow(client, client.get("/login"))

        :param app: The Flask app, with Authlib's ``OAuth`` initialized on it.
        :param name: The client's name in the app's Authlib registry.
        :return: The applied stand-in; :meth:`StandIn.restore` undoes it.
        :raises RuntimeError: If the emulator is not running, or the app has
            no Authlib ``OAuth`` registry.
        :raises LookupError: If no client is registered as ``name``.
        :raises ValueError: If the client is an OAuth 1 client.
        """
        base = self.base_url
        endpoints = Endpoints(
            client_id=self.client_id,
            client_secret=self.client_secret,
            authorize_url=self.authorize_url,
            access_token_url=self.token_url,
            api_base_url=f"{base}/",
            server_metadata_url=self.server_metadata_url,
            server_metadata=self._server_metadata(f"{base}/"),
            api_routes={github.API_ORIGIN: f"{base}/"},
        )
        stand_in = StandIn(app, name, endpoints, on_restore=self._stand_ins.remove)
        self._stand_ins.append(stand_in)
        return stand_in

    # -- faults --------------------------------------------------------------

    def reject_next_codes(self, n: int = 1) -> None:
        """Answer ``bad_verification_code`` to the next ``n`` token requests
        with correct client credentials, even for a good code. The code is
        consumed all the same.

        :param n: How many token requests to reject.
        """
        _check_count(n)
        with self._lock:
            self._rejections += n

    def deny_next_authorizations(
        self,
        error: str = "access_denied",
        n: int = 1,
        description: str | None = None,
        uri: str | None = None,
    ) -> None:
        """Redirect the next ``n`` valid authorization requests back with
        ``?error=`` instead of a code, as when the user clicks "Cancel".

        :param error: The ``error`` code, e.g. ``access_denied``,
            ``application_suspended`` or ``server_error``.
        :param n: How many authorization requests to deny.
        :param description: The ``error_description``; GitHub's text for known
            errors when omitted.
        :param uri: The ``error_uri``; GitHub's troubleshooting page when
            omitted.
        """
        _check_count(n)
        if not isinstance(error, str) or not error:
            raise ValueError("error must be a non-empty string")
        known_description, known_uri = github.authorize_error(error)
        denial = _Denial(
            remaining=n,
            error=error,
            description=known_description if description is None else description,
            uri=known_uri if uri is None else uri,
        )
        with self._lock:
            self._denials.append(denial)

    def fail_next_token_requests(
        self,
        status: int,
        body: str | bytes,
        content_type: str = "text/html",
        n: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``n`` token requests with exactly this response,
        as a failing gateway in front of GitHub would. The request never
        reaches the code check, so its code stays valid for a retry.

        :param status: The HTTP status code.
        :param body: The body; text is sent as UTF-8.
        :param content_type: The ``Content-Type`` header, sent verbatim.
        :param n: How many token requests to fail.
        :param headers: Extra response headers, e.g. ``Retry-After``.
        """
        _check_count(n)
        if isinstance(status, bool) or not isinstance(status, int):
            raise ValueError("status must be an integer")
        if not 100 <= status <= 599:
            raise ValueError("status must be between 100 and 599")
        canned = _CannedResponse(
            remaining=n,
            status=status,
            body=body.encode() if isinstance(body, str) else bytes(body),
            content_type=content_type,
            headers=dict(headers or {}),
        )
        with self._lock:
            self._failures.append(canned)

    def hang_next_token_requests(self, seconds: float, n: int = 1) -> None:
        """Hold each of the next ``n`` token requests for ``seconds`` before
        answering it normally. :meth:`stop` releases held requests at once.

        :param seconds: How long to hold each request.
        :param n: How many token requests to hold.
        """
        _check_count(n)
        _check_seconds(seconds)
        with self._lock:
            self._hangs.append(_Hang(remaining=n, seconds=float(seconds)))

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's notion of now forward, e.g. past
        :data:`CODE_LIFETIME` to expire issued codes without sleeping.

        :param seconds: How far to move, zero or more.
        """
        _check_seconds(seconds)
        with self._lock:
            self._clock_offset += seconds

    def reset(self) -> None:
        """Forget faults, the clock offset, issued codes and tokens, and the
        recorded requests. The client registration is kept.
        """
        with self._lock:
            self._clock_offset = 0.0
            self._codes.clear()
            self._tokens.clear()
            self._rejections = 0
            self._denials.clear()
            self._failures.clear()
            self._hangs.clear()
            self.token_requests.clear()
            self.authorize_requests.clear()

    def wait_for_token_requests(self, count: int = 1, timeout: float = 5.0) -> bool:
        """Block until at least ``count`` token requests have been received.

        Useful when the request comes from another thread or process, e.g.
        to know that a request is now held by :meth:`hang_next_token_requests`.

        :param count: The number of recorded token requests to wait for.
        :param timeout: The most seconds to wait.
        :return: Whether that many requests arrived in time.
        """
        with self._recorded:
            return self._recorded.wait_for(
                lambda: len(self.token_requests) >= count, timeout
            )

    # -- driving a Flask test client ---------------------------------------

    def follow(
        self,
        client: FlaskClient,
        response: TestResponse,
        *,
        max_hops: int = 10,
    ) -> tuple[TestResponse, list[str]]:
        """Follow a login's redirects between a Flask app and this emulator.

        Locations on the app (relative, or on the host the test client used)
        are fetched with ``client.get``; locations on this emulator are
        fetched over real HTTP without following redirects, and their
        ``Location`` is followed in turn. Following stops at the first app
        response that is not a redirect.

        :param client: The Flask test client that made ``response``.
        :param response: An app response, typically from ``client.get("/login")``.
        :param max_hops: The most URLs to fetch before calling it a loop.
        :return: The last app response and every URL fetched, in order (app
            URLs made absolute).
        :raises AssertionError: On a redirect loop; when the emulator answers
            without redirecting back to the app; when a redirect leaves for
            another host, such as the real github.com (the message names it).
        """
        visited: list[str] = []
        current = response
        app_url = current.request.url
        app_hosts = {"localhost", urlsplit(app_url).hostname or ""}
        server_name = client.application.config.get("SERVER_NAME")
        if server_name:
            app_hosts.add(str(server_name).split(":")[0].lower())

        location = _redirect_location(
            current.status_code, current.headers.get("Location")
        )
        from_provider = False
        while location is not None:
            if len(visited) >= max_hops:
                raise AssertionError(
                    f"redirect loop: more than {max_hops} hops, visited {visited}"
                )
            if self._is_own_url(location):
                visited.append(location)
                answer = requests.get(location, allow_redirects=False, timeout=10)
                location = _redirect_location(
                    answer.status_code, answer.headers.get("Location")
                )
                if location is None:
                    raise AssertionError(
                        f"the provider emulator answered {answer.status_code} to "
                        f"{visited[-1]} instead of redirecting: {answer.text[:500]!r}"
                    )
                from_provider = True
                continue
            target = urljoin(app_url, location)
            if (urlsplit(target).hostname or "") not in app_hosts:
                host = urlsplit(target).netloc or target
                if from_provider:
                    raise AssertionError(
                        f"the provider emulator redirected to {location}, on "
                        f"{host}, which is not the app; check callback_url"
                    )
                emulator = self.base_url if self._server is not None else "stopped"
                raise AssertionError(
                    f"the app redirected to {host}, which is neither the app nor "
                    f"the provider emulator ({emulator}): {location}. Is its "
                    "OAuth client pointed at the emulator? See stand_in_for()."
                )
            visited.append(target)
            current = client.get(target)
            app_url = target
            from_provider = False
            location = _redirect_location(
                current.status_code, current.headers.get("Location")
            )
        return current, visited

    def _is_own_url(self, url: str) -> bool:
        if self._server is None:
            return False
        base = self.base_url
        return url == base or url.startswith((f"{base}/", f"{base}?"))

    # -- WSGI ----------------------------------------------------------------

    def wsgi_app(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """The emulator as a WSGI application, e.g. to mount it elsewhere.

        :param environ: The WSGI environment.
        :param start_response: The WSGI ``start_response`` callable.
        :return: The response body.
        """
        request = Request(environ)
        try:
            endpoint, _ = self._url_map.bind_to_environ(environ).match()
            response = self._views[str(endpoint)](request)
        except HTTPException as exc:
            return exc(environ, start_response)
        return response(environ, start_response)

    def _now(self) -> float:
        return self._clock() + self._clock_offset

    def _take(self, queue: list[_F]) -> _F | None:
        with self._lock:
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.pop(0)
            return fault

    def _authorize(self, request: Request) -> Response:
        params = request.args.to_dict()
        with self._recorded:
            self.authorize_requests.append(dict(params))
            self._recorded.notify_all()
        client_id = params.get("client_id")
        if client_id is None or client_id != self.client_id:
            return Response("Not Found", status=404, mimetype="text/plain")

        state = params.get("state")
        registered = self.callback_url
        sent_redirect = params.get("redirect_uri") or None
        if sent_redirect is None:
            if registered is None:
                return Response(
                    "redirect_uri is required: the emulator has no callback_url",
                    status=400,
                    mimetype="text/plain",
                )
            target = registered
        elif registered is not None and not github.redirect_uri_matches(
            sent_redirect, registered
        ):
            description, uri = github.authorize_error("redirect_uri_mismatch")
            return _redirect(
                registered,
                error="redirect_uri_mismatch",
                error_description=description,
                error_uri=uri,
                state=state,
            )
        else:
            target = sent_redirect

        denial = self._take(self._denials)
        if denial is not None:
            return _redirect(
                target,
                error=denial.error,
                error_description=denial.description,
                error_uri=denial.uri,
                state=state,
            )

        code = github.new_code()
        issued = _IssuedCode(
            client_id=client_id,
            redirect_uri=sent_redirect,
            scope=github.normalize_scope(params.get("scope", "")),
            code_challenge=params.get("code_challenge") or None,
            code_challenge_method=params.get("code_challenge_method") or None,
            issued_at=self._now(),
        )
        with self._lock:
            self._codes[code] = issued
        return _redirect(target, code=code, state=state)

    def _token(self, request: Request) -> Response:
        form = request.form.to_dict()
        recorded = dict(form)
        if "client_secret" in recorded:
            recorded["client_secret"] = "<redacted>"
        with self._recorded:
            self.token_requests.append(recorded)
            self._recorded.notify_all()

        hang = self._take(self._hangs)
        if hang is not None:
            self._stopping.wait(timeout=hang.seconds)
        canned = self._take(self._failures)
        if canned is not None:
            response = Response(
                canned.body, status=canned.status, content_type=canned.content_type
            )
            for key, value in canned.headers.items():
                response.headers[key] = value
            return response

        as_json = github.accepts_json(request)
        client_id, client_secret = _client_credentials(request, form)
        if not (
            client_id == self.client_id
            and client_secret is not None
            and secrets.compare_digest(
                client_secret.encode(), self.client_secret.encode()
            )
        ):
            return github.token_error("incorrect_client_credentials", as_json)

        with self._lock:
            issued = self._codes.pop(form.get("code", ""), None)
            rejected = self._rejections > 0
            if rejected:
                self._rejections -= 1
        if (
            issued is None
            or rejected
            or self._now() - issued.issued_at > CODE_LIFETIME
            or issued.client_id != client_id
            or not github.pkce_satisfied(
                issued.code_challenge,
                issued.code_challenge_method,
                form.get("code_verifier"),
            )
        ):
            return github.token_error("bad_verification_code", as_json)

        sent_redirect = form.get("redirect_uri")
        if sent_redirect:
            if issued.redirect_uri is not None:
                redirect_ok = sent_redirect == issued.redirect_uri
            elif self.callback_url is not None:
                redirect_ok = github.redirect_uri_matches(
                    sent_redirect, self.callback_url
                )
            else:
                redirect_ok = True
            if not redirect_ok:
                return github.token_error("redirect_uri_mismatch", as_json)

        token = github.new_access_token()
        with self._lock:
            self._tokens[token] = issued.scope
        return github.token_payload(
            {"access_token": token, "token_type": "bearer", "scope": issued.scope},
            as_json,
        )

    def _granted_scope(self, request: Request) -> str | None:
        """The scopes of the request's bearer token, or ``None`` if it has
        no token the emulator issued."""
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() not in {"bearer", "token"}:
            return None
        with self._lock:
            return self._tokens.get(credential.strip())

    def _user_profile(self, request: Request) -> dict[str, Any]:
        return github.user_profile(self.login, _USER_ID, request.host_url, self.profile)

    def _user(self, request: Request) -> Response:
        granted = self._granted_scope(request)
        if granted is None:
            return github.bad_credentials()
        response = github.json_response(self._user_profile(request))
        response.headers["X-OAuth-Scopes"] = github.scopes_header(granted)
        return response

    def _emails(self, request: Request) -> Response:
        granted = self._granted_scope(request)
        if granted is None:
            return github.bad_credentials()
        if not github.EMAIL_SCOPES & set(granted.split(",")):
            return github.emails_not_found(granted)
        emails = github.user_emails(self._user_profile(request), self.login)
        response = github.json_response(emails)
        response.headers["X-OAuth-Scopes"] = github.scopes_header(granted)
        return response

    def _metadata(self, request: Request) -> Response:
        return github.json_response(self._server_metadata(request.host_url))

    def _server_metadata(self, site: str) -> dict[str, Any]:
        """The emulator's RFC 8414 metadata, its addresses on ``site`` (which
        ends in a slash)."""
        root = site.rstrip("/")
        return {
            "issuer": root,
            "authorization_endpoint": f"{root}{github.AUTHORIZE_PATH}",
            "token_endpoint": f"{root}{github.TOKEN_PATH}",
            "userinfo_endpoint": f"{root}/user",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "client_secret_basic",
            ],
        }

    def _faults(self, request: Request) -> Response:
        payload = request.get_json(force=True, silent=True)
        if not isinstance(payload, dict):
            return _bad_request("expected a JSON object")
        try:
            self._apply_fault(payload)
        except ValueError as exc:
            return _bad_request(str(exc))
        return Response(status=204)

    def _health(self, request: Request) -> Response:
        return Response("ok", mimetype="text/plain")

    def _apply_fault(self, payload: Mapping[str, Any]) -> None:
        spec = dict(payload)
        name = spec.pop("fault", None)
        if not isinstance(name, str) or name not in _FAULT_PARAMS:
            raise ValueError(f"fault must be one of {sorted(_FAULT_PARAMS)}")
        params = _FAULT_PARAMS[name]
        unknown = set(spec) - set(params)
        if unknown:
            raise ValueError(f"unknown parameters for {name}: {sorted(unknown)}")
        for key, (kinds, required) in params.items():
            if key not in spec:
                if required:
                    raise ValueError(f"{name} needs {key}")
                continue
            value = spec[key]
            if isinstance(value, bool) or not isinstance(value, kinds):
                raise ValueError(f"{key} has the wrong type")
        headers = spec.get("headers")
        if headers is not None and not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise ValueError("headers must map strings to strings")
        actions: dict[str, Callable[..., None]] = {
            "reject_codes": self.reject_next_codes,
            "deny": self.deny_next_authorizations,
            "fail_token": self.fail_next_token_requests,
            "hang_token": self.hang_next_token_requests,
            "advance_clock": self.advance_clock,
            "reset": self.reset,
        }
        actions[name](**spec)


# For each control-endpoint fault: parameter -> (accepted JSON types, required).
_FAULT_PARAMS: dict[str, dict[str, tuple[tuple[type, ...], bool]]] = {
    "reject_codes": {"n": ((int,), False)},
    "deny": {
        "error": ((str,), False),
        "n": ((int,), False),
        "description": ((str, type(None)), False),
        "uri": ((str, type(None)), False),
    },
    "fail_token": {
        "status": ((int,), True),
        "body": ((str,), True),
        "content_type": ((str,), False),
        "n": ((int,), False),
        "headers": ((dict, type(None)), False),
    },
    "hang_token": {"seconds": ((int, float), True), "n": ((int,), False)},
    "advance_clock": {"seconds": ((int, float), True)},
    "reset": {},
}


def _check_count(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError("n must be a positive integer")


def _check_seconds(seconds: float) -> None:
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not math.isfinite(seconds)
        or seconds < 0
    ):
        raise ValueError("seconds must be a finite number, zero or more")


def _redirect(url: str, **params: str | None) -> Response:
    added = urlencode(
        [(key, value) for key, value in params.items() if value is not None]
    )
    parts = urlsplit(url)
    query = f"{parts.query}&{added}" if parts.query else added
    location = urlunsplit(parts._replace(query=query))
    return Response(status=302, headers={"Location": location})


def _client_credentials(
    request: Request, form: Mapping[str, str]
) -> tuple[str | None, str | None]:
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        return auth.username, auth.password
    return form.get("client_id"), form.get("client_secret")


def _bad_request(message: str) -> Response:
    return Response(message, status=400, mimetype="text/plain")


def _redirect_location(status: int, location: str | None) -> str | None:
    if status not in _REDIRECT_STATUSES:
        return None
    return location or None
