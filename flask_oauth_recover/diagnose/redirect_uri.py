"""Why a provider said ``redirect_uri_mismatch``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import current_app
from flask import request

from ..clients import endpoint_of
from ..i18n import N_
from ..providers import Match
from ..providers.profile import REDIRECT_URI
from ..providers.profile import Profile
from .addresses import LOOPBACK_HOSTS
from .addresses import Address
from .addresses import RequestView
from .addresses import publicize
from .addresses import request_view
from .evidence import Evidence
from .evidence import Finding
from .evidence import Rule
from .shapes import shown_in_full


def _sent_address(evidence: Evidence) -> Address | None:
    sent = evidence.known_redirect_uri
    return Address.parse(sent) if sent else None


def _sent_origin(evidence: Evidence) -> Address | None:
    """Where the login sent the provider: the redirect URI when known, else
    the origin its signed state carries, on this callback's path (the
    provider sent the browser to that path)."""
    sent = _sent_address(evidence)
    if sent is None and evidence.state_origin:
        sent = Address.parse(f"{evidence.state_origin}{request.path}")
    return sent


def _proxy_fix_snippet(view: RequestView) -> str:
    arguments = ", ".join(f"{name}={count}" for name, count in view.hops.items())
    return (
        "from werkzeug.middleware.proxy_fix import ProxyFix\n\n"
        "# Trust only the headers your proxy sets, once per proxy.\n"
        f"app.wsgi_app = ProxyFix(app.wsgi_app, {arguments})"
    )


#: The fix when the library that owns the login has its own ProxyFix switch.
_SWITCH_FIX = N_(
    "Turn on %(switch)s, which wraps the app in Werkzeug's ProxyFix, so that "
    "url_for(..., _external=True) builds %(public_url)s."
)
_PROXY_FIX = N_(
    "Wrap the app in Werkzeug's ProxyFix so that url_for(..., "
    "_external=True) builds %(public_url)s."
)


def _proxy_fix(
    evidence: Evidence, view: RequestView, params: dict[str, str]
) -> tuple[str, dict[str, str], str]:
    """The fix, its parameters and its snippet: the framework's own switch
    (Superset's ``ENABLE_PROXY_FIX``, Airflow's ``[fab] enable_proxy_fix``)
    where it has one, else ProxyFix itself."""
    switch = evidence.framework.proxy_fix
    if switch:
        return _SWITCH_FIX, {**params, "switch": switch}, switch
    return _PROXY_FIX, params, _proxy_fix_snippet(view)


def _proxy_scheme(evidence: Evidence) -> Iterator[Finding]:
    view = request_view()
    if not view.host_known:
        return
    forwarded = view.unapplied.get("X-Forwarded-Proto")
    sent = _sent_address(evidence)
    if forwarded is None or (sent is not None and sent.scheme != view.seen.scheme):
        return
    built = sent or view.seen
    fix, params, snippet = _proxy_fix(
        evidence,
        view,
        {
            "forwarded": forwarded,
            "scheme": view.seen.scheme,
            "url": built.url,
            "public_url": publicize(built, view).url,
        },
    )
    yield Finding(
        "redirect_uri.proxy_scheme",
        N_(
            "The request came through a proxy that sets X-Forwarded-Proto: "
            "%(forwarded)s, but the app does not apply that header (Werkzeug's "
            "ProxyFix is missing, or trusts fewer proxies than set it), so it "
            "sees %(scheme)s and builds redirect URIs such as %(url)s."
        ),
        fix,
        params,
        snippet,
    )


def _proxy_host(evidence: Evidence) -> Iterator[Finding]:
    view = request_view()
    if not view.host_known:
        return
    sent = _sent_address(evidence)
    reflected = []
    for header in ("X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Prefix"):
        if header not in view.unapplied:
            continue
        if sent is None or publicize(sent, view) != _publicize_only(sent, view, header):
            reflected.append(header)
    if not reflected:
        return
    built = sent or view.seen
    fix, params, snippet = _proxy_fix(
        evidence,
        view,
        {
            "headers": ", ".join(f"{h}: {view.unapplied[h]}" for h in reflected),
            "url": built.url,
            "public_url": publicize(built, view).url,
        },
    )
    yield Finding(
        "redirect_uri.proxy_host",
        N_(
            "The request came through a proxy that sets %(headers)s, but the "
            "app does not apply those headers (Werkzeug's ProxyFix is missing, "
            "or trusts fewer proxies than set them), so it builds redirect URIs "
            "such as %(url)s for the address it sees instead of the one the "
            "browser uses."
        ),
        fix,
        params,
        snippet,
    )


def _publicize_only(sent: Address, view: RequestView, header: str) -> Address:
    """``publicize`` with one forwarded header left out."""
    reduced = {name: value for name, value in view.unapplied.items() if name != header}
    return publicize(sent, RequestView(view.seen, view.public, reduced, view.hops))


def _loopback_pair(sent: Address, view: RequestView) -> bool:
    return (
        view.host_known
        and sent.host in LOOPBACK_HOSTS
        and view.public.host in LOOPBACK_HOSTS
        and sent.host != view.public.host
    )


def _loopback_alias(evidence: Evidence) -> Iterator[Finding]:
    view = request_view()
    sent = _sent_origin(evidence)
    if sent is None or not _loopback_pair(sent, view):
        return
    target = Address(view.public.scheme, view.public.host, view.public.port, sent.path)
    yield Finding(
        "redirect_uri.loopback_alias",
        N_(
            "The login sent the redirect URI %(sent)s, but the callback arrived "
            "at %(received)s. %(sent_host)s and %(received_host)s are the same "
            "computer, but browsers and providers treat them as different "
            "hosts: the registered callback URL and the session cookie belong "
            "to one of them only."
        ),
        N_(
            "Use one host name for the whole login: open the app at "
            "%(origin)s so that it sends %(target)s, or register %(sent)s."
        ),
        {
            "sent": sent.url,
            "received": view.public.url,
            "sent_host": sent.netloc,
            "received_host": view.public.netloc,
            "origin": view.public.origin,
            "target": target.url,
        },
        target.url,
    )


def _server_name_settings(sent: Address, view: RequestView) -> list[tuple[str, str]]:
    """The URL settings ``sent`` follows where the request differs, as
    (setting, the value matching the request)."""
    config = current_app.config
    settings: list[tuple[str, str]] = []
    server_name = config.get("SERVER_NAME")
    if server_name:
        configured = Address.parse(f"{sent.scheme}://{server_name}")
        if (
            configured is not None
            and configured.same_origin(sent)
            and not configured.same_origin(
                Address(sent.scheme, view.public.host, view.public.port, "/")
            )
        ):
            settings.append(
                (
                    f"SERVER_NAME = {server_name!r}",
                    f"SERVER_NAME = {view.public.netloc!r}",
                )
            )
    scheme = config.get("PREFERRED_URL_SCHEME")
    if (
        scheme
        and sent.scheme == scheme
        and view.public.scheme != scheme
        and view.seen.scheme != scheme
    ):
        settings.append(
            (
                f"PREFERRED_URL_SCHEME = {scheme!r}",
                f"PREFERRED_URL_SCHEME = {view.public.scheme!r}",
            )
        )
    root = str(config.get("APPLICATION_ROOT") or "/").rstrip("/")
    public_root = view.public.path[: len(view.public.path) - len(request.path)]
    if (
        root != request.script_root
        and root != public_root
        and sent.path == root + request.path
    ):
        settings.append(
            (
                f"APPLICATION_ROOT = {config.get('APPLICATION_ROOT')!r}",
                f"APPLICATION_ROOT = {(public_root or '/')!r}",
            )
        )
    return settings


def _server_name(evidence: Evidence) -> Iterator[Finding]:
    view = request_view()
    sent = _sent_address(evidence)
    settings = _server_name_settings(sent, view) if sent and view.host_known else []
    if sent is None or not settings:
        return
    yield Finding(
        "redirect_uri.server_name",
        N_(
            "The redirect URI %(sent)s follows the app's %(settings)s, not the "
            "request, which arrived at %(received)s. Flask builds external URLs "
            "on SERVER_NAME even inside a request for another host, and uses "
            "PREFERRED_URL_SCHEME and APPLICATION_ROOT for URLs built outside "
            "a request."
        ),
        N_(
            "Set these to the address users reach the app at, or remove them "
            "and build the redirect URI with url_for(..., _external=True) "
            "inside the login request."
        ),
        {
            "sent": sent.url,
            "settings": "; ".join(setting for setting, _ in settings),
            "received": view.public.url,
        },
        "\n".join(fixed for _, fixed in settings),
    )


def _host_changed(evidence: Evidence) -> Iterator[Finding]:
    view = request_view()
    sent = _sent_origin(evidence)
    if (
        sent is None
        or not view.host_known
        or sent.same_origin(view.public)
        or publicize(sent, view).same_origin(view.public)
        or _loopback_pair(sent, view)
        or _server_name_settings(sent, view)
    ):
        return
    target = Address(view.public.scheme, view.public.host, view.public.port, sent.path)
    yield Finding(
        "redirect_uri.host_changed",
        N_(
            "The login sent the redirect URI %(sent)s, but the callback arrived "
            "at %(received)s, on another scheme, host or port."
        ),
        N_(
            "Start the login on the address the callback uses: open the app at "
            "%(origin)s (redirect the other address there) so that it sends "
            "%(target)s, or register %(sent)s."
        ),
        {
            "sent": sent.url,
            "received": view.public.url,
            "origin": view.public.origin,
            "target": target.url,
        },
        target.url,
    )


#: How each provider matches redirect URIs, per :attr:`RedirectRule.key`,
#: as the fix says it.
REGISTER_FIXES = {
    "prefix": N_(
        "Register %(url)s as the Authorization callback URL in the OAuth "
        "app's settings. %(provider)s accepts a redirect URI whose scheme, "
        "host and port equal the registered URL's (for localhost and 127.0.0.1 "
        "the port may differ) and whose path is the registered path or below "
        "it."
    ),
    "exact_case": N_(
        "Add %(url)s to the Authorized redirect URIs of this OAuth client. "
        "%(provider)s compares the whole URI exactly: scheme, host, port, path, "
        "letter case and the trailing slash; it must be https except on "
        "localhost."
    ),
    "exact_localhost_port": N_(
        "Add %(url)s as a Web redirect URI under Authentication in the app "
        "registration. %(provider)s compares it exactly, path case included, "
        "but ignores the port for localhost; it must be https except on "
        "localhost, and [::1] is not supported."
    ),
    "exact_loopback_ip_port": N_(
        "Add %(url)s to the Redirect URI list of the application, one URI per "
        "line. %(provider)s compares it exactly, except that the port is "
        "ignored for 127.0.0.1 and [::1] (not for localhost), and the query is "
        "ignored when the registered URI has none."
    ),
    "pattern": N_(
        "Add %(url)s to the Valid redirect URIs of the client in the admin "
        "console. %(provider)s compares it with each entry, where an entry "
        "ending in * matches any URI that starts with what precedes it."
    ),
    "apple_return_urls": N_(
        "Add %(url)s to the Return URLs of the Services ID (Sign in with Apple, "
        "Configure) in Certificates, Identifiers & Profiles. %(provider)s "
        "requires https, on localhost too."
    ),
    "slack_redirect_urls": N_(
        'Add %(url)s to the Redirect URLs under "OAuth & Permissions" in the '
        "app's settings at %(provider)s."
    ),
    "facebook_valid_oauth": N_(
        "Add %(url)s to the Valid OAuth Redirect URIs under Facebook Login, "
        "Settings in the App Dashboard, and its domain to the App Domains under "
        "Settings, Basic. In Strict Mode %(provider)s compares the whole URI "
        "exactly."
    ),
    "okta_sign_in_redirect": N_(
        "Add %(url)s to the Sign-in redirect URIs on the app integration's "
        "General tab in the Admin Console. %(provider)s compares it exactly: "
        "scheme, host, port, path, letter case and the trailing slash."
    ),
    "auth0_allowed_callbacks": N_(
        "Add %(url)s to the Allowed Callback URLs (a comma-separated list) in "
        "the application's settings in the %(provider)s Dashboard, with its "
        "port."
    ),
    "discord_redirects": N_(
        "Add %(url)s under OAuth2, Redirects, on the application's page in the "
        "Developer Portal. %(provider)s compares it exactly: a trailing slash, "
        "or http instead of https, is enough to refuse it."
    ),
    "exact": N_(
        "Register %(url)s as a redirect URI of this client at the provider; "
        "most providers require an exact match."
    ),
}


def register_fix(profile: Profile) -> str:
    """The fix that registers a redirect URI, with the provider's rule."""
    return REGISTER_FIXES.get(profile.redirect_rule.key, REGISTER_FIXES["exact"])


