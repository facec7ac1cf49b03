"""Hostile but realistic input, machine faults and concurrency: a clear message, never a traceback,
nothing written or deleted outside the output, and the last good site kept."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
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


# ------------------------------------------------------------------ inputs confined


def _with_image(tmp_path: Path, src: str) -> list[str]:
    write_deck(tmp_path / "slides", "d.md", f'<slide-section>\n<slide-img src="{src}"></slide-img>\n</slide-section>\n')
    return errors_of(build_into(tmp_path, tmp_path / "slides"))


def test_an_image_above_the_slides_folder_is_an_error(tmp_path):
    (tmp_path / "secret.png").write_bytes(b"secret")
    errors = _with_image(tmp_path, "../secret.png")
    assert any("d.md:7:1: error: image outside slides/: ../secret.png" in e for e in errors)
    assert not (tmp_path / "_site").exists()


def test_an_absolute_image_path_is_an_error(tmp_path):
    errors = _with_image(tmp_path, "/etc/passwd")
    assert any("image outside slides/: /etc/passwd" in e for e in errors)


def test_a_symlink_out_of_the_slides_folder_is_an_error(tmp_path):
    (tmp_path / "secret.png").write_bytes(b"secret")
    (tmp_path / "slides").mkdir()
    (tmp_path / "slides" / "link.png").symlink_to(tmp_path / "secret.png")
    assert any("image outside slides/: link.png" in e for e in _with_image(tmp_path, "link.png"))


def test_two_images_with_one_name_in_two_folders_stay_apart(tmp_path):
    for folder, data in (("a", b"\x89PNG-A"), ("b", b"\x89PNG-B")):
        (tmp_path / "slides" / folder).mkdir(parents=True)
        (tmp_path / "slides" / folder / "plot.png").write_bytes(data)
    write_deck(tmp_path / "slides", "d.md", '<slide-section>\n<slide-img src="a/plot.png"></slide-img>\n</slide-section>\n'
               '<slide-section>\n<slide-img src="b/plot.png"></slide-img>\n</slide-section>\n')
    build_into(tmp_path, tmp_path / "slides")
    page = (tmp_path / "_site" / "d" / "index.html").read_text()
    shown = [(tmp_path / "_site" / "d" / src).read_bytes() for src in re.findall(r'<img src="([^"]+)"', page)]
    assert shown == [b"\x89PNG-A", b"\x89PNG-B"]


def test_a_markdown_image_is_copied_into_the_site(tmp_path):
    write_deck(tmp_path / "slides", "d.md", "<slide-section>\n![a dot](dot.png)\n</slide-section>\n")
    (tmp_path / "slides" / "dot.png").write_bytes(b"\x89PNG-dot")
    build_into(tmp_path, tmp_path / "slides")
    src = re.search(r'<img src="([^"]+)" alt="a dot"', (tmp_path / "_site" / "d" / "index.html").read_text()).group(1)
    assert (tmp_path / "_site" / "d" / src).read_bytes() == b"\x89PNG-dot"


def test_a_missing_markdown_image_is_an_error_at_its_line(tmp_path):
    write_deck(tmp_path / "slides", "d.md", "<slide-section>\n## t\n\nsee ![x](gone.png)\n</slide-section>\n")
    errors = errors_of(build_into(tmp_path, tmp_path / "slides"))
    assert any("d.md:9:5: error: image not found: gone.png" in e for e in errors)


def test_a_markdown_image_outside_the_slides_is_an_error(tmp_path):
    write_deck(tmp_path / "slides", "d.md", "<slide-section>\n![x](../../../etc/passwd)\n</slide-section>\n")
    assert any("image outside slides/" in e for e in errors_of(build_into(tmp_path, tmp_path / "slides")))


# ------------------------------------------------------------------ no traceback


def _decks_cli(tmp_path: Path, *extra: str, cache: Path | None = None) -> subprocess.CompletedProcess:
    """`cache`: a copy of the session's warm cache, for a deck with derivations (the checks then run once per session)."""
    proc = run_cli("--slides", str(tmp_path / "slides"), "--out", str(tmp_path / "_site"),
                   "--cache", str(cache or tmp_path / "c"), *extra)
    no_traceback(proc)
    return proc


