"""Point an app's registered Authlib client at a provider emulator, and back.

An app written for production registers its client with the real
provider's addresses: literal URLs in ``oauth.register(...)``, ``GITHUB_*``
(or ``GOOGLE_*``...) configuration keys, or a ``server_metadata_url``.
:class:`StandIn` rewrites that one client of that one app, in place, so the
app's unmodified login and callback talk to the emulator instead, and puts
everything back when it ends.

What it rewrites, on Authlib's Flask ``OAuth`` registry found in
``app.extensions``:

- the client object, if the app created it already (``oauth.github`` creates
  and caches it): ``client_id``, ``client_secret``, ``authorize_url``,
  ``access_token_url``, ``api_base_url``, the server metadata URL and the
  cached metadata, each only where the app set one, so a client that reads
  its endpoints from discovery keeps doing so;
- the registration that Authlib creates the client from later, for an app
  that has not used its client yet;
- the client's ``compliance_fix``, which Authlib applies to every HTTP session
  the client opens: it mounts a requests transport adapter that sends
  absolute URLs on the real API (``oauth.github.get("https://api.github.com/user")``,
  ``https://graph.microsoft.com/v1.0/me``...) to the emulator, which serves
  each at the same path. Relative paths need no help: they resolve against
  the rewritten ``api_base_url``, the app's own moved to the emulator when it
  is on one of those API hosts (``https://www.googleapis.com/oauth2/v3/``
  becomes the emulator's ``/oauth2/v3/``).

Requests the app makes without its Authlib client (a bare ``requests.get``)
are not rerouted.

An app may register its client late: in its login view, or in a
``before_request`` function that also calls ``oauth.init_app(app)`` (as
authlib/auth-playground does). A stand-in made before that waits. When the
app has a registry, it wraps the registry's ``create_client`` on the
instance, through which ``oauth.register()``, ``oauth.github`` and
``oauth.create_client()`` all go, and applies just before the client is
created or returned. When the app has none yet, it adds a ``before_request``
function to the app, which runs after the app-level ones registered before
it: once they have made the registry, it applies if they registered the
client too, or else goes on waiting through ``create_client``. Flask
accepts that function only before the app's first request. A waiting
stand-in cannot tell a client the app will register from a name it never
will: :meth:`StandIn.check` says what it waits for.

Authlib keeps one client per name in the registry, so an ``OAuth()`` object
shared by several apps (one module-level registry, ``init_app`` in a
factory called more than once) shares the stand-in as well.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

from authlib.integrations.base_client import OAuth1Mixin
from authlib.integrations.base_client.registry import OAUTH_CLIENT_PARAMS
from requests.adapters import HTTPAdapter

if TYPE_CHECKING:
    from types import TracebackType

    from flask import Flask
    from requests import PreparedRequest
    from requests import Response
    from requests import Session

__all__ = ["Endpoints", "StandIn"]

#: Where Authlib's Flask integration registers itself in ``app.extensions``.
AUTHLIB_EXTENSION = "authlib.integrations.flask_client"

# Client attribute -> the ``oauth.register()`` keyword it comes from, for the
# addresses a stand-in replaces only where the app set one.
_ADDRESS_ATTRIBUTES = {
    "authorize_url": "authorize_url",
    "access_token_url": "access_token_url",
    "api_base_url": "api_base_url",
    "_server_metadata_url": "server_metadata_url",
}
# A stand-in waits for the app's client, points it at the emulator, has
# been undone, or found the client unfit when the app registered it.
_State = Literal["pending", "active", "restored", "failed"]
_CLIENT_ATTRIBUTES = (
    "client_id",
    "client_secret",
    *_ADDRESS_ATTRIBUTES,
    "server_metadata",
    "compliance_fix",
)


@dataclass(frozen=True)
class Endpoints:
    """Where a stand-in sends a client: the emulator's side of the swap.

    :param client_id: The client ID the emulator expects.
    :param client_secret: The client secret the emulator expects.
    :param authorize_url: The emulator's authorization endpoint.
    :param access_token_url: The emulator's token endpoint.
    :param api_base_url: The emulator's API root, ending in a slash, for a
        client whose own is on none of the ``api_routes``.
    :param server_metadata_url: The emulator's authorization server metadata.
    :param server_metadata: Metadata addresses (``issuer``,
        ``authorization_endpoint``...) replacing the provider's in a client's
        metadata.
    :param api_routes: Absolute URL prefixes of the real provider's API, each
        with the emulator's prefix that replaces it.
    """

    client_id: str
    client_secret: str
    authorize_url: str
    access_token_url: str
    api_base_url: str
    server_metadata_url: str
    server_metadata: Mapping[str, Any]
    api_routes: Mapping[str, str]


class StandIn:
    """One app's Authlib client, pointed at an emulator until
    :meth:`restore`.

    Made by :meth:`ProviderEmulator.stand_in_for
    <flask_oauth_recover.testing.ProviderEmulator.stand_in_for>`, which
    applies it at once when the app has registered the client. Otherwise the
    stand-in waits (:attr:`pending`) and applies as soon as the app registers
    or first uses the client: in a view, or in a ``before_request`` function.
    Used as a context manager, it restores the client on exit; otherwise it is
    restored when the emulator stops.

    :param app: The Flask app whose client to rewrite.
    :param name: The client's name in the app's Authlib registry.
    :param endpoints: Where to point it.
    :param on_restore: Called with the stand-in once it is restored.
    :param oauth: The Authlib registry that holds the client, when it is
        not the app's ``app.extensions`` one: a framework's own.
    :raises RuntimeError: If the app has no Authlib ``OAuth`` registry yet
        and has handled a request already: Flask then takes no new
        ``before_request`` function to wait for one with.
    :raises ValueError: If the client is an OAuth 1 client.
    """

    def __init__(
        self,
        app: Flask,
        name: str,
        endpoints: Endpoints,
        on_restore: Callable[[StandIn], None] | None = None,
        *,
        oauth: Any = None,
    ) -> None:
        self.app = app
        self.name = name
        self.endpoints = endpoints
        self._on_restore = on_restore
        self._lock = threading.RLock()
        self._state: _State = "pending"
        self._failure: Exception | None = None
        self._oauth: Any = None
        self._saved_registration: tuple[bool, dict[str, Any]] = (False, {})
        self._installed_registration: tuple[bool, dict[str, Any]] | None = None
        self._client: Any = None
        self._saved_attributes: dict[str, Any] = {}
        self._watch: _CreateClientHook | None = None
        self._request_hook: Callable[[], None] | None = None
        self._given_oauth = oauth

        oauth = self._registry()
        if oauth is None:
            self._wait_for_registry()
        elif name in oauth._registry:
            self._apply(oauth)
        else:
            self._watch = _CreateClientHook(oauth, self._on_create_client)

    def __repr__(self) -> str:
        target = self.endpoints.authorize_url
        return f"<StandIn {self.app.name}:{self.name} -> {target} ({self._state})>"

    @property
    def active(self) -> bool:
        """Whether the client points at the emulator."""
        return self._state == "active"

    @property
    def pending(self) -> bool:
        """Whether the stand-in still waits for the app to register (or
        first use) the client."""
        return self._state == "pending"

    def check(self, detail: str | None = None) -> None:
        """Raise the error that says why the client does not point at the
        emulator, if the stand-in has not taken effect: the client's name is
        not registered (yet), or it turned out to be an OAuth 1 client. Does
        nothing once it is active or restored.

        A waiting stand-in cannot tell a client the app will register later
        from a name it never registers; :meth:`ProviderEmulator.follow
        <flask_oauth_recover.testing.ProviderEmulator.follow>` calls this
        when a login leaves for another host.

        :param detail: A sentence added to the message, e.g. what the app
            did instead.
        :raises LookupError: If no client is registered under the name.
        :raises RuntimeError: If the app has no Authlib ``OAuth`` registry,
            or created it too late in a request for the stand-in to apply.
        :raises ValueError: If the client is an OAuth 1 client.
        """
        problem = self._problem()
        if problem is None:
            return
        if detail:
            problem = type(problem)(f"{problem} {detail}")
        raise problem

    def restore(self) -> None:
        """Point the client back where the app registered it, or stop
        waiting for it. Does nothing if it is restored already.

        The client object keeps its identity: code holding it (the app, the
        extension) sees the original addresses again. A client the app
        created during the stand-in gets the values Authlib would give it
        from the app's own registration.
        """
        with self._lock:
            if self._state == "restored":
                return
            was_active = self._state == "active"
            self._state = "restored"
            self._stop_waiting()
            if was_active:
                self._undo()
        if self._on_restore is not None:
            self._on_restore(self)

    def __enter__(self) -> StandIn:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.restore()

    def _registry(self) -> Any:
        """The registry given, else the app's, if it has one yet."""
        if self._given_oauth is not None:
            return self._given_oauth
        return self.app.extensions.get(AUTHLIB_EXTENSION)

    # -- waiting -------------------------------------------------------------

    def _wait_for_registry(self) -> None:
        """Look for the app's registry before each of its requests, for an
        app that creates it lazily (``oauth.init_app(app)`` in a
        ``before_request`` function)."""
        app = self.app
        if getattr(app, "_got_first_request", False):
            raise RuntimeError(
                f"{app.name!r} has no Authlib OAuth registry, and stand_in_for() "
                "cannot wait for one: the app has handled a request already, "
                "after which Flask takes no new before_request function. Call "
                "stand_in_for() before the app's first request, or once the app "
                "has called OAuth(app) or oauth.init_app(app)"
            )
        self._request_hook = self._before_request
        app.before_request(self._request_hook)

    def _before_request(self) -> None:
        # Runs after the app's own before_request functions registered
        # earlier, so it sees a registry and a client they created.
        with self._lock:
            if self._state != "pending":
                return
            oauth = self._registry()
            if oauth is None:
                return
            self._stop_waiting()
            if self.name in oauth._registry:
                self._apply_late(oauth)
            else:
                self._watch = _CreateClientHook(oauth, self._on_create_client)

    def _on_create_client(self, name: str) -> None:
        # Called before the registry creates (or returns) a client, and so
        # before the app first uses the one it has just registered.
        if name != self.name:
            return
        with self._lock:
            watch = self._watch
            if self._state != "pending" or watch is None:
                return
            if name in watch.oauth._registry:
                self._apply_late(watch.oauth)

    def _apply_late(self, oauth: Any) -> None:
        self._stop_waiting()
        try:
            self._apply(oauth)
        except Exception as exc:
            self._state = "failed"
            self._failure = exc
            raise

    def _stop_waiting(self) -> None:
        watch, self._watch = self._watch, None
        if watch is not None:
            watch.remove()
        hook, self._request_hook = self._request_hook, None
        if hook is not None:
            functions = self.app.before_request_funcs.get(None, [])
            # A new list: Flask may be iterating over the old one right now.
            self.app.before_request_funcs[None] = [
                function for function in functions if function is not hook
            ]

    def _problem(self) -> Exception | None:
        if self._state == "failed":
            return self._failure
        if self._state != "pending":
            return None
        app, name = self.app, self.name
        oauth = self._registry()
        if oauth is None:
            return RuntimeError(
                f"{app.name!r} has no Authlib OAuth registry: stand_in_for() is "
                "still waiting for OAuth(app) or oauth.init_app(app), and for a "
                f"client registered as {name!r}."
            )
        registered = sorted(oauth._registry)
        if name in registered and self._request_hook is None:
            return RuntimeError(
                f"the Authlib client {name!r} on {app.name!r} is registered, but "
                "the app has not used it through the registry yet, so "
                "stand_in_for() has not applied."
            )
        if name in registered:
            return RuntimeError(
                f"the Authlib client {name!r} on {app.name!r} was registered "
                "during a request after stand_in_for()'s before_request function "
                "had run (in a view, or a blueprint's before_request), so that "
                "request used the app's own addresses. Create the registry "
                "(OAuth(app) or oauth.init_app(app)) when the app is set up, or "
                "call stand_in_for() once it exists."
            )
        return LookupError(
            f"no Authlib client is registered as {name!r} on {app.name!r}; "
            f"registered: {registered or 'none'}. stand_in_for() is still "
            "waiting for the app to register it."
        )

    # -- applying and undoing ------------------------------------------------

    def _apply(self, oauth: Any) -> None:
        app, name = self.app, self.name
        registry: dict[str, tuple[bool, dict[str, Any]]] = oauth._registry
        client: Any = oauth._clients.get(name)
        # A client built from the registration as Authlib would, to learn what
        # the app set without creating (and caching) the app's own.
        template = client
        if template is None:
            template = _build_client(oauth, name, registry[name])
        if isinstance(template, OAuth1Mixin):
            raise ValueError(
                f"the Authlib client {name!r} on {app.name!r} is an OAuth 1 client; "
                "the provider emulator speaks OAuth 2 only"
            )
        self._oauth = oauth
        self._saved_registration = registry[name]
        self._client = client
        routes = _api_routes(template.api_base_url, self.endpoints)
        overrides = self._client_overrides(template)
        if client is not None:
            patched = {
                **overrides,
                "compliance_fix": _routing_fix(client.compliance_fix, routes),
            }
            for attribute, value in patched.items():
                self._saved_attributes[attribute] = getattr(client, attribute)
                setattr(client, attribute, value)
        installed = self._registration_overrides(overrides, routes)
        registry[name] = installed
        self._installed_registration = installed
        self._state = "active"

    def _undo(self) -> None:
        oauth, name = self._oauth, self.name
        # An app that registers the client again (in each request, say) has
        # replaced the stand-in's registration with its own: keep the app's.
        if oauth._registry.get(name) is self._installed_registration:
            oauth._registry[name] = self._saved_registration
        if self._client is not None:
            for attribute, value in self._saved_attributes.items():
                setattr(self._client, attribute, value)
        current = oauth._clients.get(name)
        if current is not None and current is not self._client:
            registration = oauth._registry.get(name, self._saved_registration)
            template = _build_client(oauth, name, registration)
            for attribute in _CLIENT_ATTRIBUTES:
                setattr(current, attribute, getattr(template, attribute))

    def _client_overrides(self, client: Any) -> dict[str, Any]:
        endpoints = self.endpoints
        replacements = {
            "authorize_url": endpoints.authorize_url,
            "access_token_url": endpoints.access_token_url,
            "api_base_url": _emulated_api_base(
                getattr(client, "api_base_url", None), endpoints
            ),
            "_server_metadata_url": endpoints.server_metadata_url,
        }
        overrides: dict[str, Any] = {
            "client_id": endpoints.client_id,
            "client_secret": endpoints.client_secret,
        }
        # Only where the app set one: a client that finds its endpoints
        # through discovery should go on finding them that way.
        for attribute, value in replacements.items():
            if getattr(client, attribute, None):
                overrides[attribute] = value
        discovers = bool(getattr(client, "_server_metadata_url", None))
        overrides["server_metadata"] = _metadata_for_stand_in(
            client.server_metadata, endpoints.server_metadata, discovers
        )
        return overrides

    def _registration_overrides(
        self, overrides: Mapping[str, Any], routes: Mapping[str, str]
    ) -> tuple[bool, dict[str, Any]]:
        overwrite, registered = self._saved_registration
        kwargs = dict(registered)
        if overwrite:
            # With overwrite=True, Authlib lets truthy configuration values win
            # over registered ones: apply that now, so that ours win in turn.
            config = self._oauth.load_config(self.name, OAUTH_CLIENT_PARAMS)
            for key, value in config.items():
                if key in kwargs and value:
                    current = kwargs[key]
                    merged = (
                        {**current, **value} if isinstance(current, dict) else value
                    )
                    kwargs[key] = merged
        for attribute, value in overrides.items():
            if attribute != "server_metadata":
                kwargs[_ADDRESS_ATTRIBUTES.get(attribute, attribute)] = value
        # The registered hook, not the client object's: OAuthRecover adds its
        # own to each client object it serves.
        kwargs["compliance_fix"] = _routing_fix(
            registered.get("compliance_fix"), routes
        )
        # Extra keywords become the client's server metadata.
        extras = {
            key: value
            for key, value in kwargs.items()
            if key not in OAUTH_CLIENT_PARAMS and _is_address(key)
        }
        for key in extras:
            del kwargs[key]
        kwargs.update(
            _metadata_for_stand_in(
                extras,
                self.endpoints.server_metadata,
                bool(kwargs.get("server_metadata_url")),
            )
        )
        return False, kwargs


