"""protocol.news: announcements after their origin's edits and withdrawals (PROTOCOL.md
§5.37-§5.38), whatever order the messages are held in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from crypto.ed25519 import SigningKey
from protocol.envelope import Message, create_message
from protocol.kinds.hub import Announcement, AnnouncementUpdate, AnnouncementWithdraw
from protocol.news import current_news
from tests.helpers import T0, key_from

A, B = key_from(1), key_from(2)


def log(key: SigningKey, *bodies: object) -> list[Message]:
    made: list[Message] = []
    for seq, body in enumerate(bodies, start=1):
        kind = {
            Announcement: "announcement",
            AnnouncementUpdate: "announcement.update",
            AnnouncementWithdraw: "announcement.withdraw",
        }[type(body)]
        prev = made[-1].id if made else None
        made.append(create_message(key, kind, body, seq, prev, T0 + seq * 1000))
    return made


def test_the_latest_update_by_the_origin_is_shown_and_a_withdrawn_item_is_gone() -> None:
    first, second = log(A, Announcement(text="one", title="One"), Announcement(text="two"))
    a = [first, second]
    rest = [
        create_message(
            A,
            "announcement.update",
            AnnouncementUpdate(first.id, "one, v2"),
            3,
            second.id,
            T0 + 3000,
        ),
    ]
    rest.append(
        create_message(
            A,
            "announcement.update",
            AnnouncementUpdate(first.id, "one, v3", "New"),
            4,
            rest[-1].id,
            T0 + 4000,
        )
    )
    rest.append(
        create_message(
            A, "announcement.withdraw", AnnouncementWithdraw(second.id), 5, rest[-1].id, T0 + 5000
        )
    )
    items = current_news([*a, *rest])
    assert [(i.id, i.title, i.text, i.edited_at) for i in items] == [
        (first.id, "New", "one, v3", T0 + 4000)
    ]


def test_another_origin_cannot_edit_or_withdraw_an_announcement() -> None:
    (mine,) = log(A, Announcement(text="ours"))
    theirs = log(B, AnnouncementUpdate(mine.id, "hijacked"), AnnouncementWithdraw(mine.id))
    (item,) = current_news([mine, *theirs])
    assert item.text == "ours" and item.edited_at is None


@given(st.permutations(range(5)))
def test_the_order_messages_are_held_in_does_not_matter(order: list[int]) -> None:
    first = log(A, Announcement(text="one"))[0]
    held = [first]
    for seq, body in enumerate(
        [
            Announcement(text="two"),
            AnnouncementUpdate(first.id, "one, v2"),
            AnnouncementUpdate(first.id, "one, v3"),
            AnnouncementWithdraw(first.id),
        ],
        start=2,
    ):
        kind = (
            "announcement"
            if isinstance(body, Announcement)
            else (
                "announcement.update"
                if isinstance(body, AnnouncementUpdate)
                else "announcement.withdraw"
            )
        )
        held.append(create_message(A, kind, body, seq, held[-1].id, T0 + seq * 1000))
    expected = current_news(held)
    assert [i.text for i in expected] == ["two"]
    assert current_news([held[i] for i in order]) == expected
