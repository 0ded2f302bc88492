"""Hub discussions, network comments, working groups and moderation through the web UI."""

from __future__ import annotations

import re

import msgpack
import pytest

from node.accounts.permissions import Role
from node.discussion.errors import NotAllowed, NotFound
from protocol.kinds.hub import Announcement
from tests.web.conftest import Site, acting, make_member


async def _announcement(site: Site, text: str = "Library closure: public meeting Thursday") -> str:
    message = await site.node.messages.append(
        "announcement", Announcement(text=text, title="Save the library")
    )
    return message.id.hex()


async def _start_topic(site: Site, title: str, text: str, category: str = "general") -> str:
    response = await site.post("/discussions", {"category": category, "title": title, "text": text})
    assert response.status == 303, await response.text()
    return response.headers["Location"]


async def test_member_starts_a_thread_and_another_replies_and_sees_it_unread(site: Site) -> None:
    await make_member(site.node, "ann@example.org")
    await make_member(site.node, "bob@example.org")
    await site.login("ann@example.org")
    where = await _start_topic(site, "Leaflets for Saturday", "Who can help *fold*?")
    await site.logout()
    await site.login("bob@example.org")
    listing = await (await site.client.get("/discussions")).text()
    assert "Leaflets for Saturday" in listing and 'class="new"' in listing
    page = await (await site.client.get(where)).text()
    assert "<em>fold</em>" in page and ">New<" in page
    assert 'class="new"' not in await (await site.client.get("/discussions")).text()
    response = await site.post(where + "/reply", {"text": "I can, after 2pm."})
    assert response.status == 303
    await site.logout()
    await site.login("ann@example.org")
    page = await (await site.client.get(where)).text()
    assert "I can, after 2pm." in page and "bob" in page and ">New<" in page


async def test_hostile_markdown_and_html_are_rendered_harmless(site: Site) -> None:
    await site.login("organiser@example.org")
    where = await _start_topic(
        site,
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)> [click](javascript:alert(2)) <iframe src=//evil>",
    )
    page = await (await site.client.get(where)).text()
    assert "<script>alert" not in page and "<img" not in page and "<iframe" not in page
    assert 'href="javascript:' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_empty_or_oversized_post_is_refused_and_nothing_is_stored(site: Site) -> None:
    await site.login("organiser@example.org")
    response = await site.submit("/discussions", {"category": "general", "title": "", "text": "x"})
    assert response.status == 400 and "Write the title first." in await response.text()
    response = await site.submit(
        "/discussions", {"category": "general", "title": "t", "text": "x" * 10_001}
    )
    assert response.status == 400 and "at most 10,000 characters" in await response.text()
    response = await site.post("/discussions", {"category": "nope", "title": "t", "text": "x"})
    assert response.status == 400
    assert await site.node.discussion.topics.listing(1) == []


async def test_only_the_author_edits_and_a_moderator_may_delete(site: Site) -> None:
    await make_member(site.node, "ann@example.org")
    await make_member(site.node, "bob@example.org")
    await site.login("ann@example.org")
    where = await _start_topic(site, "Rota", "My first words")
    post_id = (await site.node.discussion.topics.posts(1, 0))[0].id
    await site.logout()
    await site.login("bob@example.org")
    response = await site.submit(f"/posts/{post_id}/edit", {"text": "Bob was here"})
    assert response.status == 403 and "Only the person who wrote a post" in await response.text()
    response = await site.submit(f"/posts/{post_id}/delete")
    assert response.status == 403
    assert "My first words" in await (await site.client.get(where)).text()
    await site.logout()
    await site.login("organiser@example.org")  # interim steering group: a moderator
    response = await site.submit(f"/posts/{post_id}/delete")
    assert response.status == 200
    page = await (await site.client.get(where)).text()
    assert "My first words" not in page and "This post was deleted." in page


async def test_member_posting_too_often_is_told_when_they_can_post_again(site: Site) -> None:
    await make_member(site.node, "ann@example.org")
    await make_member(site.node, "bob@example.org")
    await site.login("ann@example.org")
    where = await _start_topic(site, "Flood", "one")
    for i in range(site.node.config.posts_per_hour - 1):
        assert (await site.post(where + "/reply", {"text": f"post {i}"})).status == 303
    response = await site.submit(where + "/reply", {"text": "one too many"})
    assert response.status == 429
    assert "You can post again in an hour" in await response.text()
    await site.logout()
    await site.login("bob@example.org")  # others are not held back
    assert (await site.post(where + "/reply", {"text": "I am fine"})).status == 303


