"""RenderedCalendars: one rendering per key, shared by visitors who ask at once."""

from __future__ import annotations

import asyncio

import pytest
from markupsafe import Markup

from web.routes.calendar import RenderedCalendars


class Renderer:
    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self.fail = False

    async def __call__(self) -> tuple[Markup, int]:
        self.calls += 1
        await self.release.wait()
        if self.fail:
            raise RuntimeError("the database is locked")
        return Markup(f"<p>rendering {self.calls}</p>"), 200


async def test_visitors_asking_at_once_share_one_rendering() -> None:
    kept, render = RenderedCalendars(), Renderer()
    waiting = [asyncio.create_task(kept.get(("a",), render)) for _ in range(20)]
    await asyncio.sleep(0)
    render.release.set()
    results = await asyncio.gather(*waiting)
    assert render.calls == 1
    assert set(results) == {(Markup("<p>rendering 1</p>"), 200)}
    assert await kept.get(("a",), render) == results[0] and render.calls == 1
    assert await kept.get(("b",), render) == (Markup("<p>rendering 2</p>"), 200)


async def test_a_failed_rendering_reaches_every_waiter_and_is_not_kept() -> None:
    kept, render = RenderedCalendars(), Renderer()
    render.fail = True
    waiting = [asyncio.create_task(kept.get(("a",), render)) for _ in range(3)]
    await asyncio.sleep(0)
    render.release.set()
    for outcome in await asyncio.gather(*waiting, return_exceptions=True):
        assert isinstance(outcome, RuntimeError)
    render.fail = False
    assert await kept.get(("a",), render) == (Markup("<p>rendering 2</p>"), 200)


async def test_a_waiter_cancelled_leaves_the_rendering_to_the_others() -> None:
    kept, render = RenderedCalendars(), Renderer()
    first = asyncio.create_task(kept.get(("a",), render))
    await asyncio.sleep(0)
    second = asyncio.create_task(kept.get(("a",), render))
    await asyncio.sleep(0)
    second.cancel()
    render.release.set()
    assert await first == (Markup("<p>rendering 1</p>"), 200)
    with pytest.raises(asyncio.CancelledError):
        await second


async def test_only_the_most_recently_used_renderings_are_kept() -> None:
    kept, render = RenderedCalendars(), Renderer()
    render.release.set()
    for n in range(RenderedCalendars.SIZE):
        await kept.get((n,), render)
    await kept.get((0,), render)  # used again: now the most recent
    await kept.get(("new",), render)  # pushes out the least recent, key 1
    calls = render.calls
    await kept.get((0,), render)
    assert render.calls == calls
    await kept.get((1,), render)
    assert render.calls == calls + 1


async def test_when_the_visitor_rendering_goes_away_a_waiter_renders_it() -> None:
    kept, render = RenderedCalendars(), Renderer()
    first = asyncio.create_task(kept.get(("a",), render))
    await asyncio.sleep(0)
    second = asyncio.create_task(kept.get(("a",), render))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    render.release.set()
    assert await second == (Markup("<p>rendering 2</p>"), 200)
    with pytest.raises(asyncio.CancelledError):
        await first
