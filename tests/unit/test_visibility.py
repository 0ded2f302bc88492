"""Who may see an event (protocol/visibility.py): one rule for pages, feeds, search and the wire."""

from __future__ import annotations

from typing import get_args

from hypothesis import given
from hypothesis import strategies as st

from protocol.kinds.event import Visibility
from protocol.visibility import (
    VISIBILITIES,
    Viewer,
    federates,
    may_see,
    search_audience,
    visible_to,
)

VIEWERS: tuple[Viewer, ...] = get_args(Viewer)
ANY_VISIBILITY = st.sampled_from(VISIBILITIES) | st.text(max_size=10)


@given(st.sampled_from(VIEWERS), ANY_VISIBILITY)
def test_a_query_filter_and_a_single_check_agree(viewer: Viewer, visibility: str) -> None:
    assert may_see(viewer, visibility) == (visibility in visible_to(viewer))


@given(ANY_VISIBILITY)
def test_whatever_a_visitor_or_another_hub_sees_a_member_sees(visibility: str) -> None:
    assert not may_see("visitor", visibility) or may_see("member", visibility)
    assert not may_see("hub", visibility) or may_see("member", visibility)
    assert not may_see("visitor", visibility) or may_see("hub", visibility)


def test_public_is_for_everyone_network_for_hubs_and_members_members_for_members() -> None:
    assert [v for v in VISIBILITIES if may_see("visitor", v)] == ["public"]
    assert [v for v in VISIBILITIES if may_see("hub", v)] == ["public", "network"]
    assert [v for v in VISIBILITIES if may_see("member", v)] == list(VISIBILITIES)
    assert not any(may_see(viewer, "secret") for viewer in VIEWERS)


def test_only_wire_visibilities_federate() -> None:
    # Members-only events never become messages (PROTOCOL.md §5, `event`).
    assert {v for v in VISIBILITIES if federates(v)} == set(get_args(Visibility))


@given(ANY_VISIBILITY)
def test_search_shows_the_public_exactly_what_a_visitor_may_see(visibility: str) -> None:
    assert (search_audience(visibility) == "public") == may_see("visitor", visibility)