async def test_mentions_resolve_to_members_of_this_hub(site: Site) -> None:
    ann = await make_member(site.node, "ann@example.org")
    await site.node.discussion.comments.set_display_name(await acting(site.node, ann), "ann_l")
    mentioned = await site.node.discussion.topics.mentioned("thanks @ann_L and @nobody, a@b.c")
    assert mentioned == {ann}


async def test_report_hide_warn_and_suspend(site: Site) -> None:
    await make_member(site.node, "ann@example.org")
    bob = await make_member(site.node, "bob@example.org")
    await site.login("bob@example.org")
    where = await _start_topic(site, "Rant", "something nasty")
    post_id = (await site.node.discussion.topics.posts(1, 0))[0].id
    await site.logout()
    await site.login("ann@example.org")
    response = await site.post(f"/posts/{post_id}/report", {"reason": ""})
    assert response.status == 400
    response = await site.submit(f"/posts/{post_id}/report", {"reason": "insulting"})
    assert "moderators will look" in await response.text()
    moderation = site.node.discussion.moderation
    with pytest.raises(NotFound, match=r"^There is no such post\.$"):
        await moderation.report_post(await acting(site.node, bob), post_id + 1000, "gone")
    with pytest.raises(NotFound, match=r"^There is no such comment\.$"):
        await moderation.report_comment(await acting(site.node, bob), b"\x00" * 32, "gone")
    assert (await site.post(f"/posts/{post_id}/hide")).status == 403
    assert (await site.client.get("/moderation", allow_redirects=False)).status == 403
    await site.logout()
    await site.login("organiser@example.org")
    page = await (await site.client.get("/moderation")).text()
    assert "insulting" in page and "something nasty" in page and "ann" not in page
    await site.post(f"/posts/{post_id}/hide")
    page = await (await site.client.get(where)).text()
    assert "something nasty" not in page and "Hidden by this hub" in page
    assert "No open reports." in await (await site.client.get("/moderation")).text()
    response = await site.submit(f"/moderation/members/{bob}/warn", {"reason": "Be kind."})
    assert response.status == 200
    response = await site.post(
        f"/moderation/members/{bob}/suspend", {"days": "many", "reason": "x"}
    )
    assert response.status == 400
    response = await site.submit(f"/moderation/members/{bob}/suspend", {"days": "3", "reason": "x"})
    assert "Suspended from posting until" in await response.text()
    await site.logout()
    await site.login("bob@example.org")
    response = await site.submit(where + "/reply", {"text": "let me in"})
    assert response.status == 400 and "suspended from discussions" in await response.text()


async def test_code_of_conduct_is_shown_beside_discussions_and_moderators_edit_it(
    site: Site,
) -> None:
    await make_member(site.node, "ann@example.org")
    await site.login("organiser@example.org")
    await site.post("/moderation/conduct", {"text": "**Be excellent** to each other."})
    await site.logout()
    await site.login("ann@example.org")
    page = await (await site.client.get("/discussions")).text()
    assert "<strong>Be excellent</strong> to each other." in page
    assert (await site.post("/moderation/conduct", {"text": "anything"})).status == 403


# -- network comments ---------------------------------------------------------------------


async def test_comment_needs_a_network_name_and_carries_only_it(site: Site) -> None:
    subject = await _announcement(site)
    await make_member(site.node, "ann@example.org")
    await site.login("ann@example.org")
    page = await (await site.client.get(f"/discuss/{subject}")).text()
    assert "Save the library" in page and "choose the name other hubs will see" in page
    response = await site.post(f"/discuss/{subject}", {"text": "Count me in"})
    assert response.status == 400
    response = await site.submit("/account/network-name", {"display_name": "Ann Lee"})
    assert response.status == 400 and "no spaces" in await response.text()
    await site.post("/account/network-name", {"display_name": "river_ann"})
    response = await site.post(f"/discuss/{subject}", {"text": "Count me in"})
    assert response.status == 303
    page = await (await site.client.get(f"/discuss/{subject}")).text()
    assert "Count me in" in page and "river_ann" in page
    [message] = await site.node.messages.recent(kind="comment")
    body = msgpack.unpackb(message.payload)["body"]
    assert set(body) == {"subject", "author", "text"}
    assert body["author"] == "river_ann"
    assert b"ann@example.org" not in message.payload and b"Ann" not in message.payload


