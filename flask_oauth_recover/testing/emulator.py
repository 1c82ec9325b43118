"""The provider emulator: an OAuth provider's endpoints over loopback HTTP.

:class:`ProviderEmulator` serves one provider's OAuth endpoints (authorize,
token), the documents OpenID Connect clients read (discovery, JWKS) and the
API calls apps make after signing in, over real loopback HTTP on
``127.0.0.1``. What happens is the same for every provider: codes are
issued, checked (client credentials, lifetime, single use, the
``redirect_uri``, PKCE) and turned into tokens. How it is said is the
profile's: a :class:`~flask_oauth_recover.testing.dialect.Dialect` from one
profile module (:mod:`~flask_oauth_recover.testing.github`, the default;
:mod:`~flask_oauth_recover.testing.google`,
:mod:`~flask_oauth_recover.testing.microsoft`,
:mod:`~flask_oauth_recover.testing.gitlab`,
:mod:`~flask_oauth_recover.testing.keycloak`) supplies the paths, statuses,
bodies and pages, and the JSON error for a path it does not serve. This
module names no provider.

Faults (denied authorizations, rejected codes, gateway failures, slow
responses, an expired client secret) can be injected from Python or, for
other processes, over HTTP at ``POST /_emulator/faults``; each works on
every profile.

The control endpoint has no authentication: only ever use the emulator in
tests and local demos.
"""

from __future__ import annotations

import base64
import hashlib
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
from urllib.parse import urljoin
from urllib.parse import urlsplit

import requests
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import NotFound
from werkzeug.routing import Map
from werkzeug.routing import Rule
from werkzeug.serving import BaseWSGIServer
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

from .dialect import Account
from .dialect import Addresses
from .dialect import AuthorizeAttempt
from .dialect import AuthorizeRefusal
from .dialect import Dialect
from .dialect import Grant
from .dialect import TokenAttempt
from .dialect import TokenFailure
from .dialect import read_form_post
from .profiles import dialect_for
from .stand_in import Endpoints
from .stand_in import StandIn
from .stand_in_dance import BlueprintStandIn
from .stand_in_dance import dance_blueprint
from .stand_in_frameworks import FrameworkStandIn
from .stand_in_frameworks import framework_client

if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import TracebackType

    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIEnvironment
    from flask import Flask
    from flask.testing import FlaskClient
    from werkzeug.test import TestResponse

__all__ = ["ProviderEmulator"]

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CONTROL_PATH = "/_emulator/faults"


@dataclass(frozen=True)
class _IssuedCode:
    client_id: str
    redirect_uri: str | None
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None
    issued_at: float
    params: Mapping[str, str]


@dataclass(kw_only=True)
class _Fault:
    remaining: int


