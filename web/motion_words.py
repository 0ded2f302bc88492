"""A network motion in words: its rules, where it stands and its outcome, in the page's
language (web/routes/assembly.py's pages show them)."""

from __future__ import annotations

from typing import Any

from crypto.nodeid import NodeId
from node.assembly import body_words
from node.assembly_records import Checked
from protocol.kinds.assembly import Motion
from protocol.tally import REVEAL_SECONDS, Phase
from web.i18n import N_, _, ngettext
from web.rendering import when
from web.wording import words

FOR_AGAINST = (N_("For"), N_("Against"), N_("Abstain"))
# What each kind of message a motion is counted from is, in words (web/node_words.py).
KINDS = {
    "motion": "Motion",
    "motion.second": "Second",
    "delegate.vote": "Vote",
    "delegate.reveal": "Sealed vote revealed",
    "delegate.mandate": "Delegate's mandate",
    "delegate.recall": "Recall of a delegate",
}
# The words of a motion's own rule, in the page's language where shown.
RULES = {
    "majority": N_("a simple majority: the winning option needs more than half of the votes cast"),
    "two-thirds": N_("two thirds: the winning option needs at least two thirds of the votes cast"),
}


def at_seconds(s: int) -> str:
    return when(s * 1000)


def summary(checked: Checked, names: dict[NodeId, str]) -> dict[str, Any]:
    motion: Motion = checked.motion.body
    r = checked.result
    return {
        "id": checked.motion.id.hex(),
        "title": motion.title,
        "body": words(body_words(motion.body)),
        "hub": names.get(checked.motion.origin) or _("a hub"),
        "closes": at_seconds(motion.closes),
        "phase": r.phase.value,
        "seconds": r.seconds,
        "seconds_needed": r.seconds_needed,
        "outcome": outcome_text(checked),
        "sealed": motion.sealed,
    }


def standing(checked: Checked) -> str:
    """Where the motion is, in words, and whether its result can still change."""
    r = checked.result
    motion: Motion = checked.motion.body
    if r.phase is Phase.SECONDING:
        return _("waiting for seconds until %(closes)s; not final") % {
            "closes": at_seconds(motion.closes)
        }
    if r.phase is Phase.VOTING:
        return _("voting open until %(closes)s; not final") % {"closes": at_seconds(motion.closes)}
    if r.phase is Phase.REVEALING:
        return _("voting closed; sealed votes are revealed until %(ends)s; not final") % {
            "ends": at_seconds(motion.closes + REVEAL_SECONDS)
        }
    return _("final")


def outcome_text(checked: Checked) -> str:
    r = checked.result
    rules: Motion = checked.motion.body
    if r.outcome == "not-seconded":
        outcome = ngettext(
            "not seconded (%(seconds)s of %(needed)s second)",
            "not seconded (%(seconds)s of %(needed)s seconds)",
            r.seconds_needed,
        ) % {"seconds": r.seconds, "needed": r.seconds_needed}
    elif r.outcome == "no-quorum":
        outcome = ngettext(
            "quorum not reached (%(took_part)s of %(hubs)s hub took part; %(needed)s needed)",
            "quorum not reached (%(took_part)s of %(hubs)s hubs took part; %(needed)s needed)",
            r.hubs_in_body,
        ) % {"took_part": r.participating, "hubs": r.hubs_in_body, "needed": r.quorum_needed}
    elif r.outcome == "no-decision":
        outcome = (
            _("no option reached a simple majority")
            if rules.rule == "majority"
            else _("no option reached two thirds")
        )
    else:
        outcome = _("decided: %(option)s") % {"option": option_words(r.decided or "")}
    return outcome if r.final else _("So far: %(outcome)s") % {"outcome": outcome}


def option_words(option: str) -> str:
    """A motion's option as shown: the standard For, Against and Abstain in the page's
    language, an option the motion's author wrote as written."""
    return _(option) if option in FOR_AGAINST else option


def rules_explained(motion: Motion) -> list[str]:
    lines = [
        ngettext(
            "It goes to the vote once %(num)d hub other than the one that tabled it has"
            " seconded it, through a delegate in office for this body.",
            "It goes to the vote once %(num)d hubs other than the one that tabled it have"
            " seconded it, each through a delegate in office for this body.",
            motion.seconds_needed,
        )
        % {"num": motion.seconds_needed},
        _(
            "Each hub in the body has one vote, cast by its delegate, until %(closes)s. A hub"
            " may change its vote until then: its last vote counts."
        )
        % {"closes": at_seconds(motion.closes)},
        _(
            "The decision rule is %(rule)s. Abstentions count towards the quorum but are not"
            " votes cast."
        )
        % {"rule": _(RULES[motion.rule])},
        _(
            "Quorum: at least %(percent)s%% of the hubs in the body must vote. The hubs in the"
            " body are those whose delegate's mandate for it is in force at the close, and any"
            " other hub whose vote counted."
        )
        % {"percent": motion.quorum_percent},
    ]
    if motion.sealed:
        days = REVEAL_SECONDS // 86400
        lines.append(
            ngettext(
                "Votes are sealed: each hub publishes only a commitment until the close, then"
                " reveals its choice within %(num)d day. A vote never revealed counts as an"
                " abstention.",
                "Votes are sealed: each hub publishes only a commitment until the close, then"
                " reveals its choice within %(num)d days. A vote never revealed counts as an"
                " abstention.",
                days,
            )
            % {"num": days}
        )
    return lines
