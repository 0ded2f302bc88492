"""Words the services in node/ give the pages (role titles, kinds of event), marked
here for the catalogue: node/ knows nothing of languages, and the pages translate
them where they show them (`_(r.title)`). tests/unit/test_translations.py checks
that this list keeps up with node/'s."""

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
)