def test_a_gbk_deck_is_named_with_a_hint_and_the_other_decks_are_read(tmp_path):
    write_deck(tmp_path / "slides", "good.md", GOOD + "<slide-section>\n$\\frac{$\n</slide-section>\n")
    (tmp_path / "slides" / "gbk.md").write_bytes(("---\ntitle: 中文\n---\n" + GOOD).encode("gbk"))
    proc = _decks_cli(tmp_path)
    assert proc.returncode == 1
    assert "slides/gbk.md:2:8: error: the file is not UTF-8 text (byte 0xd6); it looks like GBK" in proc.stderr
    assert "iconv -f GBK" in proc.stderr
    assert re.search(r"good.md:12:\d+: error: KaTeX", proc.stderr)  # the other deck was still read and checked


def test_a_latin1_deck_is_named_with_a_hint(tmp_path):
    (tmp_path / "slides").mkdir()
    (tmp_path / "slides" / "l.md").write_bytes(("---\ntitle: café\n---\n" + GOOD).encode("latin-1"))
    proc = _decks_cli(tmp_path)
    assert proc.returncode == 1 and "l.md:2:11: error: the file is not UTF-8 text (byte 0xe9)" in proc.stderr


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    (tmp_path / "slides").mkdir()
    (tmp_path / "slides" / "b.md").write_bytes(b"\xef\xbb\xbf---\ntitle: BOM\n---\n" + GOOD.encode())
    result = build_into(tmp_path, tmp_path / "slides")
    assert not errors_of(result) and result.decks[0].title == "BOM"


def test_a_latin1_svg_with_its_declaration_is_inlined(tmp_path):
    write_deck(tmp_path / "slides", "d.md", '<slide-section>\n<slide-img src="f.svg"></slide-img>\n</slide-section>\n')
    svg = '<?xml version="1.0" encoding="ISO-8859-1"?><svg xmlns="http://www.w3.org/2000/svg"><text>café</text></svg>'
    (tmp_path / "slides" / "f.svg").write_bytes(svg.encode("latin-1"))
    assert not errors_of(build_into(tmp_path, tmp_path / "slides"))
    assert "<text>café</text>" in (tmp_path / "_site" / "d" / "index.html").read_text(encoding="utf-8")


def test_a_latin1_svg_without_a_declaration_is_an_error_at_the_image(tmp_path):
    write_deck(tmp_path / "slides", "d.md", '<slide-section>\n<slide-img src="f.svg"></slide-img>\n</slide-section>\n')
    (tmp_path / "slides" / "f.svg").write_bytes('<svg><text>café</text></svg>'.encode("latin-1"))
    errors = errors_of(build_into(tmp_path, tmp_path / "slides"))
    assert any("d.md:7:1: error: f.svg cannot be read as utf-8 text" in e for e in errors)


def test_a_derivation_row_left_open_is_a_katex_error_at_its_line(tmp_path, cache_dir):
    """Found by the property test: an unclosed brace in a row sent the row grammar into endless recursion."""
    body = "<slide-section>\n\n<slide-derivation id=\"open\">\n\n$$\n\\begin{align*}\na &= b \\\\\n&= \\frac{\n" \
           "\\end{align*}\n$$\n\n</slide-derivation>\n\n</slide-section>\n"
    write_deck(tmp_path / "slides", "d.md", body)
    proc = _decks_cli(tmp_path, cache=cache_dir)
    assert proc.returncode == 1 and re.search(r"d\.md:\d+:\d+: error: KaTeX", proc.stderr), proc.stderr


def test_a_derivation_without_an_id_is_an_error_not_a_crash(tmp_path, cache_dir):
    """Found by the property test: the missing id was reported, then looked up anyway."""
    body = "<slide-section>\n\n<slide-derivation>\n\n$$\n\\begin{align*}\na &= b\n\\end{align*}\n$$\n\n" \
           "</slide-derivation>\n\n</slide-section>\n"
    write_deck(tmp_path / "slides", "d.md", body)
    proc = _decks_cli(tmp_path, cache=cache_dir)
    assert proc.returncode == 1 and "d.md:8:1: error: <slide-derivation> needs the attribute id=" in proc.stderr, proc.stderr


