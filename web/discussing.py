"""Shared pieces of the discussion pages: parsing ids, saying what a thread is about,
and shaping posts and comments for the `_thread.html` partial."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from markupsafe import Markup

from node.digits import is_digits
from node.discussion import mentions
from node.discussion.comments import CommentView
from node.discussion.topics import Post
from protocol.envelope import Message
from web.i18n import N_, _
from web.rendering import markdown, when


def int_id(request: web.Request, name: str) -> int:
    text = request.match_info[name]
    if not is_digits(text) or len(text) > 18:
        raise web.HTTPNotFound()
    return int(text)


def message_id(request: web.Request, name: str) -> bytes:
    text = request.match_info[name]
    try:
        value = bytes.fromhex(text)
    except ValueError as exc:
        raise web.HTTPNotFound() from exc
    if len(value) != 32:
        raise web.HTTPNotFound()
    return value


def field(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def with_mention(form: Any) -> object:
    """The post's text, with the member picked from the form's list of names (its
    "mention" field, for phones without an @ key to hand) mentioned at its start."""
    text, picked = form.get("text"), field(form, "mention").strip()
    if not picked or not isinstance(text, str):
        return text
    return f"{picked if picked.startswith('@') else '@' + picked} {text}"


def mention_choices(handles: Handles) -> list[str]:
    """The handles to offer in a post form's list of names, as a member would type them."""
    return sorted({shown for _, shown in handles.values()}, key=str.lower)


Handles = dict[str, tuple[int, str]]  # lower-case handle -> (member id, handle)
_SKIP = re.compile(r"<(/?)(a|code|pre)\b", re.IGNORECASE)


def link_mentions(html: Markup, handles: Handles) -> Markup:
    """`html` with each @handle of a member of this hub made a link to their page; text
    inside links and code is left as it is. Only the text between tags is touched, and
    a handle holds no character HTML treats specially, so nothing else changes."""
    if not handles or "@" not in html:
        return html
    parts = re.split(r"(<[^>]*>)", str(html))
    inside = 0
    for i, part in enumerate(parts):
        tag = _SKIP.match(part) if part.startswith("<") else None
        if tag:
            inside += -1 if tag.group(1) else 1
            continue
        if part.startswith("<") or inside > 0 or "@" not in part:
            continue

        def link(match: re.Match[str]) -> str:
            typed = match.group(1).rstrip(".-")
            found = handles.get(typed.lower())
            if found is None:
                return match.group(0)
            rest = match.group(1)[len(typed) :]
            return f'<a class="mention" href="/members/{found[0]}">@{typed}</a>{rest}'

        parts[i] = mentions.MENTION.sub(link, part)
    return Markup("".join(parts))


def post_items(
    posts: list[Post], member_id: int, moderator: bool, handles: Handles | None = None
) -> list[dict[str, Any]]:
    items = []
    for p in posts:
        base = f"/posts/{p.id}"
        shown = p.state == "shown"
        items.append(
            {
                "anchor": f"post-{p.id}",
                "author": p.author,
                "when": when(p.created_at),
                "edited": p.edited_at is not None,
                "html": link_mentions(markdown(p.text), handles or {}) if shown else None,
                "state": p.state,
                "new": p.unread,
                "depth": 0,
                "text": p.text if shown and p.member_id == member_id else None,
                "edit_url": f"{base}/edit" if shown and p.member_id == member_id else None,
                "delete_url": (
                    f"{base}/delete"
                    if p.state != "deleted" and (p.member_id == member_id or moderator)
                    else None
                ),
                "report_url": f"{base}/report" if shown and p.member_id != member_id else None,
                "hide_url": f"{base}/hide" if shown and moderator else None,
                "origin_url": None,
                "reply_value": None,
                "remote": False,
            }
        )
    return items


def comment_items(
    comments: list[CommentView], moderator: bool, hub_names: dict[str, str]
) -> list[dict[str, Any]]:
    items = []
    for c in comments:
        base = f"/comments/{c.id.hex()}"
        shown = c.state == "shown"
        items.append(
            {
                "anchor": f"comment-{c.id.hex()}",
                "author": c.author,
                "hub": hub_names.get(c.origin) or _("a hub"),
                "when": when(c.created_at),
                "edited": c.edited_at is not None,
                "html": markdown(c.text) if shown else None,
                "state": c.state,
                "new": c.unread,
                "depth": c.depth,
                "text": c.text if shown and c.mine else None,
                "edit_url": f"{base}/edit" if shown and c.mine else None,
                "delete_url": (
                    f"{base}/delete"
                    if c.state != "deleted" and c.local and (c.mine or moderator)
                    else None
                ),
                "report_url": f"{base}/report" if shown and not c.mine else None,
                "hide_url": f"{base}/hide" if c.state != "deleted" and moderator else None,
                "origin_url": (
                    f"{base}/report-origin"
                    if moderator and not c.local and c.state != "deleted"
                    else None
                ),
                "reply_value": c.id.hex() if shown else None,
                "remote": not c.local,
            }
        )
    return items


# What a thread is about, said whole ("An event from Riverside · …"): languages put
# the article with the noun differently (English "a"/"an", Welsh none), so each kind
# is its own sentence for translators. Any other kind is "a message".
_SUBJECT_LINES = {
    "event": N_("An event from %(hub)s · %(when)s"),
    "announcement": N_("An announcement from %(hub)s · %(when)s"),
    "campaign": N_("A campaign from %(hub)s · %(when)s"),
    "campaign.update": N_("A campaign update from %(hub)s · %(when)s"),
    "motion": N_("A network motion from %(hub)s · %(when)s"),
    "resource": N_("A library resource from %(hub)s · %(when)s"),
    "speaker.offer": N_("A speaker's offer from %(hub)s · %(when)s"),
    "directory.entry": N_("A directory entry from %(hub)s · %(when)s"),
}
_OTHER_SUBJECT = N_("A message from %(hub)s · %(when)s")


def describe_subject(message: Message) -> str:
    """A thread's subject's title, or the start of its text."""
    body = message.body
    title = getattr(body, "title", None) or getattr(body, "name", None)
    if title is None:
        text = getattr(body, "text", None) or getattr(body, "summary", None) or ""
        title = (text[:80] + "…") if len(text) > 80 else text
    return str(title)


def subject_line(message: Message, hub: str, when_said: str) -> str:
    """What kind of message a thread is about, from which hub and when."""
    template = _SUBJECT_LINES.get(message.kind, _OTHER_SUBJECT)
    return _(template) % {"hub": hub, "when": when_said}
