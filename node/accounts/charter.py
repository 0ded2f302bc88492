"""The texts a person agrees to when joining: the network's charter and the privacy notice.

A hub adopts a charter version (the governance work lets a hub adopt new ones);
until then every node offers this first version. Members sign a version, and the
version and time are recorded with their application.
"""

CHARTER_VERSION = "1"
CHARTER_TITLE = "The network's charter"
CHARTER_TEXT = """\
We are a network of local hubs of people who organise where they live.

1. Every member has an equal voice and an equal vote.
2. Nobody holds a role for ever: every role is elected for twelve months, and then
   its holder stands down and rests from it for twelve months.
3. Members decide together how the hub's money is spent, and everyone can see
   where it went.
4. Hubs work together as equals. No group decides for the whole network: the
   network's decisions are made by every hub's delegate, and every hub counts the
   votes for itself.
5. We hold public meetings open to all, and we help neighbours find the help
   they need.
6. We treat each other with respect, and we keep each other's personal details safe.
"""

PRIVACY_VERSION = "1"
PRIVACY_TEXT = """\
Your name, email address, phone number and anything you write when applying stay
on this hub's own server. They are never sent to other hubs. The hub's organisers
(the membership secretary and the steering group) can see them, to run the hub.
How you vote in the hub's ballots is kept secret. You can download everything the
hub holds about you at any time, and when you leave, it is erased.
"""
