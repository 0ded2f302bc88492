"""Email set up from the browser: the mail server settings an organiser saves on the
Email page, applied at once (no restart) and taking precedence over the config file's
`smtp_*` settings (docs/OPERATIONS.md, "Email").

The settings are `node_state` rows (node/store/office.py). The password is kept
encrypted (Fernet: AES-128-CBC with HMAC-SHA256) with a key in its own file in the data
directory, `mail.key` (mode 0600): a copy of the database alone, or a dump of it, never
shows the password in plain text. Pages never show it either: the form says whether one
is stored and a blank field keeps it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from node.accounts.members import Member
from node.accounts.permissions import Acting, Permission, require
from node.clock import Clock
from node.config import Config
from node.errors import NodeError, Unavailable
from node.notices import MailSettings, Notices
from node.store.office import OfficeStore
from node.wording import Wording

KEY_FILE = "mail.key"
SECURITY = {
    "starttls": "STARTTLS (usually port 587)",
    "tls": "TLS (usually port 465)",
    "none": "None (only on this machine)",
}
_FIELDS = ("host", "port", "security", "username", "from")
_ADDRESS = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")


class MailSetupError(NodeError):
    """Settings that cannot be saved as given; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class MailForm:
    """What the Email page shows: everything but the password."""

    host: str
    port: int
    security: str
    username: str
    sender: str
    has_password: bool
    source: str  # "browser", "config" or "none"


class MailSetup:
    def __init__(self, store: OfficeStore, notices: Notices, config: Config, clock: Clock) -> None:
        self._store = store
        self._notices = notices
        self._config = config
        self._clock = clock
        self._key_path = config.data_dir / KEY_FILE

    async def load(self) -> None:
        """At start: settings saved from the browser take the config file's place."""
        saved = await self._saved()
        if saved is not None:
            self._notices.mail = saved

    async def _saved(self) -> MailSettings | None:
        rows = await self._store.values("mail.")
        if not rows.get("mail.host"):
            return None
        secret = rows.get("mail.password", "")
        return MailSettings(
            host=rows["mail.host"],
            port=int(rows.get("mail.port", "587")),
            security=rows.get("mail.security", "starttls"),
            username=rows.get("mail.username", ""),
            password=_decrypt(self._key_path, secret) if secret else "",
            sender=rows.get("mail.from", ""),
        )

    async def form(self) -> MailForm:
        saved = await self._saved()
        mail = saved or self._notices.mail
        source = "browser" if saved else ("config" if self._notices.mail else "none")
        if mail is None:
            return MailForm("", 587, "starttls", "", "", False, source)
        return MailForm(
            mail.host,
            mail.port,
            mail.security,
            mail.username,
            mail.sender,
            bool(mail.password),
            source,
        )

    async def save(
        self,
        by: Acting,
        *,
        host: str,
        port: str,
        security: str,
        username: str,
        password: str,
        sender: str,
    ) -> None:
        """Check, store and apply the settings; a blank `password` keeps the stored one."""
        require(by, Permission.SET_UP_HUB)
        host = host.strip()
        if not host or len(host) > 253 or any(c.isspace() for c in host):
            raise MailSetupError("Mail server: give its name, for example smtp.example.org.")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise MailSetupError("Port: a number from 1 to 65535 (587 or 465, usually).")
        if security not in SECURITY:
            raise MailSetupError("Security: choose STARTTLS, TLS or none.")
        if not _ADDRESS.fullmatch(sender.strip()):
            raise MailSetupError("From address: an email address, for example hub@example.org.")
        if len(username) > 200 or len(password) > 1000:
            raise MailSetupError("User name or password: too long.")
        keep = (await self._store.values("mail.password")).get("mail.password")
        secret = _encrypt(self._key_path, password) if password else keep
        await self._store.put(
            {
                "mail.host": host,
                "mail.port": str(int(port)),
                "mail.security": security,
                "mail.username": username.strip(),
                "mail.from": sender.strip(),
                "mail.password": secret,
            },
            self._clock(),
        )
        await self._apply()

    async def forget(self, by: Acting) -> None:
        """Drop the settings saved here: the config file's (if any) apply again."""
        require(by, Permission.SET_UP_HUB)
        if not await self._store.values("mail."):
            raise MailSetupError("No email settings are saved here to remove.")
        await self._store.put({f"mail.{f}": None for f in (*_FIELDS, "password")}, self._clock())
        await self._apply()

    async def _apply(self) -> None:
        self._notices.mail = await self._saved() or mail_settings(self._config)
        await self._notices.start()

    async def send_test(self, by: Acting, to: str) -> None:
        """Send a test email now (not through the queue), so a failure shows at once."""
        require(by, Permission.SET_UP_HUB)
        mail = self._notices.mail
        if mail is None:
            raise MailSetupError("Save the mail server's settings first.")
        if not _ADDRESS.fullmatch(to):
            raise MailSetupError("Your account has no email address to send the test to.")
        # In the language of the organiser who asked for it.
        language = by.language if isinstance(by, Member) else None
        hub = {"hub": self._config.name}
        message = EmailMessage()
        message["From"] = mail.sender
        message["To"] = to
        subject = self._notices.say(language, Wording("test email"))
        message["Subject"] = f"{self._config.name}: {subject}"
        message.set_content(
            self._notices.say(
                language,
                Wording(
                    "This is a test from %(hub)s's hub. Email works: members will get their"
                    " notices, and applicants hear when they are approved.\n",
                    hub,
                ),
            )
        )
        try:
            await self._notices.send_message(message)
        except Exception as exc:  # the mail server's own words help the organiser most
            raise Unavailable(
                "The test email could not be sent: %(why)s",
                why=f"{type(exc).__name__}: {exc}"[:250],
            ) from exc


def _fernet(path: Path, create: bool = True):  # type: ignore[no-untyped-def]
    from cryptography.fernet import Fernet

    if create and not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(Fernet.generate_key())
    return Fernet(path.read_bytes().strip())


def _encrypt(path: Path, text: str) -> str:
    return str(_fernet(path).encrypt(text.encode()).decode("ascii"))


def _decrypt(path: Path, token: str) -> str:
    from cryptography.fernet import InvalidToken

    try:
        return str(_fernet(path, create=False).decrypt(token.encode("ascii")).decode())
    except (InvalidToken, OSError, ValueError):
        # The key file was lost or replaced: the organiser types the password again.
        return ""


def mail_settings(config: Config) -> MailSettings | None:
    """The config file's email settings, or None when it configures no mail server."""
    if not config.smtp_host:
        return None
    return MailSettings(
        host=config.smtp_host,
        port=config.smtp_port,
        security=config.smtp_security,
        username=config.smtp_username,
        password=config.smtp_password,
        sender=config.smtp_from,
    )
