"""A message and what goes with it commit together; the check that decides runs inside.

An edit that races a cancel: both requests pass every check made before they reach
the writer; the cancel gets the writer first. The edit must then be refused with
the organiser's clear error, and never published (a federated event) or written
(a members-only one).
"""

from __future__ import annotations

import asyncio

import pytest

from node.accounts.permissions import Role
from node.events.drafts import EventError, parse_form
from tests.web.conftest import Site, acting, make_member
from tests.web.test_projections import EVENT


async def _waiting_for_writer(task: asyncio.Task[object]) -> None:
    # The task has done its reads and is queued on the writer the test holds (or has
    # failed, which the test then sees when it awaits it).
    for _ in range(100):
        await asyncio.sleep(0.01)
        if task.done():
            return
    assert not task.done()


@pytest.mark.parametrize("visibility", ["public", "members"])
async def test_an_edit_racing_a_cancel_is_refused_and_never_published(
    site: Site, visibility: str
) -> None:
    organiser = site.node.events.organiser
    chair = await acting(site.node, await make_member(site.node, "chair@example.org", Role.CHAIR))
    event_id = await organiser.create(parse_form({**EVENT, "visibility": visibility}), by=chair)
    updates_before = await site.node.db.fetchone(
        "SELECT count(*) FROM messages WHERE kind = 'event.update'"
    )
    moved = parse_form({**EVENT, "visibility": visibility, "title": "Moved indoors"})
    async with site.node.db.write():
        # Queued in this order on the writer (an asyncio.Lock wakes waiters in order).
        cancel = asyncio.ensure_future(organiser.cancel(event_id, "rained off", by=chair))
        await _waiting_for_writer(cancel)
        edit = asyncio.ensure_future(organiser.edit(event_id, moved, by=chair))
        await _waiting_for_writer(edit)
    await cancel
    with pytest.raises(EventError, match="This event has been cancelled"):
        await edit
    event = await site.node.events.calendar.get(event_id)
    assert event is not None and event.cancelled
    assert event.title == EVENT["title"]
    assert event.sequence == 1  # created 0, cancelled 1; the edit never counted
    updates = await site.node.db.fetchone(
        "SELECT count(*) FROM messages WHERE kind = 'event.update'"
    )
    assert updates == updates_before


async def test_a_published_file_is_held_as_soon_as_its_message_is_stored(site: Site) -> None:
    # The listing (by the message store) and the "held" mark commit with the message:
    # no moment in which this hub lists its own upload as a file to fetch.
    library = site.node.community.library
    secretary = await acting(
        site.node, await make_member(site.node, "sec@example.org", Role.SECRETARY)
    )
    resource_id = await library.publish(
        "notes.txt", b"Meeting notes\n", "Notes", None, [], by=secretary
    )
    item = await library.get(resource_id)
    assert item is not None and item.held and item.own
    due = await site.node.resources.due(2**62)
    assert all(digest != item.hash for digest, _, _ in due)
