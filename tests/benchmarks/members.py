"""What sealing members' details at rest costs the member pages (docs/ARCHITECTURE.md,
"Members' data sealed at rest").

A hub of 500 members. In this process: the query behind the organisers' members page
(every active member's account, opened with `unseal`) against the same query over a
copy of the same rows kept in the clear, as a build without sealing would store them;
and finding an account by its email (the blind index) against a plain lookup. Then
the whole page, `GET /organise/members`, from a real `hubnet run` process.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from node import config as settings
from node.atrest import key_places
from node.store.accounts import AccountsStore, NewAccount, add_account_txn
from node.store.database import Database
from tests.benchmarks.cluster import running_hubs
from tests.benchmarks.common import Table
from tests.benchmarks.web import logged_in_session

MEMBERS = 500
_PLAIN = (
    "SELECT id, email, name, phone, statement, status, applied_at, language FROM plain"
    " WHERE status = 'active' ORDER BY applied_at"
)


async def _median_ms(times: int, call: Callable[[], Awaitable[object]]) -> float:
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        await call()
        spent.append((time.perf_counter() - started) * 1000)
    return statistics.median(spent)


async def _add_members(db: Database) -> None:
    async with db.write() as conn:
        for i in range(MEMBERS):
            account = NewAccount(
                f"member{i}@example.org", f"Member Number {i}", f"01632 96{i:04d}",
                "I live on the estate and want to help with the food bank.", "x", "active",
                "1", "1",
            )  # fmt: skip
            await add_account_txn(conn, account, 1_700_000_000_000 + i)


async def run(table: Table, root: Path, quick: bool, log: Callable[[str], None]) -> None:
    times = 20 if quick else 100
    async with running_hubs(root, ["Memberhub"]) as [hub]:
        config = settings.load(hub.data_dir)
        db = await Database.open(config.database_path, key_places(config))
        try:
            log(f"members: {MEMBERS} members, sealed and in the clear…")
            await _add_members(db)
            async with db.write() as conn:
                await conn.execute(
                    "CREATE TEMP TABLE plain AS SELECT id, unseal('members.email', email) AS email,"
                    " unseal('members.name', name) AS name, unseal('members.phone', phone) AS"
                    " phone, unseal('members.statement', statement) AS statement, status,"
                    " applied_at, language FROM members"
                )
                await conn.execute("CREATE INDEX temp.plain_by_email ON plain (email)")
            accounts = AccountsStore(db)
            writer = db._writer  # the temporary table is this connection's alone

            async def plain_page() -> object:
                return await writer.execute_fetchall(_PLAIN)

            async def plain_lookup() -> object:
                return await writer.execute_fetchall(
                    "SELECT * FROM plain WHERE email = ?", ("member250@example.org",)
                )

            sealed = await _median_ms(times, lambda: accounts.by_status("active"))
            plain = await _median_ms(times, plain_page)
            table.add(f"members: {MEMBERS} accounts read, sealed", sealed, unit="ms")
            table.add(f"members: {MEMBERS} accounts read, in the clear", plain, unit="ms")
            table.add("  sealing's cost per account read", (sealed - plain) / MEMBERS * 1000,
                      unit="µs")  # fmt: skip
            by_index = await _median_ms(
                times, lambda: accounts.credentials("member250@example.org")
            )
            by_plain = await _median_ms(times, plain_lookup)
            table.add("members: an account by email (blind index)", by_index * 1000, unit="µs")
            table.add("members: an account by email, in the clear", by_plain * 1000, unit="µs")
        finally:
            await db.close()
        email = hub.init_output.split("organiser email: ")[1].split()[0]
        password = hub.init_output.split("organiser password: ")[1].split()[0]
        session = await logged_in_session(hub.url, email, password)
        try:

            async def members_page() -> object:
                async with session.get(hub.url + "/organise/members") as response:
                    assert response.status == 200
                    return await response.read()

            page_ms = await _median_ms(times, members_page)
            table.add(f"members: GET /organise/members, {MEMBERS} members", page_ms, unit="ms")
        finally:
            await session.close()
