"""HTML attributes built in one place, always escaped.

Every attribute the build writes (an element's class and style, a slide's
author-supplied id, a derivation's id) goes through `attrs`, so a quote or an
angle bracket in a deck can end neither the value nor the tag.
"""
from __future__ import annotations

import html
from collections.abc import Mapping

AttrValue = str | int | float | bool | None


def attrs(values: Mapping[str, AttrValue]) -> str:
    """' name="value"' for each attribute in order; None and False are left out, True is a bare name."""
    out = []
    for name, value in values.items():
        if value is None or value is False:
            continue
        if value is True:
            out.append(f" {html.escape(name)}")
        else:
            out.append(f' {html.escape(name)}="{html.escape(str(value), quote=True)}"')
    return "".join(out)


def tag(name: str, values: Mapping[str, AttrValue] | None = None) -> str:
    """An opening tag with escaped attributes."""
    return f"<{name}{attrs(values or {})}>"
