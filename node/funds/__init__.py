"""The hub's own money and decisions: the funds ledger, participatory budgeting, local polls.

Everything here stays on this node and never federates: no kind in protocol/kinds
carries any of it. The rules are pure functions (`ledger`, `budget`, `polls`,
`units`, `receipts.check_receipt`, `notices`); `service` holds the SQL and the
clock, and calls the rules.
"""