def _register(evidence: Evidence) -> Iterator[Finding]:
    view = request_view()
    sent = _sent_address(evidence)
    if sent is None and not view.host_known:
        # Neither the URI sent nor the address arrived at can be read.
        return
    failure = evidence.failure
    profile = evidence.profile
    bounced = (
        profile.redirect_error_returns
        and view.host_known
        and failure is not None
        and failure.source == "authorize"
    )
    params = {
        "received": view.public.url,
        "origin": view.public.origin,
        "provider": evidence.provider,
    }
    if sent is not None:
        url = publicize(sent, view).url if view.host_known else sent.url
        params["sent"] = sent.url
        if bounced:
            cause = N_(
                "%(provider)s refused the redirect URI %(sent)s and sent the "
                "browser back to %(received)s instead: on this error "
                "%(provider)s redirects to the callback URL registered for the "
                "app."
            )
        else:
            cause = N_(
                "The provider refused the redirect URI %(sent)s: it does not "
                "match a callback URL registered for the app."
            )
    else:
        url = view.public.url
        if evidence.login is not None and evidence.login.found:
            cause = N_(
                "The provider refused the login's redirect URI, which cannot be "
                "read here: the login's state data does not record one."
            )
        elif bounced:
            cause = N_(
                "%(provider)s refused the login's redirect URI and sent the "
                "browser back to %(received)s, the callback URL registered for "
                "the app. The redirect URI itself cannot be read here, because "
                "the login's state did not come back with this request."
            )
        else:
            cause = N_(
                "The provider refused the login's redirect URI. It cannot be "
                "read here, because the login's state did not come back with "
                "this request."
            )
    params["url"] = url
    if sent is None and bounced:
        # The URL arrived at is registered already: the fix is where to start.
        url = view.public.origin
        fix = N_(
            "Start the login at %(origin)s, the host of the registered callback "
            "URL: if it was started on another host name, such as localhost "
            "instead of 127.0.0.1, the session cookie stays behind. Otherwise "
            "register the redirect URI the app sends."
        )
    else:
        fix = register_fix(profile)
    yield Finding(
        "redirect_uri.register",
        cause,
        fix,
        params,
        url,
        console=_console(evidence),
    )


