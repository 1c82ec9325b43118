"""Property tests: no callback query string, however hostile, breaks the
callback. Never an unhandled exception or a traceback, never more trips to
the provider than the restart bound allows, never the input echoed into HTML
unescaped, never a header injected."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from urllib.parse import parse_qsl
from urllib.parse import quote
from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck
from hypothesis import event
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from flask_oauth_recover.testing import ProviderEmulator

from .conftest import create_app

MAX_RESTARTS = 2
#: A ``?oauth_recover=retry`` starts one more authorization on top of the bound.
MOST_AUTHORIZATIONS = MAX_RESTARTS + 1
MOST_HOPS = 4 * (MOST_AUTHORIZATIONS + 1)

FUZZ_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

#: Markup that must never reach a page as it was sent.
PAYLOADS = (
    "<script>alert('fuzz')</script>",
    '"><svg onload=alert(1)>',
    "'><img src=x onerror=alert(2)>",
    "</title><h1>fuzz-pwned</h1>",
    "javascript:alert(3)//<b>fuzz</b>",
)
#: Attempts at splitting a header, raw and percent-encoded.
INJECTIONS = (
    "\r\nSet-Cookie: fuzzpwned=1",
    "\nX-Fuzz-Injected: 1",
    "%0d%0aSet-Cookie:%20fuzzpwned=1",
    "\u2028X-Fuzz-Injected: 1",
)
OAUTH_WORDS = (
    "bad_verification_code",
    "invalid_grant",
    "access_denied",
    "redirect_uri_mismatch",
    "incorrect_client_credentials",
    "server_error",
    "temporarily_unavailable",
    "application_suspended",
    "retry",
    "https://docs.github.com/<b>fuzz</b>",
    "http://example.invalid/",
    "",
)
KEYS = st.one_of(
    st.sampled_from(
        [
            "code",
            "state",
            "error",
            "error_description",
            "error_uri",
            "oauth_recover",
            "next",
            "redirect_uri",
            "Code",
        ]
    ),
    st.text(max_size=12),
)
VALUES = st.one_of(
    st.sampled_from(PAYLOADS + INJECTIONS + OAUTH_WORDS),
    st.text(max_size=40),
    st.text(st.characters(max_codepoint=0x9F), max_size=40),
    st.builds(
        lambda prefix, payload, suffix: prefix + payload + suffix,
        st.text(max_size=8),
        st.sampled_from(PAYLOADS + INJECTIONS),
        st.text(max_size=8),
    ),
    st.builds(
        lambda unit, count: unit * count,
        st.sampled_from(["a", "<", "%", "\u00e9", "\U0001f600", "\x00", "A9"]),
        st.integers(min_value=100, max_value=6000),
    ),
)
#: What a real server hands a WSGI app as the query: the request target is
#: visible ASCII (RFC 9112), so anything else arrives percent-encoded, and
#: that includes invalid escapes, NULs and encoded CR/LF.
RAW_QUERIES = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "&",
                "=",
                "%",
                "%0d%0a",
                "%00",
                "%80",
                "%ff",
                "%zz",
                "+",
                ";",
                "state=",
                "code=",
            ]
        ),
        st.text(
            st.characters(
                min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="#"
            ),
            max_size=20,
        ),
    ),
    max_size=30,
).map(lambda parts: "".join(parts).encode("ascii"))
PAIRS = st.lists(st.tuples(KEYS, VALUES), max_size=8)
#: How far the login got before the fuzzed callback arrives.
MODES = st.sampled_from(["cold", "pending", "pending_state", "approved", "rejecting"])


@dataclass
class Chain:
    """Every app response from the fuzzed callback to where it settled."""

    responses: list[TestResponse] = field(default_factory=list)
    authorizations: int = 0


@pytest.fixture
def apps(provider: ProviderEmulator) -> dict[bool, Flask]:
    """The app with developer details on (more input on the page) and off."""
    return {
        show: create_app(
            provider,
            OAUTH_RECOVER_MAX_RESTARTS=MAX_RESTARTS,
            OAUTH_RECOVER_SHOW_DETAILS=show,
        )
        for show in (False, True)
    }


def start_login(
    provider: ProviderEmulator, client: FlaskClient, mode: str
) -> list[tuple[str, str]]:
    """Bring the login to ``mode``; return the real parameters it yields.
    ``rejecting``: the provider refuses every code from now on."""
    provider.reset()
    if mode == "rejecting":
        provider.reject_next_codes(10)
    if mode == "cold":
        return []
    login = client.get("/login")
    state = _query(login.location)["state"]
    if mode == "pending":
        return []
    if mode == "pending_state":
        return [("state", state)]
    answer = requests.get(login.location, allow_redirects=False, timeout=10)
    return list(_query(answer.headers["Location"]).items())


def follow(provider: ProviderEmulator, client: FlaskClient, url: str) -> Chain:
    """Request ``url`` on the app and follow redirects through the provider,
    keeping every app response."""
    chain = Chain()
    response = client.get(url)
    chain.responses.append(response)
    while 300 <= response.status_code < 400:
        assert len(chain.responses) <= MOST_HOPS, "redirect loop"
        location = response.headers["Location"]
        if location.startswith(provider.authorize_url):
            chain.authorizations += 1
            answer = requests.get(location, allow_redirects=False, timeout=10)
            assert answer.status_code == 302, answer.text
            location = answer.headers["Location"]
        parts = urlsplit(location)
        assert parts.hostname in (None, "localhost"), location
        response = client.get(parts.path, query_string=parts.query)
        chain.responses.append(response)
    return chain


def check_response(response: TestResponse, sent: list[str]) -> None:
    """What must hold for any response to any callback."""
    assert response.status_code in (200, 204, 302, 400, 403, 500, 503)
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    for name, value in response.headers.items():
        assert "\r" not in value and "\n" not in value, (name, value)
        assert not value.startswith("fuzzpwned")
        assert not name.lower().startswith("x-fuzz")
    if response.mimetype == "text/html":
        for payload in PAYLOADS:
            if any(payload in value for value in sent):
                assert payload not in body


def check_chain(chain: Chain, sent: list[str]) -> None:
    """What must hold for a whole login, from the fuzzed callback on."""
    event(f"settled on {chain.responses[-1].status_code}")
    event(f"{chain.authorizations} authorizations")
    for response in chain.responses:
        check_response(response, sent)
    assert chain.authorizations <= MOST_AUTHORIZATIONS


@FUZZ_SETTINGS
@given(pairs=PAIRS, mode=MODES, show_details=st.booleans())
def test_any_callback_query_is_answered_safely(
    apps: dict[bool, Flask],
    provider: ProviderEmulator,
    pairs: list[tuple[str, str]],
    mode: str,
    show_details: bool,
) -> None:
    client = apps[show_details].test_client()
    query = start_login(provider, client, mode) + pairs

    chain = follow(provider, client, "/callback?" + urlencode(query, quote_via=quote))

    check_chain(chain, [key for key, _ in pairs] + [value for _, value in pairs])


@FUZZ_SETTINGS
@given(raw=RAW_QUERIES, mode=MODES, show_details=st.booleans())
def test_any_raw_query_bytes_are_answered_safely(
    apps: dict[bool, Flask],
    provider: ProviderEmulator,
    raw: bytes,
    mode: str,
    show_details: bool,
) -> None:
    client = apps[show_details].test_client()
    real = urlencode(start_login(provider, client, mode)).encode()
    query = real + b"&" + raw if real else raw

    response = client.get(
        "/callback", environ_overrides={"QUERY_STRING": query.decode("latin-1")}
    )

    check_response(response, [raw.decode("ascii")])
    if response.status_code == 302:
        assert response.headers["Location"].isascii()


@FUZZ_SETTINGS
@given(
    value=st.one_of(
        st.sampled_from(PAYLOADS + INJECTIONS),
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60),
    )
)
def test_provider_error_text_is_never_markup(
    apps: dict[bool, Flask], provider: ProviderEmulator, value: str
) -> None:
    client = apps[True].test_client()
    provider.deny_next_authorizations(
        "access_denied", description=value, uri=f"https://x.invalid/{value}"
    )

    chain = follow(provider, client, "/login")

    check_chain(chain, [value])
    assert chain.responses[-1].status_code in (400, 403)


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
