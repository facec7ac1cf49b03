"""The one cache layer: an entry is used only when it is what was stored, and the cache stays bounded."""
from __future__ import annotations

import json
import os
import threading
import time

from conftest import build_into, write_deck

from deckbuild import cache as cache_module
from deckbuild.cache import DAY, Cache, key
from deckbuild.katex import formula_table


def _is_int(value) -> bool:
    return isinstance(value, int)


def _stored(folder, name="t", value=7, k="k"):
    cache = Cache(folder)
    cache.table(name, _is_int).put(k, value)
    cache.save()
    return folder / f"{name}.json"


def test_a_stored_value_is_read_back(tmp_path):
    _stored(tmp_path)
    assert Cache(tmp_path).table("t", _is_int).get("k") == 7


def test_a_tampered_value_is_a_miss(tmp_path):
    path = _stored(tmp_path)
    data = json.loads(path.read_text())
    data["entries"]["k"]["value"] = 8
    path.write_text(json.dumps(data))
    assert Cache(tmp_path).table("t", _is_int).get("k") is None


def test_a_value_of_the_wrong_shape_is_a_miss(tmp_path):
    _stored(tmp_path, value="seven")
    assert Cache(tmp_path).table("t", _is_int).get("k") is None


def test_a_torn_table_file_is_an_empty_table(tmp_path):
    path = _stored(tmp_path)
    path.write_text(path.read_text()[:20])
    assert Cache(tmp_path).table("t", _is_int).get("k") is None


def _dict_shape(value) -> bool:
    return isinstance(value, dict)


def test_a_value_changed_after_it_was_stored_is_a_miss(tmp_path):
    table = Cache(tmp_path).table("t", _dict_shape)
    value = {"pdfs": {}}
    table.put("k", value)
    value["pdfs"]["slides"] = "a.pdf"  # a caller that changed what it handed in
    assert table.get("k") is None


def test_an_entry_merged_from_a_worker_is_checked_when_read(tmp_path):
    cache = Cache(tmp_path)
    table = cache.table("t", _is_int)
    table.put("k", 7)
    assert table.get("k") == 7
    cache.merge({"t": {"k": {"sha": "0" * 64, "used": cache.today, "size": 1, "value": 8}}})
    assert table.get("k") is None


def test_a_file_rewritten_with_its_size_and_modification_time_gets_a_new_digest(tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module, "RACY_S", -1.0)  # remember digests of files changed just now, too
    path = tmp_path / "pic.svg"
    path.write_bytes(b"<svg>one</svg>")
    first = cache_module.file_sha(path)
    st = path.stat()
    path.write_bytes(b"<svg>two</svg>")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # only the change time tells
    assert cache_module.file_sha(path) != first


def test_a_file_changed_moments_ago_is_hashed_again_at_every_read(tmp_path):
    """Its stat may not change at its next write, in the same tick of the clock: it is not remembered."""
    path = tmp_path / "pic.svg"
    path.write_bytes(b"<svg>one</svg>")
    cache_module.file_sha(path)
    assert str(path) not in cache_module._file_shas


