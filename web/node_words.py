"""Words the services in node/ give the pages (role titles, kinds of event), marked
here for the catalogue: node/ knows nothing of languages, and the pages translate
them where they show them (`_(r.title)`). tests/unit/test_translations.py checks
that this list keeps up with node/'s lists."""

from __future__ import annotations

from web.i18n import N_

WORDS = (
    # node/accounts/permissions.py ROLE_TITLES
    N_("Chair"),
    N_("Secretary"),
    N_("Membership secretary"),
    N_("Campaigns co-ordinator"),
    N_("Treasurer / fundraiser"),
    N_("Delegate to the network"),
    N_("Interim steering group"),
    # node/events/drafts.py TYPE_TITLES
    N_("Public meeting"),
    N_("Training"),
    N_("Social"),
    N_("Action or picket"),
    N_("Reading group"),
    N_("Conference"),
    # node/events/drafts.py VISIBILITIES
    N_("Public: anyone may see it"),
    N_("Network: members of the network's hubs"),
    N_("Members only: this hub's members; never sent to other hubs"),
    # node/funds/ledger.py KIND_TITLES
    N_("Income"),
    N_("Spending"),
    N_("Commitment"),
    N_("Cancellation"),
    # node/discussion/topics.py CATEGORIES
    N_("General"),
    N_("Campaigns and actions"),
    N_("Events and meetings"),
    N_("Mutual aid"),
    N_("Working groups"),
    # node/setup_checklist.py: each step's title and hint
    N_("Change the first organiser's password"),
    N_("The password shown when the hub was set up was seen on a screen: choose your own."),
    N_("Describe the hub"),
    N_("A description, a region and where the hub meets, for people looking for it."),
    N_("Adopt the charter"),
    N_("Members sign the charter the hub has adopted when they join."),
    N_("Set up email"),
    N_("So applicants hear when they are approved and members get their notices."),
    N_("Connect with a neighbouring hub"),
    N_("Swap invites with another hub's organiser, as text or a QR code."),
    N_("Plan the first event"),
    N_("A meeting, a stall or a social: it shows on the calendar of every hub."),
)