class _CreateClientHook:
    """Calls ``notify(name)`` before each ``create_client`` of one Authlib
    registry. Installed on the instance, so that ``oauth.register()``,
    ``oauth.<name>`` and ``oauth.create_client()`` all go through it."""

    def __init__(self, oauth: Any, notify: Callable[[str], None]) -> None:
        self.oauth = oauth
        self.notify: Callable[[str], None] | None = notify
        # Another wrapper on the instance (OAuthRecover installs one), or
        # None for the class's method.
        self.previous: Callable[[str], Any] | None = vars(oauth).get("create_client")
        oauth.create_client = self

    def __call__(self, name: str) -> Any:
        if self.notify is not None:
            self.notify(name)
        if self.previous is not None:
            return self.previous(name)
        return type(self.oauth).create_client(self.oauth, name)

    def remove(self) -> None:
        """Stop notifying; unwrap the method unless something has wrapped
        it since, in which case this hook stays in the chain, passing
        calls through."""
        self.notify = None
        if vars(self.oauth).get("create_client") is self:
            if self.previous is None:
                del self.oauth.create_client
            else:
                self.oauth.create_client = self.previous


class _RouteToEmulator(HTTPAdapter):
    """A transport adapter that sends requests for the real provider's API to
    the emulator: the URL is rewritten just before it goes on the wire."""

    def __init__(self, routes: Mapping[str, str]) -> None:
        super().__init__()
        self.routes = dict(routes)

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> Response:
        url = request.url or ""
        for prefix, target in self.routes.items():
            if url.lower().startswith(prefix.lower()):
                request = request.copy()
                request.url = target + url[len(prefix) :]
                break
        # Proxies were chosen for the real host; the emulator is on loopback.
        return super().send(
            request,
            stream=stream,
            timeout=timeout,
            verify=verify,
            cert=cert,
            proxies={},
        )


