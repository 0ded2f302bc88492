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
    # node/accounts/permissions.py ROLE_DESCRIPTIONS
    N_(
        "Runs the hub's meetings so that everyone gets a say, keeps them to time, and speaks"
        " for the hub when it needs one voice. Can run events and moderate."
    ),
    N_(
        "Keeps the hub's records: minutes, the charter, elections and who the hub works with"
        " in the network. Opens elections, runs events and can moderate."
    ),
    N_(
        "Welcomes new members: reads applications, approves them, and helps members with"
        " their accounts. Sees members' contact details, and keeps them safe."
    ),
    N_(
        "Starts and runs the hub's campaigns and events, and publishes for the hub: news,"
        " resources and entries in the network's directory."
    ),
    N_(
        "Looks after the hub's money: records what comes in and goes out with receipts, and"
        " opens budget rounds in which members decide how to spend it."
    ),
    N_(
        "Speaks and votes for the hub in the network: proposes motions and votes on them as"
        " members decide. Other hubs see only the name the delegate chooses."
    ),
    N_(
        "Runs a new hub until its first elections: can do what each officer does, and hands"
        " over to the elected officers."
    ),
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
    # node/accounts/permissions.py `require`: its refusal (raised by a variable's class),
    # with WHO's words (marked there as Terms)
    N_("Only %(who)s can do that."),
)
