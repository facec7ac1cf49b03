"""Parsed deck + typeset formulas + verification status -> the HTML of each slide.

Formulas and elements were held out of the Markdown as pieces; here each
Block becomes Markdown with opaque tokens, markdown-it renders it, and the
tokens are replaced by KaTeX's HTML or the element's HTML.
"""
from __future__ import annotations

import hashlib
import html
import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from . import elements, markdown
from .diagnostics import Report
from .evaluate import ASSUMED, DEFINITION, EVALUATED, FAILING, NOT_CHECKED
from .cache import Table
from .katex import LIMIT_HINT, STRICT_HINTS, Job, KatexRenderer, Result
from .language import deck_language, phrase
from .markup import tag
from .model import Block, Deck, DerivationLink, Element, Math
from .outline import outline_of
from .remote_images import is_remote, site_name
from .verify import LinkStatus, details_json


@dataclass
class RenderedSlide:
    number: int
    line: int
    title: str
    classes: str
    attrs: dict[str, str]  # every attribute of the <section>, in order: id, data-source-line, class, the author's
    body: str
    notes: str


@dataclass
class Media:
    """Files a deck's pages refer to: site path -> source file, and inline SVGs.

    Local images must lie inside the slides folder (after following links) or be
    a generated figure: a deck cannot publish a file from anywhere else. Each is
    published under a name made of its content's hash, so two images called
    `plot.png` in different folders never take each other's place.
    """

    deck_dir: Path
    figures: dict[str, Path]
    remote: dict[str, Path] = field(default_factory=dict)  # remote image URL -> its kept local copy
    files: dict[str, Path] = field(default_factory=dict)
    chars: set[str] = field(default_factory=set)
    read: set[Path] = field(default_factory=set)  # every local file looked at, found or not (a rebuild's inputs)

    def locate(self, src: str) -> tuple[Path | None, str, str]:
        """(the file, "", "") for an image `src`, or (None, problem, hint)."""
        if src.startswith("figures/") and src[len("figures/"):] in self.figures:
            self.read.add(self.figures[src[len("figures/"):]])
            return self.figures[src[len("figures/"):]], "", ""
        root = self.deck_dir.resolve()
        try:
            path = (root / src).resolve()
        except (OSError, RuntimeError, ValueError):  # a link loop, a NUL byte
            return None, f"image path cannot be read: {src}", "point src at an image file inside the slides folder"
        self.read.add(path)
        if not path.is_relative_to(root):
            return None, f"image outside {root.name}/: {src}", \
                f"copy the image into {root.name}/ (or a folder below it) and point src there"
        if not path.is_file():
            return None, f"image not found: {src}", \
                (f"the path is relative to {root.name}/; generated figures are figures/<name> with <name> one of: "
                 f"{', '.join(sorted(self.figures)) or 'none'}")
        return path, "", ""

    def publish(self, path: Path) -> str:
        """The site path of a copy of `path`, named by its content."""
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", path.stem).strip("-")[:40] or "image"
        site_path = f"media/{stem}-{digest}{path.suffix.lower()}"
        self.files[site_path] = path
        return site_path


def formula_jobs(deck: Deck, statuses: dict[str, LinkStatus] | None = None) -> dict[Math, Job]:
    """Each formula's KaTeX job. Without `statuses` (before the checks have run), only the formulas that carry
    no derivation row marks: the ones Node can typeset while the checks run."""
    macros = tuple(sorted(deck.meta.get("macros", {}).items()))
    linked = {link.math: link for link in deck.links}
    jobs = {}
    # Notes are typeset like the slides: the speaker view loads KaTeX's CSS and the deck's fonts (present.js).
    for math in deck.formulas():
        link = linked.get(math)
        if link is None:
            jobs[math] = Job(math.tex, math.display, macros)
        elif statuses is not None:
            jobs[math] = Job(math.tex, math.display, macros, _row_marks(link, statuses.get(link.id)))
    return jobs