@pytest.mark.slow
def test_formulas_nested_deeper_than_python_recurses_are_not_checked_and_say_why(tmp_path, cache_dir):
    braces, fractions = "{" * 1500 + "b" + "}" * 1500, "\\frac{" * 300 + "1" + "}{2}" * 300
    body = (f"<slide-section>\n\n<slide-derivation id=\"deep\">\n\n$$\n\\begin{{align*}}\na &= {braces} \\\\\n"
            f"&= {fractions}\n\\end{{align*}}\n$$\n\n</slide-derivation>\n\n$a = {braces}$\n\n</slide-section>\n")
    write_deck(tmp_path / "slides", "d.md", body, front='title: "T"\nnotation: dar-5-5')
    proc = _decks_cli(tmp_path, cache=cache_dir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "derivation 'deep' step 1: not checked: a formula over the depth limit" in proc.stderr
    assert "derivation 'deep' step 2: not checked: a formula over the depth limit" in proc.stderr
    assert "d.md:19:2: warning: not checked: not evaluable: a formula over the depth limit" in proc.stderr
    assert max(len(line) for line in proc.stderr.splitlines()) <= 210, "an excerpt is clipped, not 3000 characters"


def test_an_impossible_date_is_an_error_at_its_line(tmp_path):
    write_deck(tmp_path / "slides", "d.md", GOOD, front="title: T\ndate: 2025-13-45")
    proc = _decks_cli(tmp_path)
    assert proc.returncode == 1 and "d.md:3:1: error: front matter: 'date: 2025-13-45' is not a calendar date" in proc.stderr


def test_a_quoted_impossible_date_is_an_error(tmp_path):
    write_deck(tmp_path / "slides", "d.md", GOOD, front='title: T\ndate: "2025-02-30"')
    assert any("field 'date' is not a date" in e for e in errors_of(build_into(tmp_path, tmp_path / "slides")))


def test_an_editor_lock_file_and_a_folder_named_like_a_deck_are_skipped(tmp_path):
    write_deck(tmp_path / "slides", "d.md", GOOD)
    (tmp_path / "slides" / ".#d.md").symlink_to("root@host.1234:1700000000")  # how Emacs marks a file being edited
    (tmp_path / "slides" / "x.md").mkdir()
    result = build_into(tmp_path, tmp_path / "slides")
    assert not errors_of(result) and [d.path for d in result.decks] == [str(tmp_path / "slides" / "d.md")]
    assert any("x.md is a folder, not a deck: skipped" in w.message for w in result.report.warnings)


def test_a_link_loop_named_like_a_deck_is_skipped(tmp_path):
    write_deck(tmp_path / "slides", "d.md", GOOD)
    (tmp_path / "slides" / "loop.md").symlink_to("loop.md")
    proc = _decks_cli(tmp_path)
    assert proc.returncode == 0 and "loop.md is a link that leads to no file, not a deck: skipped" in proc.stderr


def test_a_deck_linked_from_outside_the_slides_is_not_read(tmp_path):
    (tmp_path / "private.md").write_bytes(SECRET)
    write_deck(tmp_path / "slides", "d.md", GOOD)
    (tmp_path / "slides" / "p.md").symlink_to(tmp_path / "private.md")
    proc = _decks_cli(tmp_path)
    assert proc.returncode == 1 and "p.md:1:1: error: p.md links to a file outside" in proc.stderr
    assert SECRET.decode() not in proc.stderr + proc.stdout
    assert not (tmp_path / "_site").exists()


def test_a_deck_linked_from_inside_the_slides_is_read(tmp_path):
    write_deck(tmp_path / "slides" / "drafts", "real.md", GOOD)
    (tmp_path / "slides" / "d.md").symlink_to("drafts/real.md")
    assert _decks_cli(tmp_path).returncode == 0 and (tmp_path / "_site" / "d" / "index.html").exists()


def test_slides_naming_a_file_says_it_names_a_folder(tmp_path):
    deck = write_deck(tmp_path / "slides", "d.md", GOOD)
    proc = run_cli("--slides", str(deck), "--out", str(tmp_path / "_site"), "--cache", str(tmp_path / "c"))
    no_traceback(proc)
    assert proc.returncode == 1 and f"--slides {deck} is a file: it names the folder that holds the decks" in proc.stderr


@pytest.mark.parametrize("cache", ["slides", "slides/.cache", "."])
def test_a_cache_among_the_decks_or_over_them_is_refused_before_anything_is_written(tmp_path, cache):
    write_deck(tmp_path / "slides", "d.md", GOOD)
    before = snapshot(tmp_path)
    proc = run_cli("--slides", "slides", "--out", "_site", "--cache", cache, cwd=tmp_path)
    no_traceback(proc)
    assert proc.returncode == 1 and f"error: refusing to keep the cache in {cache}: it " in proc.stderr
    assert snapshot(tmp_path) == before


def test_a_deck_with_old_mac_line_endings_reads_as_lines(tmp_path):
    (tmp_path / "slides").mkdir()
    (tmp_path / "slides" / "d.md").write_bytes(b'---\rtitle: "T"\r---\r\r<slide-section>\r## One\r\rText $x^$.\r</slide-section>\r')
    proc = _decks_cli(tmp_path)
    assert proc.returncode == 1 and "d.md:8:" in proc.stderr, "the broken formula is found on its own line"


def test_a_package_missing_on_a_fresh_machine_says_what_to_run(tmp_path):
    """markdown-it is imported late (only when a deck is rendered): the message must come then too."""
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "markdown_it.py").write_text("raise ModuleNotFoundError(\"No module named 'markdown_it'\", name='markdown_it')\n")
    write_deck(tmp_path / "slides", "d.md", GOOD)
    proc = subprocess.run([sys.executable, str(ROOT / "build.py"), "--slides", str(tmp_path / "slides"), "--out",
                           str(tmp_path / "_site"), "--cache", str(tmp_path / "c")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(hidden)))
    no_traceback(proc)
    assert proc.returncode == 1
    assert f"error: the Python package 'markdown_it' is missing for {sys.executable}" in proc.stderr
    assert f"'{Path(sys.executable).name} -m pip install -r requirements.txt && " in proc.stderr  # for this Python


