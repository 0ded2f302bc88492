"""Fault injection for integration tests: a TCP proxy the test puts between two nodes."""
