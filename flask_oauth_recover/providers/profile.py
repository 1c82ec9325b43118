"""What a provider profile is: data, and the small pure functions that read
it.

A :class:`Profile` holds everything the extension knows about one provider:
how to recognize it from a client's endpoints, how its token and authorize
errors read, where an unregistered redirect URI shows up and how redirect
URIs are matched, the shapes of its credentials, the console pages where
each fix is made, and its documentation hosts. Nothing here knows about
Flask, Authlib or the rest of the extension: kinds and reasons are plain
strings that :mod:`flask_oauth_recover.classify` maps to its own enum.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import parse_qsl
from urllib.parse import quote
from urllib.parse import unquote
from urllib.parse import urlsplit

#: What the extension does about a failure; the values of
#: ``classify.FailureKind``.
TRANSIENT = "transient"
CREDENTIALS = "credentials"
REDIRECT_URI = "redirect_uri"
CONFIG = "config"
CANCELLED = "cancelled"
UNAVAILABLE = "unavailable"
KINDS = frozenset(
    {TRANSIENT, CREDENTIALS, REDIRECT_URI, CONFIG, CANCELLED, UNAVAILABLE}
)

#: Finer causes a profile can name, for the diagnoses.
#: The PKCE ``code_verifier`` did not answer the ``code_challenge``.
PKCE_MISMATCH = "pkce_mismatch"
#: The client secret has expired.
SECRET_EXPIRED = "secret_expired"
#: The token request carried no client secret.
SECRET_MISSING = "secret_missing"
#: The application is not registered in the directory (tenant) the
#: endpoint names.
APP_NOT_IN_DIRECTORY = "app_not_in_directory"

#: Host names of the loopback interface, as URL hosts.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Reading:
    """How a profile reads one error.

    :param kind: one of :data:`KINDS`.
    :param reason: a finer cause (:data:`PKCE_MISMATCH`, ...), if the
        provider names one.
    :param code: the provider's own code, when it has codes of its own
        (``"AADSTS54005"``).
    :param ambiguous: the code is transient-looking but the provider uses
        it for configuration errors too, which no restart heals.
    """

    kind: str
    reason: str | None = None
    code: str | None = None
    ambiguous: bool = False


#: The reading of an error code nobody documents: the provider refused,
#: and only a person can tell why. Never a restart.
UNKNOWN = Reading(CONFIG)


@dataclass(frozen=True)
class Worded:
    """Words in an ``error_description`` that tell apart causes which share
    one error code. Used only where the code alone cannot say.

    :param error: the error code the words refine.
    :param pattern: matched against the start of the description.
    :param reading: the reading when it matches.
    """

    error: str
    pattern: re.Pattern[str]
    reading: Reading


@dataclass(frozen=True)
class NumberedCodes:
    """A provider's own numbered codes beside the RFC ``error``.

    Read from the token response's ``error_codes`` list when it has one
    (for an error object, its subcode and code), else from the codes
    written in the description as ``<prefix><digits>``.

    :param prefix: what precedes the number in the description; ``None``
        when the description never carries the numbers.
    :param readings: number -> reading. Numbers not listed leave the
        decision to the RFC ``error``.
    """

    prefix: str | None
    readings: Mapping[int, Reading]

    def numbers(self, description: str | None, error_codes: Iterable[int]) -> list[int]:
        """The numbers the response carries, ``error_codes`` first.

        :param description: the ``error_description``.
        :param error_codes: the ``error_codes`` field, if any.
        """
        found = list(error_codes)
        if description and self.prefix is not None:
            pattern = re.compile(re.escape(self.prefix) + r"(\d{1,9})\b")
            found += [int(number) for number in pattern.findall(description)]
        return found


@dataclass(frozen=True)
class EndpointShape:
    """Endpoint paths that identify a provider on any host (self-hosted
    servers, gateways, emulators).

    :param authorize: matches the path of the authorization endpoint.
    :param token: matches the path of the token endpoint.
    :param metadata: matches the path of the server metadata document.
    :param both: the authorization and token paths must both match, under
        the same origin and with the same first group (the install prefix).
    """

    authorize: re.Pattern[str] | None = None
    token: re.Pattern[str] | None = None
    metadata: re.Pattern[str] | None = None
    both: bool = False


@dataclass(frozen=True)
class RedirectRule:
    """How a provider compares a request's ``redirect_uri`` with the ones
    registered for the client.

    :param key: which sentence of the diagnoses describes this rule.
    :param path: ``"exact"``, ``"prefix"`` (the registered path or below
        it) or ``"pattern"`` (a registered value may end in ``*``).
    :param any_port_hosts: hosts whose port may differ from the registered
        one.
    :param https_except_loopback: plain http only on a loopback host.
    :param https_always: plain http never, not even on a loopback host.
    :param exact_case: scheme and host compared as written, not folded.
    :param bare_gets_slash: a registered URI without a path is read as
        ending in ``/``.
    :param query_free_if_unregistered: the request's query is ignored when
        the registered URI has none.
    :param unsupported_hosts: hosts never accepted.
    """

    key: str
    path: str = "exact"
    any_port_hosts: frozenset[str] = frozenset()
    https_except_loopback: bool = False
    https_always: bool = False
    exact_case: bool = False
    bare_gets_slash: bool = False
    query_free_if_unregistered: bool = False
    unsupported_hosts: frozenset[str] = frozenset()

    def matches(self, candidate: str, registered: str) -> bool:
        """Would the provider accept ``candidate`` for a client that
        registered ``registered``?

        :param candidate: the ``redirect_uri`` a request sends.
        :param registered: one registered redirect URI (or pattern).
        """
        try:
            got, want = urlsplit(candidate), urlsplit(registered)
            got_port, want_port = got.port, want.port
        except ValueError:
            return False
        host = (got.hostname or "").lower()
        if got.username is not None or got.password is not None or got.fragment:
            return False
        if not host or host in self.unsupported_hosts:
            return False
        scheme = got.scheme.lower()
        if self.https_always and scheme != "https":
            return False
        if (
            self.https_except_loopback
            and scheme != "https"
            and host not in LOOPBACK_HOSTS
        ):
            return False
        if self.path == "pattern" and registered.endswith("*"):
            return candidate.startswith(registered[:-1])
        if self.exact_case:
            got_netloc = got.netloc.rsplit(":", 1)[0] if got_port else got.netloc
            want_netloc = want.netloc.rsplit(":", 1)[0] if want_port else want.netloc
            if (got.scheme, got_netloc) != (want.scheme, want_netloc):
                return False
        elif (scheme, host) != (want.scheme.lower(), (want.hostname or "").lower()):
            return False
        if host not in self.any_port_hosts and _port(scheme, got_port) != _port(
            want.scheme.lower(), want_port
        ):
            return False
        if self.path == "prefix":
            return _below(got.path, want.path)
        want_path = want.path or ("/" if self.bare_gets_slash else "")
        if got.path != want_path:
            return False
        if self.query_free_if_unregistered and not want.query:
            return True
        return got.query == want.query


@dataclass(frozen=True)
class CredentialShapes:
    """The shapes of a provider's credentials, for sanity checks only: a
    shape is a hint, never a guarantee.

    :param key: which sentences of the diagnoses describe these shapes.
    :param client_id: shapes of a client ID.
    :param secret: shapes of a client secret, distinctive enough to tell a
        secret wherever it is pasted.
    :param legacy_secret: shapes older secrets have, too plain to tell a
        secret by (any 24 letters; the shape of a client ID).
    :param secret_prefixes: prefixes only a client secret carries.
    :param token_prefixes: prefixes of the provider's tokens, which people
        paste as a secret.
    :param api_key_prefixes: prefixes of the provider's API keys, likewise.
    :param private_key_prefixes: how the private keys people paste as a
        secret begin (a PEM file whose key should sign the secret).
    :param secret_id: the shape of a secret's *ID*, shown beside its value
        in the console and pasted instead of it.
    :param app_id: the shape of an application number that is not the
        client ID.
    :param firm_client_id: every client ID has one of the shapes, so a
        value of another shape is a mistake worth naming.
    :param firm_secret: likewise for the secret. ``False`` where the secret's
        shape is only inferred: it then hides values, but names no mistake.
    :param client_id_notation: the client ID's shape, written for people
        (a pattern, the same in every language).
    :param secret_notation: the secret's shape, likewise.
    """

    key: str
    client_id: tuple[re.Pattern[str], ...]
    secret: tuple[re.Pattern[str], ...]
    legacy_secret: tuple[re.Pattern[str], ...] = ()
    secret_prefixes: tuple[str, ...] = ()
    token_prefixes: tuple[str, ...] = ()
    api_key_prefixes: tuple[str, ...] = ()
    private_key_prefixes: tuple[str, ...] = ()
    secret_id: re.Pattern[str] | None = None
    app_id: re.Pattern[str] | None = None
    firm_client_id: bool = True
    firm_secret: bool = True
    client_id_notation: str = ""
    secret_notation: str = ""

    def is_client_id(self, value: str) -> bool:
        """Has ``value`` the shape of this provider's client ID?"""
        return any(shape.fullmatch(value) for shape in self.client_id)

    def is_secret(self, value: str) -> bool:
        """Has ``value`` the shape of this provider's client secret?"""
        shapes = (*self.secret, *self.legacy_secret)
        return any(shape.fullmatch(value) for shape in shapes)

    def foreign_prefix(self, value: str) -> tuple[str, str] | None:
        """``(prefix, "token" | "api_key" | "private_key")`` when ``value``
        starts like a token, an API key or a private key of this provider."""
        for kind, prefixes in (
            ("token", self.token_prefixes),
            ("api_key", self.api_key_prefixes),
            ("private_key", self.private_key_prefixes),
        ):
            for prefix in prefixes:
                if value.startswith(prefix):
                    return prefix, kind
        return None


