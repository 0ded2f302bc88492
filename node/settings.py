"""Every setting of a node, as data: name, type, default and help text.

node/config.py reads them from config.toml, HUBNET_<NAME> environment variables
and flags; docs/OPERATIONS.md lists them all (a test checks each is there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# A new hub's key to members' sealed details, in its data directory until moved.
DATA_KEY_FILE = "data.key"


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    type: type
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("name", str, None, "The hub's name, shown to members and to other hubs."),
    Setting(
        "url",
        str,
        None,
        "The public base URL other hubs and members reach this node at, e.g. "
        "https://hub.example.org",
    ),
    Setting("host", str, "127.0.0.1", "Address to listen on. Use 0.0.0.0 to listen on all."),
    Setting("port", int, 8080, "TCP port to listen on; 0 picks any free port."),
    Setting(
        "max_connections",
        int,
        512,
        "Most connections open at once; past it a new one closes the oldest idle "
        "connection, or is answered 503 if every connection is busy.",
    ),
    Setting("log_level", str, "info", "Logging level: debug, info, warning or error."),
    Setting(
        "verify_threads",
        int,
        0,
        "How many at once check the signatures of incoming batches (worker processes for a "
        "batch of 64 or more, threads for smaller ones); 0 means one per CPU core, 1 checks "
        "every batch in the node's own process.",
    ),
    Setting(
        "max_held_per_origin",
        int,
        1000,
        "How far ahead of an origin's log a message may be and still be held until "
        "the gap fills; further ahead is refused.",
    ),
    Setting(
        "pull_interval",
        int,
        300,
        "Seconds between routine comparisons of heads with each peer (pull also runs at "
        "start and whenever a peer comes back).",
    ),
    Setting(
        "witness_delay_ms",
        int,
        1500,
        "Milliseconds this node waits after a member's vote, second, sponsorship or leave "
        "arrives before signing a witness of it (messages arriving together share one). "
        "A decision counts only once most hubs have witnessed it before its deadline.",
    ),
    Setting(
        "retry_max",
        int,
        300,
        "Longest wait in seconds between delivery attempts to a peer that is down, and "
        "between attempts at a file no peer could give; waits double from 1 s up to this, "
        "with random jitter.",
    ),
    Setting("request_timeout", int, 30, "Seconds before a request to a peer is given up."),
    Setting("push_batch", int, 200, "Most messages sent to a peer in one push request."),
    Setting(
        "peer_messages_per_minute",
        int,
        20_000,
        "Most messages one peer may push here a minute (a burst of one minute's worth); "
        "a push over it is answered 429 with Retry-After and the peer sends it later.",
    ),
    Setting(
        "peer_bytes_per_minute",
        int,
        64 * 1024 * 1024,
        "Most bytes of push bodies one peer may send here a minute (a burst of one "
        "minute's worth); over it, 429 with Retry-After.",
    ),
    Setting(
        "argon2_memory_kib",
        int,
        65536,
        "Memory per password hash (argon2id), in KiB; at least 19456 (OWASP's minimum). "
        "Stored hashes are upgraded at the next login when this rises.",
    ),
    Setting(
        "argon2_time_cost",
        int,
        3,
        "Passes per password hash (argon2id); at least 2.",
    ),
    Setting(
        "session_idle_minutes",
        int,
        120,
        "Minutes without activity after which a member is logged out.",
    ),
    Setting(
        "session_max_hours",
        int,
        168,
        "Hours after login when a session ends however active it is.",
    ),
    Setting(
        "posts_per_hour",
        int,
        30,
        "Most posts and comments one member may write in an hour; more are refused "
        "with a message saying when they can post again.",
    ),
    Setting(
        "remote_comments_per_hour",
        int,
        120,
        "Most comments from one other hub shown here in an hour; the rest are kept and "
        "shown as the hour allows, so a flood from one hub delays only that hub's.",
    ),
    Setting(
        "budget_proposal_minutes",
        int,
        14 * 24 * 60,
        "How long a new budget round takes proposals, in minutes, as the round's form "
        "suggests it (the treasurer may change it); 14 days unless set.",
    ),
    Setting(
        "budget_voting_minutes",
        int,
        7 * 24 * 60,
        "How long a new budget round's voting lasts, in minutes, as the form suggests it; "
        "7 days unless set. A practice round in a meeting might take 10 and 15.",
    ),
    Setting(
        "budget_shortest_window_minutes",
        int,
        5,
        "The shortest a budget round's proposal or voting window may be, in minutes "
        "(at least 1), so a hub can try a round within a meeting.",
    ),
    Setting(
        "log_format",
        str,
        "text",
        "How log lines are written: text (for people) or json (one object a line, for "
        "log collectors).",
    ),
    Setting(
        "metrics_token",
        str,
        "",
        "Bearer token that GET /metrics requires; empty allows only direct requests from "
        "this machine (loopback, not through a reverse proxy).",
    ),
    Setting(
        "trusted_proxies",
        list,
        (),
        "Addresses or networks (CIDR) of reverse proxies in front of this node, e.g. "
        '["127.0.0.1", "::1"]; only a request from one of them has its client address '
        "taken from X-Forwarded-For or Forwarded. Empty: the header is never trusted.",
    ),
    Setting(
        "metrics_allow",
        list,
        (),
        "Client addresses or networks (CIDR) that may read GET /metrics without the "
        "metrics_token, e.g. a monitoring server's address.",
    ),
    Setting(
        "forget_client_addresses",
        bool,
        True,
        "Keep no client's IP address in any log line, database row or metric: the "
        "per-address limits count a keyed hash whose key lives only in memory and is "
        "replaced every hour. Turn off only to debug a proxy set-up.",
    ),
    Setting(
        "onion_proxy",
        str,
        "",
        "SOCKS5 proxy through which peers at .onion addresses (Tor onion services) are "
        'reached, e.g. "socks5h://127.0.0.1:9050" for Debian\'s tor; socks5h: the proxy, '
        "not this machine, looks names up. Empty: an .onion peer is refused with a "
        "sentence saying to set this, and its name is never looked up.",
    ),
    Setting(
        "onion_proxy_all",
        bool,
        False,
        "Send every connection to another server (peers, files, the fediverse, hubnet "
        "doctor's checks) through onion_proxy, not only those to .onion addresses, so no "
        "other server sees this hub's own IP address when it connects out.",
    ),
    Setting(
        "onion_url",
        str,
        "",
        "This hub's own onion address, e.g. http://…56 characters….onion, as the hidden "
        "service's hostname file holds it: invites carry it, and pages served through "
        "Tor link to it. Empty: read from onion_hostname_file, or none.",
    ),
    Setting(
        "onion_hostname_file",
        str,
        "",
        "Path of the hidden service's hostname file (e.g. /var/lib/tor/hubnet/hostname) "
        "to read the onion address from when onion_url is empty; the node's user must "
        "be able to read it.",
    ),
    Setting(
        "onion_port",
        int,
        0,
        "Loopback port where the node also listens for its onion service (the torrc's "
        "HiddenServicePort points here): requests on it are known to come through Tor, "
        "so they never count as this machine's own, and their cookies and links suit "
        "the onion address. 0: no onion service.",
    ),
    Setting(
        "bundle_upload_mib",
        int,
        64,
        "Largest bundle file (news by USB stick) an organiser may upload on the "
        "exchange page, in MiB; the command line has no limit.",
    ),
    Setting(
        "smtp_host",
        str,
        "",
        "Mail server that sends members their notices by email; empty: notices only in the app.",
    ),
    Setting("smtp_port", int, 587, "The mail server's port (587 for STARTTLS, 465 for TLS)."),
    Setting(
        "smtp_security",
        str,
        "starttls",
        "How to secure the connection to the mail server: starttls, tls or none.",
    ),
    Setting("smtp_username", str, "", "User name for the mail server; empty: no login."),
    Setting("smtp_password", str, "", "Password for the mail server."),
    Setting("smtp_from", str, "", "The From address of the hub's emails, e.g. hub@example.org."),
    Setting(
        "activitypub",
        str,
        "on",
        "Whether the hub can be followed from the fediverse (Mastodon, Mobilizon, Gancio): "
        "on or off. Off: WebFinger, the hub's actor and its inbox answer 404 and nothing "
        "is sent to followers.",
    ),
    Setting(
        "data_key_file",
        str,
        DATA_KEY_FILE,
        "The key file that unlocks members' personal data (sealed at rest) when the node "
        "starts: a path, relative to the data directory unless absolute. Put it on "
        "removable media ('hubnet key file PATH'); while it is absent the hub is locked.",
    ),
    Setting(
        "data_key_credential",
        str,
        "hubnet-data-key",
        "The name of a systemd credential holding a key file (LoadCredential= or "
        "LoadCredentialEncrypted= in the unit), read from $CREDENTIALS_DIRECTORY at start.",
    ),
    Setting(
        "activitypub_allow_loopback",
        int,
        0,
        "1 lets the hub fetch from and deliver to loopback addresses over plain http, for "
        "tests with several servers on one machine; 0 (the default) refuses them.",
    ),
)
