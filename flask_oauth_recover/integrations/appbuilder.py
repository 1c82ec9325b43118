"""Flask-AppBuilder's OAuth login, and Superset's and Airflow's on it.

FAB's ``AuthOAuthView.oauth_authorized`` (or the subclass the app registers
instead, such as Airflow's ``CustomAuthOAuthView``) calls Authlib's
``authorize_access_token()`` and turns every failure into one flash, "The
request to sign in was denied.", and a redirect to its login; Superset's
login is a single-page app that shows no flash at all. Wrapped here, a
transient failure restarts and anything else gets the extension's page.

FAB's state is its own: a JWT of the login request's arguments (``next``
among them), signed with a random key kept in the session, which FAB
checks after the token exchange. A restart therefore goes through FAB's
own login, which mints a new JWT carrying ``next``; and the extension's
signed state rides inside FAB's JWT, as one more claim, so that the loop
guard holds when the session cookie does not come back:

- at a login, the client's ``create_authorization_url`` re-signs FAB's JWT
  with FAB's own key, adding the claim ``_oauth_recover`` (a state minted by
  :mod:`flask_oauth_recover.state`);
- a restart sends the browser to FAB's login with ``next`` and that claim
  as query arguments, which FAB copies into its new JWT;
- the callback reads the claim without FAB's key (it is signed itself).

Flask-AppBuilder and PyJWT are imported only when an app uses FAB.
"""

from __future__ import annotations

import functools
from typing import Any

from flask import Flask
from flask import redirect
from flask import session
from flask import url_for
from werkzeug.wrappers import Response

from ..clients import Registry
from ..clients import is_oauth2
from ..diagnose.evidence import FrameworkSettings
from ..framework import Framework
from ..restart import Recipe
from ..state import mint_state
from ..state import read_state
from . import framework_of
from . import unwrapped

#: The login argument, and the claim of FAB's state, that carries the
#: extension's signed state.
TOKEN_CLAIM = "_oauth_recover"
#: How old a signed state passed to FAB's login may be: a restart's
#: redirect is followed at once, a link someone sent around is older.
PASSED_TOKEN_SECONDS = 60
_CARRIES = "_oauth_recover_fab"


def install(recover: Any, app: Flask) -> Framework | None:
    """Wrap FAB's OAuth callback on ``app``, once; ``None`` when FAB does
    not sign in with OAuth there, or has not registered its views yet.

    :param recover: the :class:`~flask_oauth_recover.OAuthRecover`.
    :param app: the Flask app.
    """
    security_manager = _security_manager(app)
    auth_view = getattr(security_manager, "auth_view", None)
    oauth = find_registry(app)
    if auth_view is None or oauth is None:
        return None
    endpoint = f"{auth_view.endpoint}.oauth_authorized"
    view = app.view_functions.get(endpoint)
    if view is None:
        return None
    wrapped = framework_of(view)
    if wrapped is not None:
        return wrapped
    registry = Registry(oauth)
    registry.attach(app)
    for client in list(getattr(oauth, "_clients", {}).values()):
        if is_oauth2(client):
            _carry_token(client)
    framework = Framework(
        name=_settings(security_manager).name or "Flask-AppBuilder",
        registry=registry,
        restart=functools.partial(_restart, f"{auth_view.endpoint}.login"),
        signed_token=signed_token,
        destination=destination_of,
        settings=_settings(security_manager),
    )
    app.view_functions[endpoint] = recover.wrap(unwrapped(view), framework=framework)
    return framework


def find_registry(app: Flask) -> Any:
    """FAB's Authlib registry on ``app`` (``appbuilder.sm.oauth``), whose
    clients are named after the ``OAUTH_PROVIDERS`` entries; ``None`` when
    FAB does not sign in with OAuth there.

    :param app: the Flask app.
    """
    return getattr(_security_manager(app), "oauth", None)


def _security_manager(app: Flask) -> Any:
    appbuilder = app.extensions.get("appbuilder") or getattr(app, "appbuilder", None)
    return getattr(appbuilder, "sm", None)


def signed_token(state: str) -> str | None:
    """The extension's signed state inside FAB's JWT ``state``, read
    without FAB's key (the signed state is checked on its own)."""
    claims = _claims(state)
    value = claims.get(TOKEN_CLAIM) if claims else None
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) else None