def test_two_threads_opening_a_table_at_once_get_the_same_table(tmp_path, monkeypatch):
    _stored(tmp_path)
    read = cache_module._read_json
    monkeypatch.setattr(cache_module, "_read_json", lambda path: (time.sleep(0.05), read(path))[1])  # a slow disk
    cache, opened, start = Cache(tmp_path), [], threading.Barrier(2)

    def open_it():
        start.wait()
        opened.append(cache.table("t", _is_int))
    threads = [threading.Thread(target=open_it) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(opened) == 2 and opened[0] is opened[1]


def test_reading_can_be_switched_off(tmp_path):
    _stored(tmp_path)
    assert Cache(tmp_path, read=False).table("t", _is_int).get("k") is None


def test_an_entry_unused_for_the_age_bound_is_evicted(tmp_path):
    now = 1_000 * DAY
    cache = Cache(tmp_path, now=now)
    cache.table("t", _is_int).put("old", 1)
    cache.save()
    later = Cache(tmp_path, now=now + 31 * DAY, max_age_days=30)
    later.table("t", _is_int).put("new", 2)
    later.save()
    table = Cache(tmp_path, now=now + 31 * DAY).table("t", _is_int)
    assert table.get("old") is None and table.get("new") == 2


def test_a_table_over_its_size_bound_drops_the_least_recently_used(tmp_path):
    now = 1_000 * DAY
    first = Cache(tmp_path, now=now)
    first.table("t", _is_int).put("a", 1)
    first.save()
    second = Cache(tmp_path, now=now + DAY, table_bytes=1)
    second.table("t", _is_int).put("b", 2)
    second.save()
    table = Cache(tmp_path, now=now + DAY).table("t", _is_int)
    assert table.get("a") is None and table.get("b") == 2


def test_a_tampered_file_is_a_miss(tmp_path):
    cache = Cache(tmp_path)
    path = cache.put_blob("figures", "k", b"<svg/>", ".svg")
    cache.save()
    path.write_bytes(b"<svg>other</svg>")
    assert Cache(tmp_path).blob("figures", "k") is None


def test_a_stored_file_is_found_by_its_key(tmp_path):
    cache = Cache(tmp_path)
    path = cache.put_blob("figures", "k", b"<svg/>", ".svg")
    cache.save()
    assert Cache(tmp_path).blob("figures", "k") == path


def test_files_over_the_size_bound_are_deleted(tmp_path):
    cache = Cache(tmp_path, blob_bytes=10)
    first = cache.put_blob("pdf", "a", b"0123456789")
    cache.save()
    later = Cache(tmp_path, blob_bytes=10, now=cache.today * DAY + DAY)
    later.put_blob("pdf", "b", b"abcdefghij")
    later.save()
    assert not first.exists() and Cache(tmp_path).blob("pdf", "b") is not None


def test_a_superseded_file_outlives_its_entry_for_builds_still_copying_it(tmp_path):
    """A live preview and a build share the cache: one may supersede the page the other is about to copy."""
    cache = Cache(tmp_path)
    old = cache.put_blob("pages", "v1", b"old page", ".html", group="page/d")
    cache.save()
    other = Cache(tmp_path)
    other.put_blob("pages", "v2", b"new page", ".html", group="page/d")
    other.save()
    assert old.read_bytes() == b"old page", "still there for a build that validated it a moment ago"
    assert Cache(tmp_path).blob("pages", "v1") is None and Cache(tmp_path).blob("pages", "v2") is not None


def test_a_superseded_file_is_swept_once_no_build_can_be_reading_it(tmp_path):
    cache = Cache(tmp_path)
    old = cache.put_blob("pages", "v1", b"old page", ".html", group="page/d")
    cache.save()
    later = Cache(tmp_path)
    later.put_blob("pages", "v2", b"new page", ".html", group="page/d")
    long_ago = time.time() - cache_module.SUPERSEDED_GRACE_S - 1
    os.utime(old, (long_ago, long_ago))
    later.save()
    assert not old.exists() and later.blob("pages", "v2").read_bytes() == b"new page"


def test_an_unwritable_cache_is_a_problem_not_an_exception(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = Cache(blocker / "cache")
    cache.table("t", _is_int).put("k", 1)
    assert cache.put_blob("pdf", "a", b"x") is None
    cache.save()
    assert cache.problems and "cannot write the cache" in cache.problems[0]


def test_keys_differ_by_every_part():
    assert key("a", 1) != key("a", 2) != key("b", 2)
    assert key("ab", "c") != key("a", "bc")
    assert key(b"bytes") == key(b"bytes") != key(b"other")


# ---------------------------------------------------------------- the build and `check`

BROKEN = "<slide-section>\n\n$x^$\n\n</slide-section>\n"


def _lie_about_every_formula(cache_dir):
    """A well-formed entry (right digest, right shape) that says a broken formula typeset fine."""
    cache = Cache(cache_dir)
    table = formula_table(cache)
    for k in list(table.entries):
        table.put(k, {"html": "<span>fine</span>", "error": None, "warnings": [], "rows": None})
    cache.save()
    (cache_dir / "decks.json").unlink()  # the rendered deck, errors and all, would be reused before any formula


def test_check_trusts_no_cached_formula(tmp_path):
    slides = tmp_path / "slides"
    write_deck(slides, "d.md", BROKEN)
    cache_dir = tmp_path / "cache"
    first = build_into(tmp_path, slides, cache_dir=cache_dir)
    assert first.report.errors, "the formula is broken"
    _lie_about_every_formula(cache_dir)
    assert not build_into(tmp_path, slides, cache_dir=cache_dir).report.errors, "a build reuses its cache"
    checked = build_into(tmp_path, slides, cache_dir=cache_dir, check_cache=False, write=False)
    assert any("KaTeX" in d.message for d in checked.report.errors)
