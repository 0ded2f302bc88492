"""Size limits every node enforces (PROTOCOL.md §3). Anything over them is refused."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    # Messages are small and numerous; large content travels as resource files.
    max_payload_bytes: int = 64 * 1024
    max_envelope_bytes: int = 64 * 1024 + 128
    max_depth: int = 8
    max_str_bytes: int = 32 * 1024
    max_bin_bytes: int = 1024
    max_array_items: int = 1024
    max_map_items: int = 64
    # Clocks drift; a little more than that is a lie or a broken clock.
    max_future_ms: int = 10 * 60 * 1000


DEFAULT_LIMITS = Limits()