def test_a_read_only_output_disk_is_one_line(tmp_path):
    write_deck(tmp_path / "slides", "d.md", GOOD)
    proc = run_cli("--slides", str(tmp_path / "slides"), "--out", "/proc/deckbuild-site", "--cache", str(tmp_path / "c"))
    no_traceback(proc)
    assert proc.returncode == 1 and "error: cannot write the site into /proc/deckbuild-site" in proc.stderr


def test_a_full_output_disk_keeps_the_previous_site(tmp_path, monkeypatch):
    import errno

    write_deck(tmp_path / "slides", "d.md", GOOD)
    build_into(tmp_path, tmp_path / "slides")
    before = snapshot(tmp_path / "_site")

    def full(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))

    monkeypatch.setattr(site, "copy_file", full)
    monkeypatch.setattr(site.os, "link", full)  # the unchanged files, linked from the previous site otherwise
    write_deck(tmp_path / "slides", "d.md", GOOD + "\n")  # a build with nothing changed would write nothing
    with pytest.raises(site.BuildError, match="No space left on device"):
        build_into(tmp_path, tmp_path / "slides")
    assert snapshot(tmp_path / "_site") == before
    assert not list(tmp_path.glob("._site.new-*"))


def test_a_cache_disk_that_refuses_writes_is_a_warning_and_the_site_is_built(tmp_path):
    write_deck(tmp_path / "slides", "d.md", GOOD)
    proc = run_cli("--slides", str(tmp_path / "slides"), "--out", str(tmp_path / "_site"), "--cache", "/proc/deckbuild-cache")
    no_traceback(proc)
    assert proc.returncode == 0 and "warning: cannot write the cache file /proc/deckbuild-cache/katex.json" in proc.stderr
    assert (tmp_path / "_site" / "d" / "index.html").exists()


def test_150_nested_elements_are_an_error_not_a_crash(tmp_path):
    body = "<slide-section>\n" + "<slide-fragment>\n" * 150 + "deep\n" + "</slide-fragment>\n" * 150 + "</slide-section>\n"
    write_deck(tmp_path / "slides", "d.md", body)
    errors = errors_of(build_into(tmp_path, tmp_path / "slides"))
    assert any("is nested 33 elements deep; at most 32 are allowed" in e for e in errors)


