"""Why the login's state or session cookie did not come back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask import request

from ..i18n import N_
from ..providers import Profile
from ..state import STATE_LOST
from .addresses import request_view
from .evidence import Evidence
from .evidence import Finding
from .evidence import FrameworkSettings
from .evidence import Rule

#: Bytes a browser keeps per cookie; a larger ``Set-Cookie`` is dropped.
COOKIE_LIMIT = 4096

#: A session cookie this large is near the limit: the few hundred bytes of
#: one login's state can push it over.
COOKIE_NEAR_LIMIT = 3584


def session_cookie_present() -> bool:
    """Did the browser send the app's session cookie with this request?"""
    return session_cookie_size() is not None


def session_cookie_verifies() -> bool | None:
    """Does the session cookie the browser sent verify with this app's
    ``SECRET_KEY`` (or one of ``SECRET_KEY_FALLBACKS``)?

    ``None`` when no cookie came, or the session store's cookie carries no
    signature this app can check (Flask-Session without a signer). An
    expired cookie verifies: its signature is the app's.
    """
    from itsdangerous import BadSignature
    from itsdangerous import SignatureExpired

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    interface = app.session_interface
    value = request.cookies.get(interface.get_cookie_name(app))
    if value is None:
        return None
    serializer_for = getattr(interface, "get_signing_serializer", None)
    if callable(serializer_for):
        serializer = serializer_for(app)
        if serializer is None:
            return None
        try:
            serializer.loads(value)
        except SignatureExpired:
            return True
        except BadSignature:
            return False
        return True
    if getattr(interface, "use_signer", False):
        return _flask_session_id_verifies(app, value)
    return None


def _flask_session_id_verifies(app: Any, value: str) -> bool:
    # Flask-Session signs the session id as Signer(key, salt="flask-session").
    from itsdangerous import BadSignature
    from itsdangerous import Signer

    keys = [app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ())]
    for key in keys:
        if not key:
            continue
        try:
            Signer(key, salt="flask-session", key_derivation="hmac").unsign(value)
        except BadSignature:
            continue
        return True
    return False


_SECRET_KEY_SNIPPET = (
    'app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]  # one value everywhere'
)


def secret_key_mismatch_finding(settings: FrameworkSettings) -> Finding:
    """The ``session.secret_key_mismatch`` finding, naming where the app's
    users set the key.

    :param settings: where the library that owns the login, if any, has
        its users set it.
    """
    where = settings.secret_key or (
        "the app's config, from one value every instance reads (an "
        "environment variable, a secrets store), not generated at start-up"
    )
    return Finding(
        "session.secret_key_mismatch",
        N_(
            "The session cookie came back with the callback, but it does not "
            "verify with this instance's SECRET_KEY (nor SECRET_KEY_FALLBACKS), "
            "and neither does the sign-in's state: the login started on an "
            "instance or worker with another secret key, or one made at "
            "start-up."
        ),
        N_(
            "Give every instance and worker the same SECRET_KEY, set in "
            "%(where)s, and keep it across restarts. To change it, put the old "
            "key in SECRET_KEY_FALLBACKS until the sessions signed with it have "
            "expired."
        ),
        {"where": where},
        settings.secret_key_snippet or _SECRET_KEY_SNIPPET,
    )


def session_cookie_size() -> int | None:
    """Bytes of the session cookie the browser sent, or ``None``."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    name = current_app.session_interface.get_cookie_name(app)
    value = request.cookies.get(name)
    return None if value is None else len(name) + 1 + len(value.encode())


def samesite_is_strict() -> bool:
    """Is the session cookie ``SameSite=Strict``?"""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    samesite = current_app.session_interface.get_cookie_samesite(app)
    return isinstance(samesite, str) and samesite.lower() == "strict"


def samesite_finding() -> Finding:
    """The ``session.samesite_strict`` finding."""
    return Finding(
        "session.samesite_strict",
        N_(
            'SESSION_COOKIE_SAMESITE is "Strict", so browsers hold the session '
            "cookie back when the provider redirects to the callback: that "
            "navigation starts on another site."
        ),
        N_(
            'Set SESSION_COOKIE_SAMESITE to "Lax": it still keeps the cookie '
            "off cross-site POSTs, and lets it come back from the provider."
        ),
        snippet='app.config["SESSION_COOKIE_SAMESITE"] = "Lax"',
    )


def cookie_samesite() -> str | None:
    """The session cookie's ``SameSite`` setting, lower case; ``None`` when
    it is not set (the attribute is not sent)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    samesite = current_app.session_interface.get_cookie_samesite(app)
    return samesite.lower() if isinstance(samesite, str) else None


