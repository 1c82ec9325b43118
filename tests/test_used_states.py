"""A state is honoured once: the per-worker record and the shared cache
that remember which states a callback has seen."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

import flask_oauth_recover.used_states as used_states
from flask_oauth_recover.used_states import LOCAL_LIMIT
from flask_oauth_recover.used_states import LocalRecord
from flask_oauth_recover.used_states import cache_add
from flask_oauth_recover.used_states import first_use
from flask_oauth_recover.used_states import shared_cache
from flask_oauth_recover.used_states import state_key

from .conftest import MemoryCache


class Clock:
    """Stands in for the ``time`` module the record reads."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(used_states, "time", fake)
    return fake


def client(name: str = "github", cache: Any = None) -> Any:
    """What the record reads of a client: its name and its cache."""
    return SimpleNamespace(name=name, framework=SimpleNamespace(cache=cache))


class SetOnlyCache:
    """A cache without ``add``, as some Authlib apps hand over."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.timeouts: dict[str, int | None] = {}

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def set(self, key: str, value: Any, timeout: int | None = None) -> None:
        self.values[key] = value
        self.timeouts[key] = timeout


def test_a_key_is_new_once(clock: Clock) -> None:
    record = LocalRecord()

    assert record.add("s", 600) is True
    assert record.add("s", 600) is False
    assert record.add("t", 600) is True
    assert len(record) == 2


def test_a_key_is_new_again_once_it_expires(clock: Clock) -> None:
    record = LocalRecord()
    record.add("s", 600)

    clock.now += 599.9
    assert record.add("s", 600) is False
    clock.now += 0.1
    assert record.add("s", 600) is True
    clock.now += 599.9
    assert record.add("s", 600) is False


def test_expired_keys_are_dropped_as_new_ones_come(clock: Clock) -> None:
    record = LocalRecord()
    record.add("a", 10)
    record.add("b", 10)
    clock.now += 10

    record.add("c", 10)

    assert len(record) == 1


def test_the_record_is_bounded_and_forgets_the_oldest(clock: Clock) -> None:
    record = LocalRecord(limit=3)
    for key in "abcd":
        assert record.add(key, 600)
        clock.now += 1

    assert len(record) == 3
    assert record.add("b", 600) is False
    assert record.add("a", 600) is True  # forgotten: honoured once more
    assert len(record) == 3
    assert record.add("c", 600) is False
    assert record.add("b", 600) is True  # pushed out by "a"


def test_the_default_bound() -> None:
    assert LocalRecord().limit == LOCAL_LIMIT == 10_000


def test_keys_name_the_client_and_hide_the_state() -> None:
    key = state_key(client("github"), "the-state")

    assert key.startswith("_oauth_recover_state_github_")
    assert "the-state" not in key
    assert len(key.rpartition("_")[2]) == 32
    assert key == state_key(client("github"), "the-state")
    assert key != state_key(client("gitlab"), "the-state")
    assert key != state_key(client("github"), "another-state")


def test_the_shared_cache_is_the_client_s() -> None:
    cache = MemoryCache()

    assert shared_cache(client(cache=cache)) is cache
    assert shared_cache(client()) is None
    assert shared_cache(SimpleNamespace(framework=SimpleNamespace())) is None


def test_cache_add_uses_an_atomic_add() -> None:
    cache = MemoryCache()

    assert cache_add(cache, "k", "used", 600) is True
    assert cache_add(cache, "k", "other", 600) is False
    assert cache.values == {"k": "used"}


class RacingCache(MemoryCache):
    """A shared cache two workers reach at the same moment: a read returns
    only once both have read, and ``add`` is atomic, as Redis's is."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: dict[str, int | None] = {}
        self._both_read = threading.Barrier(2, timeout=2)
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        value = super().get(key)
        try:
            self._both_read.wait()
        except threading.BrokenBarrierError:
            pass
        return value

    def add(self, key: str, value: Any, timeout: int | None = None) -> bool:
        with self._lock:
            added = super().add(key, value, timeout)
            if added:
                self.timeouts[key] = timeout
            return added


def test_two_workers_presenting_one_state_at_once_use_it_once() -> None:
    cache = RacingCache()
    won: list[bool] = []

    def worker() -> None:
        won.append(first_use(client(cache=cache), "s", LocalRecord(), 600))

    workers = [threading.Thread(target=worker) for _ in range(2)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=10)

    assert sorted(won) == [False, True]
    assert list(cache.timeouts.values()) == [600]


def test_cache_add_without_add_reads_then_writes() -> None:
    cache = SetOnlyCache()

    assert cache_add(cache, "k", "used", 600) is True
    assert cache_add(cache, "k", "other", 600) is False
    assert cache.values == {"k": "used"}
    assert cache.timeouts == {"k": 600}


def test_first_use_without_a_cache_is_this_worker_s(clock: Clock) -> None:
    record = LocalRecord()
    github = client()

    assert first_use(github, "s", record, 600) is True
    assert first_use(github, "s", record, 600) is False
    assert first_use(client("gitlab"), "s", record, 600) is True
    clock.now += 600
    assert first_use(github, "s", record, 600) is True


def test_first_use_with_a_cache_is_every_worker_s(clock: Clock) -> None:
    cache = MemoryCache()
    one, other = LocalRecord(), LocalRecord()
    github = client(cache=cache)

    assert first_use(github, "s", one, 600) is True
    assert first_use(github, "s", other, 600) is False
    assert len(one) == len(other) == 0
    assert cache.values == {state_key(github, "s"): "used"}


def test_first_use_with_a_cache_keeps_the_signature_s_lifetime() -> None:
    cache = SetOnlyCache()

    first_use(client(cache=cache), "s", LocalRecord(), 321)

    assert list(cache.timeouts.values()) == [321]


def test_a_state_another_record_has_seen_was_used(clock: Clock) -> None:
    record = LocalRecord()
    github = client()
    claimed = {state_key(github, "claimed"): object()}

    assert first_use(github, "claimed", record, 600, seen=claimed.get) is False
    assert len(record) == 0
    assert first_use(github, "fresh", record, 600, seen=claimed.get) is True
    assert first_use(github, "fresh", record, 600, seen=claimed.get) is False


def test_with_a_cache_the_cache_alone_decides() -> None:
    cache = MemoryCache()
    github = client(cache=cache)

    assert first_use(github, "s", LocalRecord(), 600, seen=lambda key: object())