def typeset(deck: Deck, statuses: dict[str, LinkStatus], katex: KatexRenderer, report: Report,
            cache: Table | None = None, ahead: dict[Job, Result] | None = None) -> dict[Math, Result]:
    """Render every formula of the deck in one batch (from `cache` where it holds them, and from `ahead`: what
    was typeset while the checks ran); report KaTeX's errors."""
    jobs = formula_jobs(deck, statuses)
    ahead = ahead or {}
    todo = [job for job in jobs.values() if job not in ahead]
    fresh = dict(zip(todo, katex.render(todo, cache))) if todo else {}
    results = {math: ahead[job] if job in ahead else fresh[job] for math, job in jobs.items()}
    for math, res in results.items():
        excerpt = ("$$" if math.display else "$") + math.tex.strip() + ("$$" if math.display else "$")
        if res.error:
            pos = res.error.get("pos")
            hint = LIMIT_HINT if res.error.get("limit") else \
                "fix the formula; KaTeX's supported functions: see KaTeX's documentation"
            report.error(math.path, *math.locate(pos if pos is not None else 0), f"KaTeX: {res.error['message']}", hint,
                         excerpt=excerpt if len(excerpt) < 400 else excerpt[:400] + " …")
        for w in _merge_runs(res.warnings):
            pos = w.get("pos")
            if pos is None:
                pos = _guess_position(math.tex, w["message"])
            report.warning(math.path, *math.locate(pos), f"KaTeX strict mode: {w['message']} [{w['code']}]",
                           STRICT_HINTS.get(w["code"], ""))
    for link in deck.links:
        res = results.get(link.math)
        if res and not res.error and res.rows is not None and res.rows != len(link.rows):
            report.warning(link.element.path, link.element.line, link.element.col,
                           f"derivation '{link.id}': KaTeX laid out {res.rows} rows but {len(link.rows)} were linked; "
                           "row marks may be misplaced")
    return results


def _merge_runs(warnings: list[dict]) -> list[dict]:
    """One message per run of adjacent CJK characters in math, not one per character."""
    merged: list[dict] = []
    for w in warnings:
        prev = merged[-1] if merged else None
        char = re.search(r'"(.)"', w["message"])
        if (prev and char and w["code"] == prev["code"] == "unicodeTextInMathMode" and w.get("pos") is not None
                and prev.get("pos") is not None and w["pos"] == prev["pos"] + prev["length"]):
            prev["text"] += char.group(1)
            prev["length"] += 1
            prev["message"] = f'Unicode text "{prev["text"]}" used in math mode'
            continue
        merged.append(dict(w, text=char.group(1) if char else "", length=1))
    return merged


def _guess_position(tex: str, message: str) -> int:
    """KaTeX gives no position for some findings; point at the command it names."""
    m = re.search(r"\\[A-Za-z]+", message)
    found = tex.find(m.group(0)) if m else -1
    return max(found, 0)


def _row_marks(link: DerivationLink, status: LinkStatus | None) -> str:
    """Classes and attributes KaTeX's worker puts on the rows of a derivation."""
    last = {}
    for row in link.rows:
        state = "unverified"
        if status:
            state = next((s.status for s in status.steps if s.index == row.index), "unverified")
        strength = next((s.strength for s in status.steps if s.index == row.index), "not checked") if status \
            else "not checked"
        last[str(row.index)] = {"classes": ["dv-row"], "attrs": {"data-step": row.index, "data-status": state,
                                                                 "data-strength": strength}}
    first = int(link.element.attrs.get("fragment") or 1)
    every = {str(i): {"classes": ["fragment"], "attrs": {"data-fragment-index": first + n}}
             for n, i in enumerate(sorted(link.fragment_rows))}
    return json.dumps({"last": last, "all": every}, sort_keys=True)


