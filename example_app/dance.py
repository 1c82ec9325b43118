"""The same logins through Flask-Dance: one contrib blueprint per provider
(``make_github_blueprint``, ``make_google_blueprint``,
``make_azure_blueprint``, ``make_gitlab_blueprint``) under ``/dance``, each
given to ``recover.flask_dance()``.

The blueprints are built as their docs say, then pointed at the demo's
emulators, as a test would point them: their endpoint URLs are replaced
when the emulators start, and their credentials come from the usual
``GITHUB_OAUTH_CLIENT_ID`` / ``_SECRET`` keys.

Two settings a misconfigured app gets wrong are the break-it panel's to
choose, per browser: the redirect URIs the requests session sends
(:class:`DemoSession`), and the client secret, which Flask-Dance reads from
the config before every request (see :class:`~example_app.breakit.DemoConfig`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_dance.consumer import OAuth2ConsumerBlueprint
from flask_dance.consumer import oauth_authorized
from flask_dance.consumer.requests import OAuth2Session
from flask_dance.consumer.storage import NullStorage
from flask_dance.contrib.azure import make_azure_blueprint
from flask_dance.contrib.github import make_github_blueprint
from flask_dance.contrib.gitlab import make_gitlab_blueprint
from flask_dance.contrib.google import make_google_blueprint

from flask_oauth_recover import OAuthRecover

from . import breakit
from .provider import FLASK_DANCE
from .provider import PROVIDERS
from .provider import EmbeddedProvider
from .provider import Provider

# oauthlib refuses http:// redirect URIs, and a granted scope worded
# otherwise than the one asked for (Google and Entra spell scopes out as
# URLs); Flask-Dance's docs set both for local development.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")

#: Where the blueprints are mounted: ``/dance/github``, its callback
#: ``/dance/github/authorized``.
URL_PREFIX = "/dance"
#: Scopes enough to read who signed in, per provider.
SCOPES = {
    "github": ["read:user"],
    "google": ["openid", "email", "profile"],
    "microsoft": ["openid", "email", "profile", "User.Read"],
    "gitlab": ["read_user"],
}
_FACTORIES: dict[str, Callable[..., OAuth2ConsumerBlueprint]] = {
    "github": make_github_blueprint,
    "google": make_google_blueprint,
    "microsoft": make_azure_blueprint,
    "gitlab": make_gitlab_blueprint,
}

#: Called with the provider, the library and the user endpoint's answer.
SignedIn = Callable[[Provider, str, dict[str, Any]], None]


class DemoSession(OAuth2Session):  # type: ignore[misc]
    """Flask-Dance's requests session, sending the redirect URIs this
    browser's app would: an unregistered one at the login, or, at the token
    request, another one than the login's (see :mod:`.breakit`)."""

    @property
    def redirect_uri(self) -> str | None:
        """The redirect URI the next request sends."""
        uri: str | None = self._demo_redirect_uri
        return breakit.redirect_uri(uri) if uri else uri

    @redirect_uri.setter
    def redirect_uri(self, value: str | None) -> None:
        self._demo_redirect_uri = value

    def fetch_token(self, token_url: str, **kwargs: Any) -> Any:
        """Ask for the token, with the token step's redirect URI."""
        login_uri = self._demo_redirect_uri
        if login_uri:
            self._demo_redirect_uri = breakit.token_redirect_uri(login_uri)
        try:
            return super().fetch_token(token_url, **kwargs)
        finally:
            self._demo_redirect_uri = login_uri


class DanceLogins:
    """The Flask-Dance blueprints, registered on the app and wrapped by the
    extension.

    :param app: the demo app.
    :param recover: its :class:`~flask_oauth_recover.OAuthRecover`.
    :param signed_in: called once per successful login.
    """

    def __init__(self, app: Flask, recover: OAuthRecover, signed_in: SignedIn) -> None:
        self.blueprints: dict[str, OAuth2ConsumerBlueprint] = {}
        for provider in PROVIDERS.values():
            if provider.name not in _FACTORIES:
                continue  # signed in with through Authlib only
            blueprint = _FACTORIES[provider.name](
                scope=SCOPES[provider.name],
                session_class=DemoSession,
                storage=NullStorage(),
                redirect_to="landed",
            )
            app.register_blueprint(blueprint, url_prefix=URL_PREFIX)
            recover.flask_dance(blueprint, provider=provider.name)
            oauth_authorized.connect_via(blueprint, weak=False)(
                _receiver(provider, signed_in)
            )
            self.blueprints[provider.name] = blueprint

    def point_at(self, provider: str, embedded: EmbeddedProvider) -> None:
        """Send ``provider``'s blueprint to an emulator, as a test would; its
        credentials come from the config, like any contrib blueprint's.

        :param provider: the provider's name.
        :param embedded: its emulator for Flask-Dance.
        """
        blueprint = self.blueprints[provider]
        emulator = embedded.emulator
        blueprint.authorization_url = embedded.authorize_url
        blueprint.token_url = emulator.token_url
        blueprint.base_url = emulator.api_base_url


def _receiver(provider: Provider, signed_in: SignedIn) -> Callable[..., None]:
    def logged_in(blueprint: OAuth2ConsumerBlueprint, token: Any) -> None:
        answer = blueprint.session.get(provider.user_path)
        answer.raise_for_status()
        signed_in(provider, FLASK_DANCE, answer.json())

    return logged_in
