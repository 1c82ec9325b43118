"""The demo's two switches: which provider it signs in with, and which
library runs the login (Authlib or Flask-Dance).

The choice lives in its own small cookie, not in the session: signing out
and arming a failure clear the session, and one failure takes the session
cookie away altogether, while the choice must hold through all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask import current_app
from flask import g
from flask import request
from flask import url_for
from werkzeug.wrappers import Response

from .provider import DEFAULT_LIBRARY
from .provider import DEFAULT_PROVIDER
from .provider import FLASK_DANCE
from .provider import LIBRARIES
from .provider import PROVIDERS
from .provider import Provider

#: The cookie holding ``<provider>.<library>`` for this browser.
SETUP_COOKIE = "oauth_demo_setup"
#: ``app.extensions`` key: whether Flask-Dance is installed.
EXTENSION_KEY = "demo_switches"
_CHOSEN = "_demo_selection"


@dataclass(frozen=True)
class Selection:
    """The provider and library this browser's logins use.

    :param provider: the provider.
    :param library: ``"authlib"`` or ``"flask-dance"``.
    """

    provider: Provider
    library: str

    @property
    def library_title(self) -> str:
        """The library's name, for pages."""
        return LIBRARIES[self.library]

    @property
    def client_name(self) -> str:
        """The name the extension knows the login's client by: the Authlib
        client's, or the Flask-Dance blueprint's."""
        if self.library == FLASK_DANCE and self.provider.dance_name:
            return self.provider.dance_name
        return self.provider.name

    @property
    def callback_endpoint(self) -> str:
        """The endpoint of the callback the provider sends the browser to."""
        if self.library == FLASK_DANCE:
            return f"{self.provider.dance_name}.authorized"
        return "callback"

    def callback_url(self) -> str:
        """The callback's external URL, as the login sends it."""
        if self.library == FLASK_DANCE:
            return url_for(self.callback_endpoint, _external=True)
        return url_for("callback", provider=self.provider.name, _external=True)

    def is_callback(self) -> bool:
        """Whether the current request is this selection's callback."""
        return request.endpoint == self.callback_endpoint


def init_app(app: Flask, dance_available: bool) -> None:
    """Keep the choice in its cookie.

    :param app: the demo app.
    :param dance_available: whether Flask-Dance is installed.
    """
    app.extensions[EXTENSION_KEY] = dance_available
    app.after_request(_write_cookie)


def dance_available(app: Flask | None = None) -> bool:
    """Whether the Flask-Dance switch can be used.

    :param app: the demo app; the current one when omitted.
    """
    available: bool = (app or current_app).extensions[EXTENSION_KEY]
    return available


def current() -> Selection:
    """This browser's choice; GitHub through Authlib until it chooses."""
    chosen = g.get(_CHOSEN)
    if isinstance(chosen, Selection):
        return chosen
    provider, _, library = request.cookies.get(SETUP_COOKIE, "").partition(".")
    return _selection(provider, library)


def choose(provider: str | None = None, library: str | None = None) -> Selection:
    """Switch this browser to ``provider`` and/or ``library``; unknown
    values leave that switch as it was.

    :return: the new choice.
    """
    now = current()
    selection = _selection(
        provider if provider in PROVIDERS else now.provider.name,
        library if library in LIBRARIES else now.library,
    )
    setattr(g, _CHOSEN, selection)
    return selection


def _selection(provider: str, library: str) -> Selection:
    chosen = PROVIDERS.get(provider, PROVIDERS[DEFAULT_PROVIDER])
    if library not in chosen.libraries or (
        library == FLASK_DANCE and not dance_available()
    ):
        # A provider the demo signs in with through Authlib only.
        library = DEFAULT_LIBRARY
    return Selection(chosen, library)


def cookie_attributes(provider: Provider) -> dict[str, Any]:
    """``SameSite`` and ``Secure`` for the demo's own cookies: ``Lax``, or,
    for a provider that posts the callback from its own site (Apple),
    ``None`` and Secure, since the callback needs them too."""
    if provider.form_post:
        return {"samesite": "None", "secure": True}
    return {"samesite": "Lax"}


def _write_cookie(response: Response) -> Response:
    chosen = g.get(_CHOSEN)
    if isinstance(chosen, Selection):
        response.set_cookie(
            SETUP_COOKIE,
            f"{chosen.provider.name}.{chosen.library}",
            httponly=True,
            **cookie_attributes(chosen.provider),
        )
    return response