@dataclass(kw_only=True)
class _Denial(_Fault):
    error: str
    description: str | None
    uri: str | None


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
    """An OAuth provider with one registered client, served over loopback
    HTTP in the wire format of a provider profile.

    :param profile: The provider: ``"github"`` (the default), ``"google"``,
        ``"microsoft"`` (Entra ID), ``"gitlab"`` or ``"keycloak"``, or a
        dialect made with other settings, such as
        ``MicrosoftDialect(tenant_id=...)``.
    :param client_id: The registered client's ID; the profile's
        (:attr:`Dialect.default_client_id
        <flask_oauth_recover.testing.dialect.Dialect.default_client_id>`)
        when omitted.
    :param client_secret: Its client secret; the profile's when omitted. A
        plain attribute: assign a new value to simulate a rotated secret.
    :param callback_url: The registered callback URL (for GitLab and
        Keycloak, several, whitespace-separated). ``None`` accepts any
        ``redirect_uri``. May be changed later through the attribute.
    :param login: The signed-in user's handle: GitHub's ``login``, GitLab's
        ``username``, Keycloak's ``preferred_username``; addresses and names
        derive from it on the other profiles.
    :param user: Fields of the user endpoint's body (GitHub's ``/user``,
        Google's userinfo, Graph's ``/v1.0/me``, GitLab's ``/api/v4/user``,
        Keycloak's userinfo) that replace or extend the defaults, e.g.
        ``{"email": None}`` for a GitHub user who keeps the address private.
        ID token claims follow them, and a claim's own name replaces it.
        ``None`` is ``null`` where the provider sends ``null`` (GitHub's,
        GitLab's and Graph's REST APIs) and leaves the field out where the
        provider leaves it out (userinfo, ID tokens): ``{"locale": None}``
        for a Google account without a locale. Also an attribute.
    :param client_secret_expired: Whether the secret has expired: the token
        endpoint then refuses it (Entra: AADSTS7000222). Also an attribute.
    :param clock: Returns the current time in seconds; code expiry is measured
        with it, shifted by :meth:`advance_clock`. ID tokens carry the real
        time, which the app checks them against.
    """

    def __init__(
        self,
        *,
        profile: str | Dialect = "github",
        client_id: str | None = None,
        client_secret: str | None = None,
        callback_url: str | None = None,
        login: str = "octocat",
        user: Mapping[str, Any] | None = None,
        client_secret_expired: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        #: The profile's dialect, which answers every request.
        self.dialect = dialect_for(profile)
        self.client_id = (
            self.dialect.default_client_id if client_id is None else client_id
        )
        self.client_secret = (
            self.dialect.default_client_secret
            if client_secret is None
            else client_secret
        )
        self.callback_url = callback_url
        self.login = login
        self.user: dict[str, Any] = dict(user or {})
        self.client_secret_expired = client_secret_expired
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
        self._redeemed: set[str] = set()
        self._tokens: dict[str, Grant] = {}
        self._rejections = 0
        self._denials: list[_Denial] = []
        self._failures: list[_CannedResponse] = []
        self._hangs: list[_Hang] = []
        self._stand_ins: list[StandIn | BlueprintStandIn] = []
        self._url_map = Map(
            [
                *self.dialect.rules(),
                Rule(_CONTROL_PATH, endpoint="faults", methods=["POST"]),
                Rule("/_emulator/health", endpoint="health", methods=["GET"]),
            ]
        )

    def __repr__(self) -> str:
        where = self.base_url if self._server is not None else "stopped"
        return f"<ProviderEmulator {self.profile} {where}>"

    @property
    def profile(self) -> str:
        """The provider profile's name, e.g. ``"github"``."""
        return self.dialect.name

    @property
    def code_lifetime(self) -> float:
        """Seconds an authorization code stays valid on this profile."""
        return self.dialect.code_lifetime

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
    def addresses(self) -> Addresses:
        """Every endpoint's URL on :attr:`base_url`.

        :raises RuntimeError: If the emulator is not running.
        """
        return self.dialect.addresses(self.base_url)

    @property
    def authorize_url(self) -> str:
        """The authorization endpoint, at the provider's path (GitHub's
        ``/login/oauth/authorize``, Google's ``/o/oauth2/v2/auth``...)."""
        return self.addresses.authorize_url

    @property
    def token_url(self) -> str:
        """The token endpoint, at the provider's path (GitHub's
        ``/login/oauth/access_token``, Google's ``/token``...)."""
        return self.addresses.token_url

    @property
    def api_base_url(self) -> str:
        """The API base given to Authlib, ending in a slash: GitHub's
        ``/api/`` (its API also answers at the root, as api.github.com
        does), Google's ``/v1/``, Graph's ``/v1.0/``, GitLab's
        ``/api/v4/``, Keycloak's ``.../protocol/openid-connect/``."""
        return self.addresses.api_base_url

    @property
    def server_metadata_url(self) -> str:
        """The OpenID Connect discovery document, or for GitHub, which has
        none, the emulator's authorization server metadata (RFC 8414): for
        clients that find their endpoints through a
        ``server_metadata_url``."""
        return self.addresses.server_metadata_url

    # -- client registration -----------------------------------------------

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for Authlib's ``oauth.register(name, **kwargs)``.

        :return: ``client_id``, ``client_secret`` and the profile's way in:
            GitHub's endpoint URLs with the ``read:user`` scope; for the
            OpenID Connect profiles, ``server_metadata_url`` with the
            ``openid email profile`` scope (GitLab adds ``read_user``), so
            that Authlib checks the ID token. ``api_base_url`` as well.
        """
        return self.dialect.client_kwargs(
            self.addresses, self.client_id, self.client_secret
        )

    def register(self, oauth: Any, name: str | None = None, **overrides: Any) -> Any:
        """Register the emulator as a client of an Authlib ``OAuth`` registry.

        :param oauth: An ``authlib.integrations.flask_client.OAuth`` instance.
        :param name: The client name, reachable afterwards as ``oauth.<name>``;
            the profile's name (``"github"``...) when omitted.
        :param overrides: Replace or add keys of :meth:`client_kwargs`.
        :return: The registered Authlib client.
        """
        name = self.profile if name is None else name
        return oauth.register(name, **{**self.client_kwargs(), **overrides})

    def stand_in_for(
        self, app: Flask, target: object = None
    ) -> StandIn | BlueprintStandIn:
        """Point an app's Authlib client, its Flask-Dance blueprint, or a
        provider of the framework that owns its login, at this emulator,
        leaving the app's code as it is.

        However the app registered an Authlib client (literal provider URLs
        in ``oauth.register()``, ``GITHUB_*`` configuration keys, a
        ``server_metadata_url``; ``OAuth(app)`` or ``init_app`` in a
        factory), its credentials become :attr:`client_id` and
        :attr:`client_secret`, its endpoints the emulator's, and API calls
        through the client reach the emulator's API: relative ones
        (``oauth.github.get("user")``) and absolute ones on the provider's
        API hosts (``https://api.github.com/``, Google's
        ``https://openidconnect.googleapis.com/`` and
        ``https://www.googleapis.com/``, ``https://graph.microsoft.com/``,
        ``https://gitlab.com/api/v4/``), or on the client's own
        ``api_base_url``.

        An app that registers the client lazily (in its login view, or in a
        ``before_request`` function that calls ``oauth.init_app(app)`` and
        ``oauth.register()``) gets a waiting stand-in (:attr:`StandIn.pending`)
        that applies as soon as the app registers or first uses the client.
        It waits through the registry's ``create_client``, or, when the app
        has no registry yet, through a ``before_request`` function of its
        own, which Flask accepts only before the app's first request. A
        waiting stand-in cannot tell a client registered later from a name
        never registered: :meth:`follow` raises ``LookupError``, naming the
        registered clients, when the login leaves for another host while
        the stand-in still waits.

        A Flask-Dance OAuth 2 blueprint (the object, or its name when the
        app has no Authlib client of that name) gets the same: its
        authorize, token and API addresses, its credentials and the app's
        ``*_OAUTH_CLIENT_ID`` / ``_SECRET`` configuration keys become the
        emulator's, absolute API URLs are rerouted, and
        ``OAUTHLIB_INSECURE_TRANSPORT=1`` is set for the duration; see
        :class:`~flask_oauth_recover.testing.stand_in_dance.BlueprintStandIn`.

        A name also means a provider of a framework that owns the app's
        login, which registers it on an Authlib registry of its own: a
        Flask-AppBuilder ``OAUTH_PROVIDERS`` entry (Superset, Airflow), a
        Flask-Security-Too OAuth provider, or flask-oidc's client
        ``"oidc"``. The framework's client is pointed here, and so is the
        configuration it keeps the provider's credentials and addresses in
        (the ``OAUTH_PROVIDERS`` entry's ``remote_app``;
        ``<NAME>_CLIENT_ID`` / ``_SECRET``; ``OIDC_CLIENT_ID`` / ``_SECRET``);
        the framework's provider wins over a client of the same name on
        another registry. See
        :class:`~flask_oauth_recover.testing.stand_in_frameworks.FrameworkStandIn`.

        Use the result as a context manager to undo it on exit; otherwise
        that happens when the emulator stops::

            with provider.stand_in_for(app, "github"):
                response, visited = provider.follow(client, client.get("/login"))

        :param app: The Flask app.
        :param target: The client's name in the app's Authlib registry or in
            its login framework's, or a Flask-Dance blueprint or its name;
            the profile's name when omitted.
        :return: The stand-in, applied or waiting; ``restore()`` undoes it.
        :raises RuntimeError: If the emulator is not running, or the app has
            no Authlib ``OAuth`` registry yet and has handled a request
            already.
        :raises TypeError: If ``target`` is neither a name nor a Flask-Dance
            blueprint.
        :raises ValueError: If the client, or the blueprint, is an OAuth 1
            one.
        """
        name = self.profile if target is None else target
        addresses = self.addresses
        endpoints = Endpoints(
            client_id=self.client_id,
            client_secret=self.client_secret,
            authorize_url=addresses.authorize_url,
            access_token_url=addresses.token_url,
            api_base_url=addresses.stand_in_api_base_url,
            server_metadata_url=addresses.server_metadata_url,
            server_metadata=addresses.server_metadata,
            api_routes=addresses.api_routes,
        )
        on_restore: Callable[[Any], None] = self._stand_ins.remove
        stand_in: StandIn | BlueprintStandIn
        framework = framework_client(app, name) if isinstance(name, str) else None
        blueprint = None if framework is not None else dance_blueprint(app, name)
        if framework is not None:
            if getattr(self.dialect, "known_by_host_only", False):
                on_restore = self._name_the_profile(app, framework.name, on_restore)
            stand_in = FrameworkStandIn(
                app, framework, endpoints, on_restore=on_restore
            )
        elif blueprint is not None:
            stand_in = BlueprintStandIn(
                app, blueprint, endpoints, on_restore=on_restore
            )
        else:
            if getattr(self.dialect, "known_by_host_only", False):
                on_restore = self._name_the_profile(app, str(name), on_restore)
            stand_in = StandIn(app, str(name), endpoints, on_restore=on_restore)
        self._stand_ins.append(stand_in)
        return stand_in

    def _name_the_profile(
        self, app: Flask, name: str, then: Callable[[Any], None]
    ) -> Callable[[Any], None]:
        """Say which provider the client is (``OAUTH_RECOVER_PROVIDERS``),
        for a provider only its own hosts identify: on the emulator's
        address nothing else would. Undone with the stand-in."""
        before = app.config.get("OAUTH_RECOVER_PROVIDERS")
        named = dict(before or {})
        if name in named:
            return then
        app.config["OAUTH_RECOVER_PROVIDERS"] = {**named, name: self.dialect.name}

        def restore(stand_in: StandIn) -> None:
            if before is None:
                app.config.pop("OAUTH_RECOVER_PROVIDERS", None)
            else:
                app.config["OAUTH_RECOVER_PROVIDERS"] = before
            then(stand_in)

        return restore

    # -- faults --------------------------------------------------------------

    def reject_next_codes(self, n: int = 1) -> None:
        """Refuse the next ``n`` token requests with correct client
        credentials, even for a good code, with the profile's answer to a
        code used before (GitHub's ``bad_verification_code``, Entra's
        AADSTS54005, ``invalid_grant`` elsewhere). The code is consumed all
        the same.

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
        ``?error=`` instead of a code, as when the user clicks "Cancel", in
        the profile's words (GitHub and GitLab describe the error, Entra
        with AADSTS65004, Google and Keycloak not at all).

        :param error: The ``error`` code, e.g. ``access_denied``,
            ``application_suspended`` or ``server_error``.
        :param n: How many authorization requests to deny.
        :param description: The ``error_description``; the profile's own
            when omitted.
        :param uri: The ``error_uri``; the profile's own (GitHub's
            troubleshooting page) when omitted.
        """
        _check_count(n)
        if not isinstance(error, str) or not error:
            raise ValueError("error must be a non-empty string")
        denial = _Denial(remaining=n, error=error, description=description, uri=uri)
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
        as a failing gateway in front of the provider would. The request never
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
        :attr:`code_lifetime` to expire issued codes without sleeping.

        :param seconds: How far to move, zero or more.
        """
        _check_seconds(seconds)
        with self._lock:
            self._clock_offset += seconds

    def reset(self) -> None:
        """Forget faults (an expired secret included), the clock offset,
        issued codes and tokens, and the recorded requests. The client
        registration is kept.
        """
        with self._lock:
            self._clock_offset = 0.0
            self.client_secret_expired = False
            self._codes.clear()
            self._redeemed.clear()
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
        ``Location`` is followed in turn. A page that posts the answer to
        the app (``response_mode=form_post``, as Sign in with Apple does) is
        submitted with ``client.post``, as a browser submits a cross-site
        form: without the cookies marked ``SameSite=Lax`` or ``Strict``.
        Following stops at the first app response that is not a redirect.

        :param client: The Flask test client that made ``response``.
        :param response: An app response, typically from ``client.get("/login")``.
        :param max_hops: The most URLs to fetch before calling it a loop.
        :return: The last app response and every URL fetched, in order (app
            URLs made absolute).
        :raises AssertionError: On a redirect loop; when the emulator answers
            without redirecting back to the app; when a redirect leaves for
            another host, such as the real provider (the message names it).
        :raises LookupError: When a redirect leaves for another host while a
            :meth:`stand_in_for` of the app still waits for a client name
            the app has not registered (the message names those it has).
        :raises RuntimeError: Likewise, while one waits for the app's Authlib
            registry, or has missed the request that created it.
        :raises ValueError: Likewise, for a stand-in that found an OAuth 1
            client when the app registered it.
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
                posted = (
                    read_form_post(answer.text)
                    if location is None and answer.status_code == 200
                    else None
                )
                if posted is not None:
                    # response_mode=form_post: the provider's page posts the
                    # answer to the callback, from the provider's site.
                    action, fields = posted
                    target = urljoin(app_url, action)
                    if (urlsplit(target).hostname or "") not in app_hosts:
                        raise AssertionError(
                            f"the provider emulator posted to {action}, which is "
                            "not the app; check callback_url"
                        )
                    visited.append(target)
                    current = _post_from_another_site(client, target, fields)
                    app_url = target
                    from_provider = False
                    location = _redirect_location(
                        current.status_code, current.headers.get("Location")
                    )
                    continue
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
                self._check_stand_ins(client.application, host, location)
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

    def _check_stand_ins(self, app: Flask, host: str, location: str) -> None:
        """Raise why a stand-in for ``app`` has not taken effect, if one has
        not."""
        for stand_in in list(self._stand_ins):
            if stand_in.app is app:
                stand_in.check(f"The app redirected to {host} instead: {location}")

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
            endpoint, route = self._url_map.bind_to_environ(environ).match()
            response = self._dispatch(str(endpoint), request, route)
        except NotFound:
            # In the provider's API error shape, not Werkzeug's HTML page.
            response = self.dialect.not_found(request)
        except HTTPException as exc:
            return exc(environ, start_response)
        return response(environ, start_response)

    def _dispatch(
        self, endpoint: str, request: Request, route: Mapping[str, str]
    ) -> Response:
        kind, _, name = endpoint.partition(":")
        if kind == "authorize":
            return self._authorize(request, route)
        if kind == "token":
            return self._token(request, route)
        if kind == "api":
            return self.dialect.api(
                name, self._bearer_grant(request), self._account(), request
            )
        if kind == "document":
            return self.dialect.document(name, request, route)
        if kind == "faults":
            return self._faults(request)
        return self._health(request)

    def _now(self) -> float:
        return self._clock() + self._clock_offset

    def _account(self) -> Account:
        return Account(login=self.login, fields=dict(self.user))

    def _take(self, queue: list[_F]) -> _F | None:
        with self._lock:
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.pop(0)
            return fault

    def _authorize(self, request: Request, route: Mapping[str, str]) -> Response:
        params = request.args.to_dict()
        with self._recorded:
            self.authorize_requests.append(dict(params))
            self._recorded.notify_all()
        dialect = self.dialect
        attempt = AuthorizeAttempt(
            request=request,
            route=route,
            params=params,
            registered=self.callback_url,
            now=self._now(),
        )
        refusal = self._authorize_refusal(attempt)
        if refusal is not None:
            return dialect.refuse_authorization(refusal, attempt)

        registered = self.callback_url
        sent_redirect = attempt.redirect_uri
        if sent_redirect is not None:
            target = sent_redirect
        elif registered is not None:
            target = registered
        else:
            return Response(
                "redirect_uri is required: the emulator has no callback_url",
                status=400,
                mimetype="text/plain",
            )

        denial = self._take(self._denials)
        if denial is not None:
            return dialect.deliver(
                target,
                dialect.denial_params(
                    denial.error, denial.description, denial.uri, attempt
                ),
                attempt,
            )

        code = dialect.new_code()
        issued = _IssuedCode(
            client_id=self.client_id,
            redirect_uri=sent_redirect,
            scope=dialect.granted_scope(params.get("scope", "")),
            code_challenge=params.get("code_challenge") or None,
            code_challenge_method=params.get("code_challenge_method") or None,
            issued_at=attempt.now,
            params=dict(params),
        )
        with self._lock:
            self._codes[code] = issued
        return dialect.deliver(
            target, dialect.code_params(code, issued.scope, attempt), attempt
        )

    def _authorize_refusal(self, attempt: AuthorizeAttempt) -> AuthorizeRefusal | None:
        """Why the provider shows its own page instead of redirecting, if it
        does."""
        if not self.dialect.route_accepts(attempt.route):
            return "wrong_tenant"
        client_id = attempt.client_id
        if client_id is None or client_id != self.client_id:
            return "unknown_client"
        sent, registered = attempt.redirect_uri, attempt.registered
        if sent is None:
            return (
                "redirect_uri_missing" if self.dialect.redirect_uri_required else None
            )
        if registered is not None and not self.dialect.redirect_uri_matches(
            sent, registered
        ):
            return "redirect_uri_mismatch"
        return None

    def _token(self, request: Request, route: Mapping[str, str]) -> Response:
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

        client_id, client_secret = _client_credentials(request, form)
        failure, issued = self._check_token_request(
            route, form, client_id, client_secret
        )
        attempt = TokenAttempt(
            request=request,
            route=route,
            client_id=client_id,
            redirect_uri=form.get("redirect_uri"),
            authorized_redirect_uri=issued.redirect_uri if issued else None,
            now=self._now(),
        )
        if failure is not None or issued is None:
            return self.dialect.token_error(failure or "unknown_code", attempt)

        grant = Grant(
            client_id=issued.client_id,
            scope=issued.scope,
            authorize_params=issued.params,
            site=request.host_url,
        )
        token = self.dialect.new_access_token()
        with self._lock:
            self._tokens[token] = grant
        return self.dialect.token_success(token, grant, self._account(), attempt)

    def _check_token_request(
        self,
        route: Mapping[str, str],
        form: Mapping[str, str],
        client_id: str | None,
        client_secret: str | None,
    ) -> tuple[TokenFailure | None, _IssuedCode | None]:
        """The first reason to refuse the token request, in the order
        providers check, and the code's record if the code was known."""
        dialect = self.dialect
        if not dialect.route_accepts(route):
            return "wrong_tenant", None
        if client_id is None or client_id != self.client_id:
            return "unknown_client", None
        if client_secret is None:
            return "missing_secret", None
        if not dialect.secret_accepted(
            client_secret, self.client_secret, client_id, self._now()
        ):
            return "wrong_secret", None
        if self.client_secret_expired:
            return "expired_secret", None

        code = form.get("code", "")
        with self._lock:
            issued = self._codes.pop(code, None)
            used = code in self._redeemed
            if issued is not None:
                self._redeemed.add(code)
            rejected = self._rejections > 0
            if rejected:
                self._rejections -= 1
        if issued is None:
            return ("used_code" if used else "unknown_code"), None
        if rejected:
            return "used_code", issued
        if self._now() - issued.issued_at > dialect.code_lifetime:
            return "expired_code", issued
        if issued.client_id != client_id:
            return "foreign_code", issued

        checks = [self._redirect_uri_failure, self._pkce_failure]
        if dialect.pkce_checked_first:
            checks.reverse()
        for check in checks:
            failure = check(issued, form)
            if failure is not None:
                return failure, issued
        return None, issued

    def _redirect_uri_failure(
        self, issued: _IssuedCode, form: Mapping[str, str]
    ) -> TokenFailure | None:
        sent = form.get("redirect_uri")
        if not sent:
            if issued.redirect_uri is not None and self.dialect.redirect_uri_required:
                return "redirect_uri_missing"
            return None
        if issued.redirect_uri is not None:
            matches = sent == issued.redirect_uri
        elif self.callback_url is not None:
            matches = self.dialect.redirect_uri_matches(sent, self.callback_url)
        else:
            matches = True
        return None if matches else "redirect_uri_mismatch"

    def _pkce_failure(
        self, issued: _IssuedCode, form: Mapping[str, str]
    ) -> TokenFailure | None:
        challenge = issued.code_challenge
        if challenge is None:
            return None
        verifier = form.get("code_verifier")
        if not verifier:
            return "pkce_missing"
        # RFC 7636: no method means "plain".
        method = issued.code_challenge_method or "plain"
        if method not in self.dialect.pkce_methods:
            return "pkce_mismatch"
        if method == "S256":
            digest = hashlib.sha256(verifier.encode()).digest()
            expected = base64.urlsafe_b64encode(digest).rstrip(b"=")
        else:
            expected = verifier.encode()
        if secrets.compare_digest(expected, challenge.encode()):
            return None
        return "pkce_mismatch"

    def _bearer_grant(self, request: Request) -> Grant | None:
        """What the request's bearer token was issued for, or ``None`` if it
        has no token the emulator issued."""
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() not in {"bearer", "token"}:
            return None
        with self._lock:
            return self._tokens.get(credential.strip())

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
            "expire_secret": self._expire_secret,
            "reset": self.reset,
        }
        actions[name](**spec)

    def _expire_secret(self) -> None:
        self.client_secret_expired = True


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
    "expire_secret": {},
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


def _client_credentials(
    request: Request, form: Mapping[str, str]
) -> tuple[str | None, str | None]:
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        return auth.username, auth.password
    return form.get("client_id"), form.get("client_secret")


def _post_from_another_site(
    client: FlaskClient, url: str, fields: list[tuple[str, str]]
) -> TestResponse:
    """POST ``fields`` to ``url`` as a browser does when a page on another
    site submits the form: cookies marked ``SameSite=Lax`` or ``Strict``
    stay behind; those without the attribute or ``SameSite=None`` go."""
    jar = getattr(client, "_cookies", None)
    held = {
        key: cookie
        for key, cookie in (jar or {}).items()
        if (cookie.same_site or "").lower() in ("lax", "strict")
    }
    for key in held:
        jar.pop(key)  # type: ignore[union-attr]
    try:
        return client.post(url, data=MultiDict(fields))
    finally:
        for key, cookie in held.items():
            # One the response set in the meantime replaces it.
            jar.setdefault(key, cookie)  # type: ignore[union-attr]


def _bad_request(message: str) -> Response:
    return Response(message, status=400, mimetype="text/plain")


def _redirect_location(status: int, location: str | None) -> str | None:
    if status not in _REDIRECT_STATUSES:
        return None
    return location or None
