"""Comments from other hubs: the rules a node applies to what arrives (PROTOCOL.md §5.17-5.20)."""

from __future__ import annotations

import time

from crypto.ed25519 import SigningKey
from crypto.nodeid import node_id_from_public_key
from protocol.envelope import Message, MessageId, create_message
from protocol.kinds.discussion import Comment, CommentDelete, CommentUpdate, Report
from protocol.kinds.hub import Announcement
from tests.helpers import key_from
from tests.web.conftest import Site


class Remote:
    """Another member hub's log, written message by message after `joined`: its
    signature on the network's founding statement, at seq 1 (see `members`)."""

    def __init__(self, key: SigningKey, joined: Message) -> None:
        self.key = key
        self.node_id = node_id_from_public_key(self.key.public_key)
        assert joined.origin == self.node_id
        self.seq = joined.seq
        self.prev: MessageId | None = joined.id

    def write(self, kind: str, body: object) -> Message:
        self.seq += 1
        message = create_message(self.key, kind, body, self.seq, self.prev, int(time.time() * 1000))
        self.prev = message.id
        return message


async def members(site: Site, *ns: int) -> list[Remote]:
    """Other hubs of the site's network (keys `key_from(n)`), each a member already."""
    keys = [key_from(n) for n in ns]
    return [Remote(k, j) for k, j in zip(keys, await site.admit(*keys), strict=True)]


async def _ingest(site: Site, *messages: Message) -> None:
    report = await site.node.messages.ingest([m.wire for m in messages])
    assert all(o.status.value == "stored" for o in report.outcomes), report.outcomes
    await site.node.discussion.comments.catch_up()


async def _texts(site: Site, subject: bytes) -> list[str | None]:
    return [c.text for c in await site.node.discussion.comments.thread(subject, None)]


async def test_comment_on_a_message_not_yet_held_is_shown_once_it_arrives(site: Site) -> None:
    a, c = await members(site, 1, 2)
    announcement = a.write("announcement", Announcement(text="Rally on Saturday"))
    comment = c.write("comment", Comment(subject=announcement.id, author="hill_jo", text="Yes!"))
    await _ingest(site, comment)
    assert await site.node.discussion.comments.subject(announcement.id) is None
    await _ingest(site, announcement)
    assert await site.node.discussion.comments.subject(announcement.id) is not None
    assert await _texts(site, announcement.id) == ["Yes!"]


async def test_update_and_delete_from_another_origin_are_ignored(site: Site) -> None:
    a, c, evil = await members(site, 1, 2, 3)
    subject = a.write("announcement", Announcement(text="News"))
    comment = c.write("comment", Comment(subject=subject.id, author="hill_jo", text="kept"))
    await _ingest(site, subject, comment)
    await _ingest(
        site,
        evil.write("comment.update", CommentUpdate(comment=comment.id, text="forged")),
        evil.write("comment.delete", CommentDelete(comment=comment.id)),
    )
    assert await _texts(site, subject.id) == ["kept"]


async def test_origin_edits_then_deletes_and_the_text_is_gone_from_the_table(site: Site) -> None:
    a, c = await members(site, 1, 2)
    subject = a.write("announcement", Announcement(text="News"))
    comment = c.write("comment", Comment(subject=subject.id, author="hill_jo", text="first"))
    reply = a.write(
        "comment",
        Comment(subject=subject.id, author="river_al", text="answer", reply_to=comment.id),
    )
    await _ingest(site, subject, comment, reply)
    await _ingest(site, c.write("comment.update", CommentUpdate(comment=comment.id, text="second")))
    assert await _texts(site, subject.id) == ["second", "answer"]
    await _ingest(site, c.write("comment.delete", CommentDelete(comment=comment.id)))
    await _ingest(site, c.write("comment.update", CommentUpdate(comment=comment.id, text="again")))
    thread = await site.node.discussion.comments.thread(subject.id, None)
    assert [(t.state, t.text, t.depth) for t in thread] == [
        ("deleted", None, 0),
        ("shown", "answer", 1),
    ]
    rows = await site.node.db.fetchall("SELECT text FROM comments WHERE id = ?", (comment.id,))
    assert rows == [(None,)]


async def test_comment_on_a_comment_is_ignored(site: Site) -> None:
    a, c = await members(site, 1, 2)
    subject = a.write("announcement", Announcement(text="News"))
    comment = c.write("comment", Comment(subject=subject.id, author="hill_jo", text="one"))
    nested = c.write("comment", Comment(subject=comment.id, author="hill_jo", text="two"))
    await _ingest(site, subject, comment, nested)
    assert await site.node.discussion.comments.thread(comment.id, None) == []


async def test_a_flood_from_one_origin_is_held_back_without_delaying_others(site: Site) -> None:
    a, flood, calm = await members(site, 1, 2, 3)
    subject = a.write("announcement", Announcement(text="News"))
    limit = site.node.config.remote_comments_per_hour
    many = [
        flood.write("comment", Comment(subject=subject.id, author="spam", text=f"spam {i}"))
        for i in range(limit + 5)
    ]
    calm_one = calm.write("comment", Comment(subject=subject.id, author="calm", text="hello"))
    await _ingest(site, subject, *many, calm_one)
    texts = await _texts(site, subject.id)
    assert texts.count("hello") == 1
    assert len([t for t in texts if t and t.startswith("spam")]) == limit
    held = await site.node.db.fetchall("SELECT count(*) FROM comments WHERE shown_at IS NULL")
    assert held == [(5,)]  # kept, to be shown as the hour allows: nothing is lost


async def test_report_reaches_only_the_hub_it_names_about_its_own_comment(site: Site) -> None:
    a, b = await members(site, 1, 2)
    node = site.node
    subject = a.write("announcement", Announcement(text="News"))
    await _ingest(site, subject)
    member = await node.members.apply(
        name="Jo",
        email="jo@example.org",
        password="a long enough password",
        signed_charter=True,
        accepted_privacy=True,
        status="active",
    )
    await node.discussion.comments.set_display_name(member, "jo")
    ours = await node.discussion.comments.publish(member, subject.id, "our words")
    theirs = b.write("comment", Comment(subject=subject.id, author="bee", text="theirs"))
    await _ingest(
        site,
        theirs,
        b.write("report", Report(to=node.node_id, comment=ours, reason="harassment")),
        b.write("report", Report(to=a.node_id, comment=ours, reason="spam")),
        b.write("report", Report(to=node.node_id, comment=theirs.id, reason="spam")),
    )
    reports = await node.discussion.moderation.open_reports()
    assert [(r.comment_id, r.reason, r.from_hub) for r in reports] == [
        (ours, "harassment", b.node_id)
    ]
