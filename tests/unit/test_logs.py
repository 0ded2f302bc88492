"""log_format = json: one JSON object a line, for log collectors."""

from __future__ import annotations

import json
import logging
import sys

from node.logs import JsonFormatter


def test_json_lines_carry_time_level_logger_and_message() -> None:
    record = logging.LogRecord(
        "node.federation", logging.WARNING, __file__, 1, "push to %s failed", ("abc",), None
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "warning"
    assert entry["logger"] == "node.federation"
    assert entry["message"] == "push to abc failed"
    assert entry["ts"].endswith("Z") and "T" in entry["ts"]


def test_an_exception_stays_inside_its_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["exception"]


def _record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("asyncio", logging.ERROR, __file__, 1, message, args, None)


def test_a_repeated_failure_is_logged_once_an_interval_with_a_count_of_the_rest() -> None:
    from node.logs import RepeatFilter

    now = [0.0]
    repeats = RepeatFilter(interval=10, clock=lambda: now[0])
    accept = "socket.accept() out of system resource: %s"
    assert repeats.filter(_record(accept, "Too many open files"))
    for _ in range(5000):
        now[0] += 0.001
        assert not repeats.filter(_record(accept, "Too many open files"))
    assert repeats.filter(_record("another failure"))  # other messages are not held back
    now[0] = 10.0
    record = _record(accept, "Too many open files")
    assert repeats.filter(record)
    assert record.getMessage() == (
        "socket.accept() out of system resource: Too many open files"
        " (5000 more like this suppressed in the last 10 s)"
    )
    now[0] = 20.0
    quiet = _record(accept, "Too many open files")
    assert repeats.filter(quiet) and "suppressed" not in quiet.getMessage()


def test_configure_installs_the_repeat_filter() -> None:
    from node.logs import RepeatFilter, configure

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure("info", "text")
        assert any(isinstance(f, RepeatFilter) for f in root.handlers[0].filters)
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])


def test_with_no_addresses_kept_a_line_and_its_traceback_lose_every_ip_address() -> None:
    from node.logs import AddressFilter

    try:
        raise ConnectionError("reset by 2001:db8::7")
    except ConnectionError:
        record = logging.LogRecord(
            "aiohttp.server",
            logging.ERROR,
            __file__,
            1,
            "Error handling request from %s",
            ("198.51.100.7",),
            sys.exc_info(),
        )
    assert AddressFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "Error handling request from [address]"
    assert "2001:db8::7" not in entry["exception"] and "[address]" in entry["exception"]
    # Times, versions and node ids are not addresses.
    kept = logging.LogRecord("x", logging.INFO, __file__, 1, "at 06:12:33 v1.2.3 ab:cd", (), None)
    AddressFilter().filter(kept)
    assert kept.getMessage() == "at 06:12:33 v1.2.3 ab:cd"
