"""Point a provider of a framework that owns the login at a provider
emulator, and back.

Flask-AppBuilder (under Superset and Airflow), Flask-Security-Too and
flask-oidc each create an Authlib ``OAuth(app)`` of their own and register
their providers on it when the app is set up. Only the last registry made
is ``app.extensions["authlib.integrations.flask_client"]``, so another
``OAuth(app)`` in the same app hides theirs. :func:`framework_client` finds
the framework's registry through
:func:`flask_oauth_recover.integrations.framework_registries`, which looks
at what the app holds and imports no framework. :class:`FrameworkStandIn`
rewrites that registry's client as :class:`~.stand_in.StandIn` does (the
client object, its registration, API calls through it), and the
configuration the framework keeps the provider's settings in:

- Flask-AppBuilder: the ``OAUTH_PROVIDERS`` entry of that name. FAB gave its
  ``remote_app`` to ``oauth.register()`` and reads the list again later
  (the login page, the token key). The stand-in puts a copy of the list in
  the configuration whose entry has the emulator's credentials and
  addresses, and puts the app's own list back on exit.
- Flask-Security-Too: ``<NAME>_CLIENT_ID`` and ``<NAME>_CLIENT_SECRET``
  (``GITHUB_CLIENT_ID``...), which Authlib reads by the client's name. Its
  built-in ``github`` and ``google`` providers register github.com's and
  Google's addresses, which the client's rewrite replaces.
- flask-oidc: its client is named ``oidc`` and discovers its endpoints at
  ``OIDC_SERVER_METADATA_URL`` (made from the ``issuer`` in
  ``OIDC_CLIENT_SECRETS``); ``OIDC_CLIENT_ID`` and ``OIDC_CLIENT_SECRET``
  are flask-oidc's copies of the credentials, and Authlib's keys for that
  name. ``OIDC_CLIENT_SECRETS`` itself, read once at set-up, is left as it
  is.

Each configuration value is put back on exit unless the app has replaced
it in the meantime.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from ..integrations import framework_registries
from .stand_in import _ADDRESS_ATTRIBUTES
from .stand_in import Endpoints
from .stand_in import StandIn
from .stand_in import _is_address

if TYPE_CHECKING:
    from flask import Flask
    from flask.config import Config

__all__ = ["FrameworkClient", "FrameworkStandIn", "framework_client"]

APPBUILDER = "Flask-AppBuilder"
_CREDENTIALS = ("client_id", "client_secret")
# Authlib's own configuration keys, <NAME>_<PARAMETER>, for addresses.
_AUTHLIB_ADDRESS_KEYS = tuple(_ADDRESS_ATTRIBUTES.values())
_MISSING = object()


@dataclass(frozen=True)
class FrameworkClient:
    """A framework's Authlib client, as :func:`framework_client` found it.

    :param framework: The framework's name: ``"Flask-AppBuilder"``,
        ``"Flask-Security"`` or ``"flask-oidc"``.
    :param name: The client's name: the ``OAUTH_PROVIDERS`` entry's, the
        Flask-Security provider's, or ``"oidc"``.
    :param oauth: The framework's Authlib registry.
    """

    framework: str
    name: str
    oauth: Any


def framework_client(app: Flask, name: str) -> FrameworkClient | None:
    """The client ``name`` of a framework that owns ``app``'s login, or
    ``None`` when no such framework registered one.

    :param app: The Flask app, with its frameworks set up.
    :param name: The client's name.
    """
    for framework, oauth in framework_registries(app).items():
        if name in getattr(oauth, "_registry", {}):
            return FrameworkClient(framework, name, oauth)
    return None


class FrameworkStandIn(StandIn):
    """A framework's provider, pointed at an emulator until
    :meth:`~StandIn.restore`: its Authlib client, as :class:`StandIn`
    points one, and the configuration the framework keeps its settings in.

    Made by :meth:`ProviderEmulator.stand_in_for
    <flask_oauth_recover.testing.ProviderEmulator.stand_in_for>`. Used as a
    context manager, it restores everything on exit; otherwise that happens
    when the emulator stops.

    :param app: The Flask app.
    :param client: The framework's client, from :func:`framework_client`.
    :param endpoints: Where to point it.
    :param on_restore: Called with the stand-in once it is restored.
    :raises ValueError: If the client is an OAuth 1 client.
    """

    def __init__(
        self,
        app: Flask,
        client: FrameworkClient,
        endpoints: Endpoints,
        on_restore: Callable[[StandIn], None] | None = None,
    ) -> None:
        #: The framework's name, e.g. ``"Flask-AppBuilder"``.
        self.framework = client.framework
        self._saved_config: dict[str, Any] = {}
        self._installed_config: dict[str, Any] = {}
        super().__init__(
            app, client.name, endpoints, on_restore=on_restore, oauth=client.oauth
        )

    def __repr__(self) -> str:
        target = self.endpoints.authorize_url
        state = "active" if self.active else "restored"
        return (
            f"<FrameworkStandIn {self.framework} {self.app.name}:{self.name} "
            f"-> {target} ({state})>"
        )

    def _apply(self, oauth: Any) -> None:
        super()._apply(oauth)
        assert self._installed_registration is not None
        registration = self._installed_registration[1]
        config = self.app.config
        if self.framework == APPBUILDER:
            values = _appbuilder_config(config, self.name, registration)
        else:
            values = _authlib_config(config, self.name, registration)
        for key, value in values.items():
            self._saved_config[key] = config.get(key, _MISSING)
            config[key] = value
        self._installed_config = values

    def _undo(self) -> None:
        super()._undo()
        config = self.app.config
        for key, installed in self._installed_config.items():
            if config.get(key, _MISSING) is not installed:
                continue  # the app has set its own since
            saved = self._saved_config[key]
            if saved is _MISSING:
                del config[key]
            else:
                config[key] = saved


def _appbuilder_config(
    config: Config, name: str, registration: Mapping[str, Any]
) -> dict[str, Any]:
    """``OAUTH_PROVIDERS`` as a copy whose entry ``name`` has the
    emulator's settings; nothing when the app has no such entry."""
    providers = config.get("OAUTH_PROVIDERS")
    if not isinstance(providers, (list, tuple)):
        return {}
    entries = list(providers)
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or entry.get("name") != name:
            continue
        remote_app = entry.get("remote_app")
        if not isinstance(remote_app, Mapping):
            return {}
        entries[index] = {
            **entry,
            "remote_app": _pointed(remote_app, registration),
        }
        return {"OAUTH_PROVIDERS": entries}
    return {}


def _pointed(
    settings: Mapping[str, Any], registration: Mapping[str, Any]
) -> dict[str, Any]:
    """``settings`` (keyword arguments for ``oauth.register()``) with the
    credentials and addresses of the stand-in's registration. An address
    the registration no longer has is left out, as the stand-in left it
    out of the registration."""
    pointed: dict[str, Any] = {}
    for key, value in settings.items():
        if key in _CREDENTIALS or (value and _names_an_address(key)):
            if key in registration:
                pointed[key] = registration[key]
        else:
            pointed[key] = value
    for key in _CREDENTIALS:
        pointed[key] = registration[key]
    return pointed


def _authlib_config(
    config: Config, name: str, registration: Mapping[str, Any]
) -> dict[str, Any]:
    """Authlib's configuration keys for the client ``name``: both
    credentials, and each address the app set there."""
    prefix = f"{name.upper()}_"
    values = {f"{prefix}{key.upper()}": registration[key] for key in _CREDENTIALS}
    for key in _AUTHLIB_ADDRESS_KEYS:
        setting = f"{prefix}{key.upper()}"
        if config.get(setting) and key in registration:
            values[setting] = registration[key]
    return values


def _names_an_address(key: str) -> bool:
    return key.endswith("_url") or _is_address(key)
