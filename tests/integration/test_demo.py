"""`make demo`: three hubs found a network and start, a message crosses the line, all
three count a motion the same, Ctrl-C stops them all."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

from tests.integration.network import free_port


def test_demo_shows_a_message_crossing_the_network_and_stops_cleanly(tmp_path: Path) -> None:
    ports = ",".join(str(free_port()) for _ in range(3))
    proc = subprocess.Popen(
        [sys.executable, "-m", "node.demo", "--root", str(tmp_path / "demo"), "--ports", ports],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    ready = threading.Event()

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "Press Ctrl-C" in line:
                ready.set()
        ready.set()
        proc.stdout.close()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        assert ready.wait(90), "".join(lines)
        output = "".join(lines)
        assert "reached Hillfield, through Northgate" in output, output
        assert "All three hubs count the motion" in output, output
        assert "1 for, 1 abstain from 2 hubs" in output, output
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
        reader.join(10)
        assert code == 0, "".join(lines)
    assert "All three hubs stopped." in "".join(lines)
    assert (tmp_path / "demo" / "hillfield" / "hubnet.db").exists()
