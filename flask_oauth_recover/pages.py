"""Render an outcome as an HTML page or, for API clients, as JSON.

Pages are Jinja templates under ``templates/oauth_recover/`` that an app
overrides by shipping a file of the same name. Provider-supplied text is
untrusted: autoescaped, and an ``error_uri`` is a link only when it came in
the token response, is https, and is on one of the provider's hosts. One
that came on the browser's URL is text, whatever it says.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import quote
from urllib.parse import urlsplit

from flask import current_app
from flask import jsonify
from flask import render_template
from flask import request
from werkzeug.wrappers import Response

from .i18n import N_
from .i18n import Translator
from .i18n import select_locale
from .outcome import Outcome
from .outcome import OutcomeKind
from .providers import known_name

TEMPLATES = {
    OutcomeKind.CONFIG_ERROR: "oauth_recover/config_error.html",
    OutcomeKind.CANCELLED: "oauth_recover/cancelled.html",
    OutcomeKind.GAVE_UP: "oauth_recover/gave_up.html",
    OutcomeKind.UNAVAILABLE: "oauth_recover/unavailable.html",
    OutcomeKind.INVALID_CALLBACK: "oauth_recover/invalid_callback.html",
}
#: What the caller should do next, for JSON clients.
ACTIONS = {
    OutcomeKind.CONFIG_ERROR: "fix_configuration",
    OutcomeKind.CANCELLED: "sign_in_again",
    OutcomeKind.GAVE_UP: "try_again",
    OutcomeKind.UNAVAILABLE: "try_again_later",
    OutcomeKind.INVALID_CALLBACK: "start_over",
}
#: One sentence for an end user, per outcome.
DESCRIPTIONS = {
    OutcomeKind.CONFIG_ERROR: N_(
        "%(provider)s refused this site's sign-in request because of a setting "
        "on the site's side. It is nothing you did, and trying again will not "
        "help until the site is fixed."
    ),
    OutcomeKind.CANCELLED: N_(
        "You chose not to sign in with %(provider)s. Nothing was shared with this site."
    ),
    OutcomeKind.GAVE_UP: N_(
        "Signing in with %(provider)s failed several times in a row, so we "
        "stopped trying."
    ),
    OutcomeKind.UNAVAILABLE: N_(
        "We could not reach %(provider)s to finish signing you in. This is "
        "usually brief: please try again in a minute."
    ),
    OutcomeKind.INVALID_CALLBACK: N_(
        "The address that brought you here does not look like an answer from "
        "a sign-in provider. Please start again from the sign-in page."
    ),
}
#: Sentences for failures of the site's own, not the provider's.
ERROR_DESCRIPTIONS = {
    "secret_key_mismatch": N_(
        "This site could not recognise the sign-in it had started: its servers "
        "do not share the same secret key. It is nothing you did. Trying again "
        "may work; if it keeps failing, the site needs fixing."
    ),
}
TITLES = {
    OutcomeKind.CONFIG_ERROR: N_("Sign-in is not set up correctly"),
    OutcomeKind.CANCELLED: N_("Sign-in cancelled"),
    OutcomeKind.GAVE_UP: N_("We could not sign you in"),
    OutcomeKind.UNAVAILABLE: N_("%(provider)s is not responding"),
    OutcomeKind.INVALID_CALLBACK: N_("This sign-in link is not valid"),
}
RETRY_PARAM = "oauth_recover"
# The characters a URI may hold (RFC 3986); others must come percent-encoded.
_URI = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")


def provider_name(client_name: str) -> str:
    """The provider's name as people know it, from a client's name, for
    outcomes that do not say which provider answered."""
    return known_name(client_name)


def retry_url() -> str:
    """A same-origin link that starts a fresh authorization."""
    return f"{_local(request.script_root + request.path)}?{RETRY_PARAM}=retry"


def home_url() -> str:
    """A same-origin link to the app's root."""
    return _local(f"{request.script_root}/")


