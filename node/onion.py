"""The hub as a Tor onion service: what an onion address is, this node's own, and the proxy.

A `.onion` name is not in the DNS (RFC 7686): asking a DNS server for one fails, and
tells whoever watches the DNS which hubs this one talks to. So an onion name is
only ever handed to the SOCKS proxy (`socks5h`: the proxy resolves names), and a
node with no proxy refuses onion addresses with a sentence saying what to set
(node/outbound.py). docs/OPERATIONS.md, "A hub on Tor", is the set-up.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import unquote, urlsplit

from node.errors import ConfigError

if TYPE_CHECKING:
    from node.config import Config

# A version 3 onion address: 56 base32 characters (RFC 4648, lower case), then
# ".onion" (Tor's rend-spec-v3 §6). Version 2 addresses (16 characters) were retired
# by Tor in 2021 and no longer work.
_V3_HOST = re.compile(r"[a-z2-7]{56}\.onion")
SOCKS_SCHEME = "socks5h"
# What the proxy setting should be with Debian's tor, whose SocksPort is 9050.
TOR_PROXY = "socks5h://127.0.0.1:9050"
HOW_TO_SET_PROXY = (
    f'set onion_proxy = "{TOR_PROXY}" with Debian\'s tor running '
    '(docs/OPERATIONS.md, "A hub on Tor")'
)


def is_onion(host: str | None) -> bool:
    """Whether `host` (a host name, not a URL) is in the .onion domain."""
    return bool(host) and str(host).lower().rstrip(".").endswith(".onion")


@functools.lru_cache(maxsize=64)
def url_is_onion(url: str) -> bool:
    # Cached: every page asks it of the hub's own address (is a cookie Secure?).
    try:
        return is_onion(urlsplit(url).hostname)
    except ValueError:
        return False


class Proxy(NamedTuple):
    host: str
    port: int
    username: str | None
    password: str | None


def parse_proxy(text: str) -> Proxy:
    """The onion_proxy setting's parts; ConfigError saying what is wrong otherwise."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"onion_proxy is not a valid address ({exc})") from None
    if parts.scheme == "socks5":
        # socks5:// conventionally means "look the name up here, send the address":
        # for an onion name that lookup fails, and it would leak the name to the DNS.
        raise ConfigError(
            "onion_proxy must start socks5h:// (the proxy looks names up, so no .onion "
            f"name reaches a DNS server), e.g. {TOR_PROXY}"
        )
    if parts.scheme != SOCKS_SCHEME or not parts.hostname or port is None:
        raise ConfigError(
            f"onion_proxy must be a SOCKS5 proxy's address with its port, e.g. {TOR_PROXY}"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"onion_proxy must be only a scheme, host and port, e.g. {TOR_PROXY}")
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return Proxy(parts.hostname, port, username, password)


def onion_url_problem(url: str) -> str | None:
    """Why `url` cannot be this hub's onion address, or None if it can."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"is not a valid address ({exc})"
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https"):
        return "must be an http:// address (Tor encrypts the connection itself)"
    if not _V3_HOST.fullmatch(host):
        return "must name a version 3 onion address (56 letters and digits, then .onion)"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return "must be only the scheme and the onion address"
    return None


def read_hostname_file(path: Path) -> str:
    """The onion URL in a hidden service's `hostname` file, as tor writes it."""
    try:
        host = path.read_text(encoding="ascii").strip().lower()
    except FileNotFoundError:
        raise ConfigError(
            f"onion_hostname_file: {path} does not exist yet; tor writes it when it starts "
            "with the HiddenServiceDir that holds it (is tor running?)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not text"
        raise ConfigError(
            f"onion_hostname_file: cannot read {path} ({reason}); set onion_url instead, "
            "to the address that file holds"
        ) from None
    url = f"http://{host}"
    if onion_url_problem(url) is not None:
        raise ConfigError(f"onion_hostname_file: {path} does not hold a v3 onion address")
    return url


def own_onion_url(config: Config) -> str | None:
    """This hub's onion address, if it has one: the onion_url setting, else what the
    hidden service's hostname file holds, else its url when that is itself an onion.

    Read when asked (an invite, the start of `hubnet run`), not when the settings are
    loaded, so a command that needs no onion address works while tor is stopped.
    """
    if config.onion_url:
        return config.onion_url.rstrip("/")
    if config.onion_hostname_file:
        return read_hostname_file(Path(config.onion_hostname_file))
    if url_is_onion(config.url):
        return config.url.rstrip("/")
    return None
