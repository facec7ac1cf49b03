"""Markdown -> HTML with markdown-it (CommonMark + GFM tables), one small rule added.

CommonMark is what the lecturer's previous tool (reveal.js's marked) followed:
two-space nested lists and GFM tables work as they always did. Formulas and
elements never reach this module: they arrive as opaque tokens and are put
back by `substitute` after Markdown has run.

The one extension: a paragraph or list item ending in `{+}` (or `{+2}` for an
order) becomes a Reveal fragment, so a build-up slide is one slide.
"""
from __future__ import annotations

import re
from typing import Callable

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

from .elements import remote_placeholder

TOKEN = re.compile(r"qqx(\d+)xqq")
_FRAGMENT_MARK = re.compile(r"[ \t]*\{\+(\d*)\}[ \t]*$")
_BLOCK_TOKEN = re.compile(r"<p>(qqx\d+xqq)</p>")


def token(i: int) -> str:
    return f"qqx{i}xqq"


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


def _offline_image(self, tokens, idx, options, env) -> str:
    """A Markdown image from the network becomes a labelled placeholder: the site never fetches."""
    src = tokens[idx].attrGet("src") or ""
    if not re.match(r"^(https?:)?//", src, re.IGNORECASE):
        return self.image(tokens, idx, options, env)
    return remote_placeholder(src, "span")


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.core.ruler.push("fragment_marks", _fragment_marks)
    md.add_render_rule("image", _offline_image)
    return md


_MD = _make_parser()


def to_html(markdown: str) -> str:
    return _MD.render(markdown)


def substitute(html: str, block_html: Callable[[int], str], inline_html: Callable[[int], str]) -> str:
    """Put held-out pieces back: a token alone in a paragraph is a block."""
    html = _BLOCK_TOKEN.sub(lambda m: block_html(int(TOKEN.fullmatch(m.group(1)).group(1))), html)
    return TOKEN.sub(lambda m: inline_html(int(m.group(1))), html)
