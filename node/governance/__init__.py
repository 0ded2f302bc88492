"""The hub's own governance: charter, roles and terms, elections with secret ballots.

Pure rules live in `terms` (term lengths, the rest year) and `tally` (counting);
`service` keeps the books in SQLite and does what follows from them. Nothing here
federates except the delegate's `delegate.mandate` and `delegate.recall` messages.
"""
