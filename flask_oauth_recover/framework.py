"""What a library that owns the login tells the callback.

Flask-AppBuilder (under Superset and Airflow), Flask-Security-Too and
flask-oidc call Authlib's ``authorize_access_token()`` in a callback view of
their own and turn every failure into a generic answer: a flash and a
redirect, a bare 401. Their adapter modules in :mod:`.integrations` wrap
that view like ``@recover.callback`` does and describe, with a
:class:`Framework`, what differs from an app's own Authlib callback: where
its clients are, how a new authorization starts so that the framework's
own state and destination survive, where it hides the extension's signed
state, and where its users set what the diagnoses name.

This module is the core's side of that contract: it imports no framework.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Response

from .clients import Registry
from .diagnose.evidence import FrameworkSettings
from .restart import Recipe

#: Starts a new authorization through the framework's own login:
#: ``(client, state the callback received, history, recipe) -> response``.
Restart = Callable[[Any, "str | None", str, Recipe], Response]


@dataclass(frozen=True)
class Framework:
    """A library that owns the OAuth callback, as the callback sees it.

    :param name: the name its users know (``"Superset"``).
    :param registry: its Authlib registry.
    :param restart: starts a new authorization through its own login;
        ``None``: the extension's own restart does, which keeps the session
        keys the framework set before the login (``fs_oauth_next``,
        flask-oidc's ``next``).
    :param signed_token: where in the framework's own state the extension's
        signed state travels; ``None``: the state is the extension's.
    :param destination: where the framework's own state says the user goes
        once signed in, kept for "try again"; ``None``: the framework keeps
        it in the session itself.
    :param settings: where its users set what the diagnoses name.
    """

    name: str
    registry: Registry
    restart: Restart | None = None
    signed_token: Callable[[str], str | None] | None = None
    destination: Callable[[str], str | None] | None = None
    settings: FrameworkSettings = FrameworkSettings()
