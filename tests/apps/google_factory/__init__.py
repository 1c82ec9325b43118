"""An Authlib app as factories with blueprints are written: ``OAuth()`` and
``OAuthRecover()`` made at import in ``extensions.py``, the callback
decorated in the blueprint module ``auth.py``, ``init_app`` in
``create_app()``. Google through its discovery document, the credentials
from the environment. Nothing in it knows about the emulator."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask

from .auth import auth
from .extensions import oauth
from .extensions import recover


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The app, with ``config`` over the environment's settings."""
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_hex(32),
        GOOGLE_CLIENT_ID=os.environ.get("GOOGLE_CLIENT_ID"),
        GOOGLE_CLIENT_SECRET=os.environ.get("GOOGLE_CLIENT_SECRET"),
    )
    app.config.from_mapping(config or {})
    oauth.init_app(app)
    recover.init_app(app)
    app.register_blueprint(auth)
    return app
