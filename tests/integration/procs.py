"""Real `hubnet` processes for integration tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

HUBNET = [sys.executable, "-m", "node.cli"]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HUBNET, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


class NodeProcess:
    """`hubnet run` on a loopback port (0: any free one, read from its output).

    A thread drains the process's output all the time, so a chatty node never
    blocks on a full pipe; the lines are kept in `output` for failure messages.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int = 0,
        env: dict[str, str] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.data_dir = data_dir
        self.proc = subprocess.Popen(
            [
                *HUBNET,
                "run",
                "--data-dir",
                str(data_dir),
                "--host",
                host,
                "--port",
                str(port),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.output: list[str] = []
        self._listening = threading.Event()
        self.url = ""
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        if not self._listening.wait(30) or not self.url:
            self.proc.kill()
            self._reader.join(10)
            raise RuntimeError("node did not start:\n" + "".join(self.output))

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            match = re.search(r"listening on (http://\S+)", line)
            if match and not self.url:
                self.url = match.group(1)
                self._listening.set()
        self._listening.set()  # the process ended; wake a waiting constructor
        self.proc.stdout.close()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=20)
        self._reader.join(10)
        return code
