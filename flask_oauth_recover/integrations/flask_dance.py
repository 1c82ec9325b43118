"""Flask-Dance blueprints, seen as the extension sees an Authlib client.

``recover.flask_dance(blueprint)`` wraps the blueprint's ``authorized``
view with the same callback handling as ``@recover.callback``. The rest of
the extension talks to an Authlib-shaped object; :class:`DanceClient` is
that object for a Flask-Dance OAuth 2 blueprint:

- its "state data" is the state Flask-Dance keeps in the session under
  ``<name>_oauth_state``;
- a restart goes through the blueprint's own ``login``, so PKCE, extra
  authorize parameters and ``oauth_before_login`` stay Flask-Dance's, with
  a state minted by :mod:`.state` carrying the login's history;
- its token requests pass through :mod:`.token_response`'s check, as a
  requests-oauthlib compliance hook, and get ``OAUTH_RECOVER_TIMEOUT``.

The view wrapper speaks Flask-Dance's dialect: it refuses a lost state
itself (Flask-Dance would start a new login without bound), lets
Flask-Dance send ``oauth_error`` for ``?error=`` callbacks and then hands the
error over unless an ``oauth_error`` receiver answered, and turns
oauthlib's exceptions into the Authlib ones the classification knows.

Flask-Dance and oauthlib are imported only when an app uses this module.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

from authlib.integrations.base_client import MismatchingStateError
from authlib.integrations.base_client import OAuthError
from authlib.oauth2.rfc6749.errors import MissingCodeException
from flask import Flask
from flask import current_app
from flask import g
from flask import request
from flask import session
from flask import url_for

from ..state import mint_state
from ..token_response import check_response

_NEXT_STATE = "_oauth_recover_dance_state"
_WRAPPED = "_oauth_recover_dance"
_SENT_SUFFIX = "_oauth_recover_redirect_uri"


class DanceStates:
    """Flask-Dance's pending state, behind Authlib's framework interface.

    :param blueprint: the Flask-Dance OAuth 2 blueprint.
    """

    #: No shared cache: a duplicate callback cannot be told apart.
    cache = None

    def __init__(self, blueprint: Any) -> None:
        self.blueprint = blueprint
        self.name = blueprint.name
        self.key = f"{blueprint.name}_oauth_state"
        self.sent_key = f"{blueprint.name}{_SENT_SUFFIX}"

    def get_state_data(self, store: Any, state: str | None) -> dict[str, Any] | None:
        """What the login saved for ``state``, when it is the pending one."""
        if not state or store.get(self.key) != state:
            return None
        sent = store.get(self.sent_key)
        if not isinstance(sent, str):
            # A login from before the extension: built as Flask-Dance does.
            sent = url_for(".authorized", _external=True)
        return {"redirect_uri": sent}

    def clear_state_data(self, store: Any, state: str | None) -> None:
        """Forget ``state`` when it is the pending one."""
        if state and store.get(self.key) == state:
            store.pop(self.key, None)
            store.pop(self.sent_key, None)


class DanceClient:
    """A Flask-Dance OAuth 2 blueprint with the attributes and methods the
    extension reads from an Authlib client.

    :param blueprint: the Flask-Dance OAuth 2 blueprint.
    """

    #: Never prepared like an Authlib client: the blueprint's session is.
    _oauth_recover_prepared = True
    request_token_url = None
    server_metadata: dict[str, Any] = {}
    client_kwargs: dict[str, Any] = {}
    _server_metadata_url = None

    def __init__(self, blueprint: Any) -> None:
        self.blueprint = blueprint
        self.name = str(blueprint.name)
        self.framework = DanceStates(blueprint)

    def __repr__(self) -> str:
        return f"<DanceClient {self.name!r}>"

    @property
    def client_id(self) -> Any:
        """The blueprint's client ID, as the app's config sets it."""
        self._load_config()
        return self.blueprint.client_id

    @property
    def client_secret(self) -> Any:
        """The blueprint's client secret, likewise."""
        self._load_config()
        return self.blueprint.client_secret

    @property
    def access_token_url(self) -> str | None:
        """The token endpoint, resolved against the blueprint's base URL."""
        return self._absolute(self.blueprint.token_url)

    @property
    def authorize_url(self) -> str | None:
        """The authorization endpoint, resolved likewise."""
        return self._absolute(self.blueprint.authorization_url)

    @property
    def api_base_url(self) -> str | None:
        """The blueprint's base URL."""
        return self.blueprint.base_url  # type: ignore[no-any-return]

    @property
    def credential_keys(self) -> dict[str, str]:
        """The app config keys the blueprint reads its credentials from."""
        keys = {}
        for attribute, key in self.blueprint.from_config.items():
            name = str(attribute).rpartition(".")[2]
            if name in ("client_id", "client_secret"):
                keys[name] = str(key)
        return keys

    def authorize_access_token(self) -> Any:
        """Run the blueprint's own ``authorized`` view."""
        return self.blueprint.authorized()

    def create_authorization_url(
        self, redirect_uri: str | None = None, state: str | None = None, **params: Any
    ) -> dict[str, Any]:
        """Start a new login through the blueprint's ``login`` view, with
        ``state`` as its state; ``redirect_uri`` and ``params`` are the
        blueprint's own. Without a ``state``, only build the URL a login
        would send the browser to (``check --probe``), saving nothing."""
        if state is None:
            self._load_config()
            oauth_session = self.blueprint.session
            oauth_session.redirect_uri = redirect_uri or url_for(
                f"{self.name}.authorized", _external=True
            )
            url, minted = oauth_session.authorization_url(
                self.authorize_url, **self.blueprint.authorization_url_params
            )
            return {"url": url, "state": minted}
        setattr(g, _NEXT_STATE, state)
        response = self.blueprint.login()
        return {"url": response.location, "state": state}

    def save_authorize_data(self, **kwargs: Any) -> None:
        """Nothing to do: the blueprint's ``login`` saved its state."""

    def fetch_access_token(self, **params: Any) -> Any:
        """Ask the token endpoint, as the blueprint would (``check
        --probe``)."""
        self._load_config()
        blueprint = self.blueprint
        oauth_session = blueprint.session
        oauth_session.redirect_uri = url_for(f"{self.name}.authorized", _external=True)
        return oauth_session.fetch_token(
            self.access_token_url,
            client_secret=blueprint.client_secret,
            include_client_id=True,
            **{**blueprint.token_url_params, **params},
        )

    def _load_config(self) -> None:
        # Flask-Dance copies its config keys before each request; outside
        # one (flask oauth-recover check) nobody has.
        if current_app:
            self.blueprint.load_config()

    def _absolute(self, url: str | None) -> str | None:
        base = self.blueprint.base_url
        return urljoin(base, url) if url and base else url


