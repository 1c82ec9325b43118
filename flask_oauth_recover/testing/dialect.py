"""What a provider profile tells the emulator: the :class:`Dialect` interface.

:class:`~flask_oauth_recover.testing.ProviderEmulator` runs the protocol
(issuing and checking codes, client credentials, PKCE, faults) the same way
for every provider. Each profile module (:mod:`.github`, :mod:`.google`,
:mod:`.microsoft`, :mod:`.gitlab`, :mod:`.keycloak`) supplies a dialect: its
paths, its ``redirect_uri`` rule, and the exact answers its provider gives,
from the error page at authorize to the body of a token error. The emulator
names what happened (a :data:`TokenFailure`, an :data:`AuthorizeRefusal`);
the dialect says it the provider's way.

:class:`BaseDialect` is what most providers do alike, for a profile module
to subclass with its own paths, texts and quirks; the small helpers at the
end (:func:`redirect_to`, :func:`form_post_page`, :func:`read_form_post`,
:func:`json_response`, :func:`error_page`, :func:`random_token`,
:func:`route_path`) are shared by the dialects.
"""

from __future__ import annotations

import html
import json
import secrets
import string
from abc import ABC
from abc import abstractmethod
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from html.parser import HTMLParser
from typing import Any
from typing import Literal
from typing import Protocol
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from werkzeug.routing import Rule
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

__all__ = [
    "Account",
    "Addresses",
    "AuthorizeAttempt",
    "AuthorizeRefusal",
    "BaseDialect",
    "DEFAULT_PORTS",
    "Dialect",
    "Grant",
    "TOKEN_ALPHABET",
    "TokenAttempt",
    "TokenFailure",
    "error_page",
    "form_post_page",
    "json_response",
    "oauth_server_metadata",
    "random_token",
    "read_form_post",
    "redirect_to",
    "route_path",
]

#: The characters of most providers' opaque codes and tokens: letters,
#: digits, ``-`` and ``_``.
TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"
#: The port a URL without one means, by scheme.
DEFAULT_PORTS = {"http": 80, "https": 443}

#: Why the authorization endpoint does not send the user back with a code or
#: an error of the user's making:
#:
#: - ``unknown_client``: no client is registered under the ``client_id``;
#: - ``wrong_tenant``: the path names a directory the client is not in;
#: - ``redirect_uri_missing``: the request has no ``redirect_uri`` and the
#:   provider requires one;
#: - ``redirect_uri_mismatch``: the ``redirect_uri`` is not registered.
AuthorizeRefusal = Literal[
    "unknown_client", "wrong_tenant", "redirect_uri_missing", "redirect_uri_mismatch"
]

#: Why the token endpoint refuses a code, in the order the emulator checks:
#:
#: - ``wrong_tenant``: the path names a directory the client is not in;
#: - ``unknown_client``: the ``client_id`` is missing or not registered;
#: - ``missing_secret``, ``wrong_secret``: no secret, or another one;
#: - ``expired_secret``: the right secret, marked expired
#:   (:attr:`ProviderEmulator.client_secret_expired
#:   <flask_oauth_recover.testing.ProviderEmulator.client_secret_expired>`);
#: - ``unknown_code``: a code the emulator never issued;
#: - ``used_code``: a code redeemed (or refused) before, or one refused by
#:   :meth:`~flask_oauth_recover.testing.ProviderEmulator.reject_next_codes`;
#: - ``expired_code``: older than the profile's code lifetime;
#: - ``foreign_code``: issued to another client;
#: - ``redirect_uri_missing``, ``redirect_uri_mismatch``: the token request's
#:   ``redirect_uri`` is absent, or differs from the authorization request's;
#: - ``pkce_missing``, ``pkce_mismatch``: no ``code_verifier`` for a code
#:   issued with a challenge, or one that does not answer it.
TokenFailure = Literal[
    "wrong_tenant",
    "unknown_client",
    "missing_secret",
    "wrong_secret",
    "expired_secret",
    "unknown_code",
    "used_code",
    "expired_code",
    "foreign_code",
    "redirect_uri_missing",
    "redirect_uri_mismatch",
    "pkce_missing",
    "pkce_mismatch",
]


