"""Airflow's FAB webserver_config.py for scripts/try-airflow, which copies it
into AIRFLOW_HOME, where the FAB provider's create_app() loads it.

OAuth sign-in ("github") against the provider emulator that
scripts/trials/emulator.py serves on 127.0.0.1. The extension is set up the
documented way, a SECURITY_MANAGER_CLASS calling OAuthRecover(current_app),
and nothing else (TRIAL_RECOVER=0, from ``try-airflow --no-recover``, leaves
it out).
"""

import json
import os

from flask_appbuilder.security.manager import AUTH_OAUTH

_HOME = os.path.dirname(os.path.abspath(__file__))

AUTH_TYPE = AUTH_OAUTH
AUTH_USER_REGISTRATION = True  # the emulator's user is created at first sign-in
AUTH_USER_REGISTRATION_ROLE = "Admin"
# The emulator's client_kwargs(), written when it starts (try-airflow starts
# it before anything reads this file).
with open(os.path.join(_HOME, "emulator.json")) as _fh:
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

# try-airflow --client-secret S: a deployment with the wrong secret.
if os.environ.get("TRIAL_CLIENT_SECRET"):
    _REMOTE_APP["client_secret"] = os.environ["TRIAL_CLIENT_SECRET"]
# try-airflow --details on|off
if os.environ.get("TRIAL_SHOW_DETAILS") in ("0", "1"):
    OAUTH_RECOVER_SHOW_DETAILS = os.environ["TRIAL_SHOW_DETAILS"] == "1"

if os.environ.get("TRIAL_RECOVER", "1") == "1":
    # The documented setup for Airflow's FAB auth manager.
    from airflow.providers.fab.auth_manager.security_manager.override import (
        FabAirflowSecurityManagerOverride,
    )
    from flask import current_app

    from flask_oauth_recover import OAuthRecover

    class RecoveringSecurityManager(FabAirflowSecurityManagerOverride):
        def __init__(self, appbuilder):
            super().__init__(appbuilder)
            OAuthRecover(current_app)  # a proxy is fine

    SECURITY_MANAGER_CLASS = RecoveringSecurityManager