def _routing_fix(
    original: Callable[[Session], Any] | None, routes: Mapping[str, str]
) -> Callable[[Session], Any]:
    def compliance_fix(session: Session) -> Session:
        if original is not None:
            original(session)
        adapter = _RouteToEmulator(routes)
        for prefix in routes:
            session.mount(prefix, adapter)
        return session

    if original is not None:
        # Copies the wrapped hook's attributes too, such as the mark by which
        # OAuthRecover knows its own hook is installed.
        functools.update_wrapper(compliance_fix, original)
    return compliance_fix


def _api_routes(api_base_url: object, endpoints: Endpoints) -> dict[str, str]:
    """The real API's prefixes to send to the emulator: the provider's, and
    the client's own ``api_base_url`` (a GitHub Enterprise host, say)."""
    routes = dict(endpoints.api_routes)
    if isinstance(api_base_url, str) and api_base_url.startswith(
        ("https://", "http://")
    ):
        routes.setdefault(api_base_url, _emulated_api_base(api_base_url, endpoints))
    return routes


def _emulated_api_base(api_base_url: object, endpoints: Endpoints) -> str:
    """Where the emulator serves the client's API root: the same path, when
    the root is on one of the real API's hosts, else the emulator's own."""
    if isinstance(api_base_url, str):
        lowered = api_base_url.lower()
        for prefix, target in endpoints.api_routes.items():
            if lowered.startswith(prefix.lower()):
                return target + api_base_url[len(prefix) :]
    return endpoints.api_base_url


