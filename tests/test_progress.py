"""Progress of long work: a bar on a terminal, a few plain lines elsewhere, nothing with --quiet."""
from __future__ import annotations

import io

from deckbuild import progress


def _run(items: int, tty: bool, quiet: bool = False) -> str:
    out = io.StringIO()
    with progress.Task("checking", total=items, stream=out, tty=tty, quiet=quiet) as job:
        for i in range(items):
            job.advance(f"item-{i}")
    return out.getvalue()


def test_plain_output_prints_at_most_a_line_per_tenth_of_the_work():
    lines = _run(200, tty=False).splitlines()
    assert 3 <= len(lines) <= progress.PLAIN_LINES + 2


def test_plain_output_says_how_far_along_it_is():
    assert "checking: 100/200 (50%) item-99" in _run(200, tty=False)


def test_plain_output_ends_with_the_count_and_the_time_taken():
    last = _run(7, tty=False).splitlines()[-1]
    assert last.startswith("checking: 7/7 done in ") and last.endswith(" s")


def test_plain_output_has_no_terminal_control_characters():
    assert "\r" not in _run(20, tty=False) and "\x1b" not in _run(20, tty=False)


def test_terminal_output_redraws_one_line_with_a_bar():
    text = _run(4, tty=True)
    assert text.count("\r\x1b[2K") == 6  # the start, four items, the end
    assert "█" * progress.BAR_WIDTH + " 4/4 item-3" in text


def test_terminal_output_ends_on_a_fresh_line():
    assert _run(3, tty=True).endswith(" s\n")


def test_quiet_prints_nothing():
    assert _run(50, tty=False, quiet=True) == "" and _run(50, tty=True, quiet=True) == ""


def test_a_total_learnt_later_is_added_up():
    out = io.StringIO()
    job = progress.Task("checks", total=0, stream=out, tty=False)
    job.add_total(3)
    job.add_total(2)
    job.advance("a")
    job.done()
    assert out.getvalue().splitlines()[-1].startswith("checks: 1/5 done")


def test_work_without_a_total_reports_start_and_end():
    out = io.StringIO()
    with progress.Task("installing", stream=out, tty=False):
        pass
    lines = out.getvalue().splitlines()
    assert lines[0] == "installing …" and lines[1].startswith("installing: done in ")


def test_a_failure_leaves_the_terminal_on_a_new_line():
    out = io.StringIO()
    try:
        with progress.Task("printing", total=2, stream=out, tty=True) as job:
            job.advance("a")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert out.getvalue().endswith("\n") and "done in" not in out.getvalue()


def _screen(output: str) -> list[str]:
    """The lines a terminal shows for `output`: each line as its last \\r\\x1b[2K left it."""
    return [line.rsplit("\r\x1b[2K", 1)[-1] for line in output.split("\n")]


def test_two_tasks_at_once_share_the_terminals_last_line_and_each_ends_on_a_line_of_its_own(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = io.StringIO()
    checks = progress.Task("running derivation checks", total=2, stream=out, tty=True)
    figures = progress.Task("drawing figures", total=1, stream=out, tty=True)
    checks.advance("em")
    assert _screen(out.getvalue())[-1] == f"running derivation checks 1/2{progress.SHARED}drawing figures 0/1"
    figures.advance("vae")
    figures.done()
    shown = _screen(out.getvalue())
    assert shown[-2].startswith("drawing figures: 1/1 done in ")
    assert shown[-1] == f"running derivation checks {'█' * 12}{'░' * 12} 1/2 em"
    checks.advance("gmm")
    checks.done()
    shown = _screen(out.getvalue())
    assert shown[-2].startswith("running derivation checks: 2/2 done in ") and shown[-1] == ""


def test_the_shared_line_is_cut_to_the_terminals_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    out = io.StringIO()
    with progress.Task("running derivation checks", total=20, stream=out, tty=True) as first, \
            progress.Task("drawing figures (training included)", total=2, stream=out, tty=True):
        first.advance("em")
        assert len(_screen(out.getvalue())[-1]) == 39
