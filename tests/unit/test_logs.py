"""log_format = json: one JSON object a line, for log collectors."""

from __future__ import annotations

import json
import logging

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
