"""Finding the Authlib client a callback serves, and preparing clients.

A callback decorator may name its client, pass the client object or a
callable, or say nothing: then the app's single OAuth 2 client serves it,
or, when there are several (``/auth/<name>``), the one a view argument
names. A callback for an OAuth 1 client, or for a name no client has, is
not ours: the view runs untouched.

Every OAuth 2 client of the app is *prepared* once: its authorization-URL
creation mints signed states (:mod:`.state`), and its token requests pass
through :mod:`.token_response`'s check. Preparing happens when the
extension is set up, for the clients that exist, and when the registry
creates each later one, so the app's own login view, which the extension
never wraps, sends a minted state too, and no request pays for it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask import current_app
from flask import g
from flask import request

from .providers import Match
from .providers import Profile
from .providers import identify
from .state import mint_state
from .token_response import install

#: Where Authlib's Flask integration keeps its registry.
AUTHLIB_KEY = "authlib.integrations.flask_client"
#: Where the extension keeps its per-app state in ``app.extensions``.
EXTENSION_KEY = "oauth_recover"
#: View arguments that name a client, in the order they are tried.
NAME_ARGUMENTS = ("name", "provider", "client")
_PREPARED = "_oauth_recover_prepared"
#: Where ``authorize_access_token``'s exception is kept in ``flask.g``.
CAUGHT_KEY = "_oauth_recover_caught"
logger = logging.getLogger("flask_oauth_recover")


class Registry:
    """The Authlib ``OAuth`` registry of one app, as the extension uses it.

    :param oauth: the registry given to the extension, or ``None`` to find
        it in ``app.extensions`` when first needed.
    """

    def __init__(self, oauth: Any = None) -> None:
        self._oauth = oauth
        self._warned: set[str | None] = set()
        self._names_cache: tuple[int, list[str], list[str]] | None = None
        #: ``(name, client)`` by the client name a decorator gave: Authlib
        #: creates a client once per registry, so it never changes.
        self.resolved: dict[str, tuple[str, Any]] = {}

    def oauth(self) -> Any:
        """The Authlib registry, or ``None`` when the app has none yet."""
        return self._oauth or current_app.extensions.get(AUTHLIB_KEY)

    def names(self) -> list[str]:
        """Names of the registered clients, OAuth 1 ones included."""
        return self._names()[0]

    def oauth2_names(self) -> list[str]:
        """Names of the registered OAuth 2 clients."""
        return self._names()[1]

    def _names(self) -> tuple[list[str], list[str]]:
        registrations = getattr(self.oauth(), "_registry", None) or {}
        # Clients are registered, never removed: the count says if it changed.
        if self._names_cache is None or self._names_cache[0] != len(registrations):
            oauth2 = [
                name
                for name, (_, kwargs) in registrations.items()
                if not kwargs.get("request_token_url")
            ]
            self._names_cache = (len(registrations), list(registrations), oauth2)
        return self._names_cache[1], self._names_cache[2]

    def warn_ambiguous(self, names: list[str]) -> None:
        """Say once per endpoint that a callback could serve any client."""
        self.warn_once(
            "@recover.callback() on %r cannot tell which of the OAuth 2 clients "
            "%s it serves, so it does not handle its failures: name the client, "
            "route by a view argument (/auth/<name>), or pass a callable that "
            "returns the client for the request",
            ", ".join(repr(name) for name in names),
        )

    def warn_once(self, message: str, detail: str) -> None:
        """Log ``message`` (``%r`` the endpoint, ``%s`` ``detail``) at
        WARNING, once per endpoint: a setup mistake, not an event."""
        endpoint = request.endpoint
        if endpoint in self._warned:
            return
        self._warned.add(endpoint)
        logger.warning(message, endpoint, detail)

    def client(self, name: str) -> Any:
        """The client registered as ``name``, or ``None``."""
        oauth = self.oauth()
        created = getattr(oauth, "_clients", {}).get(name)
        if created is not None:
            return created
        if oauth is None or name not in getattr(oauth, "_registry", {}):
            return None
        return oauth.create_client(name)

    def attach(self, app: Flask) -> bool:
        """Prepare every OAuth 2 client of ``app``'s Authlib registry, and
        have the registry prepare each one it creates from now on;
        ``False`` when the app has no registry yet.

        Clients are never created here: Authlib reads a client's config
        when the app first uses it, and apps rely on that moment.
        """
        oauth = self._oauth or app.extensions.get(AUTHLIB_KEY)
        created = getattr(oauth, "_clients", None)
        if created is None:
            return False
        if not getattr(oauth, _PREPARED, False):
            _prepare_on_creation(oauth)
        for client in list(created.values()):
            if is_oauth2(client):
                prepare(client)
        return True


def _prepare_on_creation(oauth: Any) -> None:
    create = oauth.create_client

    def create_client(name: str) -> Any:
        client = create(name)
        if client is not None and is_oauth2(client):
            prepare(client)
        return client

    # On the instance: Authlib's attribute access (oauth.github) goes
    # through it too.
    oauth.create_client = create_client
    setattr(oauth, _PREPARED, True)


def current_registry() -> Registry:
    """The :class:`Registry` of the current app.

    :raises RuntimeError: the extension was not initialized for this app.
    """
    state = current_app.extensions.get(EXTENSION_KEY)
    if state is None:
        raise RuntimeError(
            "OAuthRecover is not initialized for this app: call "
            "OAuthRecover(app) or recover.init_app(app)"
        )
    registry: Registry = state.registry
    return registry


def is_oauth2(client: Any) -> bool:
    """Is ``client`` an Authlib OAuth 2 client (not OAuth 1)?"""
    return not getattr(client, "request_token_url", None) and hasattr(
        client, "authorize_access_token"
    )


def prepare(client: Any) -> None:
    """Make ``client`` mint signed states and check its token responses.

    Idempotent. The states are minted by wrapping the instance's
    ``create_authorization_url``, through which Authlib's
    ``authorize_redirect`` and every other caller go.
    """
    if getattr(client, _PREPARED, False):
        return
    install(client)
    create = client.create_authorization_url

    def create_authorization_url(
        redirect_uri: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        if not kwargs.get("state"):
            kwargs["state"] = mint_state(client.name, redirect_uri=redirect_uri)
        return create(redirect_uri, **kwargs)  # type: ignore[no-any-return]

    authorize = client.authorize_access_token

    def authorize_access_token(**kwargs: Any) -> Any:
        try:
            return authorize(**kwargs)
        except Exception as exc:
            # Kept for apps that catch it in their own view: the callback
            # still sees what failed (caught_failure).
            g.setdefault(CAUGHT_KEY, exc)
            raise

    client.create_authorization_url = create_authorization_url
    client.authorize_access_token = authorize_access_token
    setattr(client, _PREPARED, True)


def caught_failure() -> BaseException | None:
    """What ``authorize_access_token`` raised in this request, even if the
    app's own view caught it."""
    caught: BaseException | None = g.pop(CAUGHT_KEY, None)
    return caught