def test_serve_with_an_impossible_port_is_one_line(tmp_path):
    proc = run_cli("serve", "--port", "99999", "--out", str(tmp_path / "_site"))
    no_traceback(proc)
    assert proc.returncode == 2 and "99999 is not a port" in proc.stderr


def test_import_refuses_to_overwrite_its_own_input(tmp_path):
    old = tmp_path / "old.md"
    old.write_text("<section data-markdown><textarea data-template>\n## a\n</textarea></section>\n")
    before = old.read_bytes()
    proc = run_cli("import", str(old), "-o", str(tmp_path / "." / "old.md"))
    no_traceback(proc)
    assert proc.returncode == 1 and "the output is the deck being converted" in proc.stderr
    assert old.read_bytes() == before


def test_import_refuses_an_existing_file_without_force(tmp_path):
    old = tmp_path / "old.md"
    old.write_text("<section data-markdown><textarea data-template>\n## a\n</textarea></section>\n")
    (tmp_path / "new.md").write_text("keep me")
    proc = run_cli("import", str(old), "-o", str(tmp_path / "new.md"))
    assert proc.returncode == 1 and "--force" in proc.stderr and (tmp_path / "new.md").read_text() == "keep me"
    assert run_cli("import", str(old), "-o", str(tmp_path / "new.md"), "--force").returncode == 0
    assert "<slide-section>" in (tmp_path / "new.md").read_text()


def test_a_pdf_page_that_never_loads_is_an_error_within_its_time_limit(browser):
    import socket
    import threading

    from deckbuild.diagnostics import BuildError
    from deckbuild.pdf import print_deck

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    threading.Thread(target=lambda: [held.append(listener.accept()[0]) for _ in range(8)], daemon=True).start()
    try:
        with pytest.raises(BuildError, match="did not load within 1.5 s"):
            print_deck(browser, f"http://127.0.0.1:{listener.getsockname()[1]}/d/index.html", timeout_ms=1500)
    finally:
        for conn in held:
            conn.close()
        listener.close()


# ------------------------------------------------------------------ limits instead of silence or hangs


def test_a_list_nested_deeper_than_markdown_keeps_is_an_error(tmp_path):
    items = "\n".join("  " * i + f"- level {i}" for i in range(12))
    write_deck(tmp_path / "slides", "d.md", f"<slide-section>\n{items}\n</slide-section>\n")
    errors = errors_of(build_into(tmp_path, tmp_path / "slides"))
    assert any("d.md:16:1: error: Markdown keeps" in e for e in errors)


@pytest.mark.slow
def test_block_quotes_nested_deeper_than_markdown_keeps_are_an_error(tmp_path):
    write_deck(tmp_path / "slides", "d.md", "<slide-section>\n" + ">" * 25 + " deep $x$\n</slide-section>\n")
    assert any("Markdown keeps" in e for e in errors_of(build_into(tmp_path, tmp_path / "slides")))


def test_lists_as_deep_as_markdown_keeps_build(tmp_path):
    items = "\n".join("  " * i + f"- level {i}" for i in range(9))
    write_deck(tmp_path / "slides", "d.md", f"<slide-section>\n{items}\n</slide-section>\n")
    assert not errors_of(build_into(tmp_path, tmp_path / "slides"))
    assert "level 8" in (tmp_path / "_site" / "d" / "index.html").read_text()


def test_twenty_thousand_prices_in_a_paragraph_are_scanned(tmp_path):
    """Linear scanning: a paragraph of 20,000 `$N` prices (124 s when the scan was quadratic)."""
    from deckbuild.mathscan import scan_math

    spans, problems = scan_math(" ".join(f"${n}" for n in range(20_000)))
    assert spans == [] and len(problems) == 20_000