async def test_a_thread_says_what_it_is_about_in_words_with_the_right_article(
    site: Site,
) -> None:
    subject = await _announcement(site)
    await site.login("organiser@example.org")
    page = await (await site.client.get(f"/discuss/{subject}")).text()
    [line] = re.findall(r'<p class="muted">([^<]*)</p>', page)[:1]
    assert line.startswith("An announcement from ") and "announcement from" not in line[:3]
    assert "A announcement" not in page
    await site.submit("/account/language", {"language": "cy"})
    page = await (await site.client.get(f"/discuss/{subject}")).text()
    assert '<p class="muted">Cyhoeddiad gan ' in page
    assert "announcement" not in page.split("<main", 1)[1]


async def test_comment_on_unknown_message_or_bad_id_is_refused(site: Site) -> None:
    await site.login("organiser@example.org")
    await site.post("/account/network-name", {"display_name": "org"})
    assert (await site.client.get("/discuss/" + "ab" * 32)).status == 404
    assert (await site.client.get("/discuss/zz")).status == 404
    response = await site.post("/discuss/" + "ab" * 32, {"text": "hello"})
    assert response.status == 404
    assert await site.node.messages.recent(kind="comment") == []


async def test_edit_and_delete_of_someone_elses_comment_are_refused(site: Site) -> None:
    subject = await _announcement(site)
    ann = await make_member(site.node, "ann@example.org")
    bob = await make_member(site.node, "bob@example.org")
    await site.node.discussion.comments.set_display_name(await acting(site.node, ann), "ann")
    await site.node.discussion.comments.set_display_name(await acting(site.node, bob), "bob")
    comment_id = await site.node.discussion.comments.publish(
        await acting(site.node, ann), bytes.fromhex(subject), "original words"
    )
    await site.login("bob@example.org")
    response = await site.post(f"/comments/{comment_id.hex()}/edit", {"text": "forged"})
    assert response.status == 403
    response = await site.post(f"/comments/{comment_id.hex()}/delete")
    assert response.status == 403
    assert await site.node.messages.recent(kind="comment.update") == []
    assert await site.node.messages.recent(kind="comment.delete") == []
    await site.logout()
    await site.login("ann@example.org")
    await site.post(f"/comments/{comment_id.hex()}/edit", {"text": "better words"})
    page = await (await site.client.get(f"/discuss/{subject}")).text()
    assert "better words" in page and "original words" not in page
    await site.post(f"/comments/{comment_id.hex()}/delete")
    page = await (await site.client.get(f"/discuss/{subject}")).text()
    assert "better words" not in page and "This post was deleted." in page
    assert re.search(r"comment-" + comment_id.hex(), page)  # the tombstone keeps its place


async def test_the_comment_service_decides_from_the_acting_members_roles(site: Site) -> None:
    # No flag from the route: the service asks the member it is given. A moderator
    # deletes anyone's comment here but edits none; another member does neither.
    subject = bytes.fromhex(await _announcement(site))
    comments = site.node.discussion.comments
    ann = await acting(site.node, await make_member(site.node, "ann@example.org"))
    bob = await acting(site.node, await make_member(site.node, "bob@example.org"))
    chair = await acting(site.node, await make_member(site.node, "ch@example.org", Role.CHAIR))
    await comments.set_display_name(ann, "ann")
    comment_id = await comments.publish(ann, subject, "original words")
    for by in (bob, chair):
        with pytest.raises(NotAllowed, match="Only the person who wrote a comment"):
            await comments.edit(by, comment_id, "forged")
    with pytest.raises(NotAllowed, match="Only the person who wrote a comment"):
        await comments.delete(bob, comment_id)
    assert await site.node.messages.recent(kind="comment.delete") == []
    await comments.delete(chair, comment_id)
    assert len(await site.node.messages.recent(kind="comment.delete")) == 1


async def test_search_finds_a_post_for_members_only_and_forgets_it_when_deleted(
    site: Site,
) -> None:
    await make_member(site.node, "ann@example.org")
    await site.login("ann@example.org")
    where = await _start_topic(site, "Allotment rota", "We need volunteers for the marrowfat beds")
    page = await (await site.client.get("/search?q=marrowfat")).text()
    assert "Allotment rota" in page and f'href="{where}#post-' in page
    await site.logout()
    public = await (await site.client.get("/search?q=marrowfat")).text()
    assert "Allotment rota" not in public and "Nothing found" in public
    await site.login("ann@example.org")
    page = await (await site.client.get(where)).text()
    post_id = re.search(r'action="/posts/(\d+)/delete"', page)
    assert post_id, page
    response = await site.submit(f"/posts/{post_id.group(1)}/delete", {})
    assert "The post was deleted." in await response.text()
    gone = await (await site.client.get("/search?q=marrowfat")).text()
    assert "Allotment rota" not in gone
