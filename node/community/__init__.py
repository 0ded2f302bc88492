"""What hubs do together: campaigns, the resource library, speakers, the directory of
local services, the mutual aid board, and search across them."""

from __future__ import annotations

from dataclasses import dataclass

from node.clock import Clock
from node.community.campaigns import Campaigns
from node.community.directory import Directory
from node.community.library import Library
from node.community.mutual_aid import MutualAid
from node.community.projections import Projections
from node.community.speakers import Speakers
from node.resources import ResourceFiles
from node.search import Search
from node.store.database import Database
from node.store.messages import MessageStore


@dataclass(slots=True)
class Community:
    projections: Projections
    search: Search
    campaigns: Campaigns
    library: Library
    speakers: Speakers
    directory: Directory
    mutual_aid: MutualAid

    @classmethod
    def open(
        cls, db: Database, messages: MessageStore, files: ResourceFiles, clock: Clock
    ) -> Community:
        projections = Projections(db, messages.node_id)
        messages.on_stored.append(projections.on_stored)
        return cls(
            projections=projections,
            search=Search(db),
            campaigns=Campaigns(db, messages, projections),
            library=Library(db, messages, files, projections),
            speakers=Speakers(db, messages, projections, clock),
            directory=Directory(db, messages, projections, clock),
            mutual_aid=MutualAid(db, clock),
        )

    async def close(self) -> None:
        await self.projections.close()
