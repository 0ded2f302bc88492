"""Protocol errors, split by whose fault they are (as h11 does).

A RemoteProtocolError is bad input from a peer or a client: refuse it, tell the
sender why, count it against them. A LocalProtocolError means this node tried to
build something invalid: a bug here, never the peer's fault.

Every error carries a machine-readable `reason` prefix (as Nostr's NIP-01 does:
"invalid", "blocked", "duplicate", ...) and a human sentence.
"""


class ProtocolError(Exception):
    reason = "invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


class LocalProtocolError(ProtocolError):
    """We built something the protocol forbids."""


class RemoteProtocolError(ProtocolError):
    """Someone sent us something the protocol forbids."""


class MalformedPayload(RemoteProtocolError):
    """Bytes that do not decode as canonical msgpack within the limits."""


class SchemaViolation(RemoteProtocolError):
    """A payload or body whose fields have the wrong names, types or sizes."""


class BadSignature(RemoteProtocolError):
    """A signature that does not verify under the origin's key."""


class BrokenChain(RemoteProtocolError):
    """A message whose prev does not match the origin's previous message."""


class TooFarInFuture(RemoteProtocolError):
    """A created-at time too far ahead of the receiver's clock."""