def posts_callback(client: Any, profile: Profile) -> bool:
    """Does the provider post this client's callback (``response_mode=
    form_post``), as far as the client's registration tells? It does when
    the registration asks for it, or asks for a scope with which the
    provider always posts.

    :param client: the Authlib client.
    :param profile: its provider profile.
    """
    params = getattr(client, "authorize_params", None) or {}
    kwargs = getattr(client, "client_kwargs", None) or {}
    modes = {params.get("response_mode"), kwargs.get("response_mode")}
    if "form_post" in modes:
        return True
    scope = kwargs.get("scope") or params.get("scope") or ""
    scopes = set(scope.split() if isinstance(scope, str) else scope)
    return bool(scopes & profile.form_post_scopes)


#: The fix for a session cookie a posted callback leaves behind.
FORM_POST_FIX = N_(
    'Set SESSION_COOKIE_SAMESITE to "None" and SESSION_COOKIE_SECURE to True: '
    "browsers send a SameSite=None cookie with a cross-site POST, and only "
    "when it is Secure, so the app must be served over https. SameSite then "
    "no longer guards the app's own forms against cross-site requests: keep "
    "them under CSRF protection, and exempt only the callback."
)
FORM_POST_SNIPPET = (
    'app.config["SESSION_COOKIE_SAMESITE"] = "None"\n'
    'app.config["SESSION_COOKIE_SECURE"] = True  # SameSite=None needs https'
)


def form_post_finding(samesite: str | None, *, offline: bool = False) -> Finding:
    """The ``session.form_post_samesite`` finding.

    :param samesite: the cookie's ``SameSite`` setting, lower case, or
        ``None`` when not set.
    :param offline: said by ``flask oauth-recover check``, of a client whose
        provider will post the callback, rather than of a callback that
        came without the cookie.
    """
    if offline:
        cause = N_(
            "The provider posts this client's callback from its own site "
            "(response_mode=form_post), and SESSION_COOKIE_SAMESITE is "
            "%(samesite)s: browsers leave such a cookie off a cross-site POST, "
            "so the login's state will not come back."
        )
    elif samesite is None:
        cause = N_(
            "The provider posted the callback from its own site "
            "(response_mode=form_post) and the session cookie did not come "
            "with it. SESSION_COOKIE_SAMESITE is not set, and Chrome treats "
            "such a cookie as Lax, sending it with a cross-site POST only in "
            "the first two minutes after it was set."
        )
    else:
        cause = N_(
            "The provider posted the callback from its own site "
            "(response_mode=form_post), and browsers leave a SameSite=%(samesite)s "
            "cookie off such a cross-site POST: the session that held the "
            "login's state did not come back."
        )
    shown = {"lax": "Lax", "strict": "Strict"}.get(samesite or "", str(samesite))
    return Finding(
        "session.form_post_samesite",
        cause,
        FORM_POST_FIX,
        {"samesite": shown},
        FORM_POST_SNIPPET,
    )


def _form_post_blocked() -> bool:
    """Did this callback come as a cross-site POST without the session
    cookie, which the cookie's SameSite setting explains?"""
    if request.method != "POST" or session_cookie_present():
        return False
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site.lower() != "cross-site":
        return False
    # Unset means Lax in Chrome; only "None" lets the cookie through.
    return cookie_samesite() != "none"


def _form_post_samesite(evidence: Evidence) -> Iterator[Finding]:
    if _form_post_blocked():
        yield form_post_finding(cookie_samesite())


def cookie_domain_finding(domain: str, host: str) -> Finding:
    """The ``session.cookie_domain`` finding for ``domain`` and ``host``."""
    return Finding(
        "session.cookie_domain",
        N_(
            "SESSION_COOKIE_DOMAIN is %(domain)s, which does not cover "
            "%(host)s, so browsers do not keep or send the session cookie "
            "there."
        ),
        N_(
            "Set SESSION_COOKIE_DOMAIN to a domain that includes %(host)s, or "
            "to None for a cookie on exactly the host that sets it."
        ),
        {"domain": repr(domain), "host": host},
        'app.config["SESSION_COOKIE_DOMAIN"] = None',
    )


def domain_covers(domain: str, host: str) -> bool:
    """Is a cookie for ``domain`` sent to ``host``?"""
    domain = domain.lstrip(".").lower()
    return host == domain or host.endswith("." + domain)


def _samesite_strict(evidence: Evidence) -> Iterator[Finding]:
    if session_cookie_present() or not samesite_is_strict() or _form_post_blocked():
        return
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        cross_site = fetch_site.lower() == "cross-site"
    else:
        # No header from the browser: judge by the provider's host instead.
        client = evidence.client
        url = client.authorize_url or client.server_metadata.get(
            "authorization_endpoint"
        )
        provider = urlsplit(url or "").hostname or ""
        cross_site = not _may_share_site(provider, request_view().public.host)
    if cross_site:
        yield samesite_finding()


def _may_share_site(host: str, other: str) -> bool:
    """Could the two hosts be one site for SameSite? Comparing the last two
    labels errs towards yes (``a.co.uk`` and ``b.co.uk``), which only keeps
    the SameSite rule quiet."""
    if not host or not other:
        return True
    if host == other or ":" in host or host.replace(".", "").isdigit():
        return host == other
    return host.split(".")[-2:] == other.split(".")[-2:]