def test_a_build_stopped_while_the_checks_run_ends_their_workers(tmp_path, monkeypatch):
    """The SymPy checks run beside the build: a build that stops (here an interrupt) must not leave them
    running, to finish later in a test or a live preview that no longer wants them (a CI failure)."""
    import multiprocessing as mp
    import threading

    from deckbuild import evaluate

    others = {child.pid for child in mp.active_children()}
    started = threading.Event()

    def interrupted(*_args, **_kw):
        started.wait(60)  # the checks' first worker is running
        raise KeyboardInterrupt

    real_pool = __import__("concurrent.futures").futures.ProcessPoolExecutor

    def pool(*args, **kw):
        executor = real_pool(*args, **kw)
        started.set()
        return executor

    monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", pool)
    monkeypatch.setattr(evaluate, "evaluate_deck", interrupted)
    write_deck(tmp_path / "slides", "d.md", '<slide-section>\n\n<slide-derivation id="d">\n\n$$\n\\begin{align*}\n'
               'a &= a\n\\end{align*}\n$$\n\n</slide-derivation>\n\n</slide-section>\n')
    with pytest.raises(KeyboardInterrupt):
        build_into(tmp_path, tmp_path / "slides")
    assert started.is_set()
    assert not [t for t in threading.enumerate() if t.name == "derivation checks"]
    assert {child.pid for child in mp.active_children()} <= others
    assert not (tmp_path / "_site").exists()


# ------------------------------------------------------------------ structure respected


def test_note_inside_fenced_code_stays_in_the_slide(tmp_path):
    write_deck(tmp_path / "slides", "d.md", "<slide-section>\n```\nNote:\nnot notes\n```\nafter\n\nNote:\nreal notes\n</slide-section>\n")
    build_into(tmp_path, tmp_path / "slides")
    page = (tmp_path / "_site" / "d" / "index.html").read_text()
    assert "<pre><code>Note:\nnot notes\n</code></pre>\n<p>after</p>" in page
    assert '<aside class="notes"><p>real notes</p>' in page


def test_note_inside_a_comment_is_not_a_note(tmp_path):
    write_deck(tmp_path / "slides", "d.md", "<slide-section>\nshown\n<!--\nNote:\n-->\nstill shown\n</slide-section>\n")
    build_into(tmp_path, tmp_path / "slides")
    page = (tmp_path / "_site" / "d" / "index.html").read_text()
    assert "still shown" in page and 'class="notes"' not in page


def test_a_slide_end_inside_code_or_a_comment_does_not_end_the_slide(tmp_path):
    write_deck(tmp_path / "slides", "d.md", "<slide-section>\n```html\n</slide-section>\n```\n`</slide-section>` and "
               "<!-- </slide-section> -->\nend\n</slide-section>\n")
    result = build_into(tmp_path, tmp_path / "slides")
    assert not errors_of(result) and result.decks[0].slides == 1
    assert "<p><code>&lt;/slide-section&gt;</code> and <!-- </slide-section> -->\nend</p>" in \
        (tmp_path / "_site" / "d" / "index.html").read_text()


def test_backticks_inside_a_formula_are_no_fence(tmp_path):
    write_deck(tmp_path / "slides", "d.md", "<slide-section>\n$$\n```\n$$\n</slide-section>\n" + GOOD)
    result = build_into(tmp_path, tmp_path / "slides")
    assert result.decks[0].slides == 2


def test_an_unclosed_fence_is_named_when_the_slide_never_ends(tmp_path):
    write_deck(tmp_path / "slides", "d.md", "<slide-section>\n```\ncode\n</slide-section>\n")
    errors = errors_of(build_into(tmp_path, tmp_path / "slides"))
    assert any("<slide-section> is never closed" in e and "opened at line 7 is never closed" in e for e in errors)


def test_text_spelling_a_placeholder_survives(tmp_path):
    write_deck(tmp_path / "slides", "d.md", "<slide-section>\nliteral qqx0xqq and $y$\n</slide-section>\n")
    build_into(tmp_path, tmp_path / "slides")
    assert "<p>literal qqx0xqq and <span class=\"katex\">" in (tmp_path / "_site" / "d" / "index.html").read_text()


# ------------------------------------------------------------------ concurrency and atomicity

_BUILD_LOOP = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from deckbuild.pipeline import Options, build
for _ in range(int(sys.argv[5])):
    result = build(Options(slides_dir=Path(sys.argv[2]), out_dir=Path(sys.argv[3]), cache_dir=Path(sys.argv[4]), quiet=True))
    assert result.written, [d.format() for d in result.report.errors]
