"""docs/PROTOCOL.md §13.8: the commitment, digest and tally examples agree with the code."""

from __future__ import annotations

import re
from pathlib import Path

from protocol.tally import Outcome, commitment, input_digest
from tests.assembly import START, LogHub, count

DOC = (Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md").read_text(encoding="utf-8")


def example() -> dict[str, str]:
    match = re.search(r"```assembly\n(.*?)```", DOC, flags=re.S)
    assert match, "no assembly example in PROTOCOL.md"
    return dict(line.split(": ", 1) for line in match[1].splitlines())


def test_commitment_example() -> None:
    ex = example()
    got = commitment(
        bytes.fromhex(ex["commitment-motion"]),
        ex["commitment-origin"],
        ex["commitment-choice"],
        bytes.fromhex(ex["commitment-secret"]),
    )
    assert got.hex() == ex["commitment"]


def test_digest_example() -> None:
    ids = [bytes([3]) * 32, bytes([1]) * 32, bytes([2]) * 32, bytes([1]) * 32]
    assert input_digest(ids) == example()["digest"]


def test_worked_tally_example() -> None:
    a, b, c, d, e = (LogHub(n) for n in range(1, 6))
    mandates = [h.mandate() for h in (a, b, c, d, e)]
    motion = a.motion(quorum_percent=60)
    day = 86_400
    messages = [
        *mandates,
        b.second(motion),
        c.second(motion),
        a.second(motion),
        a.vote(motion, mandates[0], "For", START + 3 * day),
        b.vote(motion, mandates[1], "For", START + 3 * day),
        b.vote(motion, mandates[1], "Against", START + 4 * day),
        c.vote(motion, mandates[2], "For", START + 3 * day),
        d.recall(mandates[3], START + 3 * day),
        d.vote(motion, mandates[3], "For", START + 4 * day),
    ]
    result = count(motion, messages)
    assert (result.hubs_in_body, result.participating, result.quorum_needed) == (4, 3, 3)
    assert dict(result.counts) == {"For": 2, "Against": 1, "Abstain": 0}
    assert result.outcome is Outcome.DECIDED and result.decided == "For"
    assert "## 13. Assemblies" in DOC and "decided: For" in DOC
