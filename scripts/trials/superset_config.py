"""Superset's config for scripts/try-superset, which copies it into its state
folder and names the copy in SUPERSET_CONFIG_PATH.

OAuth sign-in ("github") against the provider emulator that
scripts/trials/emulator.py serves on 127.0.0.1, SQLite next to this file.
The extension is set up with the documented line, and nothing else
(TRIAL_RECOVER=0, from ``try-superset --no-recover``, leaves it out).
"""

import json
import os

from flask_appbuilder.security.manager import AUTH_OAUTH

_STATE = os.path.dirname(os.path.abspath(__file__))

with open(os.path.join(_STATE, "secret_key")) as _fh:
    SECRET_KEY = _fh.read().strip()
DATA_DIR = _STATE
SQLALCHEMY_DATABASE_URI = (
    f"sqlite:///{os.path.join(_STATE, 'superset.db')}?check_same_thread=false"
)

AUTH_TYPE = AUTH_OAUTH
AUTH_USER_REGISTRATION = True  # the emulator's user is created at first sign-in
AUTH_USER_REGISTRATION_ROLE = "Admin"
# The emulator's client_kwargs(), written when it starts (try-superset starts
# it before anything reads this file).
with open(os.path.join(_STATE, "emulator.json")) as _fh:
    _REMOTE_APP = json.load(_fh)["remote_app"]
OAUTH_PROVIDERS = [
    {
        "name": "github",
        "icon": "fa-github",
        # FAB reads resp[token_key]; its default, "oauth_token", is not GitHub's
        "token_key": "access_token",
        "remote_app": _REMOTE_APP,
    }
]

# try-superset --client-secret S: a deployment with the wrong secret.
if os.environ.get("TRIAL_CLIENT_SECRET"):
    _REMOTE_APP["client_secret"] = os.environ["TRIAL_CLIENT_SECRET"]
# try-superset --details on|off
if os.environ.get("TRIAL_SHOW_DETAILS") in ("0", "1"):
    OAUTH_RECOVER_SHOW_DETAILS = os.environ["TRIAL_SHOW_DETAILS"] == "1"

if os.environ.get("TRIAL_RECOVER", "1") == "1":
    # The documented setup for Superset: this line, nothing else.
    from flask_oauth_recover import OAuthRecover

    FLASK_APP_MUTATOR = lambda app: OAuthRecover(app)  # noqa: E731
