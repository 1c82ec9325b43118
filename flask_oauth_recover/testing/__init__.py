"""An OAuth provider emulator for tests and demos.

:class:`ProviderEmulator` serves a provider's OAuth endpoints over real
loopback HTTP on ``127.0.0.1``, in that provider's wire format, with faults
you can inject. The provider is a profile: ``"github"`` (the default: the
authorize and token endpoints, the REST API's ``/user``, ``/user/emails``,
``/user/repos`` and ``/user/orgs``), ``"google"``, ``"microsoft"`` (Entra ID
and Microsoft Graph), ``"gitlab"``, ``"keycloak"``, ``"apple"`` (Sign in
with Apple: a ``form_post`` callback and an ES256 JWT client secret),
``"slack"``, ``"facebook"``, ``"okta"``, ``"discord"`` and ``"auth0"``. The
OpenID Connect profiles (Google, Entra, GitLab, Keycloak, Apple, Okta,
Auth0) also serve discovery, a JWKS and RS256 ID tokens carrying the
request's ``nonce``, so that an Authlib client registered with their
``server_metadata_url`` verifies them as it would the real ones. Paths a
profile does not serve answer with its provider's JSON API error.

:meth:`ProviderEmulator.stand_in_for` points an app's own Authlib client at
it, however and whenever the app registers the client (at setup, in a
``before_request`` function, in the login view), its Flask-Dance
blueprint, or a provider of the framework that owns its login (a
Flask-AppBuilder ``OAUTH_PROVIDERS`` entry, a Flask-Security-Too provider,
flask-oidc's client), so the app's login runs unmodified;
:meth:`ProviderEmulator.follow` walks a login's redirects between a Flask
test client and the emulator.

The emulator is a context manager, so it drops straight into a pytest
fixture::

    import pytest

    from flask_oauth_recover.testing import ProviderEmulator
    from myapp import app


    @pytest.fixture
    def github():
        with ProviderEmulator() as provider, provider.stand_in_for(app, "github"):
            yield provider


    def test_login(github):
        client = app.test_client()
        response, visited = github.follow(client, client.get("/login"))
        assert response.status_code == 200

        github.reject_next_codes()
        response, visited = github.follow(client, client.get("/login"))
        # ... assert how the app recovered from ``bad_verification_code``

``ProviderEmulator(profile="google")`` and its kin work the same way; see
:mod:`~flask_oauth_recover.testing.dialect` for what a profile supplies.

The emulator's control endpoint has no authentication: only ever use it in
tests and local demos.
"""

from __future__ import annotations

from .apple import AppleDialect
from .auth0 import Auth0Dialect
from .dialect import Dialect
from .discord import DiscordDialect
from .emulator import ProviderEmulator
from .facebook import FacebookDialect
from .github import CODE_LIFETIME
from .github import DEFAULT_CLIENT_ID
from .github import DEFAULT_CLIENT_SECRET
from .github import GitHubDialect
from .gitlab import GitLabDialect
from .google import GoogleDialect
from .keycloak import KeycloakDialect
from .microsoft import MicrosoftDialect
from .okta import OktaDialect
from .profiles import PROFILES
from .slack import SlackDialect
from .stand_in import StandIn

__all__ = [
    "CODE_LIFETIME",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "PROFILES",
    "AppleDialect",
    "Auth0Dialect",
    "Dialect",
    "DiscordDialect",
    "FacebookDialect",
    "GitHubDialect",
    "GitLabDialect",
    "GoogleDialect",
    "KeycloakDialect",
    "MicrosoftDialect",
    "OktaDialect",
    "ProviderEmulator",
    "SlackDialect",
    "StandIn",
]
