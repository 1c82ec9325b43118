"""Adapters for the libraries that own an app's login, one module each.

- :mod:`.flask_dance`: Flask-Dance blueprints, given to
  ``recover.flask_dance(blueprint)``;
- :mod:`.appbuilder`: Flask-AppBuilder, and Superset and Airflow on it;
- :mod:`.security`: Flask-Security-Too's OAuth glue;
- :mod:`.oidc`: flask-oidc.

Each finds its library's callback view and wraps it like
``@recover.callback`` does, with a :class:`~flask_oauth_recover.framework.Framework`
saying what differs. This package sits at the edge: it imports the core,
the core never imports it, and a module here is imported only when the app
uses its library (seen in ``app.extensions`` or ``app.blueprints``, never by
importing the library).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from flask import Flask

if TYPE_CHECKING:
    from ..framework import Framework


def framework_of(view: Any) -> Framework | None:
    """The framework ``view`` is already wrapped for, if any."""
    framework: Framework | None = getattr(view, "_oauth_recover_framework", None)
    return framework


def unwrapped(view: Any) -> Any:
    """``view`` as the framework registered it: without a wrapper the app
    may have put on it by hand (``recover.callback()(view)``), which would
    restart with the extension's own state where the framework needs its
    own."""
    if getattr(view, "_oauth_recover", None) is not None:
        return getattr(view, "__wrapped__", view)
    return view


def install_frameworks(recover: Any, app: Flask) -> list[Framework]:
    """Wrap the callback views of every login-owning library ``app`` uses,
    once; the frameworks found, already wrapped ones included.

    :param recover: the :class:`~flask_oauth_recover.OAuthRecover`.
    :param app: the Flask app, with its views registered.
    """
    found: list[Framework | None] = []
    if _uses_appbuilder(app):
        from .appbuilder import install as install_appbuilder

        found.append(install_appbuilder(recover, app))
    if _uses_security(app):
        from .security import install as install_security

        found.append(install_security(recover, app))
    if _uses_oidc(app):
        from .oidc import install as install_oidc

        found.append(install_oidc(recover, app))
    return [framework for framework in found if framework is not None]


def framework_registries(app: Flask) -> dict[str, Any]:
    """The Authlib registry of each login-owning library ``app`` uses, by
    the library's name (``"Flask-AppBuilder"``, ``"Flask-Security"``,
    ``"flask-oidc"``), leaving out a library that has none (FAB signing in
    without OAuth, Flask-Security with its OAuth glue off).

    Each of them creates its own ``OAuth(app)``, and only the last one made
    is ``app.extensions["authlib.integrations.flask_client"]``: this finds
    theirs for code outside the callback, such as the testing kit's
    stand-ins.

    :param app: the Flask app, with its libraries set up.
    """
    found: dict[str, Any] = {}
    if _uses_appbuilder(app):
        from .appbuilder import find_registry as appbuilder_registry

        found["Flask-AppBuilder"] = appbuilder_registry(app)
    if _uses_security(app):
        from .security import find_registry as security_registry

        found["Flask-Security"] = security_registry(app)
    if _uses_oidc(app):
        from .oidc import find_registry as oidc_registry

        found["flask-oidc"] = oidc_registry(app)
    return {name: oauth for name, oauth in found.items() if oauth is not None}


def _uses_appbuilder(app: Flask) -> bool:
    return "appbuilder" in app.extensions or bool(getattr(app, "appbuilder", None))


def _uses_security(app: Flask) -> bool:
    return "security" in app.extensions


def _uses_oidc(app: Flask) -> bool:
    return "oidc_auth" in app.blueprints
