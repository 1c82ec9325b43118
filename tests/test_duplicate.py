"""Double clicks: the first request for a callback claims its state, a
duplicate of the same browser waits for it and follows it, and only a
request whose session holds the state may claim at all."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask import session
from werkzeug.wrappers import Response

import flask_oauth_recover.duplicate as duplicate
from flask_oauth_recover.duplicate import CLAIM_SECONDS
from flask_oauth_recover.duplicate import LOCAL_CLAIMS
from flask_oauth_recover.duplicate import FirstOutcome
from flask_oauth_recover.duplicate import Hold
from flask_oauth_recover.duplicate import LocalClaims
from flask_oauth_recover.duplicate import claim_callback
from flask_oauth_recover.duplicate import wait_for_first_callback
from flask_oauth_recover.used_states import LocalRecord
from flask_oauth_recover.used_states import first_use
from flask_oauth_recover.used_states import state_key

from .conftest import MemoryCache


class Clock:
    """Stands in for the ``time`` module the claims read."""

    def __init__(self) -> None:
        self.now = 500.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(duplicate, "time", fake)
    return fake


@pytest.fixture
def app() -> Iterator[Flask]:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="duplicate-test-key", OAUTH_RECOVER_TIMEOUT=5)
    yield app


class TimedCache(MemoryCache):
    """A memory cache that also keeps the lifetime each value was set for."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: dict[str, int | None] = {}

    def set(self, key: str, value: Any, timeout: int | None = None) -> None:
        super().set(key, value, timeout)
        self.timeouts[key] = timeout

    def add(self, key: str, value: Any, timeout: int | None = None) -> bool:
        added = super().add(key, value, timeout)
        if added:
            self.timeouts[key] = timeout
        return added


def client(cache: Any = None) -> Any:
    return SimpleNamespace(name="github", framework=SimpleNamespace(cache=cache))


def test_a_state_is_claimed_once_while_its_claim_lives(clock: Clock) -> None:
    claims = LocalClaims()

    first = claims.take("k")

    assert first is not None
    assert claims.take("k") is None
    assert claims.get("k") is first
    assert claims.take("other") is not None
    clock.now += CLAIM_SECONDS - 0.5
    assert claims.take("k") is None
    clock.now += 0.5
    assert claims.get("k") is None
    assert claims.take("k") is not None


def test_claims_are_bounded_and_expired_ones_dropped(clock: Clock) -> None:
    claims = LocalClaims(limit=2)
    for key in "abc":
        assert claims.take(key) is not None
        clock.now += 1

    assert claims.get("a") is None
    assert claims.get("b") is not None
    assert claims.get("c") is not None
    clock.now += CLAIM_SECONDS
    claims.take("d")
    assert len(claims._claims) == 1
    assert LocalClaims().limit == LOCAL_CLAIMS == 1024


def test_a_claim_without_a_cache_is_this_worker_s(app: Flask, clock: Clock) -> None:
    claims = LocalClaims()
    github = client()

    with app.test_request_context():
        hold = claim_callback(github, "s", claims, 600)
        assert claim_callback(github, "s", claims, 600) is None

    assert hold is not None
    assert (hold.key, hold.cache, hold.outcome) == (
        state_key(github, "s"),
        None,
        "finished ",
    )
    assert hold.seconds == 600
    assert hold.claim is claims.get(hold.key)


def test_a_claim_with_a_cache_is_every_worker_s(app: Flask) -> None:
    cache = TimedCache()
    github = client(cache)
    other_worker = LocalClaims()

    with app.test_request_context():
        hold = claim_callback(github, "s", LocalClaims(), 60)
    with app.test_request_context():
        assert claim_callback(github, "s", other_worker, 60) is None
        assert other_worker.get(state_key(github, "s")) is None

    key = state_key(github, "s")
    assert cache.values == {key: "pending"}
    assert cache.timeouts == {key: CLAIM_SECONDS}
    assert hold is not None and hold.cache is cache
    assert hold.seconds == CLAIM_SECONDS  # never shorter than a claim
    # The claim is the record that the state was used.
    assert first_use(github, "s", LocalRecord(), 600) is False


def release(app: Flask, hold: Hold | None, response: Response | None) -> None:
    assert hold is not None
    hold.release(response, app, session._get_current_object())  # type: ignore[attr-defined]


