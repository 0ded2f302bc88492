"""Working groups: start one, join and leave, the group's thread and task list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from node.accounts.members import Member
from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.discussion.errors import DiscussionError
from node.discussion.groups import Groups
from web.discussing import describe_subject, field, int_id, mention_choices, post_items
from web.flash import done as flash
from web.forms import refusals_on
from web.i18n import N_, _
from web.keys import MEMBER
from web.rendering import markdown, render, tr
from web.routes import Handler, Route


async def _groups_page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    node = request.config_dict[NODE]
    # A refused group is shown again as it was filled in.
    form = await request.post() if errors else {}
    mine = await node.discussion.groups.of_member(request[MEMBER].id)
    groups = [
        {"id": gid, "name": name, "members": count, "joined": gid in mine}
        for gid, name, count, _ in await node.discussion.groups.all()
    ]
    about = request.query.get("about", "")
    subject = await _subject(request, about) if about else None
    return render(
        request,
        "groups.html",
        {
            "groups": groups,
            "about": about if subject else "",
            "about_title": describe_subject(subject) if subject else None,
            "errors": errors or [],
            "form": form,
        },
        status=status,
    )


async def _subject(request: web.Request, text: str) -> Any:
    try:
        subject_id = bytes.fromhex(text)
    except ValueError:
        return None
    if len(subject_id) != 32:
        return None
    message = await request.config_dict[NODE].discussion.comments.subject(subject_id)
    return message if message is not None and message.kind in ("campaign", "event") else None


async def groups(request: web.Request) -> web.Response:
    return await _groups_page(request)


@refusals_on(_groups_page)
async def start_group(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    form = await request.post()
    about = field(form, "about")
    subject = await _subject(request, about) if about else None
    if about and subject is None:
        raise DiscussionError(
            _("A group can be started around a campaign or an event this hub holds.")
        )
    group_id = await node.discussion.groups.start(
        request[MEMBER],
        form.get("name"),
        form.get("purpose"),
        subject.id if subject else None,
    )
    raise flash(request, f"/groups/{group_id}", _("Group started."))


async def _group_page(
    request: web.Request,
    group_id: int | None = None,
    *,
    errors: list[str] | None = None,
    status: int = 200,
) -> web.Response:
    """The group `group_id`, or the one in the path."""
    node = request.config_dict[NODE]
    member = request[MEMBER]
    discussion = node.discussion
    if group_id is None:
        group_id = int_id(request, "group_id")
    group = await discussion.groups.get(group_id)
    subject = await discussion.comments.subject(group.subject) if group.subject else None
    posts = await discussion.topics.posts(group.topic_id, member.id)
    handles = await discussion.topics.mention_handles()
    if status == 200:
        await discussion.topics.mark_read(member.id, f"topic:{group.topic_id}")
    member_ids = {m for m, _ in group.members}
    return render(
        request,
        "group.html",
        {
            "group": group,
            "purpose_html": markdown(group.purpose),
            "joined": member.id in member_ids,
            "subject_title": describe_subject(subject) if subject else None,
            "subject_hex": group.subject.hex() if group.subject else None,
            "tasks": await discussion.groups.tasks(group_id),
            "me": member.id,
            "thread": post_items(posts, member.id, member.can(Permission.MODERATE), handles),
            "mention_names": mention_choices(handles),
            "reply_action": f"/discussions/{group.topic_id}/reply",
            "conduct": markdown(tr(await discussion.moderation.conduct())),
            "errors": errors or [],
        },
        status=status,
    )


async def group(request: web.Request) -> web.Response:
    return await _group_page(request)


# One route per action, each with its permission in ROUTES (the service checks it
# again); `act` does the action for the member and says what happened.
GroupAct = Callable[[Groups, Member, int, Mapping[str, Any]], Awaitable[object]]


def _on_group(act: GroupAct, done: str) -> Handler:
    @refusals_on(_group_page)
    async def handler(request: web.Request) -> web.StreamResponse:
        groups = request.config_dict[NODE].discussion.groups
        group_id = int_id(request, "group_id")
        form = await request.post()
        await groups.get(group_id)
        await act(groups, request[MEMBER], group_id, form)
        raise flash(request, f"/groups/{group_id}", _(done))

    return handler


join_group = _on_group(lambda g, m, i, f: g.join(m, i), N_("You joined the group."))
leave_group = _on_group(lambda g, m, i, f: g.leave(m, i), N_("You left the group."))
add_task = _on_group(lambda g, m, i, f: g.add_task(m, i, f.get("text")), N_("Task added."))


async def _task_group_page(request: web.Request, *, errors: list[str], status: int) -> web.Response:
    """The group of the task in the path, with why an action on the task was refused."""
    groups = request.config_dict[NODE].discussion.groups
    group_id, _, _ = await groups.task_group(int_id(request, "task_id"))
    return await _group_page(request, group_id, errors=errors, status=status)


def _on_task(act: Callable[[Groups, Member, int], Awaitable[int]], done: str) -> Handler:
    @refusals_on(_task_group_page)
    async def handler(request: web.Request) -> web.StreamResponse:
        groups = request.config_dict[NODE].discussion.groups
        group_id = await act(groups, request[MEMBER], int_id(request, "task_id"))
        raise flash(request, f"/groups/{group_id}", _(done))

    return handler


take_task = _on_task(lambda g, m, t: g.take(m, t), N_("You took the task."))
finish_task = _on_task(lambda g, m, t: g.done(m, t), N_("Task done. Thank you!"))


ROUTES = [
    Route("GET", "/groups", groups, Permission.MEMBER),
    Route("POST", "/groups", start_group, Permission.MEMBER),
    Route("GET", "/groups/{group_id}", group, Permission.MEMBER),
    Route("POST", "/groups/{group_id}/join", join_group, Permission.MEMBER),
    Route("POST", "/groups/{group_id}/leave", leave_group, Permission.MEMBER),
    Route("POST", "/groups/{group_id}/tasks", add_task, Permission.MEMBER),
    Route("POST", "/tasks/{task_id}/take", take_task, Permission.MEMBER),
    Route("POST", "/tasks/{task_id}/done", finish_task, Permission.MEMBER),
]
