"""Signed states: what they carry, and every way a forged, tampered or stale
one is refused."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from flask import Flask

import flask_oauth_recover.state as state_module
from flask_oauth_recover.signing import sign
from flask_oauth_recover.state import MAX_HISTORY
from flask_oauth_recover.state import looks_minted
from flask_oauth_recover.state import mint_state
from flask_oauth_recover.state import origin_of
from flask_oauth_recover.state import read_state
from flask_oauth_recover.state import signature_holds
from flask_oauth_recover.state import uri_digest

NOW = 1_800_000_000.0
URI = "https://app.example:8443/auth/github?next=%2Fcart"
CLIENT = "github"


class FrozenTime:
    def __init__(self) -> None:
        self.now = NOW

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenTime:
    frozen = FrozenTime()
    monkeypatch.setattr(state_module, "time", frozen)
    return frozen


@pytest.fixture(autouse=True)
def app_context() -> Iterator[Flask]:
    app = Flask(__name__)
    app.secret_key = "state-test-key"
    with app.app_context():
        yield app


def test_a_minted_state_reads_back(clock: FrozenTime) -> None:
    signed = read_state(mint_state(CLIENT, "ck", URI), 600, CLIENT)

    assert signed is not None
    assert (signed.history, signed.attempt) == ("ck", 2)
    assert signed.origin == "https://app.example:8443"
    assert signed.issued_at == int(NOW)
    assert signed.sent(URI)
    assert not signed.sent(URI + "&next=https://evil.example")


def test_every_state_is_new() -> None:
    states = {mint_state(CLIENT) for _ in range(100)}

    assert len(states) == 100


def test_the_default_redirect_uri_has_no_origin() -> None:
    signed = read_state(mint_state(CLIENT), 600, CLIENT)

    assert signed is not None
    assert (signed.history, signed.origin, signed.attempt) == ("", "", 0)
    assert signed.sent("")


@pytest.mark.parametrize("field", range(6))
def test_changing_any_field_breaks_the_signature(field: int) -> None:
    parts = mint_state(CLIENT, "c", URI).split(".")
    parts[field] = parts[field][:-1] + ("A" if parts[field][-1] != "A" else "B")

    assert read_state(".".join(parts), 600, CLIENT) is None


def test_another_apps_key_does_not_verify(app_context: Flask) -> None:
    state = mint_state(CLIENT, "c", URI)
    app_context.secret_key = "another-key"

    assert read_state(state, 600, CLIENT) is None


def test_a_state_verifies_only_for_its_client() -> None:
    state = mint_state(CLIENT, "c", URI)

    assert read_state(state, 600, "gitlab") is None
    assert read_state(state, 600, CLIENT) is not None


def test_a_state_verifies_only_in_its_app(app_context: Flask) -> None:
    state = mint_state(CLIENT, "c", URI)
    other = Flask("another_app")
    other.secret_key = app_context.secret_key

    with other.app_context():
        assert read_state(state, 600, CLIENT) is None


def test_a_rotated_key_still_verifies_pending_states(app_context: Flask) -> None:
    state = mint_state(CLIENT, "c", URI)
    app_context.secret_key = "the-new-key"
    app_context.config["SECRET_KEY_FALLBACKS"] = ["", "state-test-key"]

    signed = read_state(state, 600, CLIENT)

    assert signed is not None
    assert signed.history == "c"
    assert read_state(mint_state(CLIENT), 600, CLIENT) is not None


def test_the_minted_shape_is_recognised_without_its_signature() -> None:
    assert looks_minted(mint_state(CLIENT, "c", URI))
    assert looks_minted("a.b.c.d.e.f")
    assert not looks_minted("a.b.c.d.e")
    assert not looks_minted("eyJhbGciOiJIUzI1NiJ9.e30.sig")
    assert not looks_minted(None)


def test_without_a_secret_key_nothing_verifies(app_context: Flask) -> None:
    app_context.secret_key = None
    state = mint_state(CLIENT, "c", URI)

    assert read_state(state, 600, CLIENT) is None


@pytest.mark.parametrize(
    ("age", "accepted"),
    [(0, True), (600, True), (601, False), (-60, True), (-61, False)],
)
def test_age_limits(clock: FrozenTime, age: float, accepted: bool) -> None:
    state = mint_state(CLIENT, "", URI)
    clock.now = NOW + age

    assert (read_state(state, 600, CLIENT) is not None) is accepted


@pytest.mark.parametrize(
    "value",
    [None, "", "plain-state", "a.b.c", "a.b.c.d.e.f.g", "....."],
)
def test_foreign_states_are_not_ours(value: str | None) -> None:
    assert read_state(value, 600, CLIENT) is None


def forge(history: str, uri: str = URI, issued: str | None = None) -> str:
    """A state signed with the app's own key, as only the app can make."""
    nonce, _, minted, origin, digest, _ = mint_state(CLIENT, "", uri).split(".")
    payload = ".".join([nonce, history, issued or minted, origin, digest])
    return f"{payload}.{sign(payload, CLIENT, state_module._PURPOSE)}"


