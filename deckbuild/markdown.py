"""Markdown -> HTML with markdown-it (CommonMark + GFM tables), one small rule added.

CommonMark is what the lecturer's previous tool (reveal.js's marked) followed:
two-space nested lists and GFM tables work as they always did. Formulas and
elements never reach this module: they arrive as opaque tokens and are put
back by `substitute` after Markdown has run.

As in the lecturer's own renderer (markdown-it with its typographer), "quotes"
curl and -- becomes a dash; fenced code is highlighted at build time (code.py).
Formulas never see either: they are tokens by then.

The one extension: a paragraph or list item ending in `{+}` (or `{+2}` for an
order) becomes a Reveal fragment, so a build-up slide is one slide.
"""
from __future__ import annotations

import html
import re
from typing import Callable, Iterable

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

from .code import highlight
from .elements import remote_placeholder
from .remote_images import is_remote

_FRAGMENT_MARK = re.compile(r"[ \t]*\{\+(\d*)\}[ \t]*$")
_PRIVATE_USE = range(0xE000, 0xF8FF)  # characters no font draws and no text means anything by


class Placeholders:
    """Opaque stand-ins for the pieces held out of one stretch of Markdown.

    A token is a number between two private-use characters that the text itself
    does not contain, so no text (not even the spelling of a token) can be taken
    for one, and Markdown treats a token like a word.
    """

    def __init__(self, texts: Iterable[str]):
        used = set().union(*(set(t) for t in texts))
        free = (chr(c) for c in _PRIVATE_USE if chr(c) not in used)
        self.open, self.close = next(free), next(free)
        token = f"{re.escape(self.open)}(\\d+){re.escape(self.close)}"
        self._pattern = re.compile(f"<p>{token}</p>|{token}")

    def token(self, i: int) -> str:
        return f"{self.open}{i}{self.close}"

    def strip(self, text: str) -> str:
        """`text` without the tokens' characters (what a reader sees)."""
        return text.replace(self.open, "").replace(self.close, "")

    def substitute(self, html: str, block_html: Callable[[int], str], inline_html: Callable[[int], str]) -> str:
        """Put held-out pieces back in one pass (inserted HTML is never read again): a token alone in a
        paragraph is a block."""
        def put_back(m: re.Match) -> str:
            return block_html(int(m.group(1))) if m.group(1) is not None else inline_html(int(m.group(2)))

        return self._pattern.sub(put_back, html)


def _fragment_marks(state: StateCore) -> None:
    tokens = state.tokens
    for i, tok in enumerate(tokens):
        if tok.type != "inline" or not tok.children:
            continue
        last = tok.children[-1]
        m = _FRAGMENT_MARK.search(last.content) if last.type == "text" else None
        if not m:
            continue
        last.content = last.content[:m.start()]
        tok.content = _FRAGMENT_MARK.sub("", tok.content)
        target = tokens[i - 1]  # paragraph_open or heading_open
        if i >= 2 and tokens[i - 2].type == "list_item_open":
            target = tokens[i - 2]
        target.attrJoin("class", "fragment")
        if m.group(1):
            target.attrSet("data-fragment-index", m.group(1))


def _kept_image(self, tokens, idx, options, env) -> str:
    """A Markdown image from the network shows its kept local copy, else a labelled placeholder.
    A local one goes through the caller's `local_image` (checked, confined, copied into the site)."""
    token = tokens[idx]
    src = token.attrGet("src") or ""
    if not is_remote(src):
        local = env.get("local_image")
        if local and not src.startswith("data:"):
            site_path = local(src)
            if site_path is None:
                return f'<span class="img-missing">{html.escape(src)}</span>'
            token.attrSet("src", site_path)
        return self.image(tokens, idx, options, env)
    local = env.get("remote_image", _nothing_kept)(src)
    if local is None:
        return remote_placeholder(src, "span")
    token.attrSet("src", local)
    return self.image(tokens, idx, options, env)


_RAW_IMG_SRC = re.compile(r"""(<img\b[^>]*?\s)src(\s*=\s*)(["']?)((?:https?:)?//[^"'\s>]+)\3""", re.IGNORECASE)


def _kept_raw_images(self, tokens, idx, options, env) -> str:
    """Raw HTML <img> from the network: its kept local copy, else the URL is kept but never fetched."""
    keep = env.get("remote_image", _nothing_kept)

    def local(m: re.Match) -> str:
        site_path = keep(m.group(4))
        if site_path is None:
            return f"{m.group(1)}data-remote-src{m.group(2)}{m.group(3)}{m.group(4)}{m.group(3)}"
        return f'{m.group(1)}src{m.group(2)}"{site_path}"'

    return _RAW_IMG_SRC.sub(local, tokens[idx].content)


def _nothing_kept(url: str) -> None:
    return None


def _noting_dropped_depth(tokenize: Callable) -> Callable:
    """markdown-it silently drops everything nested deeper than maxNesting (lists past 9 levels, block
    quotes past 20); this notes where it happens so that the build can say so instead."""
    def tokenize_noting(state, start_line: int, end_line: int, *rest):
        if state.level >= state.md.options.maxNesting:
            line = state.skipEmptyLines(start_line)
            if line < end_line and state.sCount[line] >= state.blkIndent:
                state.env.setdefault("too_deep", line)
        return tokenize(state, start_line, end_line, *rest)

    return tokenize_noting


def _make_parser() -> MarkdownIt:
    # typographer: curly quotes and dashes, as the lecturer's own renderer (markdown-it) gives them
    md = MarkdownIt("commonmark", {"html": True, "typographer": True, "highlight": highlight})
    md.block.tokenize = _noting_dropped_depth(md.block.tokenize)
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.core.ruler.push("fragment_marks", _fragment_marks)
    md.add_render_rule("image", _kept_image)
    md.add_render_rule("html_block", _kept_raw_images)
    md.add_render_rule("html_inline", _kept_raw_images)
    return md


_MD = _make_parser()


def to_html(markdown: str, env: dict | None = None) -> str:
    """HTML of `markdown`. `env` may carry `remote_image(url)` (the site path of a remote image's local
    copy, or None) and `local_image(src)` (the site path of a local image, or None); after the call it
    holds `too_deep`, the 0-based line from which Markdown dropped content nested too deep, if any."""
    return _MD.render(markdown, env if env is not None else {})