def _secure_over_http(evidence: Evidence) -> Iterator[Finding]:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    view = request_view()
    if (
        not session_cookie_present()
        and current_app.session_interface.get_cookie_secure(app)
        and view.public.scheme == "http"
    ):
        yield Finding(
            "session.secure_over_http",
            N_(
                "SESSION_COOKIE_SECURE is on, but the app is reached over plain "
                "http (%(url)s): browsers do not keep a Secure cookie from an "
                "http page (some make an exception for localhost), so the "
                "session never comes back."
            ),
            N_(
                "Serve the app over https, or turn SESSION_COOKIE_SECURE off "
                "for local development only."
            ),
            {"url": view.public.url},
            'app.config["SESSION_COOKIE_SECURE"] = False  # development only',
        )


def _cookie_domain(evidence: Evidence) -> Iterator[Finding]:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    domain = current_app.session_interface.get_cookie_domain(app)
    view = request_view()
    if domain and view.host_known and not domain_covers(domain, view.public.host):
        yield cookie_domain_finding(domain, view.public.host)


def _cookie_too_large(evidence: Evidence) -> Iterator[Finding]:
    size = session_cookie_size()
    if size is not None and size >= COOKIE_NEAR_LIMIT:
        yield Finding(
            "session.cookie_too_large",
            N_(
                "The session cookie is %(size)s bytes, close to the %(limit)s "
                "bytes browsers keep per cookie. The state a login adds can push "
                "it over, and browsers then ignore the new cookie without a word, "
                "so the state never comes back."
            ),
            N_(
                "Keep less in the session (store large values server-side and "
                "keep only their id), or move the session to the server with "
                "Flask-Session."
            ),
            {"size": str(size), "limit": str(COOKIE_LIMIT)},
            "from flask_session import Session\n\n"
            'app.config["SESSION_TYPE"] = "redis"  # or "cachelib", ...\n'
            "Session(app)",
        )


def _state_expired(evidence: Evidence) -> Iterator[Finding]:
    login = evidence.login
    now = time.time()
    if login is None or login.found or login.expires_at is None:
        return
    if login.expires_at >= now:
        return
    lifetime = float(getattr(evidence.client.framework, "expires_in", 3600))
    age = now - (login.expires_at - lifetime)
    yield Finding(
        "session.state_expired",
        N_(
            "The login started %(minutes)s minutes ago, longer than the "
            "%(lifetime)s minutes Authlib keeps a login's state, so the state "
            "had expired when the callback arrived."
        ),
        N_(
            "Nothing is misconfigured: a new login was started. If users often "
            "take this long, keep the state longer."
        ),
        {"minutes": str(int(age // 60)), "lifetime": str(int(lifetime // 60))},
        f"oauth.{evidence.client_name}.framework.expires_in = 2 * 3600  # seconds",
    )


def _state_lost(evidence: Evidence) -> Iterator[Finding]:
    # The cookie came back, and this app could read it, yet the login's
    # entry was not in the session: the store lost it.
    if STATE_LOST not in evidence.history or session_cookie_verifies() is False:
        return
    if not session_cookie_present():
        return
    login = evidence.login
    if login is not None and login.expires_at is not None:
        if login.expires_at < time.time():
            return  # expired, not lost: session.state_expired says so
    yield Finding(
        "session.state_lost",
        N_(
            "The session cookie came back with the callback, but the login's "
            "state was no longer in the session: the session store lost it "
            "(wiped, expired, evicted, or not shared between the workers or "
            "instances that serve the app)."
        ),
        N_(
            "Keep sessions in one store that every worker and instance reads "
            "(Redis or a database rather than each process's memory or disk), "
            "and keep them longer than a sign-in takes; do the same for "
            "Authlib's cache, if the app gives OAuth one."
        ),
        snippet="from flask_session import Session\n\n"
        'app.config["SESSION_TYPE"] = "redis"  # shared by every instance\n'
        "Session(app)",
    )


def _session_cookie_missing(evidence: Evidence) -> Iterator[Finding]:
    if not session_cookie_present() and not _form_post_blocked():
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        yield Finding(
            "session.cookie_missing",
            N_(
                "The callback request came without the session cookie "
                "(%(cookie)s), so the state the login saved in the session "
                "could not be read."
            ),
            N_(
                "Make the browser send the session cookie back from the "
                "provider: start the login on the same scheme and host as the "
                'callback URL, keep SESSION_COOKIE_SAMESITE at "Lax", and set '
                "SESSION_COOKIE_SECURE only when the app is served over https."
            ),
            {"cookie": current_app.session_interface.get_cookie_name(app)},
        )


#: The session and state rules, most specific first.
RULES: list[Rule] = [
    _form_post_samesite,
    _samesite_strict,
    _secure_over_http,
    _cookie_domain,
    _cookie_too_large,
    _state_expired,
    _state_lost,
    _session_cookie_missing,
]