def test_the_history_must_be_made_of_known_letters() -> None:
    assert read_state(forge("cz"), 600, CLIENT) is None
    every_letter = read_state(forge("cskmg"), 600, CLIENT)
    assert every_letter is not None
    assert every_letter.history == "cskmg"
    assert read_state(forge("c" * MAX_HISTORY), 600, CLIENT) is not None
    assert read_state(forge("c" * (MAX_HISTORY + 1)), 600, CLIENT) is None


def test_an_unreadable_time_is_refused() -> None:
    assert read_state(forge("-", issued="not*base36"), 600, CLIENT) is None


def test_the_origin_is_decoded_leniently() -> None:
    weird = base64.urlsafe_b64encode(b"\xff\xfe").rstrip(b"=").decode()
    nonce, history, minted, _, digest, _ = mint_state(CLIENT).split(".")
    payload = ".".join([nonce, history, minted, weird, digest])
    signed = read_state(
        f"{payload}.{sign(payload, CLIENT, state_module._PURPOSE)}", 600, CLIENT
    )

    assert signed is not None
    assert signed.origin == "\ufffd\ufffd"


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://App.Example/cb", "https://app.example"),
        ("http://user:pw@localhost:5000/cb?x=1", "http://localhost:5000"),
        ("http://[::1]:8000/cb", "http://[::1]:8000"),
        ("/relative", ""),
        (None, ""),
        ("http://[::1/cb", ""),
    ],
)
def test_origin_of(url: str | None, origin: str) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize("length", range(1, 13))
def test_an_origin_of_any_length_reads_back(length: int) -> None:
    # Every length of base64 text, each with its own padding to restore.
    uri = f"https://{'h' * length}.example/cb"

    signed = read_state(mint_state(CLIENT, "c", uri), 600, CLIENT)

    assert signed is not None
    assert signed.origin == f"https://{'h' * length}.example"
    assert signed.sent(uri)


def test_digests_differ_for_different_uris() -> None:
    assert uri_digest(URI) != uri_digest(URI + "x")
    assert len(uri_digest(URI)) == 11


def test_a_signature_holds_whatever_the_state_s_age(
    app_context: Flask, clock: FrozenTime
) -> None:
    # Evidence that the key is the same, not that the state may be used.
    state = mint_state(CLIENT, "c", URI)
    clock.now = NOW + 86_400

    assert read_state(state, 600, CLIENT) is None
    assert signature_holds(state, CLIENT)
    assert not signature_holds(state, "gitlab")
    app_context.secret_key = "another-key"
    assert not signature_holds(state, CLIENT)


@pytest.mark.parametrize("field", range(6))
def test_a_changed_field_breaks_the_signature_at_any_age(field: int) -> None:
    parts = mint_state(CLIENT, "c", URI).split(".")
    parts[field] = parts[field][:-1] + ("A" if parts[field][-1] != "A" else "B")

    assert not signature_holds(".".join(parts), CLIENT)