def _is_address(key: str) -> bool:
    return key == "issuer" or key.endswith(("_endpoint", "_uri"))


def _metadata_for_stand_in(
    metadata: Mapping[str, Any], replacements: Mapping[str, Any], discovers: bool
) -> dict[str, Any]:
    """The provider's addresses in ``metadata`` replaced by the emulator's,
    or dropped when it has none. For a client that discovers its metadata,
    the loaded document is dropped as well, so that Authlib loads the
    emulator's."""
    result: dict[str, Any] = {}
    for key, value in metadata.items():
        if key == "_loaded_at" and discovers:
            continue
        if not _is_address(key):
            result[key] = value
        elif key in replacements and not discovers:
            result[key] = replacements[key]
    return result


def _build_client(
    oauth: Any, name: str, registration: tuple[bool, dict[str, Any]]
) -> Any:
    """A client made by Authlib's own ``create_client`` from ``registration``,
    without touching the registry's cache."""
    overwrite, kwargs = registration
    # Authlib pops and updates the registration it creates a client from.
    fresh = {
        key: dict(value) if isinstance(value, dict) else value
        for key, value in kwargs.items()
    }
    saved_registration = oauth._registry.get(name)
    had_client = name in oauth._clients
    saved_client = oauth._clients.pop(name, None)
    oauth._registry[name] = (overwrite, fresh)
    try:
        # The class's own: not a wrapper on the instance, such as a waiting
        # stand-in's.
        return type(oauth).create_client(oauth, name)
    finally:
        oauth._registry[name] = saved_registration
        oauth._clients.pop(name, None)
        if had_client:
            oauth._clients[name] = saved_client
