"""Notices to members: in the app always, by email too when the organiser set up SMTP.

For any feature that needs to tell members something:

    await node.notices.notify([member_id, ...], Wording("Voting has opened: %(role)s",
                                                        {"role": Term("Chair")}), "/elections/…")
    await node.notices.notify_members("…", link)   # every active member

A notice is a line of text and an optional link (a path on this hub). Its text may be
a `Wording` (node/wording.py): each member then gets it in their own language (their
choice, else the hub's), and their email too, put in words by `words` (the web front
end's catalogue, web/wording.py; plain English without it). Members see
their notices on /notices, with the unread count in the navigation. When
`smtp_host` is set (docs/OPERATIONS.md), each notice is also queued as an email
in the same transaction; a background task sends the queue with aiosmtplib, so a
page never waits on a mail server. A failed send is logged and retried with
growing waits, up to MAX_ATTEMPTS; email for a member who has left is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr

from node.clock import Clock
from node.languages import LANGUAGES
from node.store.notices import Composer, MemberEmail, Notice, NoticesStore, Queue
from node.store.sealing import MembersDataLocked
from node.wording import Wording

log = logging.getLogger(__name__)

MAX_TEXT = 500
# Seconds between looks at the email queue when nothing wakes the sender.
MAIL_POLL_SECONDS = 30.0
FIRST_RETRY_MS = 30_000
LONGEST_RETRY_MS = 3_600_000
MAX_ATTEMPTS = 12  # about half a day of retries, then the email is dropped (and logged)
BATCH = 20


@dataclass(frozen=True, slots=True)
class MailSettings:
    host: str
    port: int
    security: str  # "starttls", "tls" or "none"
    username: str
    password: str
    sender: str
    timeout: int = 30


def retry_delay_ms(attempts: int) -> int:
    """Wait before the next try after `attempts` failed ones: 30 s, doubling, at most 1 h."""
    return int(min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** max(0, attempts - 1)))


REMINDER = "#act"
# Whether a member has done what the page at a link asks of them (voted, say).
Acted = Callable[[int, str], Awaitable[bool]]


def reminder_link(link: str) -> str:
    """The link of a reminder to act on the page `link` ("you have not voted yet"): it
    is not shown once the member has acted (Notices(acted=...))."""
    return link + REMINDER


async def _never(member_id: int, link: str) -> bool:
    return False


# A notice's text in a language ("en", "cy"): the web front end's catalogue.
Words = Callable[[str, Wording | str], str]


def in_english(language: str, text: Wording | str) -> str:
    return str(text)


def _english_only() -> str:
    return "en"


class Notices:
    def __init__(
        self,
        store: NoticesStore,
        clock: Clock,
        hub_name: str,
        base_url: str,
        mail: MailSettings | None = None,
        acted: Acted = _never,
        words: Words = in_english,
        hub_language: Callable[[], str] = _english_only,
    ) -> None:
        self._store = store
        self._clock = clock
        self._hub_name = hub_name
        self._base_url = base_url.rstrip("/")
        self.mail = mail
        # Worked out when notices are read, never written when the member acts: a vote
        # must leave no time behind (docs/ARCHITECTURE.md, "Secret ballots").
        self._acted = acted
        self._words = words
        self._hub_language = hub_language
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- notices ----------------------------------------------------------------

    async def notify(
        self, member_ids: Iterable[int], text: Wording | str, link: str | None = None
    ) -> None:
        """Give each member a notice (and queue an email, if email is set up)."""
        ids = sorted(set(member_ids))
        if not ids:
            return
        await self._store.add(ids, link, self._clock(), self.compose(text, link))
        self.written()

    def compose(self, text: Wording | str, link: str | None) -> Composer:
        """What makes a notice's text as kept, and its email if email is set up, in a
        member's language: for a caller that writes notices in its own transaction
        (store.notices.add_in_languages_txn), then calls `written`."""

        # Made before the write transaction, in every language the pages are in, so the
        # transaction only picks (the first Welsh words compile the catalogue).
        made = {}
        for code in LANGUAGES:
            kept = self._words(code, text).strip()[:MAX_TEXT]
            made[code] = (kept, self._email(code, kept, link))
        hub = made.get(self._hub_language(), made["en"])

        def compose(language: str | None) -> tuple[str, MemberEmail | None]:
            return made.get(language or "", hub)

        return compose

    def written(self) -> None:
        """Notices were written (by `compose`'s caller): wake the email sender, if set up."""
        if self.mail is not None:
            self._wake.set()

    async def notify_once(
        self,
        key: str | Sequence[str],
        member_ids: Iterable[int],
        text: Wording | str,
        link: str | None = None,
    ) -> bool:
        """Like `notify`, but never twice under the same `key` (kept in the database, so
        a restart does not repeat it). With several keys, the notice goes if the first
        was never used, and all are recorded. Whether the notice went now."""
        keys = [key] if isinstance(key, str) else list(key)
        ids = sorted(set(member_ids))
        if not ids:
            return False
        sent = await self._store.add_once(keys, ids, link, self._clock(), self.compose(text, link))
        if sent:
            self.written()
        return sent

    async def sent(self, key: str) -> bool:
        """Whether a notice under `key` was given (`notify_once`)."""
        return await self._store.sent(key)

    async def holders_of(self, roles: Iterable[str]) -> list[int]:
        """The active members holding any of `roles` now."""
        return await self._store.active_members_with_roles(sorted(roles), self._clock())

    def _email(self, language: str, text: str, link: str | None) -> MemberEmail | None:
        if self.mail is None:
            return None
        subject = f"{self._hub_name}: {text if len(text) <= 70 else text[:67] + '…'}"
        return MemberEmail(subject, self._email_body(language, text, link))

    def say(self, language: str | None, text: Wording | str) -> str:
        """`text` in `language` (None: the hub's), for an email sent at once."""
        return self._words(language or self._hub_language(), text)

    async def notify_members(
        self, text: Wording | str, link: str | None = None, *, leave_out: Iterable[int] = ()
    ) -> None:
        """A notice for every active member (but those in `leave_out`)."""
        skip = set(leave_out)
        members = await self._store.active_members()
        await self.notify([m for m in members if m not in skip], text, link)

    def _email_body(self, language: str, text: str, link: str | None) -> str:
        lines = [text, ""]
        if link:
            lines += [self._base_url + link, ""]
        footer = Wording(
            "%(hub)s: you get this email because you are a member. Every notice is also on"
            " %(address)s.",
            {"hub": self._hub_name, "address": self._base_url + "/notices"},
        )
        lines += ["--", self._words(language, footer)]
        return "\n".join(lines)

    async def _done(self, member_id: int, links: set[str]) -> set[str]:
        """The reminder links among `links` whose action the member has taken."""
        return {
            link
            for link in links
            if link.endswith(REMINDER) and await self._acted(member_id, link[: -len(REMINDER)])
        }

    async def unread_count(self, member_id: int) -> int:
        count, reminders = await self._store.unread_count(member_id, REMINDER)
        if not reminders:
            return count
        done = await self._done(member_id, reminders)
        unread = await self._store.unread(member_id, count) if done else []
        return count - sum(1 for n in unread if n.link in done)

    async def recent(self, member_id: int, limit: int = 100) -> list[Notice]:
        """The member's latest notices, less reminders to do what they have done."""
        notices = await self._store.recent(member_id, limit)
        done = await self._done(member_id, {n.link for n in notices if n.link})
        return [n for n in notices if n.link not in done]

    async def still_to_do(self, member_id: int, notices: list[Notice]) -> list[Notice]:
        """`notices` less reminders to do what the member has done."""
        done = await self._done(member_id, {n.link for n in notices if n.link})
        return [n for n in notices if n.link not in done]

    async def mark_read(self, member_id: int, notice_id: int | None = None) -> int:
        """Mark one notice (or, with None, all) of this member read; how many changed."""
        return await self._store.mark_read(member_id, notice_id, self._clock())

    async def open(self, member_id: int, notice_id: int) -> Notice | None:
        """Following a notice's link marks it read (web: /notices/<id>/open)."""
        return await self._store.open(member_id, notice_id, self._clock())

    # -- email ------------------------------------------------------------------

    async def start(self) -> None:
        if self.mail is not None and self._task is None:
            self._task = asyncio.create_task(self._mail_loop(), name="notices-mailer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _mail_loop(self) -> None:
        while True:
            try:
                await self.send_due()
            except MembersDataLocked:
                pass  # addresses are sealed: email waits for the unlock
            except Exception:  # a failed pass must not end email: log and go on
                log.exception("notices: could not send email")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=MAIL_POLL_SECONDS)
            self._wake.clear()

    async def email_address(
        self,
        address: str,
        subject: Wording | str,
        body: Wording | str,
        language: str | None = None,
    ) -> None:
        """Queue an email to an address that may be no member's (confirmation links), in
        `language` (the asker's, or the member's; None: the hub's)."""
        if self.mail is None:
            raise RuntimeError("email is not set up")
        code = language or self._hub_language()
        await self._store.queue_to_address(
            address,
            f"{self._hub_name}: {self._words(code, subject)}",
            self._words(code, body),
            self._clock(),
        )
        self._wake.set()

    async def send_due(self) -> int:
        """Send every queued email that is due; how many were sent."""
        if self.mail is None:
            return 0
        sent = await self._send_to_addresses()
        while True:
            queued = await self._store.due_to_members(self._clock(), BATCH)
            if not queued:
                return sent
            for email in queued:
                if not email.active or email.to is None:
                    await self._store.remove("email_outbox", email.id)
                    continue
                try:
                    await self._send(email.to, email.name, email.subject, email.body)
                except Exception as exc:
                    await self._failed("email_outbox", email.id, email.attempts + 1, exc)
                    continue
                await self._store.remove("email_outbox", email.id)
                sent += 1
            if len(queued) < BATCH:
                return sent

    async def _send(self, to: str, name: str | None, subject: str, body: str) -> None:
        mail = self.mail
        assert mail is not None
        message = EmailMessage()
        message["From"] = mail.sender
        message["To"] = formataddr((name or "", to))
        message["Subject"] = subject
        message.set_content(body)
        await self.send_message(message)

    async def send_message(self, message: EmailMessage) -> None:
        """Send one email now through the mail server set up (the test email, too)."""
        import aiosmtplib  # loaded on first use: most nodes send little email

        mail = self.mail
        assert mail is not None
        await aiosmtplib.send(
            message,
            hostname=mail.host,
            port=mail.port,
            username=mail.username or None,
            password=mail.password or None,
            use_tls=mail.security == "tls",
            start_tls=mail.security == "starttls",
            timeout=mail.timeout,
        )

    async def _send_to_addresses(self) -> int:
        sent = 0
        while True:
            queued = await self._store.due_to_addresses(self._clock(), BATCH)
            for email in queued:
                assert email.to is not None
                try:
                    await self._send(email.to, None, email.subject, email.body)
                except Exception as exc:
                    await self._failed("email_to_address", email.id, email.attempts + 1, exc)
                    continue
                await self._store.remove("email_to_address", email.id)
                sent += 1
            if len(queued) < BATCH:
                return sent

    async def _failed(self, queue: Queue, email_id: int, attempts: int, exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {exc}"[:500]
        if attempts >= MAX_ATTEMPTS:
            log.error("notices: gave up on email %d after %d tries: %s", email_id, attempts, reason)
            await self._store.remove(queue, email_id)
            return
        log.warning("notices: email %d not sent (try %d): %s", email_id, attempts, reason)
        next_attempt = self._clock() + retry_delay_ms(attempts)
        await self._store.retry_later(queue, email_id, attempts, next_attempt, reason)

    async def queued_email(self) -> int:
        return await self._store.queued()
