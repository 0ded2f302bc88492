from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from node.store.database import Database
from node.store.messages import MessageStore
from node.verifier import Verifier
from tests.helpers import ManualClock, key_from


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "hubnet.db")
    yield database
    await database.close()


@pytest.fixture
async def store(db: Database, clock: ManualClock) -> AsyncIterator[MessageStore]:
    verifier = Verifier(2)
    yield MessageStore(db, key_from(9), clock, verifier, max_held_per_origin=50)
    await verifier.aclose()
