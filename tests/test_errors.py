"""A user's mistake gives file:line:col, what is wrong and how to fix it, and never a half-written site."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import ROOT, build_into, write_deck

GOOD = "<slide-section>\n\n## Fine\n\n$a^2$\n\n</slide-section>\n"


def diagnostics(tmp_path, body, front='title: "T"\ndate: "2025-01-01"', **kw):
    write_deck(tmp_path / "slides", "deck.md", body, front)
    result = build_into(tmp_path, tmp_path / "slides", **kw)
    return result, [(d.severity, d.line, d.col, d.message, d.hint) for d in result.report.sorted()]


def test_broken_formula_names_file_line_and_column(tmp_path):
    body = "<slide-section>\n\n## A\n\nText $\\frac{a}{b$ more\n\n</slide-section>\n"
    result, diags = diagnostics(tmp_path, body)
    (sev, line, col, msg, _), = [d for d in diags if d[0] == "error"]
    assert (sev, line) == ("error", 10)
    assert col > len("Text $") and "KaTeX" in msg and "'}'" in msg
    assert result.report.errors[0].path.endswith("deck.md")
    assert not result.written


def test_every_broken_formula_is_listed_not_only_the_first(tmp_path):
    body = "<slide-section>\n\n$\\frac{a$\n\n$$\n\\begin{align*} x \\end{aligned}\n$$\n\n$\\nocommand$\n\n</slide-section>\n"
    _, diags = diagnostics(tmp_path, body)
    assert [d[1] for d in diags if d[0] == "error"] == [8, 11, 14]


def test_error_inside_a_multiline_formula_points_at_its_line(tmp_path):
    body = "<slide-section>\n\n$$\n\\begin{align*}\na &= b \\\\\n&= \\fracc{1}{2}\n\\end{align*}\n$$\n\n</slide-section>\n"
    _, diags = diagnostics(tmp_path, body)
    (_, line, col, msg, _), = [d for d in diags if d[0] == "error"]
    assert (line, col) == (11, 4) and "\\fracc" in msg


def test_unclosed_display_math(tmp_path):
    _, diags = diagnostics(tmp_path, "<slide-section>\n\n## A\n\n$$\nx^2\n\n</slide-section>\n")
    assert ("error", 10, 1) == diags[0][:3] and "never closed" in diags[0][3]


def test_unclosed_element(tmp_path):
    _, diags = diagnostics(tmp_path, "<slide-section>\n\n<slide-highlight>Hi\n\n</slide-section>\n")
    assert any(d[:3] == ("error", 8, 1) and "<slide-highlight> is never closed" in d[3] for d in diags)


def test_unclosed_slide(tmp_path):
    _, diags = diagnostics(tmp_path, "<slide-section>\n\n## A\n")
    assert diags[0][:2] == ("error", 6) and "never closed" in diags[0][3]


def test_unknown_attribute_names_the_allowed_ones(tmp_path):
    body = '<slide-section>\n\n<slide-img src="x.png" width="50%"></slide-img>\n\n</slide-section>\n'
    _, diags = diagnostics(tmp_path, body)
    unknown = [d for d in diags if "unknown attribute 'width'" in d[3]]
    assert unknown and unknown[0][1] == 8 and "size" in unknown[0][4]


def test_unknown_element(tmp_path):
    _, diags = diagnostics(tmp_path, "<slide-section>\n\n<slide-image src='a.png'></slide-image>\n\n</slide-section>\n")
    assert any(d[0] == "error" and "unknown element <slide-image>" in d[3] for d in diags)


def test_missing_local_image(tmp_path):
    _, diags = diagnostics(tmp_path, '<slide-section>\n\n<slide-img src="pics/none.png"></slide-img>\n\n</slide-section>\n')
    assert any(d[:2] == ("error", 8) and "image not found: pics/none.png" in d[3] for d in diags)


def test_local_image_is_copied_next_to_the_deck(tmp_path):
    (tmp_path / "slides").mkdir()
    (tmp_path / "slides" / "dot.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    result, _ = diagnostics(tmp_path, '<slide-section>\n\n<slide-img src="dot.png"></slide-img>\n\n</slide-section>\n')
    page = (tmp_path / "_site" / "deck" / "index.html").read_text()
    src = re.search(r'<img src="(media/dot-[0-9a-f]{12}\.png)"', page).group(1)
    assert result.written and (tmp_path / "_site" / "deck" / src).read_bytes() == b"\x89PNG\r\n\x1a\n"


def test_remote_image_not_kept_is_a_warning_and_a_placeholder(tmp_path):
    body = '<slide-section>\n\n<slide-img src="https://example.org/a.png"></slide-img>\n\n</slide-section>\n'
    result, diags = diagnostics(tmp_path, body)
    assert result.written and diags[0][:2] == ("warning", 8) and "not kept for offline use" in diags[0][3]
    assert "https://example.org" not in (tmp_path / "_site" / "deck" / "index.html").read_text().split("data-remote-src")[0]


def test_bad_front_matter_yaml(tmp_path):
    _, diags = diagnostics(tmp_path, GOOD, front='title: "T"\ndate: [2025')
    assert diags[0][0] == "error" and diags[0][1] in (3, 4) and "not valid YAML" in diags[0][3]


def test_front_matter_field_of_wrong_type(tmp_path):
    _, diags = diagnostics(tmp_path, GOOD, front='title: "T"\ndraft: maybe')
    assert diags[0][:2] == ("error", 3) and "'draft' must be bool" in diags[0][3]


def test_raw_tag_the_browser_would_swallow_is_shown_as_text(tmp_path):
    body = "<slide-section>\n\n- LLMs attend to the <bos> token\n\n</slide-section>\n"
    result, diags = diagnostics(tmp_path, body)
    assert diags[0][:3] == ("warning", 8, 22) and "<bos>" in diags[0][3]
    assert "&lt;bos&gt;" in (tmp_path / "_site" / "deck" / "index.html").read_text()


def test_strict_mode_findings_are_warnings_with_a_hint(tmp_path):
    body = "<slide-section>\n\n$\\textcircled{\\small 1}$ and $\\underbrace{x}_{观测}$\n\n</slide-section>\n"
    result, diags = diagnostics(tmp_path, body)
    assert result.written
    kinds = {d[3].split("[")[-1] for d in diags}
    assert kinds == {"mathVsTextAccents]", "unicodeTextInMathMode]"}
    assert all(d[0] == "warning" and d[4] for d in diags)
    cjk = next(d for d in diags if "观测" in d[3])
    assert (cjk[1], cjk[2]) == (8, 47)


def test_strict_flag_turns_warnings_into_errors(tmp_path):
    result, diags = diagnostics(tmp_path, "<slide-section>\n\n$$a \\\\ b$$\n\n</slide-section>\n", strict=True)
    assert not result.written and diags[0][0] == "error" and "newLineInDisplayMode" in diags[0][3]


def test_text_outside_a_slide(tmp_path):
    _, diags = diagnostics(tmp_path, GOOD + "\nstray words\n")
    assert diags[0][:2] == ("error", 14) and "outside any slide" in diags[0][3]


@pytest.mark.slow
def test_cli_reports_without_traceback_and_keeps_the_last_good_site(tmp_path):
    slides = tmp_path / "slides"
    write_deck(slides, "deck.md", GOOD)
    out = tmp_path / "_site"
    cmd = [sys.executable, str(ROOT / "build.py"), "--slides", str(slides), "--out", str(out), "--cache", str(tmp_path / "cache")]
    ok = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    before = (out / "deck" / "index.html").read_bytes()
    write_deck(slides, "deck.md", GOOD.replace("$a^2$", "$a^{2$"))
    bad = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr
    assert "deck.md:10:" in bad.stderr and "KaTeX" in bad.stderr
    assert (out / "deck" / "index.html").read_bytes() == before


def test_unknown_notation_in_front_matter(tmp_path):
    result, diags = diagnostics(tmp_path, GOOD, front='title: "T"\nnotation: nope')
    assert diags[0][:3] == ("error", 1, 1) and "unknown notation 'nope'" in diags[0][3] and "dar-5-5" in diags[0][4]


def test_unknown_notation_on_a_derivation(tmp_path, cache_dir):
    body = '<slide-section>\n\n<slide-derivation id="elbo-bound" notation="nope">\n\n$$\n\\text{ELBO} \\le \\sum_{i=1}^N \\log p(\\bm{x}_i; \\theta)\n$$\n\n</slide-derivation>\n\n</slide-section>\n'
    result, diags = diagnostics(tmp_path, body, front='title: "T"\nnotation: dar-5-5', cache_dir=cache_dir)
    assert any(d[:2] == ("error", 8) and "no such notation" in d[3] for d in diags)


def _derivation(attrs: str) -> str:
    return (f'<slide-section>\n\n<slide-derivation id="elbo-bound" {attrs}>\n\n$$\n'
            '\\text{ELBO} \\le \\sum_{i=1}^N \\log p(\\bm{x}_i; \\theta)\n$$\n\n</slide-derivation>\n\n</slide-section>\n')


def test_wrt_that_names_nothing_is_an_error_not_a_traceback(tmp_path, cache_dir):
    _, diags = diagnostics(tmp_path, _derivation('wrt="\\nonsense"'), front='title: "T"\nnotation: dar-5-5',
                           cache_dir=cache_dir)
    assert any(d[:3] == ("error", 8, 1) and "wrt=" in d[3] for d in diags)


def test_reveal_rows_must_exist(tmp_path, cache_dir):
    _, diags = diagnostics(tmp_path, _derivation('reveal="3-"'), cache_dir=cache_dir)
    assert any(d[:3] == ("error", 8, 1) and "rows 1 to 1" in d[3] for d in diags)


def test_one_broken_deck_keeps_its_last_good_pages_and_the_others_are_written(tmp_path):
    slides = tmp_path / "slides"
    write_deck(slides, "a.md", GOOD)
    write_deck(slides, "b.md", GOOD)
    assert build_into(tmp_path, slides).written
    good_b = (tmp_path / "_site" / "b" / "index.html").read_bytes()
    write_deck(slides, "a.md", GOOD.replace("## Fine", "## Changed"))
    write_deck(slides, "b.md", GOOD.replace("$a^2$", "$a^{2$"))
    result = build_into(tmp_path, slides)
    assert result.report.errors and result.written and result.broken == ["b"]
    assert "Changed" in (tmp_path / "_site" / "a" / "index.html").read_text(encoding="utf-8")
    assert (tmp_path / "_site" / "b" / "index.html").read_bytes() == good_b


def test_a_broken_deck_never_built_is_left_out_of_the_index(tmp_path):
    slides = tmp_path / "slides"
    write_deck(slides, "a.md", GOOD)
    write_deck(slides, "b.md", GOOD.replace("$a^2$", "$a^{2$"), front='title: "Broken"\ndate: "2025-01-01"')
    result = build_into(tmp_path, slides)
    assert result.written and not (tmp_path / "_site" / "b").exists()
    assert "Broken" not in (tmp_path / "_site" / "index.html").read_text(encoding="utf-8")


def test_cli_exits_non_zero_when_one_deck_of_several_is_broken(tmp_path):
    slides = tmp_path / "slides"
    write_deck(slides, "a.md", GOOD)
    write_deck(slides, "b.md", GOOD.replace("$a^2$", "$a^{2$"))
    out = tmp_path / "_site"
    cmd = [sys.executable, str(ROOT / "build.py"), "--slides", str(slides), "--out", str(out), "--cache", str(tmp_path / "cache"),
           "--offline"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1 and "kept their last good pages: b" in proc.stderr
    assert (out / "a" / "index.html").is_file()
