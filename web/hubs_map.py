"""The network's hubs on a map of the UK, drawn on the server as inline SVG.

The outline is bundled (node/geo/uk_outline.json): no tiles or scripts from
elsewhere. Each hub with a location is a dot that links to its own site, named for
screen readers by its <title> and the link's aria-label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from node import geo


@dataclass(frozen=True, slots=True)
class Pin:
    name: str
    url: str | None
    area: str | None
    lat: int  # millionths of a degree
    lon: int


def hubs_map(pins: Sequence[Pin], label: str) -> Markup:
    """An <svg> of the UK with a dot for each pin inside the map's frame."""
    frame = geo.outline()
    dots = []
    for pin in pins:
        point = geo.map_point(pin.lat, pin.lon)
        if point is None:
            continue
        x, y = point
        said = pin.name + (f", {pin.area}" if pin.area else "")
        dot = f'<circle class="hub" cx="{x}" cy="{y}" r="5"><title>{escape(said)}</title></circle>'
        if pin.url:
            dot = f'<a href="{escape(pin.url)}" aria-label="{escape(said)}">{dot}</a>'
        dots.append(dot)
    return Markup(
        f'<svg viewBox="0 0 {frame["width"]} {frame["height"]}" role="group"'
        f' aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        f'<path class="near" aria-hidden="true" d="{frame["near"]}"/>'
        f'<path class="land" aria-hidden="true" d="{frame["uk"]}"/>' + "".join(dots) + "</svg>"
    )
