"""Numbered, described schema migrations; each runs in its own transaction.

PRAGMA user_version holds the number of the last migration applied. Each migration
is a module of its own here, `vNNNN_what_it_does.py`, holding VERSION, DESCRIPTION
and SQL. A migration that has shipped is never edited: databases that ran it will not
run it again, so an edit would leave them different from new ones. Add a new
migration instead. tests/unit/test_migrations.py records each one's checksum and
fails if a shipped one changes.

To add migration N:

1. Write `vNNNN_what_it_does.py` (N zero-padded to four digits) with VERSION = N,
   a DESCRIPTION (shown if it fails) and the SQL.
2. Import it below and append it to `_MODULES`. The modules are listed rather than
   found on disk, so what runs is exactly what is written here.
3. In tests/unit/test_migrations.py add its seed (rows a node at N would hold, and
   the queries that read them) and record its checksum in SHIPPED; the checksum
   test's failure message gives the value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

from node.store.migrations import (
    v0001_message_store,
    v0002_federation,
    v0003_members,
    v0004_governance,
    v0005_funds_and_polls,
    v0006_events,
    v0007_community,
    v0008_vote_secrets,
    v0009_key_commitments_and_node_state,
    v0010_discussions,
    v0011_key_history_and_fork_resolutions,
    v0012_resource_fetch_retries,
    v0013_email_confirmations,
    v0014_projections,
    v0015_one_ballot_box,
    v0016_hub_profile_fields,
    v0017_across_hubs,
    v0018_candidate_statements,
    v0019_activitypub,
    v0020_bundle_holdings,
    v0021_member_language,
    v0022_members_data_sealed,
)


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    sql: str


class MigrationListError(RuntimeError):
    """The migrations listed here are not 1..N in order: a bug in this package."""


def collect(modules: Sequence[ModuleType]) -> tuple[Migration, ...]:
    """The migrations the modules define, after checking that their versions are
    exactly 1..N in this order and that each module's name starts with its version.

    A gap or a repeat would make the node skip a migration or run one twice on some
    databases, so the package refuses to import rather than let that ship."""
    migrations = []
    for module in modules:
        name = module.__name__.rpartition(".")[2]
        version, description, sql = module.VERSION, module.DESCRIPTION, module.SQL
        if not (type(version) is int and isinstance(description, str) and isinstance(sql, str)):
            raise MigrationListError(
                f"migration module {name} must define VERSION (int), DESCRIPTION and SQL (str)"
            )
        if not name.startswith(f"v{version:04d}_"):
            raise MigrationListError(
                f"migration module {name} holds VERSION = {version}:"
                f" its name must start with v{version:04d}_"
            )
        migrations.append(Migration(version, description, sql))
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise MigrationListError(
            f"migration versions must be 1..{len(versions)} in order, without gaps or"
            f" repeats; node/store/migrations lists {versions}"
        )
    return tuple(migrations)


_MODULES = (
    v0001_message_store,
    v0002_federation,
    v0003_members,
    v0004_governance,
    v0005_funds_and_polls,
    v0006_events,
    v0007_community,
    v0008_vote_secrets,
    v0009_key_commitments_and_node_state,
    v0010_discussions,
    v0011_key_history_and_fork_resolutions,
    v0012_resource_fetch_retries,
    v0013_email_confirmations,
    v0014_projections,
    v0015_one_ballot_box,
    v0016_hub_profile_fields,
    v0017_across_hubs,
    v0018_candidate_statements,
    v0019_activitypub,
    v0020_bundle_holdings,
    v0021_member_language,
    v0022_members_data_sealed,
)

MIGRATIONS: tuple[Migration, ...] = collect(_MODULES)
LATEST_VERSION = len(MIGRATIONS)
