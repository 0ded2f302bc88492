"""The hub's own money and decisions: the funds ledger, participatory budgeting, local polls.

Everything here stays on this node and never federates: no kind in protocol/kinds
carries any of it. The rules are pure functions (`ledger`, `budget`, `polls`,
`units`, `receipts.check_receipt`, `notices`); `books` (the ledger), `rounds`
(participatory budgeting) and `polling` (polls) apply them against the clock,
with their SQL in node/store (`funds`, `budget`, `polls`); `service.Funds` puts
the three behind one name and settles windows that have closed.
"""
