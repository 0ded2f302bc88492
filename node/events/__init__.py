"""Events: the latest version of every hub's events, RSVPs, and the network calendar."""

from __future__ import annotations

from dataclasses import dataclass

from crypto.nodeid import NodeId
from node.clock import Clock
from node.events.attendance import Attendance
from node.events.calendar import Calendar
from node.events.counts import AttendanceCounts
from node.events.organiser import Organiser
from node.events.projection import EventProjection
from node.projections.runner import ProjectionRunner
from node.store.attendance import AttendanceStore
from node.store.attendance_counts import AttendanceCountsStore
from node.store.calendar import CalendarStore
from node.store.database import Database
from node.store.events import EventsStore
from node.store.messages import MessageStore


@dataclass(slots=True)
class Events:
    projection: EventProjection
    calendar: Calendar
    organiser: Organiser
    attendance: Attendance

    @classmethod
    def build(
        cls,
        db: Database,
        messages: MessageStore,
        runner: ProjectionRunner,
        node_id: NodeId,
        clock: Clock,
    ) -> Events:
        projection = EventProjection(runner)
        calendar = Calendar(db, CalendarStore(db), projection)
        counts = AttendanceCounts(AttendanceCountsStore(db), messages)
        runner.add(counts.projection())
        return cls(
            projection=projection,
            calendar=calendar,
            organiser=Organiser(EventsStore(db), messages, projection, calendar, node_id, clock),
            attendance=Attendance(
                AttendanceStore(db, me=node_id), projection, node_id, clock, counts
            ),
        )
