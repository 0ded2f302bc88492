"""Deliberation: hub discussions, comments across hubs, working groups and moderation."""

from __future__ import annotations

from dataclasses import dataclass

from node.clock import Clock
from node.config import Config
from node.discussion.comments import Comments
from node.discussion.groups import Groups
from node.discussion.hooks import Hooks
from node.discussion.moderation import Moderation
from node.discussion.topics import Topics
from node.notices import Notices
from node.projections.runner import ProjectionRunner
from node.search import Search
from node.store.comments import CommentsStore
from node.store.database import Database
from node.store.groups import GroupsStore
from node.store.messages import MessageStore
from node.store.moderation import ModerationStore
from node.store.search import SearchStore
from node.store.topics import TopicsStore


@dataclass(slots=True)
class Discussion:
    topics: Topics
    comments: Comments
    moderation: Moderation
    groups: Groups
    hooks: Hooks

    @classmethod
    def build(
        cls,
        config: Config,
        db: Database,
        clock: Clock,
        messages: MessageStore,
        notices: Notices,
        runner: ProjectionRunner,
    ) -> Discussion:
        hooks = Hooks(Search(SearchStore(db)), notices)
        topics_store = TopicsStore(db)
        topics = Topics(topics_store, clock, hooks, config.posts_per_hour)
        comments = Comments(
            CommentsStore(db),
            topics_store,
            clock,
            messages,
            hooks,
            runner,
            config.posts_per_hour,
            config.remote_comments_per_hour,
        )
        return cls(
            topics=topics,
            comments=comments,
            moderation=Moderation(ModerationStore(db), clock, messages, hooks),
            groups=Groups(GroupsStore(db), clock, topics),
            hooks=hooks,
        )
