"""Log set-up: plain text for people, or one JSON object a line for log collectors.

Log messages name nodes by id and never carry members' personal data (names,
emails, addresses): those stay in the database, and nothing in node/ or web/
logs them. With the forget_client_addresses setting (the default) no line holds
an IP address either: the libraries underneath (aiohttp names the client of a
request it could not parse) are not ours to change, so `AddressFilter` takes any
address out of every line, and out of its traceback, before it is written.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable

REPEAT_INTERVAL_SECONDS = 60.0


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text  # as AddressFilter left it
        elif record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class RepeatFilter(logging.Filter):
    """Lets one message through at most once per `interval` seconds.

    The same failure can repeat thousands of times a second (asyncio's accept loop
    logs each "Too many open files" while the node has no descriptors left, 495 MB
    of log in 75 s): the first is logged, the rest of the interval are counted, and
    the next one let through says how many were suppressed. Messages are the same
    when their logger, level and unformatted text are (so a peer id in the
    arguments does not make them differ).
    """

    def __init__(
        self,
        interval: float = REPEAT_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        capacity: int = 1000,
    ) -> None:
        super().__init__()
        self._interval = interval
        self._clock = clock
        self._capacity = capacity
        # key -> (when last let through, how many suppressed since)
        self._seen: OrderedDict[tuple[str, int, str], tuple[float, int]] = OrderedDict()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, str(record.msg))
        now = self._clock()
        last = self._seen.get(key)
        if last is not None and now - last[0] < self._interval:
            self._seen[key] = (last[0], last[1] + 1)
            return False
        self._seen[key] = (now, 0)
        self._seen.move_to_end(key)
        while len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
        if last is not None and last[1]:
            record.msg = (
                f"{record.getMessage()} ({last[1]} more like this suppressed in the last "
                f"{now - last[0]:.0f} s)"
            )
            record.args = ()
        return True


# Candidates only: each is checked by `ipaddress` before it is taken out.
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
_IPV6 = re.compile(
    r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3}(?![\w:.])"
)
HIDDEN = "[address]"


def _hide(match: re.Match[str]) -> str:
    try:
        ipaddress.ip_address(match.group(0))
    except ValueError:
        return match.group(0)
    return HIDDEN


def hide_addresses(text: str) -> str:
    """`text` with every IPv4 and IPv6 address in it replaced by [address]."""
    return _IPV6.sub(_hide, _IPV4.sub(_hide, text))


class AddressFilter(logging.Filter):
    """Takes IP addresses out of a record's message and traceback (see the module's doc)."""

    def __init__(self) -> None:
        super().__init__()
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = hide_addresses(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = hide_addresses(record.exc_text)
        return True


def configure(level: str, fmt: str, forget_addresses: bool = True) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RepeatFilter())
    if forget_addresses:
        handler.addFilter(AddressFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
