"""Flask-Security-Too's OAuth glue.

Its ``oauthresponse`` and ``oauth_verify_response`` views (on the blueprint
named by ``SECURITY_BLUEPRINT_NAME``, ``security`` by default) call Authlib's
``authorize_access_token()`` and answer every ``OAuthError`` with a flash of
the provider's raw error code and description and a redirect to the login
page; other failures, such as a provider answering 502, escape as a 500.
Wrapped here, a transient failure restarts and anything else gets the
extension's page.

Flask-Security lets Authlib mint the state, so the extension's own restart
serves: it repeats the login's redirect URI and keeps ``fs_oauth_next`` in
the session, where Flask-Security looks for the destination. (Its start
view cannot be reused: it is POST only and resets ``fs_oauth_next``.)

Flask-Security is never imported here.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from ..clients import Registry
from ..diagnose.evidence import FrameworkSettings
from ..framework import Framework
from . import framework_of
from . import unwrapped

#: Flask-Security's OAuth callback views, by endpoint name on its blueprint.
CALLBACK_VIEWS = ("oauthresponse", "oauth_verify_response")


def install(recover: Any, app: Flask) -> Framework | None:
    """Wrap Flask-Security's OAuth callbacks on ``app``, once; ``None`` when
    its OAuth glue is off.

    :param recover: the :class:`~flask_oauth_recover.OAuthRecover`.
    :param app: the Flask app.
    """
    security = app.extensions.get("security")
    oauth = find_registry(app)
    if oauth is None:
        return None
    blueprint = getattr(security, "blueprint_name", None) or "security"
    views = {
        endpoint: app.view_functions[endpoint]
        for endpoint in (f"{blueprint}.{name}" for name in CALLBACK_VIEWS)
        if endpoint in app.view_functions
    }
    for view in views.values():
        wrapped = framework_of(view)
        if wrapped is not None:
            return wrapped
    if not views:
        return None
    registry = Registry(oauth)
    registry.attach(app)
    framework = Framework(
        name="Flask-Security",
        registry=registry,
        settings=FrameworkSettings(name="Flask-Security", credentials=_credentials),
    )
    for endpoint, view in views.items():
        app.view_functions[endpoint] = recover.wrap(
            unwrapped(view), framework=framework
        )
    return framework


def find_registry(app: Flask) -> Any:
    """Flask-Security's Authlib registry on ``app``
    (``security.oauthglue.oauth``), whose clients are named after its OAuth
    providers; ``None`` when its OAuth glue is off.

    :param app: the Flask app.
    """
    glue = getattr(app.extensions.get("security"), "oauthglue", None)
    return getattr(glue, "oauth", None)


def _credentials(client_name: str, field: str) -> str:
    # Authlib reads them from the app's config, by the client's name.
    return f"{client_name.upper()}_{field.upper()} in the app's config"
