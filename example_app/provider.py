"""Where the demo signs in: ten providers, each emulated in this process.

The demo signs in with GitHub, Google, Microsoft Entra ID or GitLab, through
Authlib or Flask-Dance, and with Sign in with Apple, Slack, Facebook, Okta,
Discord or Auth0 through Authlib. Each (provider, library) pair talks to its own
:class:`~flask_oauth_recover.testing.ProviderEmulator`, as two apps would
each have their own OAuth app registered at the provider: the registered
callback is that library's, so a misregistration made for one pair never
touches another.

With ``GITHUB_CLIENT_ID`` and ``GITHUB_CLIENT_SECRET`` set, both GitHub
pairs talk to github.com instead; the other providers stay emulated.

In front of each emulator's authorization endpoint sits a
:class:`~example_app.consent.ConsentScreen`, the provider's "Authorize" page.

The emulators start lazily, on the first request: ``flask run --debug``
imports the app in a reloader process that never serves a request, and
that process must not hold providers of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask

from flask_oauth_recover.testing import ProviderEmulator

from .consent import GITHUB_BRAND
from .consent import Brand
from .consent import ConsentScreen

#: The libraries the login can run through: switch value -> display name.
LIBRARIES = {"authlib": "Authlib", "flask-dance": "Flask-Dance"}
AUTHLIB = "authlib"
FLASK_DANCE = "flask-dance"

#: GitHub's OAuth endpoints, as Authlib configuration keys for a client named
#: ``github``. The emulator replaces them when no credentials are set.
GITHUB_ENDPOINTS = {
    "GITHUB_AUTHORIZE_URL": "https://github.com/login/oauth/authorize",
    "GITHUB_ACCESS_TOKEN_URL": "https://github.com/login/oauth/access_token",
    "GITHUB_API_BASE_URL": "https://api.github.com/",
}
#: Scope the demo asks GitHub for: enough to read the signed-in user's profile.
GITHUB_SCOPE = "read:user"


@dataclass(frozen=True)
class Provider:
    """One provider the demo can sign in with.

    :param name: its switch value, Authlib client name and profile name.
    :param title: its name on buttons and pages.
    :param dance_name: the Flask-Dance blueprint's name (its contrib module);
        ``None`` where the demo signs in with it through Authlib only.
    :param user_path: the API path, relative to the client's base URL, that
        answers who signed in; empty where the ID token says it (Apple has
        no such API).
    :param login_field: the field of that answer to show as the login
        (``user.email`` for a nested one).
    :param name_field: the field holding the person's name.
    :param console: where the developer registers the app.
    :param brand: its authorization page's look.
    :param token_key: where the token response keeps the user's token, when
        not at the top (Slack's ``authed_user``).
    :param form_post: the provider posts the callback from its own site, so
        the session cookie must be ``SameSite=None; Secure`` to come back.
    """

    name: str
    title: str
    dance_name: str | None
    user_path: str
    login_field: str
    name_field: str
    console: str
    brand: Brand
    token_key: str | None = None
    form_post: bool = False

    @property
    def libraries(self) -> tuple[str, ...]:
        """The libraries the demo signs in with it through."""
        return (AUTHLIB, FLASK_DANCE) if self.dance_name else (AUTHLIB,)

    def config_key(self, library: str, setting: str) -> str:
        """The app config key a library reads ``setting`` from:
        ``GITHUB_CLIENT_SECRET`` for Authlib, ``GITHUB_OAUTH_CLIENT_SECRET``
        for Flask-Dance's contrib blueprints."""
        if library == FLASK_DANCE and self.dance_name:
            return f"{self.dance_name}_OAUTH_{setting}".upper()
        return f"{self.name}_{setting}".upper()


PROVIDERS: dict[str, Provider] = {
    provider.name: provider
    for provider in (
        Provider(
            "github",
            "GitHub",
            "github",
            "user",
            "login",
            "name",
            "github.com/settings/developers",
            GITHUB_BRAND,
        ),
        Provider(
            "google",
            "Google",
            "google",
            "userinfo",
            "email",
            "name",
            "console.cloud.google.com/auth/clients",
            Brand(
                "#ffffff",
                "#1a73e8",
                "G",
                "{app} wants to access your Google Account",
                "Continue",
            ),
        ),
        Provider(
            "microsoft",
            "Microsoft",
            "azure",
            "me",
            "userPrincipalName",
            "displayName",
            "portal.azure.com, App registrations",
            Brand("#2f2f2f", "#0067b8", "M", "Permissions requested", "Accept"),
        ),
        Provider(
            "gitlab",
            "GitLab",
            "gitlab",
            "user",
            "username",
            "name",
            "gitlab.com/-/user_settings/applications",
            Brand(
                "#171321",
                "#1f75cb",
                "GL",
                "Authorize {app} to use your account?",
                "Authorize",
            ),
        ),
        Provider(
            "apple",
            "Apple",
            None,
            "",
            "email",
            "email",
            "developer.apple.com, Certificates, Identifiers & Profiles",
            Brand(
                "#000000",
                "#0071e3",
                "A",
                "Use your Apple ID to sign in to {app}",
                "Continue",
            ),
            form_post=True,
        ),
        Provider(
            "slack",
            "Slack",
            None,
            "users.identity",
            "user.email",
            "user.name",
            "api.slack.com/apps",
            Brand(
                "#4a154b",
                "#007a5a",
                "S",
                "{app} is requesting permission to access the Example Workspace "
                "Slack workspace",
                "Allow",
            ),
            token_key="authed_user",
        ),
        Provider(
            "facebook",
            "Facebook",
            None,
            "me?fields=name,email",
            "email",
            "name",
            "developers.facebook.com/apps",
            Brand(
                "#1877f2", "#1877f2", "f", "{app} is requesting access to", "Continue"
            ),
        ),
        Provider(
            "okta",
            "Okta",
            None,
            "userinfo",
            "email",
            "name",
            "your org's Admin Console, Applications",
            Brand("#ffffff", "#1662dd", "O", "Sign in to {app}", "Allow Access"),
        ),
        Provider(
            "discord",
            "Discord",
            None,
            "users/@me",
            "username",
            "global_name",
            "discord.com/developers/applications",
            Brand(
                "#313338",
                "#5865f2",
                "D",
                "{app} wants to access your account",
                "Authorize",
            ),
        ),
        Provider(
            "auth0",
            "Auth0",
            None,
            "userinfo",
            "email",
            "name",
            "manage.auth0.com, Applications",
            Brand("#ffffff", "#635dff", "A0", "Authorize {app}", "Accept"),
        ),
    )
}
DEFAULT_PROVIDER = "github"
DEFAULT_LIBRARY = AUTHLIB


class EmbeddedProvider:
    """One provider emulator and its authorization page.

    :param provider: which provider it emulates.
    :param port: the emulator's loopback port; ``0`` picks a free one.
    """

    def __init__(self, provider: Provider, port: int = 0) -> None:
        self.provider = provider
        self.emulator = ProviderEmulator(profile=provider.name)
        self.consent = ConsentScreen(self.emulator, provider.title, provider.brand)
        self.port = port
        self.started = False

    def start(self) -> None:
        """Serve the emulator and its authorization page on loopback."""
        self.emulator.start(self.port)
        self.consent.start()
        self.started = True

    def reset(self) -> None:
        """Forget injected faults, recorded requests, the registered
        callback (until the next login registers it) and a pending
        consent."""
        if self.started:
            self.emulator.reset()
        self.emulator.callback_url = None
        self.consent.reset()

    def stop(self) -> None:
        """Stop serving."""
        if self.started:
            self.consent.stop()
            self.emulator.stop()
            self.started = False

    @property
    def authorize_url(self) -> str:
        """Where the app sends the browser: the authorization page, at the
        provider's own authorization path."""
        return self.consent.authorize_url

    def authlib_config(self) -> dict[str, Any]:
        """Authlib's configuration keys for the client named after the
        provider: ``GOOGLE_CLIENT_ID``, ``GOOGLE_SERVER_METADATA_URL`` and so
        on, with the authorization page in front of the emulator."""
        config = {
            f"{self.provider.name}_{key}".upper(): value
            for key, value in self.emulator.client_kwargs().items()
        }
        config[f"{self.provider.name}_AUTHORIZE_URL".upper()] = self.authorize_url
        return config


class EmbeddedProviders:
    """Every emulated (provider, library) pair, started together on first
    use in the serving process.

    :param real_github: GitHub credentials are set: the GitHub pairs talk
        to github.com, not to an emulator.
    :param github_port: the Authlib GitHub emulator's port; ``0`` picks one.
    """

    def __init__(self, real_github: bool, github_port: int = 0) -> None:
        self._pairs: dict[tuple[str, str], EmbeddedProvider] = {}
        for provider in PROVIDERS.values():
            if provider.name == "github" and real_github:
                continue
            for library in provider.libraries:
                port = (
                    github_port
                    if (provider.name, library)
                    == (
                        "github",
                        AUTHLIB,
                    )
                    else 0
                )
                self._pairs[provider.name, library] = EmbeddedProvider(provider, port)
        self._started = False
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        """Whether the emulators are serving."""
        return self._started

    def get(self, provider: str, library: str) -> EmbeddedProvider | None:
        """The emulator a pair talks to; ``None`` for github.com."""
        return self._pairs.get((provider, library))

    def __iter__(self) -> Iterator[EmbeddedProvider]:
        return iter(self._pairs.values())

    def __len__(self) -> int:
        return len(self._pairs)

    def credentials(self) -> dict[str, str]:
        """The config keys that give each library the emulators' client IDs
        and secrets, known before they start."""
        config = {}
        for (name, library), embedded in self._pairs.items():
            provider = PROVIDERS[name]
            emulator = embedded.emulator
            config[provider.config_key(library, "client_id")] = emulator.client_id
            config[provider.config_key(library, "client_secret")] = (
                emulator.client_secret
            )
        return config

    def ensure_started(self, app: Flask, dance: Any = None) -> None:
        """Start every emulator unless they run already, and point the app's
        Authlib configuration and Flask-Dance blueprints at them.

        :param app: the demo app.
        :param dance: its :class:`~example_app.dance.DanceLogins`, if any.
        """
        with self._lock:
            if self._started:
                return
            for (name, library), embedded in self._pairs.items():
                embedded.start()
                if library == AUTHLIB:
                    app.config.update(embedded.authlib_config())
                elif dance is not None:
                    dance.point_at(name, embedded)
            self._started = True

    def reset(self) -> None:
        """Forget every emulator's faults and recorded requests."""
        for embedded in self:
            embedded.reset()

    def stop(self) -> None:
        """Stop every emulator."""
        with self._lock:
            for embedded in self:
                embedded.stop()
            self._started = False