def _claims(state: str | None) -> dict[str, Any] | None:
    import jwt

    if not state or state.count(".") != 2:
        return None
    try:
        claims = jwt.decode(state, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return None
    return claims if isinstance(claims, dict) else None


def _carry_token(client: Any) -> None:
    """Have ``client`` add the extension's signed state to each JWT state
    FAB's login passes it."""
    if getattr(client, _CARRIES, False):
        return
    create = client.create_authorization_url

    def create_authorization_url(
        redirect_uri: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        state = kwargs.get("state")
        key = session.get("oauth_state")
        if isinstance(state, str) and isinstance(key, str):
            kwargs["state"] = _with_token(state, key, client.name, redirect_uri)
        return create(redirect_uri, **kwargs)  # type: ignore[no-any-return]

    client.create_authorization_url = create_authorization_url
    setattr(client, _CARRIES, True)


def _with_token(
    state: str, key: str, client_name: str, redirect_uri: str | None
) -> str:
    import jwt

    try:
        claims = jwt.decode(state, key, algorithms=["HS256"])
    except jwt.InvalidTokenError:
        return state  # not FAB's: left as it is
    if not isinstance(claims, dict):
        return state
    passed = signed_token(state)
    if passed is None or read_state(passed, PASSED_TOKEN_SECONDS, client_name) is None:
        # A first login, or a claim that is not a restart's own: start the
        # count afresh.
        claims[TOKEN_CLAIM] = [mint_state(client_name, redirect_uri=redirect_uri)]
    return str(jwt.encode(claims, key, algorithm="HS256"))


def _restart(
    login_endpoint: str, client: Any, state: str | None, history: str, recipe: Recipe
) -> Response:
    """Send the browser to FAB's own login for ``client``, with the login's
    ``next`` and a signed state carrying ``history``."""
    arguments: dict[str, Any] = {
        "provider": client.name,
        TOKEN_CLAIM: mint_state(client.name, history, recipe.redirect_uri),
    }
    destination = (destination_of(state) if state else None) or recipe.destination
    if destination is not None:
        # FAB's login keeps it in its JWT, and checks it before it is used.
        arguments["next"] = destination
    return redirect(url_for(login_endpoint, **arguments))


def destination_of(state: str) -> str | None:
    """The ``next`` FAB's JWT ``state`` carries (unchecked: FAB checks it
    before it sends anyone there)."""
    claims = _claims(state)
    destination = claims.get("next") if claims else None
    if isinstance(destination, list):
        destination = destination[0] if destination else None
    return destination if isinstance(destination, str) else None


def _settings(security_manager: Any) -> FrameworkSettings:
    """Where Superset's, Airflow's or a FAB app's users set things."""
    modules = {cls.__module__.split(".")[0] for cls in type(security_manager).__mro__}
    if "superset" in modules:
        return FrameworkSettings(
            name="Superset",
            secret_key="SECRET_KEY in superset_config.py (or the SUPERSET_SECRET_KEY "
            "environment variable)",
            secret_key_snippet="# superset_config.py, the same on every instance\n"
            'SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]',
            proxy_fix="ENABLE_PROXY_FIX = True in superset_config.py",
            credentials=functools.partial(_provider_setting, "superset_config.py"),
        )
    if "airflow" in modules:
        return FrameworkSettings(
            name="Airflow",
            secret_key="[api] secret_key in airflow.cfg (or the "
            "AIRFLOW__API__SECRET_KEY environment variable)",
            secret_key_snippet="# the same value for every api-server and worker\n"
            "AIRFLOW__API__SECRET_KEY=<one long random value>",
            proxy_fix="[fab] enable_proxy_fix = True in airflow.cfg (or "
            "AIRFLOW__FAB__ENABLE_PROXY_FIX=True)",
            credentials=functools.partial(_provider_setting, "webserver_config.py"),
            # Airflow 3's API server serves FAB's Flask app under /auth.
            mount="/auth",
        )
    return FrameworkSettings(
        name="Flask-AppBuilder",
        secret_key="SECRET_KEY in the app's config",
        credentials=functools.partial(_provider_setting, "the app's config"),
    )


def _provider_setting(where: str, client_name: str, field: str) -> str:
    return (
        f'the OAUTH_PROVIDERS entry named "{client_name}": '
        f'["remote_app"]["{field}"] in {where}'
    )
