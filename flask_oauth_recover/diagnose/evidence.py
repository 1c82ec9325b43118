"""What the diagnosis rules look at: the evidence of one failed callback,
and the :class:`Finding` they produce."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

from flask import session

from ..classify import Failure
from ..classify import FailureKind
from ..providers import BASELINE
from ..providers import Profile
from ..providers import known_name
from ..state import COOKIE_MISSING
from ..state import STATE_LOST
from ..token_response import sent_token_request


@dataclass(frozen=True)
class Finding:
    """One diagnosis.

    :param id: stable identifier, e.g. ``"session.cookie_missing"``.
    :param cause: what is wrong (message id, English).
    :param fix: the change that fixes it (message id, English).
    :param params: values for the placeholders in ``cause`` and ``fix``.
    :param snippet: code, configuration or a URL to copy, untranslated.
    :param console: the provider's console page where the fix is made,
        when the profile knows it.
    """

    id: str
    cause: str
    fix: str
    params: dict[str, str] = field(default_factory=dict)
    snippet: str | None = None
    console: str | None = None


@dataclass(frozen=True)
class FrameworkSettings:
    """Where the users of a library that owns the login (Superset, Airflow,
    Flask-AppBuilder...) set what a diagnosis names.

    :param name: the library's name, as its users know it.
    :param secret_key: where ``SECRET_KEY`` is set, e.g.
        ``"SECRET_KEY in superset_config.py"``.
    :param secret_key_snippet: how to set it there, one value for every
        instance.
    :param proxy_fix: the library's own switch for Werkzeug's ``ProxyFix``,
        e.g. ``"ENABLE_PROXY_FIX = True in superset_config.py"``.
    :param credentials: where a client's credential is set, given the
        client's name and ``"client_id"`` or ``"client_secret"``; ``None``
        when the library does not say.
    :param mount: the path the library's app is served under by a server
        of its own (Airflow's ``/auth``), which the app cannot see outside
        a request.
    """

    name: str | None = None
    secret_key: str | None = None
    secret_key_snippet: str | None = None
    proxy_fix: str | None = None
    credentials: Callable[[str, str], str | None] | None = None
    mount: str = ""


@dataclass(frozen=True)
class LoginSnapshot:
    """What the session held for a callback's state before the view ran.

    Authlib deletes the state entry while it fails, so the callback takes
    this snapshot first (:func:`snapshot_login`).

    :param found: Authlib returned the login's state data.
    :param expires_at: the ``exp`` Authlib stored with the state, when the
        session still had the entry.
    :param redirect_uri: the redirect URI the login sent to the provider,
        read from the state data.
    """

    found: bool
    expires_at: float | None
    redirect_uri: str | None


@dataclass
class Evidence:
    """What a rule may look at.

    :param client: the Authlib client.
    :param client_name: its registered name.
    :param failure: the classified failure, if any.
    :param redirect_uri_sent: the redirect URI the login sent, when known.
    :param gave_up: the restart bound was reached.
    :param login: the session's state entry as it was before the view ran;
        when given, :attr:`redirect_uri_sent` counts only if the token
        request carried it or the state data was found.
    :param history: the login's failed attempts, this one included, one
        letter each (:mod:`flask_oauth_recover.state`).
    :param state_origin: the origin of the redirect URI the login sent, as
        its signed state carries it, when the state was signed by this app.
    :param profile: the provider profile serving the client.
    :param provider_name: the provider's name for pages; by default the
        name people know the client's name by.
    :param framework: where the library that owns the login, if one does,
        has its users set things.
    """

    client: Any
    client_name: str
    failure: Failure | None
    redirect_uri_sent: str | None
    gave_up: bool = False
    login: LoginSnapshot | None = None
    history: str = ""
    state_origin: str | None = None
    profile: Profile = BASELINE
    provider_name: str | None = None
    framework: FrameworkSettings = FrameworkSettings()

    @property
    def kind(self) -> FailureKind | None:
        return self.failure.kind if self.failure else None

    @property
    def provider(self) -> str:
        """The provider's name, for the findings' texts."""
        return self.provider_name or known_name(self.client_name)

    @property
    def reason(self) -> str | None:
        """The finer cause the provider named, if any."""
        return self.failure.reason if self.failure else None

    @property
    def state_was_lost(self) -> bool:
        """Did this login lose its state in the session, now or in an
        earlier attempt? Only then is the session cookie a suspect."""
        lost_now = self.failure is not None and self.failure.source == "state"
        return lost_now or bool(set(self.history) & _STATE_LOSSES)

    @property
    def known_redirect_uri(self) -> str | None:
        """The redirect URI the login sent, only when it was seen: in the
        token request, or in the login's state data."""
        if self.login is None:
            return self.redirect_uri_sent
        sent = sent_token_request().get("redirect_uri")
        if sent:
            return sent
        return self.login.redirect_uri if self.login.found else None


Rule = Callable[[Evidence], Iterable[Finding]]

_STATE_LOSSES = frozenset({STATE_LOST, COOKIE_MISSING})


def state_entry(client: Any, state: str | None, store: Any = None) -> object:
    """The session's entry for ``state``, as it is before Authlib deletes
    it: keep it for :func:`snapshot_login`, which runs only on failure.

    :param client: the Authlib client.
    :param state: the callback's ``state`` parameter.
    :param store: the session object, when the caller has it at hand.
    """
    if not state:
        return None
    store = session if store is None else store
    return store.get(f"_state_{client.framework.name}_{state}")


def snapshot_login(
    state: str | None, entry: object, state_data: dict[str, Any] | None
) -> LoginSnapshot | None:
    """What the session held for the login, from what was kept before the
    view ran.

    :param state: the callback's ``state`` parameter.
    :param entry: what :func:`state_entry` returned.
    :param state_data: what Authlib's ``get_state_data`` returned for it.
    """
    if not state:
        return None
    exp = entry.get("exp") if isinstance(entry, dict) else None
    redirect_uri = None
    if state_data is not None:
        url = state_data.get("url")
        query = dict(parse_qsl(urlsplit(url).query)) if isinstance(url, str) else {}
        redirect_uri = query.get("redirect_uri") or state_data.get("redirect_uri")
    return LoginSnapshot(
        found=state_data is not None,
        expires_at=float(exp) if isinstance(exp, (int, float)) else None,
        redirect_uri=redirect_uri if isinstance(redirect_uri, str) else None,
    )
