"""A flask-oidc 2.x app that signs in against the provider emulator's
OpenID Connect profiles (Keycloak by default, Google too).

Shaped like flask-oidc's quickstart: ``OIDC_CLIENT_SECRETS`` with the
client's ``client_id``, ``client_secret`` and ``issuer`` (flask-oidc finds
the endpoints through ``<issuer>/.well-known/openid-configuration``), an
``OpenIDConnect(app)`` and a page behind ``@oidc.require_login``.

flask-oidc owns the login (``oidc_auth.login``, ``/login``, with the ``next``
kept in the session as ``next``) and the callback (``oidc_auth.authorize``,
``/authorize``); its Authlib client is named ``oidc``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask
from flask import session
from flask_oidc import OpenIDConnect

from flask_oauth_recover import OAuthRecover
from flask_oauth_recover.testing import ProviderEmulator

SECRET_KEY = "oidc-test-secret-key-not-for-production"


def client_secrets(provider: ProviderEmulator) -> dict[str, Any]:
    """The ``client_secrets.json`` contents for ``provider``: a ``web``
    client whose ``issuer`` is the emulator's."""
    return {
        "web": {
            "client_id": provider.client_id,
            "client_secret": provider.client_secret,
            "issuer": provider.addresses.server_metadata["issuer"],
            "redirect_uris": [],
        }
    }


def write_client_secrets(provider: ProviderEmulator, path: Path) -> Path:
    """Write :func:`client_secrets` to ``path``, for ``OIDC_CLIENT_SECRETS``
    given as a file, as most apps give it.

    :return: ``path``.
    """
    path.write_text(json.dumps(client_secrets(provider)), encoding="utf-8")
    return path


def create_app(
    provider: ProviderEmulator,
    *,
    secrets_file: Path | None = None,
    recover: bool = False,
    **config: Any,
) -> Flask:
    """A flask-oidc app signing in on ``provider``.

    :param provider: The running emulator, an OpenID Connect profile
        (``"keycloak"``, ``"google"``...).
    :param secrets_file: Where to write ``client_secrets.json``; without
        it, ``OIDC_CLIENT_SECRETS`` is the dict itself.
    :param recover: with the app's one line, ``OAuthRecover(app)``.
    :param config: Configuration that replaces or extends the defaults.
    """
    app = Flask(__name__)
    secrets: dict[str, Any] | str = (
        client_secrets(provider)
        if secrets_file is None
        else str(write_client_secrets(provider, secrets_file))
    )
    app.config.update(
        TESTING=True,
        SECRET_KEY=SECRET_KEY,
        OIDC_CLIENT_SECRETS=secrets,
        OIDC_SCOPES="openid email profile",
    )
    app.config.update(config)
    oidc = OpenIDConnect(app)
    if recover:
        OAuthRecover(app)

    @app.route("/")
    def index() -> str:
        if oidc.user_loggedin:
            return f"Welcome {session['oidc_auth_profile'].get('email')}"
        return "Not signed in"

    @app.route("/private")
    @oidc.require_login  # type: ignore[untyped-decorator]
    def private() -> str:
        return f"Private page of {session['oidc_auth_profile'].get('email')}"

    return app
