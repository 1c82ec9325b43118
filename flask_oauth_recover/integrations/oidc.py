"""flask-oidc.

Its ``oidc_auth.authorize`` view calls Authlib's ``authorize_access_token()``
on the client named ``oidc`` and answers every ``OAuthError`` with a bare
401 (``abort(401)``); other failures, such as a provider answering 502,
escape as a 500. Wrapped here, a transient failure restarts and anything
else gets the extension's page.

flask-oidc lets Authlib mint the state and keeps the destination in
``session["next"]``, so the extension's own restart serves: it repeats the
login's redirect URI and leaves ``next`` where flask-oidc looks for it.
(Its login view cannot be reused inside the callback: it would reset
``next`` to the site's root.)

flask-oidc keeps its ``OpenIDConnect`` object out of ``app.extensions``; its
Authlib registry is found through the hook it registers on the app, or as
the app's registry when that holds its client. flask-oidc is never
imported here.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from ..clients import AUTHLIB_KEY
from ..clients import Registry
from ..diagnose.evidence import FrameworkSettings
from ..framework import Framework
from . import framework_of

#: The name flask-oidc registers its Authlib client under.
CLIENT_NAME = "oidc"
CALLBACK_ENDPOINT = "oidc_auth.authorize"


def install(recover: Any, app: Flask) -> Framework | None:
    """Wrap flask-oidc's callback on ``app``, once; ``None`` when it has
    none (a resource server only).

    :param recover: the :class:`~flask_oauth_recover.OAuthRecover`.
    :param app: the Flask app.
    """
    view = app.view_functions.get(CALLBACK_ENDPOINT)
    oauth = find_registry(app)
    if view is None or oauth is None:
        return None
    wrapped = framework_of(view)
    if wrapped is not None:
        return wrapped
    registry = Registry(oauth)
    registry.attach(app)
    framework = Framework(
        name="flask-oidc",
        registry=registry,
        settings=FrameworkSettings(name="flask-oidc", credentials=_credentials),
    )
    app.view_functions[CALLBACK_ENDPOINT] = recover.wrap(
        view, CLIENT_NAME, framework=framework
    )
    return framework


def find_registry(app: Flask) -> Any:
    """flask-oidc's Authlib registry on ``app``, which holds its client
    :data:`CLIENT_NAME`; ``None`` when it has none.

    :param app: the Flask app.
    """
    for hook in app.before_request_funcs.get(None, ()):
        owner = getattr(hook, "__self__", None)
        oauth = getattr(owner, "oauth", None)
        if CLIENT_NAME in getattr(oauth, "_registry", {}):
            return oauth
    oauth = app.extensions.get(AUTHLIB_KEY)
    return oauth if CLIENT_NAME in getattr(oauth, "_registry", {}) else None


def _credentials(client_name: str, field: str) -> str:
    return (
        f'"{field}" in OIDC_CLIENT_SECRETS (the client_secrets.json file or '
        f"dict), copied to OIDC_{field.upper()}"
    )