@dataclass(frozen=True)
class ConsolePage:
    """Where a fix is made at the provider.

    :param url: the page, with ``{origin}`` (the endpoint's), ``{console}``
        (:attr:`Profile.console_hosts`), ``{realm}`` or ``{tenant}``
        (:attr:`Profile.directory`) to fill in.
    :param url_for_client: the page of one client, with ``{client_id}``
        too, used when the client ID may be shown.
    """

    url: str
    url_for_client: str | None = None


@dataclass(frozen=True)
class RedirectErrorPage:
    """The provider's own page for an unregistered redirect URI.

    :param statuses: its HTTP statuses; empty for any.
    :param markers: text it contains, any of them.
    """

    statuses: frozenset[int]
    markers: tuple[str, ...]


@dataclass(frozen=True)
class SecretJwt:
    """A client secret that is a JWT the app signs itself (Sign in with
    Apple), and the claims the provider requires of it.

    :param audience: the ``aud`` it must carry.
    :param algorithm: the ``alg`` of its header.
    :param max_lifetime: the most seconds from ``iat`` to ``exp``.
    :param subject_is_client_id: its ``sub`` must be the client ID.
    """

    audience: str
    algorithm: str
    max_lifetime: int
    subject_is_client_id: bool = True


#: Why ``check --probe`` cannot read a provider's authorization page: it is
#: built by JavaScript, or shown only to a signed-in browser.
NEEDS_JAVASCRIPT = "javascript"
NEEDS_SIGN_IN = "sign_in"

