"""Why a provider kept refusing the authorization code: a PKCE verifier it
names as wrong, or one ``invalid_grant`` that stands for several causes and
came back after a restart."""

from __future__ import annotations

from collections.abc import Iterator

from ..i18n import N_
from ..providers.profile import PKCE_MISMATCH
from ..state import GRANT_REFUSED
from ..state import origin_of
from ..token_response import sent_token_request
from .evidence import Evidence
from .evidence import Finding
from .evidence import Rule

#: How many ambiguous refusals in one login make the diagnosis.
REPEATED = 2


def pkce_sent() -> bool:
    """Did the token request of this callback carry a ``code_verifier``?"""
    return sent_token_request().get("code_verifier") == "sent"


def _pkce_snippet(evidence: Evidence) -> str:
    return (
        f'oauth.register("{evidence.client_name}", ..., '
        'client_kwargs={"code_challenge_method": "S256"})'
    )


def _pkce_mismatch(evidence: Evidence) -> Iterator[Finding]:
    if evidence.reason != PKCE_MISMATCH:
        return
    if pkce_sent():
        cause = N_(
            "%(provider)s says the PKCE code_verifier the token request sent "
            "does not match the code_challenge of the authorization request."
        )
    else:
        cause = N_(
            "%(provider)s expected a PKCE code_verifier, but the token request "
            "carried none: the authorization request sent a code_challenge "
            "that nothing answered."
        )
    yield Finding(
        "pkce.mismatch",
        cause,
        N_(
            "Let Authlib make and keep the verifier: register the client with "
            'code_challenge_method "S256", pass neither code_verifier nor '
            "code_challenge yourself, and finish each login in the session that "
            "started it."
        ),
        {"provider": evidence.provider},
        _pkce_snippet(evidence),
    )


def redirect_uris(evidence: Evidence) -> tuple[str | None, str | None]:
    """The redirect URI sent at the authorization step, as far as it can be
    read (the URI from the login's state data, else the origin its signed
    state carries), and the one the token request sent."""
    token_uri = sent_token_request().get("redirect_uri")
    login = evidence.login
    if login is not None and login.found and login.redirect_uri:
        return login.redirect_uri, token_uri
    return evidence.state_origin or None, token_uri


def _steps_differ(authorize_uri: str | None, token_uri: str | None) -> bool | None:
    """Did the two steps send different redirect URIs? ``None`` when that
    cannot be told."""
    if authorize_uri is None or token_uri is None:
        return None
    if "/" not in authorize_uri.split("://", 1)[-1]:
        # Only the origin is known: it tells a difference of host, no more.
        return origin_of(token_uri) != authorize_uri or None
    return authorize_uri != token_uri


def _invalid_grant_repeated(evidence: Evidence) -> Iterator[Finding]:
    count = evidence.history.count(GRANT_REFUSED)
    if not evidence.gave_up or count < REPEATED:
        return
    authorize_uri, token_uri = redirect_uris(evidence)
    differ = _steps_differ(authorize_uri, token_uri)
    params = {
        "provider": evidence.provider,
        "count": str(count),
        "authorize_uri": authorize_uri or "?",
        "token_uri": token_uri or "?",
    }
    snippet = None
    if differ:
        fix = N_(
            "The two steps sent different redirect URIs: %(authorize_uri)s to "
            "the authorization endpoint and %(token_uri)s to the token endpoint, "
            "and %(provider)s requires the same one in both. Let Authlib send "
            "the login's own: call authorize_access_token() without a "
            "redirect_uri argument."
        )
        snippet = f"token = oauth.{evidence.client_name}.authorize_access_token()"
    elif differ is None:
        fix = N_(
            "The redirect URI of the authorization request cannot be read here; "
            "the token request sent %(token_uri)s. Check that the login sends "
            "that same URI, that the PKCE code_verifier comes from the same "
            "login as its code_challenge, and that nothing else spends the code "
            "before this view does."
        )
    elif pkce_sent():
        fix = N_(
            "Both steps sent the redirect URI %(token_uri)s, so it is not the "
            "cause. PKCE is on: make sure the code_verifier comes from the same "
            "login as the code_challenge (let Authlib keep it with the login's "
            "state, and do not pass one yourself). If that holds too, something "
            "spends each code before this view does, such as a second request "
            "to the callback."
        )
        snippet = _pkce_snippet(evidence)
    else:
        fix = N_(
            "Both steps sent the redirect URI %(token_uri)s and PKCE is off, so "
            "the code itself was refused: something spends each code before "
            "this view does (a second request to the callback, another handler, "
            "a proxy that replays it), or the codes expire before they arrive."
        )
    yield Finding(
        "token.invalid_grant_repeated",
        N_(
            "%(provider)s refused the authorization code with invalid_grant "
            "%(count)s times in a row, and a new login did not help. "
            "%(provider)s answers invalid_grant for three causes: a code that "
            "was already used or has expired, a redirect_uri in the token "
            "request that differs from the authorization request's, and a PKCE "
            "code_verifier that does not match its code_challenge."
        ),
        fix,
        params,
        snippet,
    )


#: The rules about refused authorization codes.
RULES: list[Rule] = [_pkce_mismatch, _invalid_grant_repeated]
