"""The badge an organisation shows on its site: an SVG saying it endorses the
network's charter, built from text alone (every name escaped), with a <title> that
screen readers announce."""

from __future__ import annotations

from xml.sax.saxutils import escape

# Verdana 11px averages about 6.6 px a character: the badge is sized from that, as
# shields.io badges are, so it needs no font metrics.
CHAR_PX = 6.6
SHOWN_CHARS = 90  # longer names are cut in the picture; the title keeps them whole


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def badge_text(organisation: str, network: str, withdrawn: bool) -> str:
    if withdrawn:
        return f"{organisation}: endorsement of the {network} charter withdrawn"
    return f"{organisation} endorses the {network} charter"


def badge_svg(organisation: str, network: str, *, withdrawn: bool = False) -> str:
    said = badge_text(organisation, network, withdrawn)
    shown = said if len(said) <= SHOWN_CHARS else said[: SHOWN_CHARS - 1] + "…"
    left = "charter" if not withdrawn else "withdrawn"
    lw = int(len(left) * CHAR_PX) + 14
    rw = int(len(shown) * CHAR_PX) + 14
    width = lw + rw
    colour = "#1d6b3a" if not withdrawn else "#6b6b6b"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20"'
        f' role="img" aria-labelledby="badge-title">'
        f'<title id="badge-title">{escape(said)}</title>'
        f'<rect width="{lw}" height="20" fill="#333"/>'
        f'<rect x="{lw}" width="{rw}" height="20" fill="{colour}"/>'
        '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="7" y="14">{escape(left)}</text>'
        f'<text x="{lw + 7}" y="14">{escape(shown)}</text>'
        "</g></svg>"
    )


def badge_snippet(page_url: str, badge_url: str, organisation: str, network: str) -> str:
    """The HTML an organisation copies onto its site."""
    alt = badge_text(organisation, network, withdrawn=False)
    return (
        f'<a href="{_attr(page_url)}"><img src="{_attr(badge_url)}" alt="{_attr(alt)}"'
        ' height="20" /></a>'
    )