#: What an authorization request with a redirect URI said about it.
PROBE_UNREGISTERED = "unregistered"
PROBE_ACCEPTED = "accepted"
PROBE_UNCHECKED = "unchecked"


@dataclass(frozen=True)
class Profile:
    """All the extension knows about one provider.

    :param name: the profile's name (``"google"``), as
        ``@recover.callback(..., provider=...)`` and JSON spell it.
    :param display_name: the provider's name as people know it.
    :param hosts: hosts of its endpoints on its own service.
    :param shape: endpoint paths that identify it on any host.
    :param token_errors: token endpoint error code -> reading; codes not
        listed read as :data:`UNKNOWN`.
    :param authorize_errors: ``?error=`` code -> reading.
    :param worded: descriptions that refine a shared code.
    :param numbered: the provider's own numbered codes, if any.
    :param redirect_rule: how redirect URIs are matched.
    :param redirect_error_returns: an unregistered redirect URI comes back
        to the app's registered callback with ``?error=``; otherwise the
        provider shows its own page and the app never hears of it.
    :param redirect_error_page: that page, for ``check --probe``.
    :param checks_redirect_first: the provider checks the redirect URI
        before asking the user to sign in, so a sign-in page means the URI
        was accepted.
    :param credentials: its credential shapes, when known.
    :param console: fix (a kind: ``"credentials"``, ``"redirect_uri"``)
        -> the console page where it is made.
    :param doc_hosts: hosts of its documentation, which an ``error_uri``
        may point to.
    :param directory: finds the tenant or realm in an endpoint's path
        (first group).
    :param console_hosts: endpoint host -> origin of the console that
        manages it (``"*"``: any other host).
    :param host_suffixes: suffixes of hosts that are its own service too
        (``".auth0.com"`` for every tenant).
    :param admin_host: a pattern matching an endpoint host, and the
        template (``re`` expansion) that makes the ``{admin}`` origin of
        its console from it.
    :param token_locations: further places, as key paths, where a
        successful token response may carry its access token.
    :param probe_blind: why ``check --probe`` cannot read its
        authorization page (:data:`NEEDS_JAVASCRIPT`,
        :data:`NEEDS_SIGN_IN`), if it cannot.
    :param secret_jwt: the client secret is a JWT the app makes, with
        these requirements.
    :param form_post_scopes: asking for any of these scopes makes the
        provider post the callback (``response_mode=form_post``).
    """

    name: str
    display_name: str
    hosts: frozenset[str] = frozenset()
    shape: EndpointShape | None = None
    token_errors: Mapping[str, Reading] = field(default_factory=dict)
    authorize_errors: Mapping[str, Reading] = field(default_factory=dict)
    worded: tuple[Worded, ...] = ()
    numbered: NumberedCodes | None = None
    redirect_rule: RedirectRule = RedirectRule("exact")
    redirect_error_returns: bool = False
    redirect_error_page: RedirectErrorPage | None = None
    checks_redirect_first: bool = False
    credentials: CredentialShapes | None = None
    console: Mapping[str, ConsolePage] = field(default_factory=dict)
    doc_hosts: frozenset[str] = frozenset()
    directory: re.Pattern[str] | None = None
    console_hosts: Mapping[str, str] = field(default_factory=dict)
    host_suffixes: tuple[str, ...] = ()
    admin_host: tuple[re.Pattern[str], str] | None = None
    token_locations: tuple[tuple[str, ...], ...] = ()
    probe_blind: str | None = None
    secret_jwt: SecretJwt | None = None
    form_post_scopes: frozenset[str] = frozenset()

    def owns_host(self, host: str) -> bool:
        """Is ``host`` one of the provider's own?

        :param host: a host name, lower case.
        """
        return host in self.hosts or any(
            host.endswith(suffix) and len(host) > len(suffix)
            for suffix in self.host_suffixes
        )

    @property
    def grant_is_ambiguous(self) -> bool:
        """Does ``invalid_grant`` also stand for errors no restart heals?"""
        return self.token_errors.get("invalid_grant", UNKNOWN).ambiguous

    def read_token_error(
        self,
        error: str,
        description: str | None = None,
        status: int | None = None,
        error_codes: Iterable[int] = (),
    ) -> Reading:
        """How this provider's token endpoint error reads.

        Its own numbered codes first, then words that refine a shared code,
        then the code itself.

        :param error: the response's ``error``.
        :param description: its ``error_description`` (untrusted).
        :param status: the HTTP status.
        :param error_codes: its ``error_codes``, if any.
        """
        if self.numbered is not None:
            for number in self.numbered.numbers(description, error_codes):
                reading = self.numbered.readings.get(number)
                if reading is not None:
                    return reading
        for worded in self.worded:
            if (
                worded.error == error
                and description
                and worded.pattern.match(description)
            ):
                return worded.reading
        reading = self.token_errors.get(error)
        if reading is None:
            # RFC 6749 section 5.2: a failed client authentication may be
            # answered 401 whatever the code.
            return Reading(CREDENTIALS) if status == 401 else UNKNOWN
        return reading

    def read_authorize_error(self, error: str) -> Reading:
        """How an ``?error=`` code on the callback reads.

        :param error: the callback's ``error`` (untrusted).
        """
        return self.authorize_errors.get(error, UNKNOWN)

    def directory_of(self, url: str | None) -> str | None:
        """The tenant or realm an endpoint URL names, if this provider has
        such a thing.

        :param url: an endpoint URL.
        """
        if self.directory is None or not url:
            return None
        try:
            path = urlsplit(url).path
        except ValueError:
            return None
        match = self.directory.search(path)
        return unquote(match.group(1)) if match else None

    def console_url(
        self, fix: str, endpoint: str | None, client_id: str | None = None
    ) -> str | None:
        """The console page where ``fix`` is made, or ``None``.

        :param fix: a kind, ``"credentials"`` or ``"redirect_uri"``.
        :param endpoint: the client's authorization or token endpoint.
        :param client_id: the client ID, only when it may be shown.
        """
        page = self.console.get(fix)
        if page is None:
            return None
        try:
            parts = urlsplit(endpoint or "")
        except ValueError:
            return None
        host = (parts.hostname or "").lower()
        values = {
            "origin": f"{parts.scheme}://{parts.netloc}" if parts.netloc else "",
            "admin": self._admin_origin(host),
            "console": self.console_hosts.get(host, self.console_hosts.get("*", "")),
            "realm": quote(self.directory_of(endpoint) or "", safe=""),
            "tenant": quote(self.directory_of(endpoint) or "", safe=""),
            "client_id": quote(client_id or "", safe=""),
        }
        template = (
            page.url_for_client if client_id and page.url_for_client else page.url
        )
        needed = re.findall(r"\{(\w+)\}", template)
        if any(not values[name] for name in needed):
            return None
        return template.format(**values)

    def _admin_origin(self, host: str) -> str:
        if self.admin_host is None:
            return ""
        pattern, template = self.admin_host
        match = pattern.fullmatch(host)
        return "https://" + match.expand(template) if match else ""

    def read_authorize_probe(
        self, status: int, location: str | None, body: str, redirect_uri: str
    ) -> str:
        """What the answer to an authorization request says about its
        redirect URI: :data:`PROBE_UNREGISTERED`, :data:`PROBE_ACCEPTED`
        or :data:`PROBE_UNCHECKED`.

        :param status: the HTTP status of the answer.
        :param location: its ``Location`` header.
        :param body: its text.
        :param redirect_uri: the redirect URI the request sent.
        """
        if status in _REDIRECTS and location:
            query = dict(parse_qsl(urlsplit(location).query))
            if query.get("error") == "redirect_uri_mismatch":
                return PROBE_UNREGISTERED
            if location.split("?")[0] == redirect_uri.split("?")[0]:
                return PROBE_ACCEPTED
        if status == 200 and _posts_to(body, redirect_uri):
            # response_mode=form_post: the answer goes to the redirect URI.
            return PROBE_ACCEPTED
        page = self.redirect_error_page
        if (
            page is not None
            and (not page.statuses or status in page.statuses)
            and any(marker in body for marker in page.markers)
        ):
            return PROBE_UNREGISTERED
        if status < 400 and self.checks_redirect_first and self.probe_blind is None:
            return PROBE_ACCEPTED
        return PROBE_UNCHECKED


def _posts_to(body: str, url: str) -> bool:
    """Does the page hold a form that posts to ``url``?"""
    action = re.escape(html.escape(url))
    form = re.compile(r"<form\b[^>]*\baction=\"" + action + r"\"[^>]*>", re.IGNORECASE)
    found = form.search(body)
    return found is not None and 'method="post"' in found.group(0).lower()


def _port(scheme: str, port: int | None) -> int | None:
    return port if port is not None else _DEFAULT_PORTS.get(scheme)


def _below(path: str, registered: str) -> bool:
    got = [unquote(segment) for segment in path.split("/") if segment]
    # A dot segment could climb out of the registered path once resolved.
    if any(segment in {".", ".."} for segment in got):
        return False
    want = [unquote(segment) for segment in registered.split("/") if segment]
    return got[: len(want)] == want
