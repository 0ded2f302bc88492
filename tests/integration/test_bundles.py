"""News by USB stick: two hubs of one network that were never peered (no network
between them) converge through bundle files alone, and an altered bundle is refused
with nothing stored (PROTOCOL.md §16), between real node processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crypto.ed25519 import SigningKey
from crypto.nodeid import node_id_from_public_key
from protocol.bundle import BundleHeader, encode_unsigned, parse_unverified, signing_input
from protocol.envelope import decode_envelope, encode_envelope
from tests.integration.network import Hub, start_hubs, wait_for
from tests.integration.procs import run_cli
from tests.integration.web_session import WebSession, organiser_login


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hub, Hub]]:
    # Founders of one network, never peered: nothing passes between them but files.
    hubs = start_hubs(tmp_path_factory.mktemp("bundles"), ("Riverside", None), ("Northgate", None))
    yield hubs[0], hubs[1]
    for hub in hubs:
        hub.stop()


def _news(session: WebSession) -> str:
    status, page = session.get("/dashboard")
    assert status == 200
    return page.split("News from the network", 1)[1]


def _import(hub: Hub, path: Path) -> tuple[int, str]:
    result = run_cli("bundle", "import", "--data-dir", str(hub.data_dir), str(path))
    return result.returncode, result.stdout + result.stderr


def test_two_hubs_never_peered_converge_through_bundles_alone(
    pair: tuple[Hub, Hub], tmp_path: Path
) -> None:
    a, b = pair
    at_a, at_b = WebSession(a.url), WebSession(b.url)
    at_a.login(*organiser_login(a.init_output))
    at_b.login(*organiser_login(b.init_output))
    status, page = at_a.post(
        "/organise/news", {"title": "Library meeting", "text": "Thursday at seven."}
    )
    assert status == 200 and "Announcement published" in page
    b.announce("The food bank opens on Tuesdays")

    to_b = tmp_path / "riverside.hubnet"
    out = a.cli("bundle", "export", "--out", str(to_b))
    assert "signed by this hub" in out and to_b.stat().st_size > 0
    code, out = _import(b, to_b)  # while Northgate runs
    assert code == 0, out
    assert "new messages from 1 hub;" in out and "0 refused" in out, out

    # Back the other way, leaving out what Riverside's bundle said it holds, read in
    # while Riverside's node is stopped.
    to_a = tmp_path / "northgate.hubnet"
    b.cli("bundle", "export", "--out", str(to_a), "--for", a.node_id)
    a.stop()
    code, out = _import(a, to_a)
    a.start()
    assert code == 0, out
    assert "0 already held; 0 refused" in out, out  # nothing of Riverside's came back

    texts = a.texts()
    assert sorted(texts) == sorted(b.texts()) and "The food bank opens on Tuesdays" in texts
    wait_for("Northgate to show Riverside's news", lambda: "Library meeting" in _news(at_b))
    assert "From Riverside" in _news(at_b)
    wait_for("Riverside to show Northgate's news", lambda: "food bank" in _news(at_a))

    # The same bundle again: nothing new.
    code, out = _import(b, to_b)
    assert code == 0, out
    assert "Stored 0 new messages" in out and "already held; 0 refused" in out, out


def test_an_altered_bundle_is_refused_whole_with_nothing_stored(
    pair: tuple[Hub, Hub], tmp_path: Path
) -> None:
    a, b = pair
    a.announce("Rent strike meeting moved to the church hall")
    bundle = tmp_path / "genuine.hubnet"
    a.cli("bundle", "export", "--out", str(bundle))
    data = bundle.read_bytes()

    # One byte changed, in the middle of the file.
    damaged = tmp_path / "damaged.hubnet"
    middle = len(data) // 2
    damaged.write_bytes(data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :])
    code, out = _import(b, damaged)
    assert code != 0 and "nothing was stored" in out and "damaged or altered" in out, out

    # A message swapped for a forged one, and the file signed again, validly, by
    # another key that names itself as the bundle's hub.
    header, envelopes = parse_unverified(data)
    forger = SigningKey.generate()
    swapped = []
    for envelope in envelopes:
        payload, signature = decode_envelope(envelope)
        if b"church hall" in payload:
            payload = payload.replace(b"church hall", b"police yard")
            signature = forger.sign(payload)
        swapped.append(encode_envelope(payload, signature))
    assert swapped != envelopes
    forged_header = BundleHeader(
        node_id_from_public_key(forger.public_key),
        header.created_at,
        header.messages,
        header.origins,
        header.heads,
    )
    unsigned = encode_unsigned(forged_header, swapped)
    forged = tmp_path / "forged.hubnet"
    forged.write_bytes(unsigned + forger.sign(signing_input(unsigned)))
    code, out = _import(b, forged)
    assert code != 0 and "nothing was stored" in out and "not signed by that hub" in out, out

    assert not any("church hall" in t or "police yard" in t for t in b.texts())
    # The genuine bundle is stored: the refusals were the alterations' doing.
    code, out = _import(b, bundle)
    assert code == 0 and "Stored 1 new message from 1 hub" in out, out
    assert "Rent strike meeting moved to the church hall" in b.texts()
