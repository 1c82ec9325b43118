"""URLs as the app saw them and as the browser did, behind proxies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import request

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

DEFAULT_PORTS = {"http": 80, "https": 443}

# A Host header: a name or an IPv6 literal in brackets, and an optional port.
_HOST = re.compile(r"(?:[^\[\]:/?#@\s]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")

#: Forwarded headers and the ProxyFix argument that trusts each.
FORWARDED = {
    "X-Forwarded-Proto": "x_proto",
    "X-Forwarded-Host": "x_host",
    "X-Forwarded-Port": "x_port",
    "X-Forwarded-Prefix": "x_prefix",
}


@dataclass(frozen=True)
class Address:
    """A URL reduced to what redirect URI matching compares."""

    scheme: str
    host: str
    port: int | None
    path: str

    @classmethod
    def parse(cls, url: str) -> Address | None:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return None
        if not parts.hostname:
            return None
        scheme = parts.scheme.lower()
        return cls(
            scheme,
            parts.hostname.lower(),
            port or DEFAULT_PORTS.get(scheme),
            parts.path or "/",
        )

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port is None or self.port == DEFAULT_PORTS.get(self.scheme):
            return host
        return f"{host}:{self.port}"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.netloc}"

    @property
    def url(self) -> str:
        return f"{self.origin}{self.path}"

    def same_origin(self, other: Address) -> bool:
        return (self.scheme, self.host, self.port) == (
            other.scheme,
            other.host,
            other.port,
        )


@dataclass(frozen=True)
class RequestView:
    """The callback request as the app saw it and as the browser did."""

    seen: Address
    public: Address
    #: Forwarded headers that disagree with what the app saw: name -> the
    #: value nearest the browser.
    unapplied: dict[str, str]
    #: ProxyFix argument -> how many proxies appended to that header.
    hops: dict[str, int]
    #: The Host header read as host[:port]. When it did not (a port out of
    #: range or not a number, an unclosed IPv6 bracket, characters Werkzeug
    #: refuses), ``seen`` keeps only what could be read, and no rule may
    #: compare hosts on it.
    host_known: bool = True


def request_view() -> RequestView:
    """The callback request as the app saw it and as the browser did.

    Never raises, whatever the Host and forwarded headers hold.
    """
    seen, host_known = _seen_address()
    values = {
        name: [part.strip() for part in request.headers.get(name, "").split(",")]
        for name in FORWARDED
    }
    first = {name: parts[0] for name, parts in values.items() if parts[0]}
    unapplied: dict[str, str] = {}
    proto = first.get("X-Forwarded-Proto", "").lower()
    if proto in DEFAULT_PORTS and proto != seen.scheme:
        unapplied["X-Forwarded-Proto"] = proto
    forwarded_host = Address.parse(
        f"{proto or seen.scheme}://{first.get('X-Forwarded-Host', '')}"
    )
    if forwarded_host is not None and forwarded_host.host != seen.host:
        unapplied["X-Forwarded-Host"] = first["X-Forwarded-Host"]
    port = first.get("X-Forwarded-Port", "")
    if _is_port(port) and int(port) != seen.port:
        unapplied["X-Forwarded-Port"] = port
    prefix = first.get("X-Forwarded-Prefix", "").rstrip("/")
    if prefix.startswith("/") and prefix != request.script_root:
        unapplied["X-Forwarded-Prefix"] = prefix

    scheme = unapplied.get("X-Forwarded-Proto", seen.scheme)
    host, public_port = seen.host, seen.port
    if "X-Forwarded-Host" in unapplied and forwarded_host is not None:
        host, public_port = forwarded_host.host, forwarded_host.port
    elif seen.port == DEFAULT_PORTS.get(seen.scheme):
        public_port = DEFAULT_PORTS.get(scheme)
    if "X-Forwarded-Port" in unapplied:
        public_port = int(unapplied["X-Forwarded-Port"])
    path = unapplied.get("X-Forwarded-Prefix", request.script_root) + request.path
    hops = {FORWARDED[name]: len(values[name]) for name in FORWARDED if name in first}
    public = Address(scheme, host, public_port, path)
    return RequestView(seen, public, unapplied, hops, host_known)


def _seen_address() -> tuple[Address, bool]:
    # Not request.base_url: Werkzeug raises ValueError building it for a
    # port out of range, and builds "http:///path" for a Host it refuses.
    scheme = request.scheme.lower()
    path = request.script_root + request.path
    host = request.host
    parsed = Address.parse(f"{scheme}://{host}") if _HOST.fullmatch(host) else None
    if parsed is not None:
        return Address(parsed.scheme, parsed.host, parsed.port, path), True
    try:
        name = urlsplit(f"//{host}").hostname or ""
    except ValueError:
        name = ""
    return Address(scheme, name, None, path), False


def _is_port(value: str) -> bool:
    # str.isdigit accepts digits int() refuses, such as "²".
    return value.isascii() and value.isdigit() and 0 < int(value) < 65536


def publicize(sent: Address, view: RequestView) -> Address:
    """``sent`` as it would be with the forwarded headers applied: each part
    that matches what the app saw is replaced by what the browser saw."""
    scheme, host, port, path = sent.scheme, sent.host, sent.port, sent.path
    if "X-Forwarded-Proto" in view.unapplied and scheme == view.seen.scheme:
        scheme = view.public.scheme
        if port == DEFAULT_PORTS.get(sent.scheme):
            port = DEFAULT_PORTS.get(scheme)
    if "X-Forwarded-Host" in view.unapplied and host == view.seen.host:
        host, port = view.public.host, view.public.port
    if "X-Forwarded-Port" in view.unapplied and sent.port == view.seen.port:
        port = view.public.port
    prefix = view.unapplied.get("X-Forwarded-Prefix")
    if prefix and not is_under(path, prefix) and is_under(path, request.script_root):
        path = prefix + path[len(request.script_root) :]
    return Address(scheme, host, port, path)


def is_under(path: str, prefix: str) -> bool:
    """Is ``path`` equal to ``prefix`` or below it?"""
    prefix = prefix.rstrip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")
