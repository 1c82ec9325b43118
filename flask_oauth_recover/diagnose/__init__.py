"""Why a login failed: findings built from evidence the extension can see.

Each finding has a stable id (part of the public contract, listed in
:data:`FINDING_IDS`), a cause and a fix. Cause and fix are English message
ids with ``%(name)s`` placeholders, translated when a page is rendered;
``snippet`` is code, configuration or a URL, never translated. A rule fires
only on the evidence it names: no guesses. An id may appear twice in one
diagnosis when it concerns two values, e.g. ``credentials.missing`` for the
client_id and for the client_secret.

Redirect URI and session rules run inside the callback request and read
``flask.request``, ``flask.session`` and the app config. The credential
rules and :func:`configuration_findings` need only an app context, so the
``flask oauth-recover check`` command runs them too.

What each provider does differently comes from its profile
(:mod:`flask_oauth_recover.providers`, :attr:`Evidence.profile`): the rules
here name no provider. Notes on what is observable:

- The shape rules (``credentials.swapped``, ``credentials.shape``,
  ``credentials.secret_id``) apply to profiles that know their provider's
  credential shapes.
- A provider whose profile says an unregistered redirect URI comes back
  (``redirect_error_returns``) sends the browser to the callback URL
  registered for the app, so the URL the callback arrives on is a
  registered one. The others show their own page, which only
  ``flask oauth-recover check --probe`` sees (``redirect_uri.unregistered``).
- A provider whose client secret is a JWT the app signs (its profile's
  ``secret_jwt``: Sign in with Apple) refuses it without a reason; the
  JWT's claims are read offline instead (``credentials.expired`` with its
  date, ``credentials.jwt_claims``), never its signature.
- When the token endpoint refused the credentials and no rule says why,
  ``credentials.rejected`` names the console page where the secret is
  renewed.
- ``session.form_post_samesite`` needs the callback to arrive as a POST
  (``response_mode=form_post``) without the session cookie; ``check``
  says it beforehand of a client whose provider will post the callback.
- ``session.state_expired`` needs the ``exp`` Authlib stores for the
  state. It is left in the session only when the state data lives in a
  cache (``OAuth(app, cache=...)``) and the cache has dropped the data.
  Without a cache Authlib returns expired state data as if it were fresh
  and deletes entries past their ``exp`` without a trace, so a lost state
  is never called expired.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from ..classify import FailureKind
from ..providers import BASELINE
from ..providers import Profile
from . import credentials
from . import grant
from . import redirect_uri
from . import session
from .addresses import Address
from .credentials import check_credentials
from .credentials import probe_rejected
from .evidence import Evidence
from .evidence import Finding
from .evidence import FrameworkSettings
from .evidence import LoginSnapshot
from .evidence import Rule
from .evidence import snapshot_login
from .evidence import state_entry
from .facts import fingerprint
from .facts import public_client_id
from .facts import relevant_facts
from .facts import secret_facts
from .redirect_uri import probe_unregistered
from .session import COOKIE_LIMIT
from .session import COOKIE_NEAR_LIMIT
from .session import cookie_domain_finding
from .session import cookie_samesite
from .session import domain_covers
from .session import form_post_finding
from .session import posts_callback
from .session import samesite_finding
from .session import samesite_is_strict
from .session import secret_key_mismatch_finding
from .session import session_cookie_present
from .session import session_cookie_verifies

__all__ = [
    "COOKIE_LIMIT",
    "COOKIE_NEAR_LIMIT",
    "FINDING_IDS",
    "Evidence",
    "Finding",
    "FrameworkSettings",
    "LoginSnapshot",
    "configuration_findings",
    "credential_findings",
    "diagnose",
    "fingerprint",
    "posts_callback",
    "probe_rejected",
    "probe_unregistered",
    "public_client_id",
    "relevant_facts",
    "secret_facts",
    "secret_key_mismatch_finding",
    "session_cookie_present",
    "session_cookie_verifies",
    "snapshot_login",
    "state_entry",
]

#: Every finding id a rule may produce.
FINDING_IDS = (
    "redirect_uri.proxy_scheme",
    "redirect_uri.proxy_host",
    "redirect_uri.loopback_alias",
    "redirect_uri.server_name",
    "redirect_uri.host_changed",
    "redirect_uri.register",
    "redirect_uri.unregistered",
    "credentials.missing",
    "credentials.whitespace",
    "credentials.swapped",
    "credentials.shape",
    "credentials.secret_id",
    "credentials.expired",
    "credentials.jwt_claims",
    "credentials.wrong_tenant",
    "credentials.rejected",
    "pkce.mismatch",
    "token.invalid_grant_repeated",
    "session.form_post_samesite",
    "session.samesite_strict",
    "session.secure_over_http",
    "session.cookie_domain",
    "session.cookie_too_large",
    "session.state_expired",
    "session.state_lost",
    "session.secret_key_mismatch",
    "session.cookie_missing",
)


def diagnose(evidence: Evidence) -> list[Finding]:
    """Run every rule that applies to the failure, most specific first."""
    rules: list[Rule] = []
    if evidence.kind is FailureKind.CREDENTIALS:
        rules += credentials.RULES
    if evidence.kind is FailureKind.REDIRECT_URI:
        rules += redirect_uri.RULES
    rules += grant.RULES
    if evidence.state_was_lost:
        rules += session.RULES
    return [finding for rule in rules for finding in rule(evidence)]


def configuration_findings(
    redirect_uri: str | None, form_post: bool = False
) -> list[Finding]:
    """Session cookie settings that break every login, checked without a
    request (``flask oauth-recover check``).

    :param redirect_uri: the callback URL the app sends, when it does not
        depend on the request.
    :param form_post: the provider posts the callback from its own site
        (:func:`posts_callback`).
    """
    findings = []
    samesite = cookie_samesite()
    if form_post and samesite in ("lax", "strict"):
        # Said of the POST, which no SameSite but None lets through.
        findings.append(form_post_finding(samesite, offline=True))
    elif samesite_is_strict():
        # The callback is always a navigation from the provider's site.
        findings.append(samesite_finding())
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    domain = current_app.session_interface.get_cookie_domain(app)
    address = Address.parse(redirect_uri) if redirect_uri else None
    if domain and address is not None and not domain_covers(domain, address.host):
        findings.append(cookie_domain_finding(domain, address.host))
    return findings


def credential_findings(
    client: Any,
    client_name: str,
    profile: Profile = BASELINE,
    provider_name: str | None = None,
    framework: FrameworkSettings | None = None,
) -> list[Finding]:
    """The credential rules for one client, outside a failed callback.

    :param client: the Authlib client.
    :param client_name: its registered name.
    :param profile: its provider profile.
    :param provider_name: the provider's display name.
    :param framework: where the library that owns the login, if one does,
        has its users set the credentials.
    """
    evidence = Evidence(
        client,
        client_name,
        None,
        None,
        profile=profile,
        provider_name=provider_name,
        framework=framework or FrameworkSettings(),
    )
    return list(check_credentials(evidence))
