"""Hub discussions (topics and posts) and network threads (/discuss/{message id})."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from node.accounts.members import Member
from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.discussion import Discussion
from node.discussion.errors import DiscussionError
from node.discussion.topics import CATEGORIES, topic_thread
from web.discussing import (
    comment_items,
    describe_subject,
    field,
    int_id,
    mention_choices,
    message_id,
    post_items,
    subject_line,
    with_mention,
)
from web.flash import done as flash
from web.forms import refusals_on
from web.i18n import N_, _
from web.keys import MEMBER
from web.rendering import markdown, render, tr, when
from web.routes import Handler, Route


async def _conduct(request: web.Request) -> Any:
    # The default code of conduct in the page's language; a hub's own as written.
    return markdown(tr(await request.config_dict[NODE].discussion.moderation.conduct()))


def _moderator(request: web.Request) -> bool:
    return bool(request[MEMBER].can(Permission.MODERATE))


# -- the list of topics ----------------------------------------------------------------


async def _discussions_page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    node = request.config_dict[NODE]
    # A refused topic is shown again as it was written.
    form = await request.post() if errors else {}
    category = request.query.get("category")
    if category is not None and category not in CATEGORIES:
        category = None
    topics = await node.discussion.topics.listing(request[MEMBER].id, category)
    return render(
        request,
        "discussions.html",
        {
            "categories": [(k, v) for k, v in CATEGORIES.items() if k != "working-groups"],
            "category": category,
            "category_names": CATEGORIES,
            "topics": [
                {
                    "id": t.id,
                    "title": t.title,
                    "category": CATEGORIES[t.category],
                    "author": t.author,
                    "posts": t.posts,
                    "last": when(t.last_post_at),
                    "unread": t.unread,
                }
                for t in topics
            ],
            "conduct": await _conduct(request),
            "errors": errors or [],
            "form": form,
            "mention_names": mention_choices(await node.discussion.topics.mention_handles()),
        },
        status=status,
    )


async def discussions(request: web.Request) -> web.Response:
    return await _discussions_page(request)


@refusals_on(_discussions_page)
async def start_topic(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    form = await request.post()
    topic_id = await node.discussion.topics.start(
        request[MEMBER], field(form, "category"), form.get("title"), with_mention(form)
    )
    raise flash(request, f"/discussions/{topic_id}", _("Your topic is started."))


# -- one topic ---------------------------------------------------------------------------


async def _topic_page(
    request: web.Request,
    topic_id: int | None = None,
    *,
    errors: list[str] | None = None,
    status: int = 200,
) -> web.Response:
    """The topic `topic_id`, or the one in the path."""
    node = request.config_dict[NODE]
    member = request[MEMBER]
    if topic_id is None:
        topic_id = int_id(request, "topic_id")
    topic = await node.discussion.topics.get(topic_id)
    posts = await node.discussion.topics.posts(topic_id, member.id)
    handles = await node.discussion.topics.mention_handles()
    group_id = await node.discussion.groups.for_topic(topic_id)
    if status == 200:
        await node.discussion.topics.mark_read(member.id, topic_thread(topic_id))
    return render(
        request,
        "topic.html",
        {
            "topic": topic,
            "category": CATEGORIES[topic.category],
            "group_id": group_id,
            "thread": post_items(posts, member.id, _moderator(request), handles),
            "mention_names": mention_choices(handles),
            "reply_action": f"/discussions/{topic_id}/reply",
            "conduct": await _conduct(request),
            "errors": errors or [],
        },
        status=status,
    )


async def topic(request: web.Request) -> web.Response:
    return await _topic_page(request)


@refusals_on(_topic_page)
async def reply(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    topic_id = int_id(request, "topic_id")
    form = await request.post()
    await node.discussion.topics.get(topic_id)
    post_id = await node.discussion.topics.reply(request[MEMBER], topic_id, with_mention(form))
    group_id = await node.discussion.groups.for_topic(topic_id)
    where = f"/groups/{group_id}" if group_id else f"/discussions/{topic_id}"
    raise flash(request, f"{where}#post-{post_id}", _("Your reply is posted."))


async def _post_topic_page(request: web.Request, *, errors: list[str], status: int) -> web.Response:
    """The topic of the post in the path, with why an action on it was refused."""
    topic_id = await request.config_dict[NODE].discussion.topics.post_topic(
        int_id(request, "post_id")
    )
    return await _topic_page(request, topic_id, errors=errors, status=status)


# One route per action on a post, each with the permission it needs in ROUTES (the
# services check it again); `act` does the action for the member and says what happened.
PostAct = Callable[[Discussion, Member, int, Mapping[str, Any]], Awaitable[object]]


def _on_post(act: PostAct, done: str) -> Handler:
    @refusals_on(_post_topic_page)
    async def handler(request: web.Request) -> web.StreamResponse:
        discussion = request.config_dict[NODE].discussion
        post_id = int_id(request, "post_id")
        form = await request.post()
        topic_id = await discussion.topics.post_topic(post_id)
        await act(discussion, request[MEMBER], post_id, form)
        raise flash(request, f"/discussions/{topic_id}#post-{post_id}", _(done))

    return handler


edit_post = _on_post(
    lambda d, m, p, f: d.topics.edit(m, p, f.get("text")), N_("Your post was changed.")
)
delete_post = _on_post(lambda d, m, p, f: d.topics.delete(m, p), N_("The post was deleted."))
report_post = _on_post(
    lambda d, m, p, f: d.moderation.report_post(m, p, f.get("reason")),
    N_("Thank you: the hub's moderators will look at the post."),
)
hide_post = _on_post(lambda d, m, p, f: d.moderation.hide_post(m, p), N_("The post is hidden."))


# -- network threads -----------------------------------------------------------------------


async def hub_names(request: web.Request) -> dict[str, str]:
    node = request.config_dict[NODE]
    return {origin: hub.name for origin, hub in (await node.hubs()).items()}


async def _discuss_page(
    request: web.Request,
    subject_id: bytes | None = None,
    *,
    errors: list[str] | None = None,
    status: int = 200,
) -> web.Response:
    """The thread about `subject_id`, or about the message in the path."""
    node = request.config_dict[NODE]
    member = request[MEMBER]
    comments = node.discussion.comments
    if subject_id is None:
        subject_id = message_id(request, "message_id")
    subject = await comments.subject(subject_id)
    if subject is None:
        raise web.HTTPNotFound()
    await comments.release_deferred()
    thread = await comments.thread(subject_id, member.id)
    if status == 200:
        await comments.mark_read(member.id, subject_id)
    names = await hub_names(request)
    hub = names.get(subject.origin) or _("a hub")
    return render(
        request,
        "discuss.html",
        {
            "subject_line": subject_line(subject, hub, when(subject.created_at)),
            "title": describe_subject(subject) or _("Discussion"),
            "subject_html": markdown(getattr(subject.body, "text", None)),
            "thread": comment_items(thread, _moderator(request), names),
            "reply_action": f"/discuss/{subject_id.hex()}",
            "display_name": await comments.display_name(member.id),
            "conduct": await _conduct(request),
            "errors": errors or [],
        },
        status=status,
    )


async def discuss(request: web.Request) -> web.Response:
    return await _discuss_page(request)


@refusals_on(_discuss_page)
async def comment(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    subject_id = message_id(request, "message_id")
    if await node.discussion.comments.subject(subject_id) is None:
        raise web.HTTPNotFound()
    form = await request.post()
    reply_to: bytes | None = None
    if field(form, "reply_to"):
        try:
            reply_to = bytes.fromhex(field(form, "reply_to"))
        except ValueError:
            raise DiscussionError(_("That reply is not valid.")) from None
    comment_id = await node.discussion.comments.publish(
        request[MEMBER], subject_id, form.get("text"), reply_to
    )
    raise flash(
        request,
        f"/discuss/{subject_id.hex()}#comment-{comment_id.hex()}",
        _("Your comment is posted."),
    )


async def _subject_of_comment(request: web.Request) -> bytes:
    """The message the comment in the path is about; 404 if there is no such comment."""
    found = await request.config_dict[NODE].discussion.comments.get(
        message_id(request, "comment_id")
    )
    if found is None:
        raise web.HTTPNotFound()
    return found[1]


async def _comment_thread_page(
    request: web.Request, *, errors: list[str], status: int
) -> web.Response:
    """The thread of the comment in the path, with why an action on it was refused."""
    subject_id = await _subject_of_comment(request)
    return await _discuss_page(request, subject_id, errors=errors, status=status)


CommentAct = Callable[[Discussion, Member, bytes, Mapping[str, Any]], Awaitable[object]]


def _on_comment(act: CommentAct, done: str) -> Handler:
    @refusals_on(_comment_thread_page)
    async def handler(request: web.Request) -> web.StreamResponse:
        discussion = request.config_dict[NODE].discussion
        comment_id = message_id(request, "comment_id")
        subject_id = await _subject_of_comment(request)
        form = await request.post()
        await act(discussion, request[MEMBER], comment_id, form)
        raise flash(request, f"/discuss/{subject_id.hex()}#comment-{comment_id.hex()}", _(done))

    return handler


async def _hide_and_report(d: Discussion, m: Member, c: bytes, f: Mapping[str, Any]) -> None:
    await d.moderation.hide_comment(m, c)
    await d.moderation.report_to_origin(m, c, field(f, "reason"))


edit_comment = _on_comment(
    lambda d, m, c, f: d.comments.edit(m, c, f.get("text")),
    N_("Your comment was changed on every hub."),
)
delete_comment = _on_comment(
    lambda d, m, c, f: d.comments.delete(m, c),
    N_("The comment was deleted; every hub removes its text."),
)
report_comment = _on_comment(
    lambda d, m, c, f: d.moderation.report_comment(m, c, f.get("reason")),
    N_("Thank you: the hub's moderators will look at the comment."),
)
hide_comment = _on_comment(
    lambda d, m, c, f: d.moderation.hide_comment(m, c), N_("The comment is hidden on this hub.")
)
hide_and_report_comment = _on_comment(
    _hide_and_report,
    N_("The comment is hidden on this hub and reported to the hub it came from."),
)


# -- the member's network name ---------------------------------------------------------------


async def network_name_refused(
    request: web.Request, *, errors: list[str], status: int
) -> web.Response:
    """The account page with why the network name was refused, beside the field, and the
    name as the member typed it."""
    posted = (await request.post()).get("display_name", "")
    return render(
        request,
        "account.html",
        {"name_errors": errors, "name_value": posted if isinstance(posted, str) else ""},
        status=status,
    )


@refusals_on(network_name_refused)
async def network_name(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    form = await request.post()
    name = await node.discussion.comments.set_display_name(
        request[MEMBER], form.get("display_name")
    )
    known = _("On the network you are now known as %(name)s.") % {"name": name}
    raise flash(request, "/account", known)


ROUTES = [
    Route("GET", "/discussions", discussions, Permission.MEMBER),
    Route("POST", "/discussions", start_topic, Permission.MEMBER),
    Route("GET", "/discussions/{topic_id}", topic, Permission.MEMBER),
    Route("POST", "/discussions/{topic_id}/reply", reply, Permission.MEMBER),
    Route("POST", "/posts/{post_id}/edit", edit_post, Permission.MEMBER),
    Route("POST", "/posts/{post_id}/delete", delete_post, Permission.MEMBER),
    Route("POST", "/posts/{post_id}/report", report_post, Permission.MEMBER),
    Route("POST", "/posts/{post_id}/hide", hide_post, Permission.MODERATE),
    Route("GET", "/discuss/{message_id}", discuss, Permission.MEMBER),
    Route("POST", "/discuss/{message_id}", comment, Permission.MEMBER),
    Route("POST", "/comments/{comment_id}/edit", edit_comment, Permission.MEMBER),
    Route("POST", "/comments/{comment_id}/delete", delete_comment, Permission.MEMBER),
    Route("POST", "/comments/{comment_id}/report", report_comment, Permission.MEMBER),
    Route("POST", "/comments/{comment_id}/hide", hide_comment, Permission.MODERATE),
    Route(
        "POST",
        "/comments/{comment_id}/report-origin",
        hide_and_report_comment,
        Permission.MODERATE,
    ),
    Route("POST", "/account/network-name", network_name, Permission.MEMBER),
]
