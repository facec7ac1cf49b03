"""Deck URLs are the ones Hugo gives the lecturer's files, and two decks never share one."""
from __future__ import annotations

from pathlib import Path

from conftest import build_into, write_deck
from deckbuild.urls import deck_slug, hugo_slug

GOOD = "<slide-section>\n\n## A\n\n</slide-section>\n"


def test_underscores_are_kept_and_case_is_lowered():
    assert hugo_slug("DAR_5_5") == "dar_5_5"


def test_spaces_become_one_hyphen():
    assert hugo_slug("Attention Connection  Bottleneck") == "attention-connection-bottleneck"


def test_a_hyphen_next_to_spaces_is_not_doubled():
    assert hugo_slug("EM - VAE") == "em-vae"


def test_punctuation_hugo_drops_is_dropped():
    assert hugo_slug("What's new?") == "whats-new"


def test_chinese_letters_are_kept():
    assert hugo_slug("变分 推断") == "变分-推断"


def test_a_trailing_underscore_makes_a_different_url():
    assert hugo_slug("profile") != hugo_slug("profile_")


def test_a_name_without_url_characters_is_refused():
    assert deck_slug(Path("!!.md"))[1]


def test_a_name_that_is_the_sites_own_folder_is_refused():
    assert "site uses for its own files" in deck_slug(Path("Assets.md"))[1]


def test_the_site_uses_hugos_url(tmp_path):
    write_deck(tmp_path / "slides", "DAR_5_5.md", GOOD)
    result = build_into(tmp_path, tmp_path / "slides")
    assert result.written and (tmp_path / "_site" / "dar_5_5" / "index.html").is_file()


def test_two_files_with_one_url_are_an_error_naming_both(tmp_path):
    write_deck(tmp_path / "slides", "Intro.md", GOOD)
    write_deck(tmp_path / "slides", "intro.md", GOOD)
    result = build_into(tmp_path, tmp_path / "slides")
    [error] = result.report.errors
    assert "deck URL 'intro/' is also used by" in error.message and "Intro.md" in error.message + error.path