def test_release_hands_the_outcome_and_session_to_this_worker_s_duplicates(
    app: Flask,
) -> None:
    claims = LocalClaims()
    github = client()
    with app.test_request_context():
        hold = claim_callback(github, "s", claims, 600)
        session["user"] = "octocat"
        assert hold is not None
        hold.finished("/cart")
        response = Response()
        release(app, hold, response)
        first_session = session._get_current_object()  # type: ignore[attr-defined]
        assert session.modified  # Flask saves it itself: no cache here
        assert "Set-Cookie" not in response.headers

    claim = claims.get(state_key(github, "s"))
    assert claim is not None
    assert claim.done.is_set()
    assert claim.outcome == "finished /cart"
    assert claim.session is first_session


def test_release_saves_the_session_first_for_other_workers(app: Flask) -> None:
    cache = TimedCache()
    github = client(cache)
    with app.test_request_context():
        hold = claim_callback(github, "s", LocalClaims(), 900)
        session["user"] = "octocat"
        assert hold is not None
        hold.restarted("https://provider.example/authorize?state=t")
        response = Response()
        release(app, hold, response)
        assert not session.modified

    assert "session=" in response.headers["Set-Cookie"]
    key = state_key(github, "s")
    assert cache.values[key] == "restarted https://provider.example/authorize?state=t"
    assert cache.timeouts[key] == 900


def test_a_view_that_raised_releases_without_a_session(app: Flask) -> None:
    cache = TimedCache()
    claims = LocalClaims()
    github = client(cache)
    with app.test_request_context():
        hold = claim_callback(github, "s", claims, 600)
        session["user"] = "octocat"
        release(app, hold, None)
        assert session.modified  # not saved early: there is no response

    claim = claims.get(state_key(github, "s"))
    assert claim is not None
    assert claim.done.is_set()
    assert (claim.outcome, claim.session) == ("finished ", None)
    assert cache.values[state_key(github, "s")] == "finished "


def first_request(
    app: Flask, claims: LocalClaims, github: Any, record: Any, **values: Any
) -> None:
    """A first request that claims ``s``, records an outcome, and ends."""
    with app.test_request_context():
        hold = claim_callback(github, "s", claims, 600)
        session.update(values)
        record(hold)
        release(app, hold, Response())


def test_a_duplicate_follows_a_finished_first_with_its_session(app: Flask) -> None:
    claims = LocalClaims()
    github = client()
    first_request(app, claims, github, lambda hold: hold.finished("/cart"), user="o")

    with app.test_request_context():
        session["_state_github_s"] = {"data": "stale"}
        outcome = wait_for_first_callback(github, "s", claims)
        assert dict(session) == {"user": "o"}

    assert outcome == FirstOutcome(finished_to="/cart")


def test_a_duplicate_follows_a_restart(app: Flask) -> None:
    claims = LocalClaims()
    github = client()
    first_request(
        app, claims, github, lambda hold: hold.restarted("https://p/a?state=t")
    )

    with app.test_request_context():
        outcome = wait_for_first_callback(github, "s", claims)

    assert outcome == FirstOutcome(restarted_to="https://p/a?state=t")


def test_a_duplicate_repeats_the_first_page(app: Flask) -> None:
    claims = LocalClaims()
    github = client()
    page = object()
    first_request(app, claims, github, lambda hold: hold.showed(page))

    with app.test_request_context():
        outcome = wait_for_first_callback(github, "s", claims)

    assert outcome == FirstOutcome(outcome=page)


def test_a_duplicate_waits_for_the_first_to_finish(app: Flask) -> None:
    # Woken as the first finishes, long before the timeout.
    app.config["OAUTH_RECOVER_TIMEOUT"] = 60
    claims = LocalClaims()
    github = client()
    claimed, outcome = threading.Event(), []

    def duplicate_request() -> None:
        claimed.wait()
        with app.test_request_context():
            outcome.append(wait_for_first_callback(github, "s", claims))

    waiter = threading.Thread(target=duplicate_request)
    waiter.start()
    with app.test_request_context():
        hold = claim_callback(github, "s", claims, 600)
        claimed.set()
        time.sleep(0.2)  # the duplicate is waiting by now
        assert hold is not None
        hold.finished("/done")
        release(app, hold, Response())
    waiter.join(timeout=10)

    assert outcome == [FirstOutcome(finished_to="/done")]


def test_a_duplicate_stops_waiting_for_a_first_in_this_worker_that_never_ends(
    app: Flask,
) -> None:
    app.config["OAUTH_RECOVER_TIMEOUT"] = 0.2
    claims = LocalClaims()
    github = client()
    with app.test_request_context():
        assert claim_callback(github, "s", claims, 600) is not None

    with app.test_request_context():
        outcome = wait_for_first_callback(github, "s", claims)

    assert outcome == FirstOutcome()