def install(recover: Any, blueprint: Any, provider: str | None) -> None:
    """Give ``blueprint`` the extension's callback handling, on every app
    it is or will be registered on.

    :param recover: the :class:`~flask_oauth_recover.OAuthRecover`.
    :param blueprint: a Flask-Dance ``OAuth2ConsumerBlueprint``.
    :param provider: the provider profile, where the endpoints do not say.
    """
    if not hasattr(blueprint, "authorized") or not hasattr(blueprint, "token_url"):
        raise TypeError(
            "recover.flask_dance() takes a Flask-Dance OAuth 2 blueprint, "
            f"not {blueprint!r}"
        )
    if getattr(blueprint, _WRAPPED, None) is not None:
        return
    client = DanceClient(blueprint)
    setattr(blueprint, _WRAPPED, (recover, client, provider))
    _prepare_sessions(blueprint)
    if not blueprint._got_registered_once:
        blueprint.record(lambda setup: wrap_view(setup.app, blueprint))
    # Apps it is already registered on are wrapped before their next
    # request (OAuthRecover.wrap_dance_views).


def wrap_view(app: Flask, blueprint: Any) -> None:
    """Wrap ``blueprint``'s ``authorized`` view on ``app``, once."""
    recover, client, provider = getattr(blueprint, _WRAPPED)
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.rpartition(".")[2] != "authorized" or getattr(
            view, _WRAPPED, False
        ):
            continue
        if getattr(view, "__self__", None) is not blueprint:
            continue
        wrapped = recover.callback(client, provider=provider)(_dialect(blueprint, view))
        setattr(wrapped, _WRAPPED, True)
        app.view_functions[endpoint] = wrapped


def _prepare_sessions(blueprint: Any) -> None:
    created = blueprint.session_created

    @functools.wraps(created)
    def session_created(oauth_session: Any) -> Any:
        oauth_session = created(oauth_session) or oauth_session
        oauth_session.register_compliance_hook("access_token_response", check_response)
        oauth_session.state = functools.partial(_mint, blueprint, oauth_session)
        blueprint.token_url_params.setdefault(
            "timeout", current_app.config["OAUTH_RECOVER_TIMEOUT"]
        )
        return oauth_session

    blueprint.session_created = session_created


def _mint(blueprint: Any, oauth_session: Any) -> str:
    # What the login sends, kept beside Flask-Dance's state: a page must
    # name that URI, not one rebuilt at the callback.
    session[f"{blueprint.name}{_SENT_SUFFIX}"] = oauth_session.redirect_uri
    # A restart passes its own state, which carries the login's history.
    chosen = g.pop(_NEXT_STATE, None)
    if isinstance(chosen, str):
        return chosen
    return mint_state(blueprint.name, redirect_uri=oauth_session.redirect_uri)


def _dialect(blueprint: Any, view: Callable[..., Any]) -> Callable[..., Any]:
    from oauthlib.oauth2.rfc6749 import errors

    @functools.wraps(view)
    def authorized(*args: Any, **kwargs: Any) -> Any:
        values = request.args if request.method == "GET" else request.form
        error = values.get("error")
        if error:
            # Flask-Dance sends oauth_error, then redirects home unless a
            # receiver answered: the answer is the app's.
            rv = view(*args, **kwargs)
            if not _is_default_redirect(rv, blueprint):
                return rv
            raise OAuthError(error=error, description=values.get("error_description"))
        state = values.get("state")
        if not state or session.get(f"{blueprint.name}_oauth_state") != state:
            # Flask-Dance would start a new login here, without a bound.
            raise MismatchingStateError()
        try:
            return view(*args, **kwargs)
        except errors.MismatchingStateError as exc:
            raise MismatchingStateError() from exc
        except errors.MissingCodeError as exc:
            raise MissingCodeException() from exc
        except errors.OAuth2Error as exc:
            raise OAuthError(
                error=exc.error, description=exc.description, uri=exc.uri
            ) from exc

    return authorized


def _is_default_redirect(rv: Any, blueprint: Any) -> bool:
    if blueprint.redirect_url:
        home = blueprint.redirect_url
    elif blueprint.redirect_to:
        home = url_for(blueprint.redirect_to)
    else:
        home = "/"
    return getattr(rv, "status_code", None) in (301, 302, 303, 307, 308) and (
        getattr(rv, "location", None) == home
    )
