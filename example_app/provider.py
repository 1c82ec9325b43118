"""Where the demo signs in: real GitHub, or GitHub's stand-in in this process.

With ``GITHUB_CLIENT_ID`` and ``GITHUB_CLIENT_SECRET`` set, the app talks to
github.com. Without them, it starts :class:`~flask_oauth_recover.testing.
ProviderEmulator` on its own loopback port the first time a request needs it,
and points the same configuration keys at it: the app's OAuth code cannot
tell the two apart.

In front of the emulator's authorize endpoint sits :class:`~example_app.
consent.ConsentScreen`, GitHub's "Authorize application" page.

The emulator starts lazily because ``flask run --debug`` imports the app in
a reloader process that never serves a request; that process must not hold
a provider of its own.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask

from flask_oauth_recover.testing import ProviderEmulator

from .consent import ConsentScreen

#: GitHub's OAuth endpoints, as Authlib configuration keys for a client named
#: ``github``. The emulator replaces them when no credentials are set.
GITHUB_ENDPOINTS = {
    "GITHUB_AUTHORIZE_URL": "https://github.com/login/oauth/authorize",
    "GITHUB_ACCESS_TOKEN_URL": "https://github.com/login/oauth/access_token",
    "GITHUB_API_BASE_URL": "https://api.github.com/",
}
#: Scope the demo asks for: enough to read the signed-in user's profile.
GITHUB_SCOPE = "read:user"


class EmbeddedGitHub:
    """The provider emulator and its consent screen, started once, on first
    use, in the serving process.

    :param port: the emulator's loopback port; ``0`` picks a free one.
    """

    def __init__(self, port: int = 0) -> None:
        self.emulator = ProviderEmulator()
        self.consent = ConsentScreen(self.emulator)
        self.port = port
        self._started = False
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        """Whether the emulator is serving."""
        return self._started

    def ensure_started(self, app: Flask) -> ProviderEmulator:
        """Start the emulator unless it runs already, and point the app's
        ``GITHUB_*`` configuration at it (and its authorize URL at the
        consent screen).

        :param app: the app whose Authlib client should use the emulator.
        :return: the running emulator.
        """
        with self._lock:
            if not self._started:
                self.emulator.start(self.port)
                self.consent.start()
                app.config.update(authlib_config(self.emulator))
                app.config["GITHUB_AUTHORIZE_URL"] = self.consent.authorize_url
                self._started = True
        return self.emulator

    def reset(self) -> None:
        """Forget injected faults, recorded requests and a pending consent."""
        self.emulator.reset()
        self.consent.reset()

    def stop(self) -> None:
        """Stop serving, if it was started."""
        with self._lock:
            if self._started:
                self.consent.stop()
                self.emulator.stop()
                self._started = False


def authlib_config(emulator: ProviderEmulator, name: str = "github") -> dict[str, Any]:
    """Authlib's configuration keys for a client ``name`` that talks to
    ``emulator``: ``GITHUB_CLIENT_ID``, ``GITHUB_AUTHORIZE_URL`` and so on.

    :param emulator: a running provider emulator.
    :param name: the Authlib client's name.
    """
    return {
        f"{name}_{key}".upper(): value
        for key, value in emulator.client_kwargs().items()
    }
