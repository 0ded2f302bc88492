"""Notices and their email, sent to a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from node.accounts.members import Members
from node.notices import FIRST_RETRY_MS, MAX_ATTEMPTS, MailSettings, Notices, retry_delay_ms
from node.store.accounts import AccountsStore
from node.store.database import Database
from node.store.notices import NoticesStore
from tests.helpers import ManualClock
from tests.integration.network import free_port


class Inbox:
    """An aiosmtpd handler that keeps every message it is sent."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


class MailServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer(free_port())
    try:
        yield server
    finally:
        server.stop()


async def _members(db: Database, clock: ManualClock) -> tuple[int, int]:
    members = Members(AccountsStore(db), clock)
    ids = []
    for name in ("Ann Lee", "Bob Ray"):
        member = await members.apply(
            name=name,
            email=f"{name.split()[0].lower()}@example.org",
            password="a long enough password",
            signed_charter=True,
            accepted_privacy=True,
            status="active",
        )
        ids.append(member.id)
    return ids[0], ids[1]


def _settings(port: int) -> MailSettings:
    return MailSettings(
        host="127.0.0.1",
        port=port,
        security="none",
        username="",
        password="",
        sender="hub@example.org",
        timeout=5,
    )


@pytest.fixture
async def setup(
    db: Database, clock: ManualClock, mail_server: MailServer
) -> AsyncIterator[tuple[Notices, int, int]]:
    ann, bob = await _members(db, clock)
    notices = Notices(
        NoticesStore(db),
        clock,
        "Riverside",
        "https://hub.example.org/",
        _settings(mail_server.port),
    )
    yield notices, ann, bob
    await notices.stop()


async def test_a_notice_is_emailed_with_its_link(
    setup: tuple[Notices, int, int], mail_server: MailServer
) -> None:
    notices, ann, _ = setup
    mail_server.start()
    await notices.notify([ann], "Voting is open: Election: Chair.", "/elections/abc")
    assert await notices.unread_count(ann) == 1
    assert await notices.send_due() == 1
    [(to, message)] = mail_server.inbox.messages
    assert to == ["ann@example.org"]
    assert message["To"] == "Ann Lee <ann@example.org>"
    assert message["From"] == "hub@example.org"
    assert message["Subject"] == "Riverside: Voting is open: Election: Chair."
    body = message.get_payload()
    assert isinstance(body, str)
    assert "https://hub.example.org/elections/abc" in body
    assert await notices.queued_email() == 0


async def test_a_failed_send_is_logged_and_retried_later(
    setup: tuple[Notices, int, int],
    mail_server: MailServer,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    notices, ann, bob = setup
    await notices.notify([ann, bob], "Election opened for Chair.")
    with caplog.at_level(logging.WARNING, logger="node.notices"):
        assert await notices.send_due() == 0  # nothing listens on the port yet
    assert "not sent (try 1)" in caplog.text
    assert await notices.queued_email() == 2
    mail_server.start()
    assert await notices.send_due() == 0  # not due again yet
    clock.advance(FIRST_RETRY_MS)
    assert await notices.send_due() == 2
    assert sorted(to[0] for to, _ in mail_server.inbox.messages) == [
        "ann@example.org",
        "bob@example.org",
    ]


async def test_email_is_given_up_after_the_last_try(
    setup: tuple[Notices, int, int], clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    notices, ann, _ = setup
    await notices.notify([ann], "Hello")
    with caplog.at_level(logging.WARNING, logger="node.notices"):
        for attempt in range(1, MAX_ATTEMPTS + 1):
            await notices.send_due()
            clock.advance(retry_delay_ms(attempt))
    assert await notices.queued_email() == 0
    assert "gave up on email" in caplog.text
    assert await notices.unread_count(ann) == 1  # the notice itself stays


async def test_the_background_sender_delivers_without_anyone_waiting(
    setup: tuple[Notices, int, int], mail_server: MailServer
) -> None:
    notices, _, bob = setup
    mail_server.start()
    await notices.start()
    await notices.notify([bob], "You were nominated for Chair.", "/elections/x")
    for _ in range(100):
        if mail_server.inbox.messages:
            break
        await asyncio.sleep(0.05)
    [(to, _)] = mail_server.inbox.messages
    assert to == ["bob@example.org"]


async def test_email_for_someone_who_left_is_dropped(
    setup: tuple[Notices, int, int], mail_server: MailServer, db: Database, clock: ManualClock
) -> None:
    notices, ann, bob = setup
    mail_server.start()
    await notices.notify([ann, bob], "Result: Ann Lee was elected Chair.")
    await Members(AccountsStore(db), clock).leave(bob)
    assert await notices.send_due() == 1
    assert [to for to, _ in mail_server.inbox.messages] == [["ann@example.org"]]


async def test_without_smtp_notices_stay_in_the_app(
    db: Database, clock: ManualClock, tmp_path: Path
) -> None:
    ann, _ = await _members(db, clock)
    notices = Notices(NoticesStore(db), clock, "Riverside", "https://hub.example.org")
    await notices.notify([ann], "Hello")
    assert await notices.queued_email() == 0
    assert [n.text for n in await notices.recent(ann)] == ["Hello"]
    assert await notices.mark_read(ann) == 1 and await notices.unread_count(ann) == 0


def test_retries_wait_longer_each_time_up_to_an_hour() -> None:
    waits = [retry_delay_ms(n) for n in range(1, MAX_ATTEMPTS + 1)]
    assert waits[0] == FIRST_RETRY_MS and waits == sorted(waits) and waits[-1] == 3_600_000
