"""The write of the site: only into a folder that is the build's, as copies, swapped in one step, one build at a time."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from deckbuild import site
from deckbuild.diagnostics import BuildError

ROOT = Path(__file__).resolve().parent.parent


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_new_folder_gets_the_files_and_the_marker(tmp_path):
    site.write_site(tmp_path / "out", {"index.html": b"<p>1</p>", "a/b.txt": b"b"})
    assert _tree(tmp_path / "out") == {"index.html": b"<p>1</p>", "a/b.txt": b"b", site.MARKER: site.MARKER_TEXT}


def test_an_empty_folder_is_written(tmp_path):
    (tmp_path / "out").mkdir()
    site.write_site(tmp_path / "out", {"index.html": b"x"})
    assert (tmp_path / "out" / "index.html").read_bytes() == b"x"


def test_a_previous_site_is_replaced_whole(tmp_path):
    site.write_site(tmp_path / "out", {"old.html": b"old"})
    site.write_site(tmp_path / "out", {"new.html": b"new"})
    assert sorted(_tree(tmp_path / "out")) == [site.MARKER, "new.html"]


def test_a_folder_with_other_files_is_refused_and_kept(tmp_path):
    out = tmp_path / "notes"
    out.mkdir()
    (out / "thesis.tex").write_text("mine")
    with pytest.raises(BuildError, match="refusing to write the site into .*thesis.tex"):
        site.write_site(out, {"index.html": b"x"})
    assert _tree(out) == {"thesis.tex": b"mine"}


def _unmarked_site(out: Path) -> None:
    """What an earlier version of the build left: its index, its assets, deck folders, no marker."""
    for rel in ["index.html", "deck/index.html"] + [f"assets/{name}" for name in site.static_files()]:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text("old")


def test_a_site_from_before_the_marker_is_replaced(tmp_path):
    _unmarked_site(tmp_path / "out")
    site.write_site(tmp_path / "out", {"index.html": b"new"})
    assert _tree(tmp_path / "out") == {"index.html": b"new", site.MARKER: site.MARKER_TEXT}


def test_an_unmarked_site_with_a_foreign_file_is_refused(tmp_path):
    _unmarked_site(tmp_path / "out")
    (tmp_path / "out" / "thesis.tex").write_text("mine")
    with pytest.raises(BuildError, match="refusing to write the site"):
        site.write_site(tmp_path / "out", {"index.html": b"new"})
    assert (tmp_path / "out" / "thesis.tex").read_text() == "mine"


def test_a_file_as_output_is_refused(tmp_path):
    (tmp_path / "out").write_text("a file")
    with pytest.raises(BuildError, match="is a file"):
        site.write_site(tmp_path / "out", {"index.html": b"x"})
    assert (tmp_path / "out").read_text() == "a file"


def test_the_slides_folder_is_refused_even_when_marked(tmp_path):
    slides = tmp_path / "slides"
    slides.mkdir()
    (slides / "deck.md").write_text("deck")
    (slides / site.MARKER).write_bytes(site.MARKER_TEXT)
    with pytest.raises(BuildError, match="which the build reads"):
        site.write_site(slides, {"index.html": b"x"}, protected=[slides])
    assert (slides / "deck.md").read_text() == "deck"


def test_a_folder_holding_the_sources_is_refused(tmp_path):
    (tmp_path / "slides").mkdir()
    with pytest.raises(BuildError, match="holds"):
        site.write_site(tmp_path, {"index.html": b"x"}, protected=[tmp_path / "slides"])


def test_site_files_are_copies_not_links_into_the_sources(tmp_path):
    source = tmp_path / "theme.css"
    source.write_text("body {}")
    site.write_site(tmp_path / "out", {"assets/theme.css": source})
    written = tmp_path / "out" / "assets" / "theme.css"
    assert os.stat(written).st_ino != os.stat(source).st_ino
    written.write_text("edited in the site")
    assert source.read_text() == "body {}"


def test_leftovers_of_a_killed_build_are_removed(tmp_path):
    out = tmp_path / "out"
    site.write_site(out, {"index.html": b"1"})
    (tmp_path / ".out.new-abc").mkdir()
    (tmp_path / ".out.new-abc" / "half.html").write_text("half")
    (tmp_path / ".out.old-123").mkdir()
    site.write_site(out, {"index.html": b"2"})
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]


def test_a_kill_between_two_renames_is_repaired_by_the_next_build(tmp_path):
    out = tmp_path / "out"
    site.write_site(out, {"index.html": b"1"})
    out.rename(tmp_path / ".out.old-999")  # what a kill leaves where the folders cannot be exchanged
    site.clean_leftovers(out)
    assert (out / "index.html").read_bytes() == b"1"


def test_a_failed_write_keeps_the_previous_site_and_is_a_build_error(tmp_path):
    out = tmp_path / "out"
    site.write_site(out, {"index.html": b"1"})
    with pytest.raises(BuildError, match="cannot write the site"):
        site.write_site(out, {"index.html": b"2", "gone.css": tmp_path / "missing.css"})
    assert _tree(out) == {"index.html": b"1", site.MARKER: site.MARKER_TEXT}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_parent_is_a_build_error(tmp_path):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        with pytest.raises(BuildError, match="cannot write the site"):
            site.write_site(parent / "out", {"index.html": b"x"})
    finally:
        parent.chmod(0o755)


def test_a_second_writer_waits_for_the_lock(tmp_path):
    out = tmp_path / "out"
    order = []
    with site.output_lock(out.resolve()):
        writer = threading.Thread(target=lambda: (site.write_site(out, {"index.html": b"2"}), order.append("wrote")))
        writer.start()
        time.sleep(0.3)
        order.append("released")
    writer.join(10)
    assert order == ["released", "wrote"]


def test_a_writer_that_waits_too_long_names_the_holder(tmp_path):
    out = (tmp_path / "out").resolve()
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; sys.path.insert(0, sys.argv[1]);"
                               "from pathlib import Path; from deckbuild import site;"
                               "cm = site.output_lock(Path(sys.argv[2])); cm.__enter__(); print('held', flush=True);"
                               "time.sleep(30)", str(ROOT), str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(BuildError, match=f"locked by another build \\(pid {holder.pid} "):
            with site.output_lock(out, wait_s=0.2):
                pass
    finally:
        holder.kill()
        holder.wait()


def test_a_reader_always_finds_a_file_that_every_site_has(tmp_path):
    out = tmp_path / "out"
    site.write_site(out, {"index.html": b"0"})
    misses, stop = [], threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                (out / "index.html").read_bytes()
            except OSError:
                misses.append(1)

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(30):
        site.write_site(out, {"index.html": str(i).encode(), f"page-{i}.html": b"x"})
    stop.set()
    reader.join()
    assert misses == []
    assert (out / "index.html").read_bytes() == b"29"


def test_a_title_with_angle_brackets_is_escaped_in_the_index():
    from deckbuild.pipeline import DeckSummary, index_page

    deck = DeckSummary("d", "slides/d.md", "Inner product <x, y> & norms", "2025-01-01", False, 1, 0, {"linked": 0})
    page = index_page(site.environment(), [deck]).decode()
    assert ">Inner product &lt;x, y&gt; &amp; norms</a>" in page


# ------------------------------------------------------------------ unchanged files are not written again


def test_an_unchanged_file_is_kept_not_written_again(tmp_path):
    out = tmp_path / "out"
    first = site.write_site(out, {"a.html": b"same", "b.html": b"old"})
    inode = (out / "a.html").stat().st_ino
    site.write_site(out, {"a.html": b"same", "b.html": b"new"}, previous=first)
    assert (out / "a.html").stat().st_ino == inode


def test_a_changed_file_is_written_again(tmp_path):
    out = tmp_path / "out"
    first = site.write_site(out, {"a.html": b"old"})
    site.write_site(out, {"a.html": b"new"}, previous=first)
    assert (out / "a.html").read_bytes() == b"new"


def test_a_kept_file_has_no_other_name_after_the_write(tmp_path):
    out = tmp_path / "out"
    first = site.write_site(out, {"a.html": b"same"})
    site.write_site(out, {"a.html": b"same"}, previous=first)
    assert (out / "a.html").stat().st_nlink == 1


def test_a_file_edited_in_the_output_is_written_again(tmp_path):
    out = tmp_path / "out"
    first = site.write_site(out, {"a.html": b"built"})
    (out / "a.html").write_bytes(b"edited")  # same size as what the build wrote
    os.utime(out / "a.html", ns=(1, 1))
    site.write_site(out, {"a.html": b"built"}, previous=first)
    assert (out / "a.html").read_bytes() == b"built"


def test_a_copied_file_is_copied_again_when_its_source_is_touched(tmp_path):
    source = tmp_path / "theme.css"
    source.write_bytes(b"one")
    out = tmp_path / "out"
    first = site.write_site(out, {"theme.css": source})
    source.write_bytes(b"two")
    os.utime(source, ns=(10**18, 10**18))
    site.write_site(out, {"theme.css": source}, previous=first)
    assert (out / "theme.css").read_bytes() == b"two"