def resolve(
    registry: Registry, ref: Any, view_args: Mapping[str, Any]
) -> tuple[str, Any] | None:
    """The ``(name, client)`` a callback serves on this request, or ``None``
    when it serves no OAuth 2 client of this app.

    :param registry: the app's registry.
    :param ref: what the decorator was given: ``None``, a client name, a
        client object (or a proxy to one), or a callable returning either.
    :param view_args: the view's URL arguments.
    """
    named = isinstance(ref, str)
    if named:
        cached = registry.resolved.get(ref)
        if cached is not None:
            return cached
    if ref is None:
        ref = _name_from_view(registry, view_args)
    elif _is_callable_ref(ref):
        ref = ref()
    if ref is None:
        return None
    if isinstance(ref, str):
        client = registry.client(ref)
        if client is None and named:
            registry.warn_once(
                f"@recover.callback({ref!r}) on %r: no OAuth client of that name "
                "is registered (registered: %s), so the extension leaves this "
                "view alone",
                ", ".join(repr(name) for name in registry.names()) or "none",
            )
    else:
        client = getattr(ref, "_get_current_object", lambda: ref)()
    if client is None or not is_oauth2(client):
        return None
    prepare(client)
    resolved = (str(client.name), client)
    if named:
        registry.resolved[ref] = resolved
    return resolved


