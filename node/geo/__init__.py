"""The UK places and outline bundled with the node (node/geo/NOTICE.md), and the time zones.

Read from files beside this module on first use and kept: nothing here reaches the
network. `tools/build_geo_data.py` rebuilds the files from their open sources.
"""

from __future__ import annotations

import difflib
import functools
import json
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
DEFAULT_TIMEZONE = "Europe/London"


@dataclass(frozen=True, slots=True)
class Place:
    name: str  # unique: two places of one name carry ", near <town>"
    nation: str
    population: int
    lat: int  # millionths of a degree
    lon: int


@functools.cache
def places() -> dict[str, Place]:
    """Every bundled place by its name folded to lower case, biggest first."""
    found = []
    with (HERE / "uk_places.tsv").open(encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, nation, population, lat, lon = line.rstrip("\n").split("\t")
            found.append(Place(name, nation, int(population), int(lat), int(lon)))
    found.sort(key=lambda p: (-p.population, p.name))
    return {p.name.casefold(): p for p in found}


# The towns a profile form lists: the largest, so the page stays small on a phone
# (all 1,908 made it 100 KB); any other town typed is still found by name.
LISTED_PLACES = 300


@functools.cache
def place_names() -> tuple[str, ...]:
    """The largest places' names for a <datalist>, in alphabetical order."""
    largest = sorted(places().values(), key=lambda p: -p.population)[:LISTED_PLACES]
    return tuple(sorted((p.name for p in largest), key=str.casefold))


def find_place(text: str) -> Place | None:
    """The place called `text` (any case, spaces trimmed), or None."""
    return places().get(" ".join(text.split()).casefold())


def close_places(text: str, n: int = 5) -> list[str]:
    """Names like `text`, for a "did you mean": prefix matches first, then look-alikes."""
    wanted = " ".join(text.split()).casefold()
    if not wanted:
        return []
    starting = [p.name for key, p in places().items() if key.startswith(wanted)]
    similar = difflib.get_close_matches(wanted, list(places()), n=n, cutoff=0.7)
    names = starting[:n] + [places()[k].name for k in similar]
    return list(dict.fromkeys(names))[:n]


def nearest_place(lat: int, lon: int) -> Place | None:
    """The bundled place nearest a point (to show a saved point as a town again)."""
    return min(
        places().values(),
        key=lambda p: (p.lat - lat) ** 2 + ((p.lon - lon) * 0.6) ** 2,
        default=None,
    )


@functools.cache
def timezones() -> tuple[str, ...]:
    """Every zone this machine's time zone database knows, sorted."""
    return tuple(sorted(zoneinfo.available_timezones()))


_AREAS = frozenset(
    [
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    ]
)


@functools.cache
def timezone_choices() -> tuple[str, ...]:
    """The zones a form offers: "Area/Place" names and UTC, without the old aliases
    ("GB", "US/Eastern", "Etc/GMT+5") that would only make the list longer."""
    return ("UTC", *(z for z in timezones() if z.split("/")[0] in _AREAS and "/" in z))


@functools.cache
def timezones_listed() -> tuple[str, ...]:
    """The zones a profile form lists: UTC, Europe's and the Atlantic's (where a
    network of UK hubs lives); any other zone typed in full is accepted."""
    return tuple(z for z in timezone_choices() if z == "UTC" or z.split("/")[0] in _NEAR)


_NEAR = frozenset({"Europe", "Atlantic"})


def known_timezone(name: str) -> bool:
    return name in timezones()


@functools.cache
def outline() -> dict[str, Any]:
    """The map's frame and paths (SVG units), from uk_outline.json."""
    data: dict[str, Any] = json.loads((HERE / "uk_outline.json").read_text(encoding="utf-8"))
    return data


def map_point(lat: int, lon: int) -> tuple[float, float] | None:
    """Where a point falls on the outline's map, or None if outside its frame."""
    frame = outline()
    x = (lon / 1_000_000 - frame["lon_min"]) * frame["kx"]
    y = (frame["lat_max"] - lat / 1_000_000) * frame["ky"]
    if not (0 <= x <= frame["width"] and 0 <= y <= frame["height"]):
        return None
    return round(x, 1), round(y, 1)
