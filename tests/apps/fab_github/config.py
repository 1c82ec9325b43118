"""The FAB app's configuration: ``OAUTH_PROVIDERS`` in the shape FAB
documents, which Superset's ``superset_config.py`` and Airflow's
``webserver_config.py`` take as they are, with github.com's own addresses
and the credentials from the environment."""

from __future__ import annotations

import os
import secrets

from flask_appbuilder.const import AUTH_OAUTH

SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_hex(32)
SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite://")

AUTH_TYPE = AUTH_OAUTH
AUTH_USER_REGISTRATION = True  # a first sign-in creates the user
AUTH_USER_REGISTRATION_ROLE = "Member"
FAB_ROLES = {"Member": [["ProfileView", "can_show"]]}
OAUTH_PROVIDERS = [
    {
        "name": "github",
        "icon": "fa-github",
        "token_key": "access_token",
        "remote_app": {
            "client_id": os.environ.get("GITHUB_CLIENT_ID"),
            "client_secret": os.environ.get("GITHUB_CLIENT_SECRET"),
            "api_base_url": "https://api.github.com/",
            "client_kwargs": {"scope": "read:user"},
            "access_token_url": "https://github.com/login/oauth/access_token",
            "authorize_url": "https://github.com/login/oauth/authorize",
            "request_token_url": None,
        },
    }
]
