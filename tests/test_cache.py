"""The content-addressed store (cache.py): keys, atomic entries, off switch, pruning."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dossier import cache


def test_key_is_length_prefixed() -> None:
    assert cache.key("ab", "c") != cache.key("a", "bc")
    assert cache.key("ab", "c") == cache.key(b"ab", b"c")


def test_store_round_trip_and_counts(tmp_path: Path) -> None:
    store = cache.Store(tmp_path)
    k = cache.key("x")
    assert store.get("section", k) is None
    store.put("section", k, b"data")
    assert store.get("section", k) == b"data"
    assert (store.hits, store.misses) == (1, 1)
    assert not [p for p in tmp_path.rglob(".tmp-*")]


def test_no_root_keeps_nothing() -> None:
    store = cache.Store(None)
    store.put("section", cache.key("x"), b"data")
    assert store.get("section", cache.key("x")) is None


def test_unwritable_store_is_skipped(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = cache.Store(blocker)  # every put fails: a cache never fails a build
    store.put("section", cache.key("x"), b"data")
    assert store.get("section", cache.key("x")) is None


@pytest.mark.parametrize("value", ["off", "OFF", "0", "none", ""])
def test_env_turns_it_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DOSSIER_CACHE", value)
    assert cache.default_root() is None


def test_env_and_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOSSIER_CACHE", str(tmp_path / "c"))
    assert cache.default_root() == tmp_path / "c"
    monkeypatch.delenv("DOSSIER_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.default_root() == tmp_path / "dossier"


def test_prune_drops_least_recently_used(tmp_path: Path) -> None:
    store = cache.Store(tmp_path)
    keys = [cache.key(str(i)) for i in range(3)]
    for i, k in enumerate(keys):
        store.put("section", k, b"x" * 100)
        path = store._path("section", k)  # noqa: SLF001
        os.utime(path, (1000 + i, 1000 + i))
    assert store.prune(250) == 1
    assert store.get("section", keys[0]) is None
    assert store.get("section", keys[2]) == b"x" * 100


def test_versions_name_the_makers() -> None:
    v = cache.versions()
    assert "weasyprint=" in v and "pikepdf=" in v