"""


@pytest.mark.slow
def test_builds_and_a_server_on_one_output_never_leave_a_request_unanswered_or_the_site_missing(tmp_path):
    """Two processes build in a loop while `serve` rebuilds on edits and a reader hammers the site."""
    import threading

    from test_serve import Server

    slides = write_deck(tmp_path / "slides", "d.md", GOOD).parent
    out, cache = tmp_path / "_site", tmp_path / "cache"
    server = Server(slides, out, cache)
    failures: list[str] = []
    stop = threading.Event()

    def get(target: str) -> int:
        import http.client
        from urllib.parse import urlsplit

        parts = urlsplit(server.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)  # a loaded machine is slow, not deaf
        try:
            conn.request("GET", target)
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    def hammer() -> None:
        while not stop.is_set():
            for target in ("/index.html", "/d/index.html", "/assets/theme.css"):
                try:
                    status = get(target)
                    if status != 200:
                        failures.append(f"{target}: {status}")
                except OSError as exc:
                    failures.append(f"{target}: {exc!r}")
            if not (out / "index.html").is_file():
                failures.append("the site was missing on disk")

    readers = [threading.Thread(target=hammer) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        loops = [subprocess.Popen([sys.executable, "-c", _BUILD_LOOP, str(ROOT), str(slides), str(out), str(cache), "4"],
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        deck = slides / "d.md"
        for n in range(3):  # the server rebuilds on each save
            time.sleep(0.5)
            deck.write_text(deck.read_text(encoding="utf-8") + f"\n<slide-section>\nedit {n}\n</slide-section>\n",
                            encoding="utf-8")
        codes = [loop.wait(timeout=300) for loop in loops]
        errors = [loop.stderr.read() for loop in loops]
    finally:
        stop.set()
        for reader in readers:
            reader.join()
        server.stop()
    assert codes == [0, 0], errors
    assert failures == [], failures[:5]
    assert "Traceback" not in "".join(server.stderr + errors), "".join(server.stderr + errors)
    assert build_into(tmp_path, slides, cache_dir=cache).written  # which removes what a stopped server left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["._site.lock", "_site", "cache", "slides"]


# ------------------------------------------------------------------ property: random decks from the element grammar

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SECRET = b"outside the slides: must never be published"
_words = st.sampled_from(["alpha", "β", "损失", "x < y & z", "qqx0xqq", "a*b*", "_u_", "\\$5", "$5 and $6", "{+}",
                          "<b>bold</b>", "<!--", "-->", "`code`", "``", "Note:", "<unknown>", "&amp;", '"q"'])
_math = st.sampled_from(["$x^2$", "$\\frac{a}{b}$", "$\\frac{$", "$a_{i}$", "$$\\sum_i x_i$$", "$$\\begin{align*}a&=b\\end{align*}$$",
                         "$\\undefinedmacro$", "$$x", "$ x$", "$\\text{中文}$"])
_text = st.lists(st.one_of(_words, _math), min_size=1, max_size=8).map(" ".join)
_broken = st.sampled_from(["<slide-highlight>unclosed", "</slide-col>", "<slide-nonsense></slide-nonsense>",
                           '<slide-scale factor="7">x</slide-scale>', '<slide-img src="../secret.png"></slide-img>',
                           '<slide-img src="/etc/hostname"></slide-img>', '<slide-img src="nowhere.png"></slide-img>',
                           "![x](../secret.png)", "```\nunclosed fence", "<!-- unclosed comment", "> " * 25 + "deep",
                           "</slide-section>", "<slide-section>"])
_rows = st.sampled_from([
    r"\log \frac{p(\bm{x}_1, \bm{z}; \theta)}{p(\bm{z}|\bm{x}_1; \theta)} &= \log p(\bm{x}_1, \bm{z}; \theta) "
    r"- \log p(\bm{z}|\bm{x}_1; \theta)",
    r"&= \log p(\bm{x}_1; \theta)", r"&\le \log p(\bm{x}_1; \theta) - 1",  # a row that holds, one that does not
    r"&= \mathbb{E}_{\bm{z}} p(\bm{x}_1|\bm{z};\theta)", r"&= \frac{", r"&= t - 1 - \log t", r"&= $", "", r"\\"])
_derivation = st.tuples(st.sampled_from(['id="a"', 'id="b"', "", 'id="a" wrt="\\nonsense"', 'id="c" notation="nope"']),
                        st.lists(_rows, min_size=1, max_size=4)).map(
    lambda d: f"<slide-derivation {d[0]}>\n\n$$\n\\begin{{align*}}\n" + " \\\\\n".join(d[1]) +
              "\n\\end{align*}\n$$\n\n</slide-derivation>")
_leaf = st.one_of(
    _text,
    _derivation,
    _text.map(lambda t: f"- {t}\n- {t} {{+}}"),
    _text.map(lambda t: f"```\n{t}\nNote:\n</slide-section>\n```"),
    st.just('<slide-img src="pic.png" alt="a &quot;pic&quot;"></slide-img>'),
    st.just("![dot](pic.png)"),
    _broken,
)


def _wrap(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        inner.map(lambda b: f"<slide-highlight>{b}</slide-highlight>"),
        inner.map(lambda b: f"<slide-fragment>\n\n{b}\n\n</slide-fragment>"),
        inner.map(lambda b: f'<slide-scale factor="0.8">\n\n{b}\n\n</slide-scale>'),
        inner.map(lambda b: f'<slide-cols>\n<slide-col ratio="1">\n\n{b}\n\n</slide-col>\n</slide-cols>'),
        inner.map(lambda b: f"<slide-definition>\n\n{b}\n\n</slide-definition>"),
        st.lists(inner, min_size=1, max_size=3).map("\n\n".join),
    )


_block = st.recursive(_leaf, _wrap, max_leaves=12)
_slide = st.tuples(st.lists(_block, min_size=1, max_size=4), st.one_of(st.none(), _text)).map(
    lambda s: "<slide-section>\n## Slide\n\n" + "\n\n".join(s[0]) + (f"\n\nNote:\n{s[1]}" if s[1] else "") + "\n</slide-section>\n")
_deck = st.lists(_slide, min_size=1, max_size=4).map("\n<!-- next -->\n".join)


PROPERTY_FRONT = 'title: "T"\ndate: "2025-01-01"\nnotation: dar-5-5'  # so that derivations are evaluated


class Hang(Exception):
    pass


@pytest.fixture(scope="module")
def property_project(tmp_path_factory, warm_cache):
    """One project for every example: a last good site, a KaTeX process kept warm, a secret beside the slides, and
    a copy of the session's cache (its derivation checks already run)."""
    from deckbuild import assets
    from deckbuild.katex import KatexRenderer

    tmp = tmp_path_factory.mktemp("property")
    shutil.copytree(warm_cache, tmp / "cache")
    (tmp / "secret.png").write_bytes(SECRET)
    write_deck(tmp / "slides", "deck.md", GOOD)
    (tmp / "slides" / "pic.png").write_bytes(b"\x89PNG-pic")
    renderer = KatexRenderer(assets.node_binary(), assets.ensure_node_modules(ROOT, quiet=True) / "katex")
    try:
        assert _build_warm(tmp, renderer).written
        yield tmp, renderer
    finally:
        renderer.close()