@dataclass(frozen=True)
class Account:
    """The signed-in user, as the emulator's owner configured it.

    :param login: The user's handle: GitHub's ``login``, GitLab's
        ``username``, Keycloak's ``preferred_username``; the other profiles
        build the user's addresses from it.
    :param fields: Fields of the profile's user endpoint body that replace
        or extend the defaults; ID token claims follow them.
    """

    login: str
    fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def email(self) -> str:
        """The user's default address: ``<login>@example.com``."""
        return f"{self.login}@example.com"

    @property
    def given_name(self) -> str:
        """The default given name, so that ``octocat`` is "The Octocat"."""
        return "The"

    @property
    def family_name(self) -> str:
        """The default family name: the login, capitalized."""
        return self.login.capitalize()

    @property
    def name(self) -> str:
        """The default full name."""
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True)
class Addresses:
    """Where the emulator's endpoints are, on one base URL.

    :param authorize_url: The authorization endpoint.
    :param token_url: The token endpoint.
    :param api_base_url: The API root that :meth:`client_kwargs
        <flask_oauth_recover.testing.ProviderEmulator.client_kwargs>` gives
        Authlib, ending in a slash.
    :param server_metadata_url: The discovery document (OpenID Connect) or
        authorization server metadata (RFC 8414).
    :param server_metadata: That document's contents on this base URL.
    :param api_routes: Absolute URL prefixes of the real provider's API, each
        with the emulator's URL prefix that replaces it.
    :param stand_in_api_base_url: The API root a stand-in gives a client
        whose own API root is none of :attr:`api_routes`.
    """

    authorize_url: str
    token_url: str
    api_base_url: str
    server_metadata_url: str
    server_metadata: Mapping[str, Any]
    api_routes: Mapping[str, str]
    stand_in_api_base_url: str

    def literal_registration(
        self, client_id: str, client_secret: str, **extra: Any
    ) -> dict[str, Any]:
        """``oauth.register()`` keyword arguments naming these endpoints
        literally, as apps of providers without discovery write them.

        :param client_id: The client ID.
        :param client_secret: The client secret.
        :param extra: More arguments (``client_kwargs``, ``authorize_params``).
        """
        return {
            "client_id": client_id,
            "client_secret": client_secret,
            "authorize_url": self.authorize_url,
            "access_token_url": self.token_url,
            "api_base_url": self.api_base_url,
            **extra,
        }


@dataclass(frozen=True)
class AuthorizeAttempt:
    """One request to the authorization endpoint.

    :param request: The HTTP request.
    :param route: The variable parts of its path (Entra's ``tenant``).
    :param params: Its query arguments.
    :param registered: The registered callback URL, or ``None``.
    :param now: The emulator's current time, in seconds.
    """

    request: Request
    route: Mapping[str, str]
    params: Mapping[str, str]
    registered: str | None
    now: float

    @property
    def client_id(self) -> str | None:
        """The ``client_id`` sent."""
        return self.params.get("client_id")

    @property
    def redirect_uri(self) -> str | None:
        """The ``redirect_uri`` sent, ``None`` when absent or empty."""
        return self.params.get("redirect_uri") or None

    @property
    def state(self) -> str | None:
        """The ``state`` sent."""
        return self.params.get("state")


@dataclass(frozen=True)
class TokenAttempt:
    """One request to the token endpoint.

    :param request: The HTTP request.
    :param route: The variable parts of its path (Entra's ``tenant``).
    :param client_id: The ``client_id`` sent (form or Basic auth).
    :param redirect_uri: The ``redirect_uri`` sent.
    :param authorized_redirect_uri: The ``redirect_uri`` of the authorization
        request that issued the code, when the code is known.
    :param now: The emulator's current time, in seconds.
    """

    request: Request
    route: Mapping[str, str]
    client_id: str | None
    redirect_uri: str | None
    authorized_redirect_uri: str | None
    now: float


@dataclass(frozen=True)
class Grant:
    """What an access token was issued for.

    :param client_id: The client it was issued to.
    :param scope: The granted scopes, as the dialect reports them
        (:meth:`Dialect.granted_scope`).
    :param authorize_params: The query arguments of the authorization request
        (``nonce``, ``access_type``...).
    :param site: The emulator's address the token request reached, ending in
        a slash.
    """

    client_id: str
    scope: str
    authorize_params: Mapping[str, str]
    site: str

    @property
    def nonce(self) -> str | None:
        """The ``nonce`` of the authorization request, for the ID token."""
        return self.authorize_params.get("nonce") or None