def linkable_error_uri(outcome: Outcome) -> str | None:
    """The provider's ``error_uri``, when the page may make it a link.

    Only a token response's ``error_uri`` qualifies (the browser's URL is
    anyone's to write), and only a well-formed https URL, without user
    info, whose host is one of :attr:`Outcome.link_hosts`. Anything else is
    shown as text.

    :param outcome: what happened.
    """
    failure = outcome.failure
    if failure is None or failure.source != "token" or not failure.uri:
        return None
    uri = failure.uri
    if not _URI.fullmatch(uri):
        return None
    try:
        parts = urlsplit(uri)
        host, _port = parts.hostname, parts.port  # .port raises on "host:abc"
    except ValueError:
        return None
    if parts.scheme.lower() != "https" or parts.username is not None or not host:
        return None
    return uri if host in {name.lower() for name in outcome.link_hosts} else None


def wants_json() -> bool:
    """Does the client prefer JSON to HTML?"""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def render_outcome(outcome: Outcome, *, show_details: bool) -> Response:
    """The response for a failed callback: HTML, or JSON when preferred.

    :param outcome: what happened.
    :param show_details: include developer diagnostics.
    """
    locale = select_locale()
    _ = Translator(locale)
    provider = outcome.provider or provider_name(outcome.client_name)
    message = DESCRIPTIONS[outcome.kind]
    if outcome.failure is not None:
        message = ERROR_DESCRIPTIONS.get(outcome.failure.error, message)
    description = _(message, provider=provider)
    findings = [
        {
            "id": finding.id,
            "cause": _(finding.cause, **finding.params),
            "fix": _(finding.fix, **finding.params),
            "snippet": finding.snippet,
            "console": finding.console,
        }
        for finding in outcome.findings
    ]
    if wants_json():
        body: dict[str, Any] = {
            "error": outcome.error,
            "description": description,
            "action": ACTIONS[outcome.kind],
            "reference": outcome.reference,
        }
        if outcome.profile is not None:
            body["provider"] = outcome.profile
        if show_details:
            body["diagnosis"] = [
                {key: value for key, value in item.items() if value is not None}
                for item in findings
            ]
            body["details"] = dict(outcome.facts)
        response = jsonify(body)
        nonce = ""
    else:
        nonce = secrets.token_urlsafe(16)
        html = render_template(
            TEMPLATES[outcome.kind],
            _=_,
            lang=locale,
            outcome=outcome,
            provider=provider,
            title=_(TITLES[outcome.kind], provider=provider),
            description=description,
            findings=findings,
            facts=outcome.facts,
            show_details=show_details,
            provider_error=_provider_error(outcome) if show_details else None,
            retry_url=retry_url(),
            home_url=home_url(),
            csp_nonce=nonce,
        )
        response = current_app.response_class(html, mimetype="text/html")
    response.status_code = outcome.status
    _secure_headers(response, nonce, locale)
    if outcome.failure is not None and outcome.kind is OutcomeKind.UNAVAILABLE:
        response.headers["Retry-After"] = str(outcome.failure.retry_after or 60)
    return response


def _provider_error(outcome: Outcome) -> dict[str, str | None] | None:
    failure = outcome.failure
    # Lost state and transport failures carry no words from the provider.
    if failure is None or failure.source in ("state", "transport"):
        return None
    return {
        "error": failure.error,
        "description": failure.description,
        "uri": linkable_error_uri(outcome),
        "uri_text": failure.uri,
    }


def _local(path: str) -> str:
    # Quoted, and with one leading slash: "//host" or "/\\host" in an href
    # would leave the site, and a "?" from a decoded path would end it.
    return "/" + quote(path.lstrip("/"), safe="/:@!$&'()*+,;=-._~")


def _secure_headers(response: Response, nonce: str, locale: str) -> None:
    style = f"'nonce-{nonce}'" if nonce else "'none'"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src {style}; img-src 'self' data:; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Language"] = locale
    response.vary.add("Accept-Language")
    response.vary.add("Accept")
