"""Notices to members: in the app always, by email too when the organiser set up SMTP.

For any feature that needs to tell members something:

    await node.notices.notify([member_id, ...], "Voting has opened: Chair", "/elections/…")
    await node.notices.notify_members("…", link)   # every active member

A notice is a line of text and an optional link (a path on this hub). Members see
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
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr

from node.clock import Clock
from node.store.database import Database

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


@dataclass(frozen=True, slots=True)
class Notice:
    id: int
    text: str
    link: str | None
    created_at: int
    read: bool


def retry_delay_ms(attempts: int) -> int:
    """Wait before the next try after `attempts` failed ones: 30 s, doubling, at most 1 h."""
    return int(min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** max(0, attempts - 1)))


class Notices:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        hub_name: str,
        base_url: str,
        mail: MailSettings | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._hub_name = hub_name
        self._base_url = base_url.rstrip("/")
        self.mail = mail
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- notices ----------------------------------------------------------------

    async def notify(self, member_ids: Iterable[int], text: str, link: str | None = None) -> None:
        """Give each member a notice (and queue an email, if email is set up)."""
        ids = sorted(set(member_ids))
        if not ids:
            return
        text = text.strip()[:MAX_TEXT]
        now = self._clock()
        async with self._db.write() as conn:
            await conn.executemany(
                "INSERT INTO notices (member_id, text, link, created_at) VALUES (?, ?, ?, ?)",
                [(m, text, link, now) for m in ids],
            )
            if self.mail is not None:
                subject = f"{self._hub_name}: {text if len(text) <= 70 else text[:67] + '…'}"
                body = self._email_body(text, link)
                await conn.executemany(
                    "INSERT INTO email_outbox (member_id, subject, body, created_at, next_attempt)"
                    " SELECT id, ?, ?, ?, ? FROM members WHERE id = ? AND status = 'active'"
                    " AND email IS NOT NULL",
                    [(subject, body, now, now, m) for m in ids],
                )
        if self.mail is not None:
            self._wake.set()

    async def notify_members(
        self, text: str, link: str | None = None, *, leave_out: Iterable[int] = ()
    ) -> None:
        """A notice for every active member (but those in `leave_out`)."""
        rows = await self._db.fetchall("SELECT id FROM members WHERE status = 'active'")
        skip = set(leave_out)
        await self.notify([r[0] for r in rows if r[0] not in skip], text, link)

    def _email_body(self, text: str, link: str | None) -> str:
        lines = [text, ""]
        if link:
            lines += [self._base_url + link, ""]
        lines += [
            "--",
            f"{self._hub_name}. You get this email because you are a member; every notice",
            f"is also on {self._base_url}/notices.",
        ]
        return "\n".join(lines)

    async def unread_count(self, member_id: int) -> int:
        row = await self._db.fetchone(
            "SELECT count(*) FROM notices WHERE member_id = ? AND read_at IS NULL", (member_id,)
        )
        return int(row[0]) if row else 0

    async def recent(self, member_id: int, limit: int = 100) -> list[Notice]:
        rows = await self._db.fetchall(
            "SELECT id, text, link, created_at, read_at FROM notices WHERE member_id = ?"
            " ORDER BY created_at DESC, id DESC LIMIT ?",
            (member_id, limit),
        )
        return [Notice(r[0], r[1], r[2], r[3], r[4] is not None) for r in rows]

    async def mark_read(self, member_id: int, notice_id: int | None = None) -> int:
        """Mark one notice (or, with None, all) of this member read; how many changed."""
        sql = "UPDATE notices SET read_at = ? WHERE member_id = ? AND read_at IS NULL"
        params: tuple[int, ...] = (self._clock(), member_id)
        if notice_id is not None:
            sql += " AND id = ?"
            params += (notice_id,)
        async with self._db.write() as conn:
            cursor = await conn.execute(sql, params)
            return int(cursor.rowcount)

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
            except Exception:  # a failed pass must not end email: log and go on
                log.exception("notices: could not send email")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=MAIL_POLL_SECONDS)
            self._wake.clear()

    async def email_address(self, address: str, subject: str, body: str) -> None:
        """Queue an email to an address that may be no member's (confirmation links)."""
        if self.mail is None:
            raise RuntimeError("email is not set up")
        now = self._clock()
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO email_to_address (address, subject, body, created_at, next_attempt)"
                " VALUES (?, ?, ?, ?, ?)",
                (address, f"{self._hub_name}: {subject}", body, now, now),
            )
        self._wake.set()

    async def send_due(self) -> int:
        """Send every queued email that is due; how many were sent."""
        if self.mail is None:
            return 0
        sent = await self._send_to_addresses()
        while True:
            now = self._clock()
            rows = await self._db.fetchall(
                "SELECT o.id, o.subject, o.body, o.attempts, m.email, m.name, m.status"
                " FROM email_outbox o JOIN members m ON m.id = o.member_id"
                " WHERE o.next_attempt <= ? ORDER BY o.next_attempt, o.id LIMIT ?",
                (now, BATCH),
            )
            if not rows:
                return sent
            for outbox_id, subject, body, attempts, email, name, status in rows:
                if status != "active" or email is None:
                    await self._forget(outbox_id)
                    continue
                try:
                    await self._send(email, name, subject, body)
                except Exception as exc:
                    await self._failed(outbox_id, attempts + 1, exc)
                    continue
                await self._forget(outbox_id)
                sent += 1
            if len(rows) < BATCH:
                return sent

    async def _send(self, to: str, name: str | None, subject: str, body: str) -> None:
        import aiosmtplib  # loaded on first use: most nodes send little email

        mail = self.mail
        assert mail is not None
        message = EmailMessage()
        message["From"] = mail.sender
        message["To"] = formataddr((name or "", to))
        message["Subject"] = subject
        message.set_content(body)
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
            rows = await self._db.fetchall(
                "SELECT id, address, subject, body, attempts FROM email_to_address"
                " WHERE next_attempt <= ? ORDER BY next_attempt, id LIMIT ?",
                (self._clock(), BATCH),
            )
            for outbox_id, address, subject, body, attempts in rows:
                try:
                    await self._send(address, None, subject, body)
                except Exception as exc:
                    await self._failed(outbox_id, attempts + 1, exc, "email_to_address")
                    continue
                await self._forget(outbox_id, "email_to_address")
                sent += 1
            if len(rows) < BATCH:
                return sent

    async def _forget(self, outbox_id: int, table: str = "email_outbox") -> None:
        async with self._db.write() as conn:
            await conn.execute(f"DELETE FROM {table} WHERE id = ?", (outbox_id,))

    async def _failed(
        self, outbox_id: int, attempts: int, exc: Exception, table: str = "email_outbox"
    ) -> None:
        reason = f"{type(exc).__name__}: {exc}"[:500]
        async with self._db.write() as conn:
            if attempts >= MAX_ATTEMPTS:
                log.error(
                    "notices: gave up on email %d after %d tries: %s", outbox_id, attempts, reason
                )
                await conn.execute(f"DELETE FROM {table} WHERE id = ?", (outbox_id,))
                return
            log.warning("notices: email %d not sent (try %d): %s", outbox_id, attempts, reason)
            await conn.execute(
                f"UPDATE {table} SET attempts = ?, next_attempt = ?, last_error = ? WHERE id = ?",
                (attempts, self._clock() + retry_delay_ms(attempts), reason, outbox_id),
            )

    async def queued_email(self) -> int:
        row = await self._db.fetchone(
            "SELECT (SELECT count(*) FROM email_outbox) + (SELECT count(*) FROM email_to_address)"
        )
        return int(row[0]) if row else 0
