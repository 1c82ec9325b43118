"""Point an app's registered Authlib client at a provider emulator, and back.

An app written for production registers its client with the real
provider's addresses: literal URLs in ``oauth.register(...)``, ``GITHUB_*``
configuration keys, or a ``server_metadata_url``. :class:`StandIn` rewrites
that one client of that one app, in place, so the app's unmodified login
and callback talk to the emulator instead, and puts everything back when it
ends.

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
  absolute URLs on the real API (``oauth.github.get("https://api.github.com/user")``)
  to the emulator. Relative paths need no help: they resolve against the
  rewritten ``api_base_url``.

Requests the app makes without its Authlib client (a bare ``requests.get``)
are not rerouted.

Authlib keeps one client per name in the registry, so an ``OAuth()`` object
shared by several apps (one module-level registry, ``init_app`` in a
factory called more than once) shares the stand-in as well.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

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
    :param api_base_url: The emulator's API root, ending in a slash.
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
    applies it at once. Used as a context manager, it restores the client on
    exit; otherwise it is restored when the emulator stops.

    :param app: The Flask app whose client to rewrite.
    :param name: The client's name in the app's Authlib registry.
    :param endpoints: Where to point it.
    :param on_restore: Called with the stand-in once it is restored.
    :raises RuntimeError: If the app has no Authlib ``OAuth`` registry.
    :raises LookupError: If no client is registered as ``name``.
    :raises ValueError: If the client is an OAuth 1 client.
    """

    def __init__(
        self,
        app: Flask,
        name: str,
        endpoints: Endpoints,
        on_restore: Callable[[StandIn], None] | None = None,
    ) -> None:
        oauth = app.extensions.get(AUTHLIB_EXTENSION)
        if oauth is None:
            raise RuntimeError(
                f"{app.name!r} has no Authlib OAuth registry: stand_in_for() needs "
                "authlib.integrations.flask_client.OAuth(app) or oauth.init_app(app)"
            )
        registry: dict[str, tuple[bool, dict[str, Any]]] = oauth._registry
        if name not in registry:
            raise LookupError(
                f"no Authlib client is registered as {name!r} on {app.name!r}; "
                f"registered: {sorted(registry) or 'none'}"
            )
        self.app = app
        self.name = name
        self.endpoints = endpoints
        self._oauth = oauth
        self._on_restore = on_restore
        self._saved_registration = registry[name]
        self._client: Any = oauth._clients.get(name)
        # A client built from the registration as Authlib would, to learn what
        # the app set without creating (and caching) the app's own.
        template = self._client
        if template is None:
            template = _build_client(oauth, name, registry[name])
        if isinstance(template, OAuth1Mixin):
            raise ValueError(
                f"the Authlib client {name!r} on {app.name!r} is an OAuth 1 client; "
                "the provider emulator speaks OAuth 2 only"
            )
        routes = _api_routes(template.api_base_url, endpoints)
        overrides = self._client_overrides(template)
        self._saved_attributes: dict[str, Any] = {}
        if self._client is not None:
            patched = {
                **overrides,
                "compliance_fix": _routing_fix(self._client.compliance_fix, routes),
            }
            for attribute, value in patched.items():
                self._saved_attributes[attribute] = getattr(self._client, attribute)
                setattr(self._client, attribute, value)
        registry[name] = self._registration_overrides(overrides, routes)
        self._active = True

    def __repr__(self) -> str:
        state = "active" if self._active else "restored"
        target = self.endpoints.authorize_url
        return f"<StandIn {self.app.name}:{self.name} -> {target} ({state})>"

    @property
    def active(self) -> bool:
        """Whether the client still points at the emulator."""
        return self._active

    def restore(self) -> None:
        """Point the client back where the app registered it. Does nothing if
        it is restored already.

        The client object keeps its identity: code holding it (the app, the
        extension) sees the original addresses again. A client the app
        created during the stand-in gets the values Authlib would give it
        from the app's own registration.
        """
        if not self._active:
            return
        self._active = False
        oauth = self._oauth
        oauth._registry[self.name] = self._saved_registration
        if self._client is not None:
            for attribute, value in self._saved_attributes.items():
                setattr(self._client, attribute, value)
        current = oauth._clients.get(self.name)
        if current is not None and current is not self._client:
            template = _build_client(oauth, self.name, self._saved_registration)
            for attribute in _CLIENT_ATTRIBUTES:
                setattr(current, attribute, getattr(template, attribute))
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

    def _client_overrides(self, client: Any) -> dict[str, Any]:
        endpoints = self.endpoints
        replacements = {
            "authorize_url": endpoints.authorize_url,
            "access_token_url": endpoints.access_token_url,
            "api_base_url": endpoints.api_base_url,
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
        routes.setdefault(api_base_url, endpoints.api_base_url)
    return routes


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
        return oauth.create_client(name)
    finally:
        oauth._registry[name] = saved_registration
        oauth._clients.pop(name, None)
        if had_client:
            oauth._clients[name] = saved_client
