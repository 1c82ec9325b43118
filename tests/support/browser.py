"""A browser over real HTTP for logins that cross servers: one cookie jar,
redirects followed by hand between the app servers and the provider, every
hop recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import urljoin
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import requests

#: Seconds any single request may take before the test fails.
REQUEST_TIMEOUT = 15.0


@dataclass
class Hop:
    """One response on the way: where it came from and what it said."""

    url: str
    status: int
    server: str | None
    location: str | None


@dataclass
class Visit:
    """Where a login ended, and how it got there."""

    response: requests.Response
    hops: list[Hop] = field(default_factory=list)

    @property
    def authorizations(self) -> int:
        """How many times the browser went to the provider to authorize."""
        return sum(1 for hop in self.hops if hop.server == "provider")

    @property
    def app_servers(self) -> list[str | None]:
        """The label of the app server behind each app response, in order."""
        return [hop.server for hop in self.hops if hop.server != "provider"]


class Browser:
    """Follows a login between app servers and the provider emulator.

    :param provider_url: the emulator's base URL.
    :param balance: a load balancer: given an app URL, the URL of the server
        that gets the request (default: the URL itself).
    :param tamper: rewrites a callback URL the provider sends the browser to,
        e.g. to spoil the code; applied to the first callback only.
    """

    def __init__(
        self,
        provider_url: str,
        *,
        balance: Callable[[str], str] | None = None,
        tamper: Callable[[str], str] | None = None,
    ) -> None:
        self.provider_url = provider_url.rstrip("/")
        self.balance = balance or (lambda url: url)
        self.tamper = tamper
        self.session = requests.Session()

    def get(self, url: str, **headers: str) -> requests.Response:
        """One request, sending the cookie jar, not following redirects."""
        return self.session.get(
            url,
            headers=headers or None,
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT,
        )

    def open(self, url: str, max_hops: int = 12) -> Visit:
        """Request the app ``url`` and follow redirects until a page."""
        return self.follow(url, self.get(self.balance(url)), max_hops)

    def follow(
        self, url: str, response: requests.Response, max_hops: int = 12
    ) -> Visit:
        """Follow redirects from ``response`` (to a request for ``url``)."""
        visit = Visit(response, [_hop(url, response)])
        while response.is_redirect:
            if len(visit.hops) > max_hops:
                raise AssertionError(f"redirect loop: {visit.hops}")
            url = urljoin(url, response.headers["Location"])
            if url.startswith(self.provider_url):
                response = self.get(url)
                visit.hops.append(_hop(url, response, "provider"))
                assert response.is_redirect, response.text
                url = response.headers["Location"]
                if self.tamper is not None:
                    url, self.tamper = self.tamper(url), None
            response = self.get(self.balance(url))
            visit.hops.append(_hop(url, response))
            visit.response = response
        return visit

    def approve(self, login_url: str) -> str:
        """Start a login and let the provider approve it; return the callback
        URL the provider sends the browser to, without visiting it."""
        login = self.get(self.balance(login_url))
        assert login.is_redirect, login.text
        answer = self.get(login.headers["Location"])
        assert answer.is_redirect, answer.text
        return answer.headers["Location"]

    @property
    def cookies(self) -> dict[str, str]:
        """The cookie jar, as a browser would send it."""
        return {cookie.name: cookie.value or "" for cookie in self.session.cookies}


def on_server(url: str, server_url: str) -> str:
    """``url`` with its scheme and host replaced by ``server_url``'s."""
    target = urlsplit(server_url)
    return urlunsplit(
        urlsplit(url)._replace(scheme=target.scheme, netloc=target.netloc)
    )


def _hop(url: str, response: requests.Response, server: str | None = None) -> Hop:
    return Hop(
        url=url,
        status=response.status_code,
        server=server or response.headers.get("X-Server"),
        location=response.headers.get("Location"),
    )