def _name_from_view(registry: Registry, view_args: Mapping[str, Any]) -> str | None:
    known = registry.names()
    for argument in NAME_ARGUMENTS:
        value = view_args.get(argument)
        if value is not None:
            # The route names its client: an unknown one is the app's 404.
            return value if isinstance(value, str) and value in known else None
    matches = [value for value in view_args.values() if value in known]
    if len(matches) == 1:
        return str(matches[0])
    names = registry.oauth2_names()
    if len(names) == 1 and not matches:
        return names[0]
    if len(names) > 1 and not view_args:
        registry.warn_ambiguous(names)
    return None


def _is_callable_ref(ref: Any) -> bool:
    # A LocalProxy is callable too, but stands for a client object.
    return (
        callable(ref)
        and not isinstance(ref, str)
        and not hasattr(ref, "_get_current_object")
        and not hasattr(ref, "authorize_access_token")
    )


def endpoint_urls(client: Any) -> list[str]:
    """Every URL the client talks to that it already knows."""
    metadata = getattr(client, "server_metadata", None) or {}
    urls = [
        client.access_token_url,
        client.authorize_url,
        client.api_base_url,
        getattr(client, "_server_metadata_url", None),
        metadata.get("token_endpoint"),
        metadata.get("authorization_endpoint"),
    ]
    return [url for url in urls if isinstance(url, str) and url]


def provider_hosts(client: Any) -> frozenset[str]:
    """``host[:port]`` of every URL the client talks to, for telling
    provider transport errors from the app's own."""
    return frozenset(urlsplit(url).netloc.lower() for url in endpoint_urls(client))


def provider_of(client: Any, client_name: str, named: str | None = None) -> Match:
    """The provider profile serving ``client``, and its display name.

    :param client: the Authlib client.
    :param client_name: its registered name.
    :param named: the profile ``@recover.callback(..., provider=...)``
        named; else ``OAUTH_RECOVER_PROVIDERS`` may name one for the client.
    :raises ValueError: the profile named does not exist.
    """
    if not named:
        configured = current_app.config.get("OAUTH_RECOVER_PROVIDERS") or {}
        named = configured.get(client_name)
    metadata = getattr(client, "server_metadata", None) or {}
    return identify(
        client_name,
        _text(client.authorize_url) or _text(metadata.get("authorization_endpoint")),
        _text(client.access_token_url) or _text(metadata.get("token_endpoint")),
        _text(getattr(client, "_server_metadata_url", None)),
        named=named,
    )


def endpoint_of(client: Any, fix: str) -> str | None:
    """The endpoint a fix concerns: the authorization endpoint for the
    redirect URI, the token endpoint for the credentials."""
    metadata = getattr(client, "server_metadata", None) or {}
    if fix == "redirect_uri":
        return _text(client.authorize_url) or _text(
            metadata.get("authorization_endpoint")
        )
    return _text(client.access_token_url) or _text(metadata.get("token_endpoint"))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def link_hosts(client: Any, profile: Profile | None = None) -> frozenset[str]:
    """Hosts an ``error_uri`` from the client's token endpoint may link to:
    the provider's own hosts, their ``docs.`` siblings, and the
    documentation hosts of its profile.

    :param client: the Authlib client.
    :param profile: its provider profile, if known.
    """
    hosts = set(profile.doc_hosts if profile is not None else ())
    for url in endpoint_urls(client):
        host = (urlsplit(url).hostname or "").lower()
        if not host:
            continue
        hosts.add(host)
        labels = host.split(".")
        if len(labels) >= 2 and not host.replace(".", "").isdigit():
            hosts.add("docs." + ".".join(labels[-2:]))
    return frozenset(hosts)