def test_across_workers_a_duplicate_reloads_the_session_from_the_store(
    app: Flask,
) -> None:
    cache = MemoryCache()
    github = client(cache)
    cache.set(state_key(github, "s"), b"finished /cart")

    with app.test_request_context(headers={"Cookie": "session=garbage"}):
        session["stale"] = True
        outcome = wait_for_first_callback(github, "s", LocalClaims())
        assert "stale" not in session

    assert outcome == FirstOutcome(finished_to="/cart")


def test_across_workers_a_duplicate_takes_the_first_s_server_side_session(
    app: Flask,
) -> None:
    store: dict[str, Any] = {}

    class ServerSide(type(app.session_interface)):  # type: ignore[misc]
        def open_session(self, app: Flask, request: Any) -> Any:
            return self.session_class(store)

    app.session_interface = ServerSide()
    cache = MemoryCache()
    github = client(cache)
    with app.test_request_context():
        # Meanwhile the first request, on another worker, signs the user in.
        store["user"] = "octocat"
        cache.set(state_key(github, "s"), "finished /cart")
        outcome = wait_for_first_callback(github, "s", LocalClaims())
        assert dict(session) == {"user": "octocat"}

    assert outcome == FirstOutcome(finished_to="/cart")


def test_a_cache_value_that_is_not_utf8_is_read_leniently(app: Flask) -> None:
    cache = MemoryCache()
    github = client(cache)
    cache.set(state_key(github, "s"), b"finished /caf\xe9")

    with app.test_request_context():
        outcome = wait_for_first_callback(github, "s", LocalClaims())

    assert outcome == FirstOutcome(finished_to="/caf\ufffd")


def test_a_first_s_page_is_repeated_when_the_cache_lost_its_claim(app: Flask) -> None:
    cache = MemoryCache()
    claims = LocalClaims()
    github = client(cache)
    page = object()
    first_request(app, claims, github, lambda hold: hold.showed(page))
    cache.delete(state_key(github, "s"))  # evicted

    with app.test_request_context():
        outcome = wait_for_first_callback(github, "s", claims)

    assert outcome == FirstOutcome(outcome=page)


def test_a_duplicate_that_times_out_shows_the_page_the_first_is_showing(
    app: Flask, clock: Clock
) -> None:
    cache = MemoryCache()
    claims = LocalClaims()
    github = client(cache)
    page = object()
    with app.test_request_context():
        hold = claim_callback(github, "s", claims, 600)
        assert hold is not None
        hold.showed(page)  # not released yet

    with app.test_request_context():
        outcome = wait_for_first_callback(github, "s", claims)

    assert outcome == FirstOutcome(outcome=page)


def test_a_duplicate_stops_waiting_for_a_first_that_never_ends(
    app: Flask, clock: Clock
) -> None:
    cache = MemoryCache()
    github = client(cache)
    cache.set(state_key(github, "s"), "pending")

    with app.test_request_context():
        outcome = wait_for_first_callback(github, "s", LocalClaims())

    assert outcome == FirstOutcome()
    assert 5 <= clock.now - 500.0 <= 5.1  # OAUTH_RECOVER_TIMEOUT


@pytest.mark.parametrize("value", [None, "used", b"finished ", 42])
def test_a_first_outcome_without_a_destination_is_followed_nowhere(
    app: Flask, value: Any
) -> None:
    cache = MemoryCache()
    github = client(cache)
    if value is not None:
        cache.set(state_key(github, "s"), value)

    with app.test_request_context():
        outcome = wait_for_first_callback(github, "s", LocalClaims())

    assert outcome == FirstOutcome()


def test_a_session_store_that_opens_nothing_leaves_the_session(app: Flask) -> None:
    opened = []

    class OpensOnce(type(app.session_interface)):  # type: ignore[misc]
        def open_session(self, app: Flask, request: Any) -> Any:
            opened.append(request)
            return super().open_session(app, request) if len(opened) == 1 else None

    app.session_interface = OpensOnce()
    with app.test_request_context():
        session["kept"] = 1
        wait_for_first_callback(client(), "s", LocalClaims())
        assert session["kept"] == 1

    assert len(opened) == 2


def test_a_released_claim_lasts_as_long_as_a_signature(
    app: Flask, clock: Clock
) -> None:
    claims = LocalClaims()
    github = client()
    with app.test_request_context():
        hold = claim_callback(github, "s", claims, 600)
    key = state_key(github, "s")

    clock.now += 599
    assert claims.get(key) is (hold.claim if hold else None)
    clock.now += 1
    assert claims.get(key) is None
