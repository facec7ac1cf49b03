"""Code blocks highlighted at build time with Pygments: the page gets classed spans and one CSS.

Only a fence that names its language is highlighted (```python); a fence without
one, or with a language Pygments does not know, stays plain text: guessing
would colour prose as code. No JavaScript highlighter is shipped.
"""
from __future__ import annotations

import html

STYLE = "friendly"  # light background, muted colours: readable on a projector
SCOPE = ".reveal pre code.highlight"


def highlight(code: str, language: str, attrs: str) -> str:
    """markdown-it's highlight hook: the inner HTML of <code>, or "" to let it escape the code itself."""
    from pygments import highlight as pygmentize
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    if not language:
        return ""
    try:
        lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return ""
    body = pygmentize(code, lexer, HtmlFormatter(nowrap=True))
    return f'<pre><code class="highlight language-{html.escape(language)}">{body}</code></pre>'


def stylesheet() -> str:
    """The CSS of the highlighted spans, scoped to code blocks on slides."""
    from pygments.formatters import HtmlFormatter

    css = HtmlFormatter(style=STYLE).get_style_defs(SCOPE)
    return "/* Pygments, style '" + STYLE + "': the colours of highlighted code blocks */\n" + css + "\n"