class Dialect(Protocol):
    """A provider's wire format, as one profile module implements it.

    Attributes are read by the emulator; every method returns what the
    provider would answer, so the emulator never names a provider.
    """

    #: The profile's name, as ``ProviderEmulator(profile=...)`` takes it.
    name: str
    #: Seconds an authorization code stays valid.
    code_lifetime: float
    #: The client ID registered unless the emulator is told otherwise.
    default_client_id: str
    #: The client secret registered unless the emulator is told otherwise.
    default_client_secret: str
    #: The ``code_challenge_method`` values the provider accepts.
    pkce_methods: frozenset[str]
    #: Whether the token endpoint checks the PKCE verifier before the
    #: ``redirect_uri`` (it matters only when both are wrong).
    pkce_checked_first: bool
    #: Whether both endpoints require ``redirect_uri``; if not, a missing one
    #: means the registered callback.
    redirect_uri_required: bool

    def rules(self) -> list[Rule]:
        """URL rules for the provider's endpoints. Endpoint names:
        ``authorize``, ``token``, ``document:<name>`` for public documents
        (answered by :meth:`document`) and ``api:<resource>`` for endpoints
        that need a bearer token (answered by :meth:`api`)."""
        ...

    def addresses(self, base: str) -> Addresses:
        """The endpoints' URLs on ``base`` (``http://127.0.0.1:PORT``)."""
        ...

    def client_kwargs(
        self, addresses: Addresses, client_id: str, client_secret: str
    ) -> dict[str, Any]:
        """Keyword arguments for Authlib's ``oauth.register()``."""
        ...

    def route_accepts(self, route: Mapping[str, str]) -> bool:
        """Whether a path's variable parts name a place the client is
        registered in (for Entra, the tenant)."""
        ...

    def redirect_uri_matches(self, candidate: str, registered: str) -> bool:
        """Whether the provider accepts ``candidate`` for the registered
        callback URL."""
        ...

    def refuse_authorization(
        self, refusal: AuthorizeRefusal, attempt: AuthorizeAttempt
    ) -> Response:
        """The provider's answer to an authorization request it refuses:
        usually its own error page, never returning to the app."""
        ...

    def denial_params(
        self,
        error: str,
        description: str | None,
        uri: str | None,
        attempt: AuthorizeAttempt,
    ) -> list[tuple[str, str | None]]:
        """The query the provider sends back when the user cancels (or the
        authorization fails with ``error``); ``None`` values are left out.
        ``description`` and ``uri`` are ``None`` for the provider's own."""
        ...

    def deliver(
        self,
        target: str,
        params: list[tuple[str, str | None]],
        attempt: AuthorizeAttempt,
    ) -> Response:
        """How the answer reaches the app's callback ``target``: a redirect
        with ``params`` in the query, or (``response_mode=form_post``) a
        page that posts them; ``None`` values are left out."""
        ...

    def secret_accepted(
        self, sent: str, registered: str, client_id: str, now: float
    ) -> bool:
        """Whether the token endpoint accepts the client secret ``sent``
        for ``client_id``, the emulator's own being ``registered``."""
        ...

    def new_code(self) -> str:
        """A fresh authorization code in the provider's format."""
        ...

    def code_params(
        self, code: str, scope: str, attempt: AuthorizeAttempt
    ) -> list[tuple[str, str | None]]:
        """The query that carries a code back to the app; ``None`` values
        are left out."""
        ...

    def granted_scope(self, requested: str) -> str:
        """The scopes the provider reports granted for a ``scope``
        parameter."""
        ...

    def token_error(self, failure: TokenFailure, attempt: TokenAttempt) -> Response:
        """The token endpoint's answer to ``failure``."""
        ...

    def new_access_token(self) -> str:
        """A fresh access token in the provider's format."""
        ...

    def token_success(
        self, access_token: str, grant: Grant, account: Account, attempt: TokenAttempt
    ) -> Response:
        """The token endpoint's answer for a good code: the access token,
        and an ID token where the provider sends one."""
        ...

    def document(
        self, name: str, request: Request, route: Mapping[str, str]
    ) -> Response:
        """A public document, such as the discovery document or the JWKS."""
        ...

    def api(
        self, resource: str, grant: Grant | None, account: Account, request: Request
    ) -> Response:
        """An API answer for a bearer token; ``grant`` is ``None`` for a
        missing or unknown token."""
        ...

    def not_found(self, request: Request) -> Response:
        """The answer to a path the emulator does not serve, shaped as the
        provider's API shapes its errors (JSON, which apps read with
        ``.json()``), with the status the provider sends."""
        ...


