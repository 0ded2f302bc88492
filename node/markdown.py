"""Markdown to HTML, one way for the hub's pages (web/rendering.py) and for the objects
it shows the fediverse (node/activitypub/documents.py)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


@functools.cache
def _renderer() -> MarkdownIt:
    # Imported on first use: markdown-it is some 60 modules, and an idle node renders
    # nothing (docs/OPERATIONS.md, "Memory and processes").
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False})


def html_of(markdown: str | None) -> str:
    """Markdown to HTML with raw HTML off, then cleaned again by nh3 (ammonia), so text
    from members, other hubs or the fediverse can never inject markup or script."""
    import nh3  # on first use, with the renderer

    return nh3.clean(_renderer().render(markdown or ""))
