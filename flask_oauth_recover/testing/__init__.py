"""A GitHub OAuth provider emulator for tests and demos.

:class:`ProviderEmulator` serves GitHub's OAuth endpoints (authorize, access
token) and the REST API's ``/user`` and ``/user/emails`` over real loopback
HTTP on ``127.0.0.1``, in GitHub's wire format, with faults you can inject.
:meth:`ProviderEmulator.stand_in_for` points an app's own Authlib client at
it, however the app registered the client, so the app's login runs
unmodified; :meth:`ProviderEmulator.follow` walks a login's redirects between
a Flask test client and the emulator.

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

The emulator's control endpoint has no authentication: only ever use it in
tests and local demos.
"""

from __future__ import annotations

from .emulator import ProviderEmulator
from .github import CODE_LIFETIME
from .github import DEFAULT_CLIENT_ID
from .github import DEFAULT_CLIENT_SECRET
from .stand_in import StandIn

__all__ = [
    "CODE_LIFETIME",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "ProviderEmulator",
    "StandIn",
]