def _console(evidence: Evidence) -> str | None:
    client = evidence.client
    client_id = getattr(client, "client_id", None)
    secret = getattr(client, "client_secret", None)
    public = (
        client_id
        if isinstance(client_id, str)
        and shown_in_full(client_id, secret if isinstance(secret, str) else None)
        else None
    )
    return evidence.profile.console_url(
        REDIRECT_URI, endpoint_of(client, REDIRECT_URI), public
    )


def probe_unregistered(
    client: Any,
    client_name: str,
    match: Match,
    redirect_uri: str,
    endpoint: str,
) -> Finding:
    """The finding for an authorization endpoint that refused the redirect
    URI a wrapped callback makes the app send (``flask oauth-recover check
    --probe``).

    :param client: the Authlib client.
    :param client_name: its registered name.
    :param match: its provider profile and display name.
    :param redirect_uri: the redirect URI sent.
    :param endpoint: the endpoint that refused it (the callback's).
    """
    evidence = Evidence(
        client,
        client_name,
        None,
        redirect_uri,
        profile=match.profile,
        provider_name=match.display_name,
    )
    if match.profile.redirect_error_returns:
        cause = N_(
            "%(provider)s refused the redirect URI %(url)s that the callback "
            "%(endpoint)s makes the app send: it sends the browser to the "
            "registered callback URL with error=redirect_uri_mismatch instead."
        )
    else:
        cause = N_(
            "%(provider)s refused the redirect URI %(url)s that the callback "
            "%(endpoint)s makes the app send, with its own error page: users "
            "would stay on that page, and the app would never hear of it."
        )
    return Finding(
        "redirect_uri.unregistered",
        cause,
        register_fix(match.profile),
        {"provider": match.display_name, "url": redirect_uri, "endpoint": endpoint},
        redirect_uri,
        console=_console(evidence),
    )


#: The redirect URI rules, most specific first.
RULES: list[Rule] = [
    _proxy_scheme,
    _proxy_host,
    _loopback_alias,
    _server_name,
    _host_changed,
    _register,
]