class SlideRenderer:
    def __init__(self, deck: Deck, maths: dict[Math, Result], statuses: dict[str, LinkStatus],
                 media: Media, report: Report, strengths: dict[Math, str] | None = None,
                 panels: dict[str, str] | None = None, reasons: dict[Math, str] | None = None):
        self.deck = deck
        self.strengths = strengths or {}  # formulas outside derivations: how strongly each is checked
        self.reasons = reasons or {}  # and why (the mark's tooltip says it)
        self.panels = panels or {}  # derivation id -> the details panel's HTML (deckbuild.panel)
        self.maths = maths
        self.statuses = statuses
        self.links = {link.element: link for link in deck.links}
        self.media = media
        self.report = report
        self.outline = outline_of(deck)
        self.lang = deck_language(deck)

    def slides(self) -> list[RenderedSlide]:
        out = []
        ids = self.slide_ids()
        for slide in self.deck.slides:
            body = self.block(slide.body)
            notes = self.block(slide.notes) if slide.notes else ""
            classes = slide.attrs.get("class", "")
            attrs = {"id": ids[slide.number], "data-source-line": str(slide.line)}
            role_class, role_attrs = self._role(slide.number)
            classes = (classes + " " + role_class).strip()
            attrs["class"] = classes or None
            attrs.update(sorted((k, v) for k, v in slide.attrs.items() if k not in ("class", "id")))
            attrs.update(role_attrs)
            out.append(RenderedSlide(slide.number, slide.line, slide.title, classes, attrs, body, notes))
        return out

    def _role(self, number: int) -> tuple[str, dict[str, str]]:
        """Title and closing slides are centred; appendix slides are left out of the lecture's count."""
        outline = self.outline
        classes = " ".join(c for c, on in (("title-slide", number in outline.title_slides),
                                           ("thanks-slide", number == outline.closing)) if on)
        place = outline.appendix_number(number)
        if place is None:
            return classes, {}
        label = phrase(self.lang, "appendix") + str(place)
        return (classes + " appendix").strip(), {"data-visibility": "uncounted", "data-number-label": label,
                                                  "data-number-total": str(outline.appendix)}

    def slide_ids(self) -> dict[int, str]:
        """Each slide's id: the author's where given (links and Reveal's URL hash use it), else slide-<n>;
        an id used twice would make a link land on the wrong slide, so it is an error."""
        ids = {s.number: s.attrs.get("id") or f"slide-{s.number}" for s in self.deck.slides}
        first: dict[str, int] = {}
        for slide in self.deck.slides:
            sid = ids[slide.number]
            if sid in first:
                other = self.deck.slides[first[sid] - 1]
                self.report.error(self.deck.path, slide.line, 1,
                                  f"slide id '{sid}' is also the id of the slide at line {other.line}",
                                  "give every slide its own id (slides without one are slide-<number>)")
            first.setdefault(sid, slide.number)
        return ids

    def block(self, block: Block, lines: bool = False) -> str:
        held: list[Math | Element] = []
        md: list[str] = []
        holders = markdown.Placeholders(p for p in block.pieces if isinstance(p, str))
        indent: str | None = ""  # the current line so far while it is only blanks, else None

        def add(text: str) -> None:
            nonlocal indent
            md.append(text)
            tail = text[text.rfind("\n") + 1:]
            indent = tail if "\n" in text else (indent + text if indent is not None else None)
            if indent is not None and indent.strip():
                indent = None

        for piece in block.pieces:
            if isinstance(piece, str):
                add(re.sub(r"\n[ \t]*", "\n\n", piece) if lines else piece)
                continue
            held.append(piece)
            tok = holders.token(len(held) - 1)
            if isinstance(piece, Element) and piece.block and not lines and indent is not None:
                add(f"\n{indent}{tok}\n\n")
            else:
                add(tok)
        joined = textwrap.dedent("".join(md))
        source = joined.strip("\n")
        self.media.chars.update(holders.strip(source))
        env = {"local_image": lambda src: self.markdown_image(src, block), "remote_image": self.remote_image}
        rendered = markdown.to_html(source, env)
        if "too_deep" in env:
            leading = len(joined) - len(joined.lstrip("\n"))
            self.report.error(self.deck.path, block.line + leading + env["too_deep"], 1,
                              "Markdown keeps lists 9 and block quotes 20 levels deep; what is nested deeper would be dropped",
                              "flatten the nesting (or split it over slides)")
        return holders.substitute(rendered, lambda i: self.piece(held[i], alone=True),
                                  lambda i: self.piece(held[i], alone=False))

    def piece(self, node: Math | Element, alone: bool) -> str:
        if isinstance(node, Math):
            res = self.maths.get(node)
            if res is None or res.error:
                shown = html.escape(node.tex)
                return f'{tag("span", {"class": "math-error", "title": "KaTeX could not render this formula"})}{shown}</span>'
            shown = _strength_mark(res.html, self.strengths.get(node), self.reasons.get(node), self.lang)
            if alone:
                return f'<div class="math-display">{shown}</div>' if node.display else f"<p>{shown}</p>"
            return shown
        return self.element(node)

    def element(self, el: Element) -> str:
        kind = elements.kind_of(el)
        inner = self.block(el.body, lines=kind.lines) if el.body and kind.contains != () else ""
        return kind.render(el, inner, self)

    def claims(self, el: Element) -> bool:
        """A <slide-definition> whose formula states a claim (evaluate.py decided): shown as a formula."""
        maths = [p for p in el.body.walk() if isinstance(p, Math)] if el.body else []
        return any(self.strengths.get(m, DEFINITION) not in (DEFINITION, ASSUMED) for m in maths)

    def derivation(self, el: Element) -> elements.DerivationView | None:
        link = self.links.get(el)
        if link is None:
            return None
        status = self.statuses.get(link.id)
        return elements.DerivationView(link.id, status.status if status else "unverified",
                                       details_json(status) if status else "{}", bool(link.fragment_rows),
                                       self.panels.get(link.id, ""))

    def image(self, el: Element) -> str:
        src = el.attrs.get("src") or ""
        if is_remote(src):
            site_path = self.remote_image(src)
            return tag("img", {"src": site_path, "alt": el.attrs.get("alt") or ""}) if site_path \
                else elements.remote_placeholder(src)
        path, problem, hint = self.media.locate(src)
        if path is None:
            self.report.error(el.path, el.line, el.col, problem, hint)
            return f'<div class="img-missing">{html.escape(src)}</div>'
        if path.suffix.lower() == ".svg":
            svg = self.svg_text(path, el.path, el.line, el.col)
            if svg is None:
                return f'<div class="img-missing">{html.escape(src)}</div>'
            self.media.chars.update(re.sub(r"<[^>]*>", "", svg))
            return re.sub(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", "", svg)
        return tag("img", {"src": self.media.publish(path), "alt": el.attrs.get("alt") or ""})

    def svg_text(self, path: Path, where: str, line: int, col: int) -> str | None:
        """An SVG's text in the encoding its XML declaration names (UTF-8 unless it says otherwise)."""
        data = path.read_bytes()
        declared = re.match(rb"\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)", data)
        encoding = declared.group(1).decode() if declared else "utf-8"
        try:
            return data.decode(encoding).removeprefix("\ufeff")
        except (UnicodeDecodeError, LookupError) as exc:
            self.report.error(where, line, col, f"{path.name} cannot be read as {encoding} text ({exc.reason if isinstance(exc, UnicodeDecodeError) else exc})",
                              "save the SVG as UTF-8, or declare its encoding: <?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>")
            return None

    def markdown_image(self, src: str, block: Block) -> str | None:
        """A Markdown image `![](src)`: checked and published like <slide-img>; None when it cannot be."""
        path, problem, hint = self.media.locate(src)
        line, col = block.images.get(src, (block.line, 1))
        if path is None:
            self.report.error(self.deck.path, line, col, problem, hint)
            return None
        return self.media.publish(path)

    def remote_image(self, url: str) -> str | None:
        """The site path of a remote image's kept copy (pipeline warned about those without one)."""
        path = self.media.remote.get(url)
        if path is None:
            return None
        site_path = f"media/{site_name(path)}"
        self.media.files[site_path] = path
        self.media.read.add(path)
        return site_path


REASONED = (EVALUATED, FAILING, NOT_CHECKED)  # strengths whose tooltip gives the reason after the word


_GREEK = dict(zip(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi rho sigma tau "
    "upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega".split(),
    "αβγδϵεζηθϑικλμνξπρστυϕφχψωΓΔΘΛΞΠΣΦΨΩ"))
_LETTER_COMMAND = re.compile(r"\\(" + "|".join(sorted(_GREEK, key=len, reverse=True)) + r")(?![a-zA-Z])")
_ACCENT = re.compile(r"\\(hat|tilde|bar)\{([^{}]*)\}")
_FONT = re.compile(r"\\(?:bm|mathbf|boldsymbol|mathrm|text)\{([^{}]*)\}")
_ACCENT_MARK = {"hat": "\u0302", "tilde": "\u0303", "bar": "\u0304"}
_BLACKBOARD = re.compile(r"\\mathbb\{([A-Z])\}")
_DOUBLE_STRUCK = dict(zip("CENPQRZ", "ℂ𝔼ℕℙℚℝℤ"))
_DIGITS_UP = re.compile(r"\^(?:\{([0-9]+|\*)\}|([0-9*]))")  # a power in digits, a star: ℝ¹⁰⁰⁰, X*
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SYMBOLS = {"times": "×", "in": "∈", "le": "≤", "ge": "≥", "leq": "≤", "geq": "≥", "neq": "≠", "infty": "∞"}
_SYMBOL = re.compile(r"\\(" + "|".join(sorted(_SYMBOLS, key=len, reverse=True)) + r")(?![a-zA-Z])")


def readable(reason: str) -> str:
    """The evaluator's reason as a tooltip shows it: the letters it names in LaTeX (\\theta, \\hat{\\theta},
    \\bm{x}) as the slide shows them (θ, θ̂, x), the rest as written."""
    text = _LETTER_COMMAND.sub(lambda m: _GREEK[m.group(1)], reason)
    text = _FONT.sub(r"\1", text)
    text = _BLACKBOARD.sub(lambda m: _DOUBLE_STRUCK.get(m.group(1), m.group(0)), text)
    text = _DIGITS_UP.sub(lambda m: (m.group(1) or m.group(2)).translate(_SUPERSCRIPT), text)
    text = _SYMBOL.sub(lambda m: _SYMBOLS[m.group(1)], text)
    return _ACCENT.sub(lambda m: m.group(2) + _ACCENT_MARK[m.group(1)] if len(m.group(2)) == 1 else m.group(0), text)


def _strength_mark(rendered: str, strength: str | None, reason: str | None, lang: str) -> str:
    """A formula that states a relation carries how strongly it is checked (a failing one is flagged), and in
    its tooltip, in the deck's language, why: what it was evaluated on, or the values it fails at, for the
    lecturer preparing the deck (panel.formula_reason words it)."""
    if strength is None:
        return rendered
    title = phrase(lang, f"mark.{strength}")
    if reason and strength in REASONED:
        title = f"{phrase(lang, f'because.{strength}')}: {reason}"
    attrs = {"class": "formula-check", "data-strength": strength, "title": title}
    return f'{tag("span", attrs)}{rendered}</span>'
