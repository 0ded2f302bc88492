"""What hubs do together: campaigns, the resource library, speakers, the directory of
local services, the mutual aid board, and search across them."""

from __future__ import annotations

from dataclasses import dataclass

from node.clock import Clock
from node.community.campaigns import Campaigns
from node.community.directory import Directory
from node.community.library import Library
from node.community.mutual_aid import MutualAid
from node.community.projections import community_projections
from node.community.speaker_requests import SpeakerRequests
from node.community.speakers import Speakers
from node.notices import Notices
from node.projections.runner import ProjectionRunner
from node.resources import ResourceFiles
from node.search import Search
from node.store.campaigns import CampaignsStore
from node.store.database import Database
from node.store.directory import DirectoryStore
from node.store.library import LibraryStore
from node.store.messages import MessageStore
from node.store.mutual_aid import MutualAidStore
from node.store.search import SearchStore
from node.store.speaker_requests import SpeakerRequestsStore
from node.store.speakers import SpeakersStore


@dataclass(slots=True)
class Community:
    search: Search
    campaigns: Campaigns
    library: Library
    speakers: Speakers
    speaker_requests: SpeakerRequests
    directory: Directory
    mutual_aid: MutualAid

    @classmethod
    def open(
        cls,
        db: Database,
        messages: MessageStore,
        runner: ProjectionRunner,
        files: ResourceFiles,
        clock: Clock,
        notices: Notices,
    ) -> Community:
        runner.add(*community_projections(messages.node_id))
        requests = SpeakerRequests(SpeakerRequestsStore(db), messages, runner, notices, clock)
        runner.add(requests.projection())
        return cls(
            search=Search(SearchStore(db)),
            campaigns=Campaigns(db, CampaignsStore(db), messages, runner),
            library=Library(db, LibraryStore(db), messages, files, runner),
            speakers=Speakers(db, SpeakersStore(db), messages, runner, clock),
            speaker_requests=requests,
            directory=Directory(db, DirectoryStore(db), messages, runner, clock),
            mutual_aid=MutualAid(MutualAidStore(db), clock),
        )
