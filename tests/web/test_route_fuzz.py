"""Every route in web/routes, with odd path parameters, as a stranger and as an
organiser: whatever it answers, never a 500 (issue 21 found two).

Hypothesis draws the odd values (huge and non-ASCII digits, empty, very long,
control characters, path tricks); a handful of examples keeps this under ~30 s
so it runs with every `make test`.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.conftest import Site
from web.routes import Route, all_routes

EXAMPLES = 6
# Always tried, besides what hypothesis draws: the shapes that found 500s before.
ALWAYS = ["", "9" * 20, "١٢٣", "a" * 3000]
_PARAM = re.compile(r"\{[^}]+\}")
ODD = st.one_of(
    st.sampled_from(["", "0", "-1", "9" * 20, "9" * 400, "١٢٣", "²", "①", "a" * 3000]),
    st.sampled_from(["..", "%", "me", "00" * 32, "ff" * 32, "a" * 56, " ", "\x00", "é" * 40]),
    st.integers(min_value=2**62, max_value=2**80).map(str),
    st.text(min_size=1, max_size=30),
)
# Routes that would end the organiser's session or account mid-walk.
_LEAVES_SESSION = {
    ("POST", "/logout"),
    ("POST", "/account/leave"),
    ("POST", "/organise/lock"),  # the panic lock ends every session (tests/integration)
}


def _odd_values() -> list[str]:
    drawn: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(ODD)
    def collect(value: str) -> None:
        drawn.append(value)

    collect()
    return ALWAYS + [v for v in drawn if v not in ALWAYS]


def _paths(route: Route, values: list[str]) -> list[str]:
    if not _PARAM.search(route.path):
        return [route.path]
    # A function as the replacement, so a backslash in a value is not read as an escape.
    return [_PARAM.sub(lambda _, v=v: quote(v, safe=""), route.path) for v in values]


async def _walk(site: Site, routes: list[Route], values: list[str], who: str) -> list[str]:
    csrf = await site.csrf()
    failures = []
    for route in routes:
        for path in _paths(route, values):
            if route.method == "GET":
                response = await site.client.get(path, allow_redirects=False)
            else:
                response = await site.client.post(path, data={"csrf": csrf}, allow_redirects=False)
            if response.status >= 500 and response.status != 503:
                failures.append(f"{who} {route.method} {path[:120]} -> {response.status}")
    return failures


async def test_no_route_answers_500_to_odd_paths_for_strangers_or_organisers(site: Site) -> None:
    values = _odd_values()
    routes = all_routes()
    failures = await _walk(site, routes, values, "stranger")
    await site.login("organiser@example.org")
    staying = [r for r in routes if (r.method, r.path) not in _LEAVES_SESSION]
    failures += await _walk(site, staying, values, "organiser")
    assert (await site.client.get("/dashboard", allow_redirects=False)).status == 200
    assert not failures, "\n".join(failures)
