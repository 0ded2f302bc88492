"""Members' personal data sealed at rest, on real node processes (docs/THREAT_MODEL.md,
"Someone who steals a node's disk"): with the key withheld no member's name or email is
in the database file, its log or a backup, and the hub still federates; the panic lock
ends every session and survives a restart."""

from __future__ import annotations

import subprocess
import tarfile
import time
from pathlib import Path

from node.funds.polls import DAY_MS
from node.funds.units import utc_field
from tests.integration.network import Hub, start_hubs, wait_for
from tests.integration.procs import HUBNET
from tests.integration.web_session import WebSession, organiser_login

PASSPHRASE = "a long passphrase for the door"
CANARIES = {
    "email": "canary-ann-7c41@example.org",
    "name": "Annabel Canaryfield",
    "email2": "canary-bob-9d02@example.org",
    "name2": "Bobbin Canarywood",
}
LOCKED = "details are sealed until an organiser unlocks it."


def _cli_with_input(hub: Hub, text: str, *words: str) -> str:
    split = 2 if words[0] in ("key", "admin") else 1
    result = subprocess.run(
        [*HUBNET, *words[:split], "--data-dir", str(hub.data_dir), *words[split:]],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _raw_bytes(data_dir: Path, backup: Path) -> dict[str, bytes]:
    """What someone holding the disk and the backup could read, file by file."""
    seen = {name: (data_dir / name).read_bytes() for name in ("hubnet.db", "hubnet.db-wal")
            if (data_dir / name).exists()}  # fmt: skip
    with tarfile.open(backup, "r:gz") as tar:
        for member in tar.getmembers():
            extracted = tar.extractfile(member)
            if extracted is not None:
                seen[f"backup:{member.name}"] = extracted.read()
    return seen


def _organiser(hub: Hub) -> WebSession:
    session = WebSession(hub.url)
    session.login(*organiser_login(hub.init_output))
    return session


def test_with_the_key_withheld_no_member_detail_is_on_disk_and_the_hub_still_federates(
    tmp_path: Path,
) -> None:
    a, b = start_hubs(tmp_path, ("Riverside", None), ("Northgate", None))
    try:
        a.peer_with(b)
        for email, name in (("email", "name"), ("email2", "name2")):
            _cli_with_input(
                a, "", "admin", "create", "--email", CANARIES[email], "--name", CANARIES[name]
            )
        organiser = _organiser(a)
        closes = utc_field(int(time.time() * 1000) + 2 * DAY_MS)
        status, page = organiser.post(
            "/polls",
            {"title": "Meet on Tuesdays?", "body": "Move the meeting.", "kind": "yes-no",
             "options": "", "quorum": "0", "closes": closes},
        )  # fmt: skip
        assert status == 200 and "Your proposal is open for votes" in page, page
        # While the node runs with the key in memory, the file and its live log (which
        # holds the newest pages until a checkpoint) hold the details sealed already.
        # Read before the vote: the ballot box empties the log after each vote.
        live = {name: (a.data_dir / name).read_bytes() for name in ("hubnet.db", "hubnet.db-wal")}
        assert len(live["hubnet.db-wal"]) > 0, "nothing in the log to read"
        for name, data in live.items():
            for what, canary in CANARIES.items():
                assert canary.encode() not in data, f"{what} in {name} while running"
        status, page = organiser.post("/polls/1/vote", {"choice": "0"})
        assert "Your vote is recorded" in page
        _cli_with_input(a, PASSPHRASE + "\n", "key", "passphrase")
        a.stop()
        # The key file is taken away (as a USB stick would be) and a backup made.
        key_file = a.data_dir / "data.key"
        key_file.rename(tmp_path / "usb.key")
        backup = tmp_path / "riverside.tar.gz"
        a.cli("backup", str(backup))

        seen = _raw_bytes(a.data_dir, backup)
        assert "backup:data.key" not in seen
        found = {
            f"{what} in {where}"
            for where, data in seen.items()
            for what, canary in CANARIES.items()
            if canary.encode() in data or canary.encode("utf-16-le") in data
        }
        assert found == set()
        assert CANARIES["name"].encode() not in b"".join(seen.values())

        a.start()
        visitor = WebSession(a.url)
        status, page = visitor.get("/")
        assert status == 200 and "Riverside" in page
        status, page = visitor.post("/login", {"email": CANARIES["email"], "password": "x"})
        assert status == 503 and LOCKED in page
        # Federation needs no member's details: news goes both ways while locked.
        b.announce("Northgate news while Riverside is locked")
        a.announce("Riverside news while locked")
        wait_for("a to hold b's news", lambda: "while Riverside is locked" in " ".join(a.texts()))
        wait_for("b to hold a's news", lambda: "Riverside news while locked" in b.texts())

        # The passphrase, given on the unlock page, brings members' details back.
        status, page = visitor.post("/unlock", {"passphrase": "not the passphrase"})
        assert status == 403 and "does not unlock this hub" in page
        status, page = visitor.post("/unlock", {"passphrase": PASSPHRASE})
        assert status == 200 and "The hub is unlocked" in page
        organiser = _organiser(a)
        status, page = organiser.get("/organise/members")
        assert CANARIES["name"] in page and CANARIES["name2"] in page

        # Or at start: `hubnet run --ask-passphrase` refuses to start with a wrong one.
        a.stop()
        run = [*HUBNET, "run", "--data-dir", str(a.data_dir), "--port", str(a.port),
               "--ask-passphrase"]  # fmt: skip
        wrong = subprocess.run(run, input="wrong\n", capture_output=True, text=True, timeout=60)
        assert wrong.returncode == 1 and "does not unlock this hub" in wrong.stderr
        with subprocess.Popen(
            run, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as node:
            assert node.stdin is not None and node.stdout is not None
            node.stdin.write(PASSPHRASE + "\n")
            node.stdin.close()
            while "listening on" not in (line := node.stdout.readline()):
                assert line, "the node did not start"
            try:
                _organiser(a)  # logging in needs members' details: unlocked
            finally:
                node.terminate()
    finally:
        a.stop()
        b.stop()


def test_a_key_file_on_removable_media_or_a_systemd_credential_unlocks_at_start(
    tmp_path: Path,
) -> None:
    (a,) = start_hubs(tmp_path, ("Riverside", None))
    try:
        _cli_with_input(a, "", "admin", "create", "--email", CANARIES["email"],
                        "--name", CANARIES["name"])  # fmt: skip
        a.stop()
        stick = tmp_path / "usb-stick"
        stick.mkdir()
        moved = _cli_with_input(a, "", "key", "file", str(stick / "hubnet.key"))
        assert "the one in the data directory is gone" in moved
        assert not (a.data_dir / "data.key").exists()

        def members_page() -> str:
            return _organiser(a).get("/organise/members")[1]

        a.start()  # the stick is in: the node unlocks itself from it
        assert CANARIES["name"] in members_page()
        a.stop()

        (stick / "hubnet.key").rename(tmp_path / "in-a-drawer.key")
        a.start()  # the stick is out: locked, and says so
        email, password = organiser_login(a.init_output)
        status, page = WebSession(a.url).post("/login", {"email": email, "password": password})
        assert status == 503 and LOCKED in page
        a.stop()

        # The service manager holds it instead: systemd's LoadCredential= puts the file
        # in $CREDENTIALS_DIRECTORY under the credential's name.
        credentials = tmp_path / "credentials"
        credentials.mkdir()
        (tmp_path / "in-a-drawer.key").rename(credentials / "hubnet-data-key")
        a.start(env={"CREDENTIALS_DIRECTORY": str(credentials)})
        assert CANARIES["name"] in members_page()
    finally:
        a.stop()


def test_the_panic_lock_ends_every_session_and_a_restart_stays_locked(tmp_path: Path) -> None:
    (a,) = start_hubs(tmp_path, ("Riverside", None))
    try:
        organiser, bystander = _organiser(a), _organiser(a)
        status, page = organiser.get("/organise/health")
        assert "Lock the hub now" in page
        status, page = organiser.get("/organise/lock")
        assert "Yes, lock the hub now" in page
        status, page = organiser.post("/organise/lock")
        assert status == 200 and "Everyone has been logged out" in page
        for session in (organiser, bystander):
            status, page = session.get("/organise/members")
            assert "Log in" in page and "Log out" not in page  # sent to the login page
        email, password = organiser_login(a.init_output)
        status, page = organiser.post("/login", {"email": email, "password": password})
        assert status == 503 and LOCKED in page

        # The key file is still in the data directory, but a restart stays locked.
        a.stop()
        a.start()
        status, page = organiser.post("/login", {"email": email, "password": password})
        assert status == 503 and LOCKED in page
        status, page = organiser.get("/")
        assert status == 200

        # `hubnet unlock` with the key file lifts the lock; the running node follows.
        a.cli("unlock", "--key-file", str(a.data_dir / "data.key"))
        wait_for("the node to unlock", lambda: "Log out" in organiser.post(
            "/login", {"email": email, "password": password})[1])  # fmt: skip
        # `hubnet lock` from the command line locks the running node within a second.
        a.cli("lock")
        wait_for("the node to lock", lambda: LOCKED in organiser.post(
            "/login", {"email": email, "password": password})[1])  # fmt: skip
        status, page = organiser.get("/organise/members")
        assert "Log out" not in page
    finally:
        a.stop()
