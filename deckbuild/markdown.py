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
from .remote_images import is_remote

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


def _kept_image(self, tokens, idx, options, env) -> str:
    """A Markdown image from the network shows its kept local copy, else a labelled placeholder."""
    token = tokens[idx]
    src = token.attrGet("src") or ""
    if not is_remote(src):
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


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.core.ruler.push("fragment_marks", _fragment_marks)
    md.add_render_rule("image", _kept_image)
    md.add_render_rule("html_block", _kept_raw_images)
    md.add_render_rule("html_inline", _kept_raw_images)
    return md


_MD = _make_parser()


def to_html(markdown: str, remote_image: Callable[[str], str | None] = _nothing_kept) -> str:
    """`remote_image(url)` gives the site path of a remote image's local copy, or None."""
    return _MD.render(markdown, {"remote_image": remote_image})


def substitute(html: str, block_html: Callable[[int], str], inline_html: Callable[[int], str]) -> str:
    """Put held-out pieces back: a token alone in a paragraph is a block."""
    html = _BLOCK_TOKEN.sub(lambda m: block_html(int(TOKEN.fullmatch(m.group(1)).group(1))), html)
    return TOKEN.sub(lambda m: inline_html(int(m.group(1))), html)