def _build_warm(tmp: Path, renderer):
    from deckbuild.pipeline import Options, build

    return build(Options(slides_dir=tmp / "slides", out_dir=tmp / "_site", cache_dir=tmp / "cache", quiet=True,
                         offline=True), renderer)


def _outside_out(tmp: Path) -> dict[str, bytes]:
    """Everything but the output, its lock file beside it, the cache and the deck the example wrote."""
    return {k: v for k, v in snapshot(tmp).items()
            if not k.startswith(("_site/", "cache/", "slides/deck.md")) and k != "._site.lock"}


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.data_too_large])
@pytest.mark.slow
@given(deck=_deck)
def test_a_random_deck_never_crashes_hangs_leaks_or_loses_the_last_good_site(property_project, deck):
    import signal

    tmp, renderer = property_project
    last_good = snapshot(tmp / "_site")
    around = _outside_out(tmp)
    write_deck(tmp / "slides", "deck.md", deck, front=PROPERTY_FRONT)

    def hang(signum, frame):
        raise Hang("the build took longer than 60 s")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(60)  # a generous bound: a hang fails the test instead of stalling CI
    try:
        result = _build_warm(tmp, renderer)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert _outside_out(tmp) == around  # nothing written outside --out (and the cache)
    site_now = snapshot(tmp / "_site")
    assert all(SECRET not in data for data in site_now.values())
    if result.report.errors:
        assert not result.written and site_now == last_good
    else:
        assert result.written and "deck/index.html" in site_now
