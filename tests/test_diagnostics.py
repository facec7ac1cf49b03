"""What the terminal shows of a build's diagnostics: a warning a file repeats word for word is said once."""
from __future__ import annotations

from deckbuild.diagnostics import SHOWN_AGAIN, Diagnostic, printed

STRICT = "KaTeX strict mode: LaTeX's accent \\textcircled works only in text mode [mathVsTextAccents]"
HINT = "write the circled number as text outside the formula"


def _warning(line: int, message: str = STRICT, path: str = "d.md", excerpt: str = "") -> Diagnostic:
    return Diagnostic(path, line, 2, "warning", message, HINT, excerpt)


def test_a_warning_repeated_in_a_file_is_said_once_with_the_other_lines():
    (text,) = printed([_warning(3), _warning(7), _warning(7), _warning(9)])
    assert text.startswith("d.md:3:2: warning: ") and "also at 3 more places in this file, lines 7, 9" in text
    assert text.count("hint:") == 1


def test_a_warning_said_twice_names_its_other_line():
    (text,) = printed([_warning(3), _warning(7)])
    assert "(also at line 7)" in text.splitlines()[0]


def test_many_repeats_name_only_the_first_lines():
    (text,) = printed([_warning(n) for n in range(1, SHOWN_AGAIN + 5)])
    assert f", {SHOWN_AGAIN + 1}, …" in text and f"{SHOWN_AGAIN + 2}," not in text


def test_the_same_warning_in_two_files_is_said_for_each():
    assert len(printed([_warning(3), _warning(3, path="e.md")])) == 2


def test_different_warnings_are_each_said():
    assert len(printed([_warning(3), _warning(4, message="another")])) == 2


def test_a_warning_about_its_own_formula_is_never_merged():
    assert len(printed([_warning(3, excerpt="a = b"), _warning(4, excerpt="a = b")])) == 2


def test_every_error_is_said():
    errors = [Diagnostic("d.md", n, 1, "error", "KaTeX: Undefined control sequence") for n in (3, 4)]
    assert len(printed(errors)) == 2
