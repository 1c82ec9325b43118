"""The Authlib side of the demo: one client per provider, in one registry.

The clients read their endpoints and credentials from the usual config
keys (``GITHUB_CLIENT_ID``, ``GOOGLE_SERVER_METADATA_URL``...), set for the
emulators when they start. They are Authlib's own client class, except for
two settings a misconfigured app gets wrong, which the break-it panel
chooses per browser: the client secret sent, and the redirect URI of the
token request (see :mod:`.breakit`).
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_client import FlaskOAuth2App
from authlib.integrations.flask_client import OAuth
from flask import Flask

from . import breakit
from .provider import AUTHLIB
from .provider import GITHUB_SCOPE
from .provider import PROVIDERS


class DemoOAuth2App(FlaskOAuth2App):  # type: ignore[misc]
    """Authlib's Flask client, sending this browser's client secret and
    token-request redirect URI."""

    @property
    def client_secret(self) -> Any:
        """The secret the token request sends."""
        return breakit.secret_sent(self.name, AUTHLIB, self._demo_client_secret)

    @client_secret.setter
    def client_secret(self, value: Any) -> None:
        self._demo_client_secret = value

    def fetch_access_token(self, redirect_uri: str | None = None, **kwargs: Any) -> Any:
        """Ask for the token, with the token step's redirect URI."""
        if redirect_uri:
            redirect_uri = breakit.token_redirect_uri(redirect_uri)
        return super().fetch_access_token(redirect_uri, **kwargs)


def register_clients(app: Flask) -> OAuth:
    """Register one client per provider, named after it, on ``app``.

    GitHub's scope is given here; the OpenID Connect providers' comes with
    their configuration.
    """
    oauth = OAuth()
    for name in PROVIDERS:
        kwargs: dict[str, Any] = {"client_cls": DemoOAuth2App}
        if name == "github":
            kwargs["client_kwargs"] = {"scope": GITHUB_SCOPE}
        oauth.register(name, **kwargs)
    oauth.init_app(app)
    return oauth