class BaseDialect(ABC):
    """What most providers do alike, for a profile module to subclass.

    A subclass sets :class:`Dialect`'s ``name``, ``code_lifetime``,
    ``default_client_id`` and ``default_client_secret``, and its endpoints'
    paths (as Werkzeug rules, ``<tenant>`` for a variable part); it sets the
    other class attributes where its provider differs from the defaults
    here, and overrides a method only for what its provider says its own
    way. It implements :class:`Dialect` once it adds what no two providers
    share: :meth:`~Dialect.client_kwargs`,
    :meth:`~Dialect.refuse_authorization`, :meth:`~Dialect.new_code`,
    :meth:`~Dialect.new_access_token`, :meth:`~Dialect.token_success`,
    :meth:`~Dialect.api`, :meth:`~Dialect.not_found` and :meth:`metadata`.
    """

    name: str
    code_lifetime: float
    default_client_id: str
    default_client_secret: str
    pkce_methods: frozenset[str] = frozenset({"plain", "S256"})
    pkce_checked_first = False
    redirect_uri_required = True
    #: Whether the provider answers ``response_mode=form_post`` with a page
    #: that posts the result to the callback (:meth:`deliver`).
    form_post = False
    #: Whether only the provider's own hosts say which provider it is (its
    #: paths could be any server's): a stand-in then names the profile for
    #: the app, in ``OAUTH_RECOVER_PROVIDERS``.
    known_by_host_only = False

    #: Further endpoints that need a bearer token, as ``(path, resource)``
    #: pairs; :meth:`~Dialect.api` answers them by resource.
    api_paths: Sequence[tuple[str, str]] = ()
    #: Absolute URL prefixes of the real provider's API, each with the path
    #: on the emulator that replaces it (:attr:`Addresses.api_routes`).
    api_origins: Mapping[str, str] = {}
    #: The ``error_description`` the provider adds to a denial, by ``error``.
    denial_descriptions: Mapping[str, str] = {}
    #: The token endpoint's ``(status, error, error_description)`` for each
    #: failure, for :meth:`token_error`.
    token_errors: Mapping[TokenFailure, tuple[int, str, str]]
    #: Headers of a token error.
    token_error_headers: Mapping[str, str] = {}
    #: The indent of the token endpoint's JSON; ``None`` for compact.
    token_indent: int | None = None
    #: The ``Content-Type`` of the provider's JSON answers.
    json_content_type = "application/json; charset=utf-8"

    @property
    @abstractmethod
    def authorize_path(self) -> str:
        """The authorization endpoint's path."""

    @property
    @abstractmethod
    def token_path(self) -> str:
        """The token endpoint's path."""

    @property
    @abstractmethod
    def metadata_path(self) -> str:
        """The path of the document that ``server_metadata_url`` names: the
        discovery document (OpenID Connect) or authorization server metadata
        (RFC 8414)."""

    @property
    @abstractmethod
    def api_base_path(self) -> str:
        """The path of the API root that :meth:`~Dialect.client_kwargs`
        gives Authlib, ending in a slash."""

    @property
    def stand_in_api_base_path(self) -> str:
        """The path of the API root a stand-in gives a client whose own is
        on none of :attr:`api_origins`: :attr:`api_base_path`."""
        return self.api_base_path

    @property
    def home_route(self) -> Mapping[str, str]:
        """The variable parts of the paths where the client is registered
        (Entra's ``tenant``): none."""
        return {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def rules(self) -> list[Rule]:
        """The authorization and token endpoints, the metadata document
        (``document:metadata``) and :attr:`api_paths`."""
        return [
            Rule(self.authorize_path, endpoint="authorize", methods=["GET"]),
            Rule(self.token_path, endpoint="token", methods=["POST"]),
            Rule(self.metadata_path, endpoint="document:metadata", methods=["GET"]),
            *(
                Rule(path, endpoint=f"api:{resource}", methods=["GET"])
                for path, resource in self.api_paths
            ),
        ]

    def addresses(self, base: str) -> Addresses:
        """The endpoints on ``base`` where the client is registered
        (:attr:`home_route`); each of :attr:`api_origins` maps to its path."""
        route = self.home_route
        return Addresses(
            authorize_url=base + route_path(self.authorize_path, route),
            token_url=base + route_path(self.token_path, route),
            api_base_url=base + self.api_base_path,
            server_metadata_url=base + route_path(self.metadata_path, route),
            server_metadata=self.metadata(f"{base}/", route),
            api_routes={
                origin: base + path for origin, path in self.api_origins.items()
            },
            stand_in_api_base_url=base + self.stand_in_api_base_path,
        )

    def route_accepts(self, route: Mapping[str, str]) -> bool:
        """Every path: a path with no variable parts names no other place."""
        return True

    def redirect_uri_matches(self, candidate: str, registered: str) -> bool:
        """Exact match: scheme, host, port, path, case, trailing slash."""
        return candidate == registered

    def denial_params(
        self,
        error: str,
        description: str | None,
        uri: str | None,
        attempt: AuthorizeAttempt,
    ) -> list[tuple[str, str | None]]:
        """``error``, ``error_description``, ``error_uri`` and ``state``; the
        provider's own description and URI (:meth:`own_denial`) where none
        is given."""
        own_description, own_uri = self.own_denial(error)
        return [
            ("error", error),
            (
                "error_description",
                own_description if description is None else description,
            ),
            ("error_uri", own_uri if uri is None else uri),
            ("state", attempt.state),
        ]

    def own_denial(self, error: str) -> tuple[str | None, str | None]:
        """The ``error_description`` and ``error_uri`` the provider gives a
        denial with ``error``: its :attr:`denial_descriptions`, no URI.

        :param error: The ``error`` code, e.g. ``access_denied``.
        """
        return self.denial_descriptions.get(error), None

    def deliver(
        self,
        target: str,
        params: list[tuple[str, str | None]],
        attempt: AuthorizeAttempt,
    ) -> Response:
        """A 302 to ``target`` with ``params`` in the query; where the
        provider supports it (:attr:`form_post`), a page that posts them
        there for ``response_mode=form_post``."""
        if self.form_post and attempt.params.get("response_mode") == "form_post":
            return form_post_page(target, params)
        return redirect_to(target, params)

    def secret_accepted(
        self, sent: str, registered: str, client_id: str, now: float
    ) -> bool:
        """The registered secret, byte for byte."""
        return secrets.compare_digest(sent.encode(), registered.encode())

    def code_params(
        self, code: str, scope: str, attempt: AuthorizeAttempt
    ) -> list[tuple[str, str | None]]:
        """``code`` and ``state``."""
        return [("code", code), ("state", attempt.state)]

    def granted_scope(self, requested: str) -> str:
        """The scopes as asked for, space-separated."""
        return " ".join(requested.split())

    def token_error(self, failure: TokenFailure, attempt: TokenAttempt) -> Response:
        """``error`` and ``error_description`` as JSON, from
        :attr:`token_errors`."""
        status, error, description = self.token_errors[failure]
        return self.json_answer(
            {"error": error, "error_description": description},
            status,
            headers=self.token_error_headers,
            indent=self.token_indent,
        )

    def document(
        self, name: str, request: Request, route: Mapping[str, str]
    ) -> Response:
        """The :meth:`metadata` document."""
        return self.json_answer(self.metadata(request.host_url, route))

    @abstractmethod
    def metadata(self, site: str, route: Mapping[str, str]) -> dict[str, Any]:
        """The contents of the document at :attr:`metadata_path`.

        :param site: The emulator's address, ending in a slash.
        :param route: The variable parts of the document's path.
        """

    def json_answer(
        self,
        payload: Any,
        status: int = 200,
        *,
        headers: Mapping[str, str] | None = None,
        indent: int | None = None,
    ) -> Response:
        """A JSON answer with the provider's :attr:`json_content_type`; see
        :func:`json_response`."""
        return json_response(
            payload,
            status,
            content_type=self.json_content_type,
            headers=headers,
            indent=indent,
        )


def redirect_to(url: str, params: Iterable[tuple[str, str | None]]) -> Response:
    """A 302 to ``url`` with ``params`` added to its query, in order,
    leaving out ``None`` values.

    :param url: The target, possibly with a query of its own.
    :param params: The parameters to add.
    """
    added = urlencode([(key, value) for key, value in params if value is not None])
    parts = urlsplit(url)
    query = f"{parts.query}&{added}" if parts.query else added
    location = urlunsplit(parts._replace(query=query))
    return Response(status=302, headers={"Location": location})


def form_post_page(target: str, params: Iterable[tuple[str, str | None]]) -> Response:
    """The page a provider answers with for ``response_mode=form_post``
    (OAuth 2.0 Form Post Response Mode): a form with ``params`` as hidden
    fields, posted to ``target`` by a script as soon as it loads, and by a
    button without scripts. ``None`` values are left out.

    :param target: The callback URL the form posts to.
    :param params: The fields, in order.
    """
    fields = "".join(
        f'<input type="hidden" name="{html.escape(key)}" value="{html.escape(value)}">'
        for key, value in params
        if value is not None
    )
    document = (
        "<!doctype html>\n"
        '<html lang="en">\n'
        '<head><meta charset="utf-8"><title>Submit This Form</title></head>\n'
        '<body onload="document.forms[0].submit()">\n'
        f'<form method="post" action="{html.escape(target)}">{fields}\n'
        '<noscript><button type="submit">Continue</button></noscript>\n'
        "</form>\n</body>\n</html>\n"
    )
    return Response(document, status=200, content_type="text/html; charset=utf-8")


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.method = ""
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form" and self.action is None:
            self.action = found.get("action", "")
            self.method = found.get("method", "get").lower()
        elif tag == "input" and self.action is not None and "name" in found:
            self.fields.append((found["name"], found.get("value", "")))


def read_form_post(document: str) -> tuple[str, list[tuple[str, str]]] | None:
    """The target and fields of a page that posts a form, as
    :func:`form_post_page` makes it; ``None`` for any other page.

    :param document: The page's HTML.
    """
    reader = _FormReader()
    reader.feed(document)
    if not reader.action or reader.method != "post":
        return None
    return reader.action, reader.fields


def json_response(
    payload: Any,
    status: int = 200,
    *,
    content_type: str = "application/json; charset=utf-8",
    headers: Mapping[str, str] | None = None,
    indent: int | None = None,
) -> Response:
    """A JSON answer.

    :param payload: The body.
    :param status: The HTTP status.
    :param content_type: The ``Content-Type`` header, verbatim.
    :param headers: Further headers.
    :param indent: Pretty-print with this indent, as some providers do.
    """
    response = Response(
        json.dumps(payload, indent=indent), status=status, content_type=content_type
    )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def error_page(
    title: str, heading: str, paragraphs: Sequence[str], status: int
) -> Response:
    """A provider's own error page: a minimal HTML document with the texts
    a person would read, escaped.

    :param title: The document's ``<title>``.
    :param heading: Its ``<h1>``.
    :param paragraphs: The paragraphs that follow, as plain text.
    :param status: The HTTP status.
    """
    body = "".join(f"<p>{html.escape(text)}</p>\n" for text in paragraphs)
    document = (
        "<!doctype html>\n"
        '<html lang="en">\n'
        f'<head><meta charset="utf-8"><title>{html.escape(title)}</title></head>\n'
        f"<body>\n<h1>{html.escape(heading)}</h1>\n{body}</body>\n"
        "</html>\n"
    )
    return Response(document, status=status, content_type="text/html; charset=utf-8")


def oauth_server_metadata(
    site: str, authorize_path: str, token_path: str, **extra: Any
) -> dict[str, Any]:
    """The emulator's own RFC 8414 authorization server metadata, for a
    provider that publishes none: its endpoints on ``site``, the code flow,
    then ``extra``.

    :param site: The emulator's address, ending in a slash.
    :param authorize_path: The authorization endpoint's path.
    :param token_path: The token endpoint's path.
    :param extra: Further members, which may replace the defaults.
    """
    root = site.rstrip("/")
    return {
        "issuer": root,
        "authorization_endpoint": root + authorize_path,
        "token_endpoint": root + token_path,
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "client_secret_basic",
        ],
        **extra,
    }


def random_token(length: int, alphabet: str = TOKEN_ALPHABET) -> str:
    """A random string, as providers make codes and tokens.

    :param length: How many characters.
    :param alphabet: The characters to draw from.
    """
    return "".join(secrets.choice(alphabet) for _ in range(length))


def route_path(path: str, route: Mapping[str, str]) -> str:
    """A rule's path with its variable parts (``<tenant>``) set.

    :param path: The path, in Werkzeug's rule syntax without converters.
    :param route: The value of each variable part.
    """
    for key, value in route.items():
        path = path.replace(f"<{key}>", value)
    return path
