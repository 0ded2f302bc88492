"""hubnet's wire protocol: pure rules, no I/O, no clock reads (time is a parameter)."""

PROTOCOL_VERSION = 1
