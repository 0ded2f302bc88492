"""An idle node loads no feature's heavy libraries until the feature is used
(docs/OPERATIONS.md, "Memory and processes"): each is imported on first use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.network import FAST

ROOT = Path(__file__).resolve().parents[2]

# Each library, and the feature that should be the first to import it.
ON_FIRST_USE = {
    "markdown_it": "markdown rendering (node/markdown.py)",
    "nh3": "markdown rendering or the fediverse's replies (node/activitypub)",
    "aiohttp_socks": "the onion proxy (node/outbound.py, only when onion_proxy is set)",
    "python_socks": "the onion proxy (node/outbound.py, only when onion_proxy is set)",
    "http_message_signatures": "signed federation requests (crypto/rfc9421.py)",
    "http_sf": "signed federation requests (crypto/rfc9421.py)",
    "importlib.metadata": "the software version in NodeInfo and /.well-known/hubnet",
    "apsig": "the fediverse's HTTP signatures (node/activitypub/signatures.py)",
    "cryptography": "the fediverse's RSA key, mail passwords, or AES-GCM on a CPU "
    "without AES instructions (crypto/sealing.py)",
}

# What `hubnet run` does up to serving (node/cli/__init__.py, _serve): build the app
# and run its start-up (the node, its stores and services), then list what is loaded.
SCRIPT = """
import asyncio, json, sys
from pathlib import Path

import node.cli
from aiohttp import web
from node import config as settings
from web.app import create_app


async def main():
    config = settings.load(Path(sys.argv[1]), {"host": "127.0.0.1", "port": 0})
    runner = web.AppRunner(create_app(config))
    await runner.setup()
    try:
        await asyncio.sleep(0.2)  # let the start-up tasks take their first step
        print(json.dumps(sorted(sys.modules)))
    finally:
        await runner.cleanup()


asyncio.run(main())
"""


@pytest.fixture(scope="module")
def loaded_at_start(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    data_dir = tmp_path_factory.mktemp("idle") / "node"
    init = [sys.executable, "-m", "node.cli", "init", "--data-dir", str(data_dir)]
    init += ["--name", "Idle", "--url", "http://127.0.0.1:8080", "--no-network"]
    # The test hubs' cheap password hashing (tests/integration/network.py).
    env = {**os.environ, **FAST}
    subprocess.run(init, cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=60)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(data_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.mark.parametrize("module", sorted(ON_FIRST_USE))
def test_an_idle_node_does_not_import(module: str, loaded_at_start: set[str]) -> None:
    loaded = module in loaded_at_start  # not the whole set in the failure message
    assert not loaded, (
        f"{module} is imported when the node starts; it belongs to {ON_FIRST_USE[module]} "
        "and should be imported there on first use"
    )
