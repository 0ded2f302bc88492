"""Errors raised by the crypto layer."""


class CryptoError(Exception):
    """Base class for the crypto layer's errors."""


class BadPublicKey(CryptoError):
    """A public key that is malformed, not canonical, or of small order."""


class BadNodeId(CryptoError):
    """Text that is not a well-formed hubnet node id."""


class KeyFileError(CryptoError):
    """A key file that is missing, unreadable or corrupt."""


class RequestSignatureError(CryptoError):
    """A signed node-to-node HTTP request that must be refused: the sender's fault.

    `reason` is a short, stable sentence a machine can match ("signature is too
    old"); `detail`, when present, says more for logs and is not stable.
    """

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(reason if detail is None else f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
