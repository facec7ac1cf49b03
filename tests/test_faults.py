"""Hostile but realistic input, machine faults and concurrency: a clear message, never a traceback,
nothing written or deleted outside the output, and the last good site kept."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, build_into, write_deck
from deckbuild import site

GOOD = "<slide-section>\n## One\n\nText $x^2$.\n</slide-section>\n"


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *args], cwd=cwd or ROOT, capture_output=True,
                          text=True, timeout=timeout)


def no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr


def errors_of(result) -> list[str]:
    return [d.format() for d in result.report.errors]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ the output folder is the build's alone


def test_out_equal_to_slides_is_refused_and_the_decks_survive(tmp_path):
    deck = write_deck(tmp_path / "slides", "d.md", GOOD)
    proc = run_cli("--slides", str(tmp_path / "slides"), "--out", str(tmp_path / "slides"), "--cache", str(tmp_path / "c"))
    no_traceback(proc)
    assert proc.returncode == 1 and "refusing to write the site" in proc.stderr
    assert deck.read_text(encoding="utf-8").endswith(GOOD)


def test_out_holding_the_sources_is_refused(tmp_path):
    write_deck(tmp_path / "slides", "d.md", GOOD)
    proc = run_cli("--slides", str(tmp_path / "slides"), "--out", str(tmp_path), "--cache", str(tmp_path / "c"))
    no_traceback(proc)
    assert proc.returncode == 1 and "refusing to write the site" in proc.stderr
    assert (tmp_path / "slides" / "d.md").exists()


def test_out_dot_is_refused_in_the_project(tmp_path):
    proc = run_cli("--out", ".", "--cache", str(tmp_path / "c"))
    no_traceback(proc)
    assert proc.returncode == 1 and "refusing to write the site" in proc.stderr
    assert (ROOT / "build.py").exists() and (ROOT / "slides").is_dir()


def test_out_with_other_files_is_refused_and_untouched(tmp_path):
    write_deck(tmp_path / "slides", "d.md", GOOD)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "thesis.tex").write_text("mine")
    proc = run_cli("--slides", str(tmp_path / "slides"), "--out", str(tmp_path / "docs"), "--cache", str(tmp_path / "c"))
    no_traceback(proc)
    assert proc.returncode == 1 and "thesis.tex" in proc.stderr
    assert snapshot(tmp_path / "docs") == {"thesis.tex": b"mine"}


def test_a_built_site_carries_the_marker_and_is_rebuilt(tmp_path):
    write_deck(tmp_path / "slides", "d.md", GOOD)
    assert not errors_of(build_into(tmp_path, tmp_path / "slides"))
    assert (tmp_path / "_site" / site.MARKER).is_file()
    assert build_into(tmp_path, tmp_path / "slides").written


def test_no_site_file_shares_its_inode_with_a_source(tmp_path):
    write_deck(tmp_path / "slides", "d.md", GOOD + '<slide-section>\n<slide-img src="p.png"></slide-img>\n</slide-section>\n')
    (tmp_path / "slides" / "p.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    build_into(tmp_path, tmp_path / "slides")
    sources = {os.stat(p).st_ino for top in (ROOT / "templates", ROOT / "node_modules", tmp_path / "slides")
               for p in top.rglob("*") if p.is_file()}
    written = {os.stat(p).st_ino for p in (tmp_path / "_site").rglob("*") if p.is_file()}
    assert written and not written & sources


# ------------------------------------------------------------------ escaping by default


def test_an_author_slide_id_is_kept_once(tmp_path):
    write_deck(tmp_path / "slides", "d.md", '<slide-section id="intro">\n## One\n</slide-section>\n' + GOOD)
    build_into(tmp_path, tmp_path / "slides")
    page = (tmp_path / "_site" / "d" / "index.html").read_text(encoding="utf-8")
    assert '<section id="intro" data-source-line=' in page
    assert '<section id="slide-2" ' in page


def test_a_slide_id_used_twice_is_an_error(tmp_path):
    write_deck(tmp_path / "slides", "d.md", '<slide-section id="a">\nx\n</slide-section>\n<slide-section id="a">\ny\n</slide-section>\n')
    errors = errors_of(build_into(tmp_path, tmp_path / "slides"))
    assert any("slide id 'a' is also the id of the slide at line" in e for e in errors)


def test_a_quote_in_an_attribute_cannot_add_an_attribute(tmp_path):
    write_deck(tmp_path / "slides", "d.md",
               "<slide-section data-note='a\" onclick=\"x'>\n<slide-img src=\"p.png\" alt='b\" onerror=\"y'></slide-img>\n"
               "</slide-section>\n")
    (tmp_path / "slides" / "p.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    build_into(tmp_path, tmp_path / "slides")
    page = (tmp_path / "_site" / "d" / "index.html").read_text(encoding="utf-8")
    assert "onclick=" not in page.replace("&quot; onclick=&quot;", "") and "onerror=" not in page.replace("&quot; onerror=&quot;", "")
    assert 'data-note="a&quot; onclick=&quot;x"' in page


def test_a_title_with_angle_brackets_is_whole_in_the_deck_and_the_index(tmp_path):
    write_deck(tmp_path / "slides", "d.md", GOOD, front='title: "Inner product <x, y> & norms"\ndate: "2025-01-01"')
    build_into(tmp_path, tmp_path / "slides")
    assert "<title>Inner product &lt;x, y&gt; &amp; norms</title>" in (tmp_path / "_site" / "d" / "index.html").read_text()
    assert ">Inner product &lt;x, y&gt; &amp; norms</a>" in (tmp_path / "_site" / "index.html").read_text()
