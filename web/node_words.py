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
    N_("Keep the key to members' details off the server"),
    N_(
        "Members' details are sealed, but the key file sits beside the database, so a "
        "copy of the disk holds both. Move it to a USB stick with 'hubnet key file', "
        "or use a passphrase with 'hubnet key passphrase --only'."
    ),
    # node/accounts/permissions.py `require`: its refusal (raised by a variable's class),
    # with WHO's words (marked there as Terms)
    N_("Only %(who)s can do that."),
    # protocol/tally.py and tally_rules.py: why each message counted or not, and each
    # hub's note, on a motion's page (those with values in them stay as written)
    N_("voted"),
    N_("did not vote"),
    N_("revealed"),
    N_("not revealed: counts as abstention"),
    N_("seconded"),
    N_("counted"),
    N_("counted: sealed until revealed"),
    N_("sent after the close"),
    N_("a hub cannot second its own motion"),
    N_("this hub had already seconded it"),
    N_("this hub's vote was already revealed"),
    N_("a recall of a mandate for this body"),
    N_("the hub was not a member of the network at the close"),
    N_("cast after the close"),
    N_("this motion's votes are sealed, but this vote is open"),
    N_("this motion's votes are open, but this vote is sealed"),
    N_("its choice is not one of the motion's options"),
    N_("it cites no mandate for this body signed before the close"),
    N_("it cites another hub's mandate: a mandate counts only for the hub that issued it"),
    N_("it cites a mandate the hub had replaced with a later one"),
    N_("this motion's votes are open: there is nothing to reveal"),
    N_("sent before the close: reveals count only after it"),
    N_("sent after the reveal window"),
    N_("it does not open this hub's counted vote"),
    N_("it does not match the commitment"),
    N_("a mandate for another body"),
    N_("a mandate signed after the close"),
    N_("not a recall, signed before the close, of a mandate for this body by its own hub"),
    N_("about another motion"),
    # The kinds of message a motion is counted from, named on its page
    N_("Motion"),
    N_("Second"),
    N_("Vote"),
    N_("Sealed vote revealed"),
    N_("Delegate's mandate"),
    N_("Recall of a delegate"),
    # node/network/actions.py DEFAULT_REGIONS: a network's regions by default, sent
    # between hubs in English and named in the reader's language where shown
    N_("East Midlands"),
    N_("East of England"),
    N_("London"),
    N_("North East"),
    N_("North West"),
    N_("Northern Ireland"),
    N_("Scotland"),
    N_("South East"),
    N_("South West"),
    N_("Wales"),
    N_("West Midlands"),
    N_("Yorkshire and The Humber"),
    # node/community/campaigns.py STATUSES: a campaign's status, sent between hubs
    # as these words and shown in the reader's language
    N_("planned"),
    N_("active"),
    N_("won"),
    N_("ended"),
)
