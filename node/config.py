"""Settings as data (each with a name, type, default and help), and where they come from.

A node's settings live in `config.toml` in its data directory. An environment
variable HUBNET_<NAME> overrides the file, and a command-line flag overrides
both. A name that is not a setting is an error, never silently ignored.
docs/OPERATIONS.md documents every setting; a test keeps it so.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.errors import ConfigError
from node.onion import onion_url_problem, parse_proxy
from node.settings import SETTINGS as SETTINGS
from node.settings import Setting
from protocol.federation import node_url_problem

CONFIG_FILE = "config.toml"
KEY_FILE = "node.key"
DATABASE_FILE = "hubnet.db"
ENV_PREFIX = "HUBNET_"
# Read by the CLI before any config exists, so it is not a setting in the file.
DATA_DIR_ENV = "HUBNET_DATA_DIR"


_BY_NAME = {s.name: s for s in SETTINGS}
_LOG_LEVELS = ("debug", "info", "warning", "error")
_SMTP_SECURITY = ("starttls", "tls", "none")
_BOOLEANS = {"true": True, "yes": True, "on": True, "1": True}
_BOOLEANS |= {"false": False, "no": False, "off": False, "0": False}


@dataclass(frozen=True, slots=True)
class Config:
    data_dir: Path
    name: str
    url: str
    host: str
    port: int
    max_connections: int
    log_level: str
    verify_threads: int
    max_held_per_origin: int
    pull_interval: int
    witness_delay_ms: int
    retry_max: int
    request_timeout: int
    push_batch: int
    peer_messages_per_minute: int
    peer_bytes_per_minute: int
    argon2_memory_kib: int
    argon2_time_cost: int
    session_idle_minutes: int
    session_max_hours: int
    posts_per_hour: int
    remote_comments_per_hour: int
    budget_proposal_minutes: int
    budget_voting_minutes: int
    budget_shortest_window_minutes: int
    log_format: str
    metrics_token: str
    trusted_proxies: tuple[str, ...]
    metrics_allow: tuple[str, ...]
    forget_client_addresses: bool
    onion_proxy: str
    onion_proxy_all: bool
    onion_url: str
    onion_hostname_file: str
    onion_port: int
    bundle_upload_mib: int
    smtp_host: str
    smtp_port: int
    smtp_security: str
    smtp_username: str
    smtp_password: str
    smtp_from: str
    activitypub: str
    data_key_file: str
    data_key_credential: str
    activitypub_allow_loopback: int

    @property
    def key_path(self) -> Path:
        return self.data_dir / KEY_FILE

    @property
    def database_path(self) -> Path:
        return self.data_dir / DATABASE_FILE

    @property
    def config_path(self) -> Path:
        return self.data_dir / CONFIG_FILE


def _coerce(setting: Setting, value: Any, source: str, from_text: bool) -> Any:
    """Check a value's type; environment variables are text, so parse those."""
    if setting.type is list:
        if isinstance(value, str) and from_text:
            # An environment variable holds a list as comma-separated text.
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{setting.name} in {source} must be a list of text")
        return tuple(value)
    if setting.type is bool:
        if isinstance(value, str) and from_text:
            answer = _BOOLEANS.get(value.strip().lower())
            if answer is None:
                raise ConfigError(f"{setting.name} in {source} must be true or false")
            return answer
        if not isinstance(value, bool):
            raise ConfigError(f"{setting.name} in {source} must be true or false")
        return value
    if setting.type is int:
        if isinstance(value, bool):
            raise ConfigError(f"{setting.name} in {source} must be a whole number")
        if isinstance(value, str) and from_text:
            if not re.fullmatch(r"-?\d+", value.strip()):
                raise ConfigError(f"{setting.name} in {source} must be a whole number")
            return int(value)
        if not isinstance(value, int):
            raise ConfigError(f"{setting.name} in {source} must be a whole number")
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{setting.name} in {source} must be text")
    return value


def validate(values: Mapping[str, Any]) -> None:
    if not 0 <= values["port"] < 65536:
        raise ConfigError(f"port must be between 0 (any free port) and 65535, got {values['port']}")
    if values["max_connections"] < 16:
        raise ConfigError("max_connections must be at least 16")
    if values["log_level"] not in _LOG_LEVELS:
        raise ConfigError(f"log_level must be one of {', '.join(_LOG_LEVELS)}")
    if values["verify_threads"] < 0:
        raise ConfigError("verify_threads must be 0 (one per core) or more")
    if values["max_held_per_origin"] < 1:
        raise ConfigError("max_held_per_origin must be at least 1")
    if not 0 <= values["witness_delay_ms"] <= 60_000:
        raise ConfigError("witness_delay_ms must be from 0 to 60000")
    for name in ("pull_interval", "retry_max", "request_timeout"):
        if values[name] < 1:
            raise ConfigError(f"{name} must be at least 1 second")
    if values["argon2_memory_kib"] < 19456:
        raise ConfigError("argon2_memory_kib must be at least 19456 (OWASP's minimum)")
    if values["argon2_time_cost"] < 2:
        raise ConfigError("argon2_time_cost must be at least 2")
    for name in ("session_idle_minutes", "session_max_hours"):
        if values[name] < 1:
            raise ConfigError(f"{name} must be at least 1")
    for name in ("posts_per_hour", "remote_comments_per_hour"):
        if values[name] < 1:
            raise ConfigError(f"{name} must be at least 1")
    for name in ("budget_proposal_minutes", "budget_voting_minutes"):
        if values[name] < values["budget_shortest_window_minutes"]:
            raise ConfigError(f"{name} must be at least budget_shortest_window_minutes")
    if values["budget_shortest_window_minutes"] < 1:
        raise ConfigError("budget_shortest_window_minutes must be at least 1")
    if values["log_format"] not in ("text", "json"):
        raise ConfigError("log_format must be text or json")
    if values["metrics_token"] and len(values["metrics_token"]) < 16:
        raise ConfigError("metrics_token must be at least 16 characters, or empty")
    for name in ("trusted_proxies", "metrics_allow"):
        for entry in values[name]:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ConfigError(
                    f"{name}: {entry!r} is not an IP address or network (e.g. 10.0.0.0/8)"
                ) from None
    if values["smtp_security"] not in _SMTP_SECURITY:
        raise ConfigError(f"smtp_security must be one of {', '.join(_SMTP_SECURITY)}")
    if not 0 < values["smtp_port"] < 65536:
        raise ConfigError("smtp_port must be between 1 and 65535")
    if values["smtp_host"] and not re.fullmatch(r"[^@\s]+@[^@\s]+", values["smtp_from"]):
        raise ConfigError("smtp_from must be an email address when smtp_host is set")
    for name in ("peer_messages_per_minute", "peer_bytes_per_minute"):
        if values[name] < 1:
            raise ConfigError(f"{name} must be at least 1")
    if not 1 <= values["bundle_upload_mib"] <= 1024:
        raise ConfigError("bundle_upload_mib must be from 1 to 1024")
    if not 1 <= values["push_batch"] <= 1000:
        raise ConfigError("push_batch must be from 1 to 1000")
    # Peers are told this address and glue federation paths to it (PROTOCOL.md §9).
    problem = node_url_problem(values["url"] or "")
    if problem is not None:
        raise ConfigError(f"url {problem}, got {values['url']!r}")
    _validate_onion(values)
    if values["activitypub"] not in ("on", "off"):
        raise ConfigError("activitypub must be on or off")
    if values["activitypub_allow_loopback"] not in (0, 1):
        raise ConfigError("activitypub_allow_loopback must be 0 or 1")
    if not (values["name"] or "").strip():
        raise ConfigError("name must not be empty")


def _validate_onion(values: Mapping[str, Any]) -> None:
    if values["onion_proxy"]:
        parse_proxy(values["onion_proxy"])
    elif values["onion_proxy_all"]:
        raise ConfigError("onion_proxy_all needs onion_proxy: the proxy to send it all through")
    if values["onion_url"]:
        problem = onion_url_problem(values["onion_url"])
        if problem is not None:
            raise ConfigError(f"onion_url {problem}, got {values['onion_url']!r}")
    if not 0 <= values["onion_port"] < 65536:
        raise ConfigError("onion_port must be between 1 and 65535, or 0 for no onion service")
    if values["onion_port"] and values["onion_port"] == values["port"]:
        raise ConfigError("onion_port must differ from port: requests through Tor need their own")


def read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError as exc:
        raise ConfigError(
            f"no hubnet node in {path.parent} ({path.name} is missing); create one with "
            f"'hubnet init --data-dir {path.parent} --name NAME --url URL'"
        ) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    unknown = set(data) - set(_BY_NAME)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s): {', '.join(sorted(unknown))}")
    return data


def from_env(environ: Mapping[str, str]) -> dict[str, str]:
    values = {}
    for var, value in environ.items():
        if not var.startswith(ENV_PREFIX) or var == DATA_DIR_ENV:
            continue
        name = var[len(ENV_PREFIX) :].lower()
        if name not in _BY_NAME:
            raise ConfigError(f"environment variable {var} is not a hubnet setting")
        values[name] = value
    return values


def resolve(
    file: Mapping[str, Any],
    file_source: str,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Every setting's value, validated: defaults < `file` (config.toml's values, read
    from `file_source`) < HUBNET_* variables < `overrides` (the command line's)."""
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    layers = (
        (file, file_source, False),
        (from_env(os.environ if environ is None else environ), "the environment", True),
        ({k: v for k, v in (overrides or {}).items() if v is not None}, "the command line", False),
    )
    for layer, source, from_text in layers:
        for name, value in layer.items():
            if name not in _BY_NAME:
                raise ConfigError(f"{name} is not a hubnet setting")
            values[name] = _coerce(_BY_NAME[name], value, source, from_text)
    validate(values)
    return values


def load(
    data_dir: Path,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """The node's settings: defaults < config.toml < HUBNET_* variables < `overrides`."""
    path = data_dir / CONFIG_FILE
    return Config(data_dir=data_dir, **resolve(read_file(path), str(path), overrides, environ))


def _toml_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    # A JSON string is a valid TOML basic string: same quotes and escapes.
    return json.dumps(str(value), ensure_ascii=False)


def set_in_file(path: Path, changes: Mapping[str, str]) -> None:
    """Set text settings in config.toml, keeping every other line as it is: for a
    setting the node itself changes (the hub's name and address, from its profile
    page). Written to a new file and moved into place, so a crash leaves one whole."""
    lines = path.read_text(encoding="utf-8").splitlines()
    left = dict(changes)
    for i, line in enumerate(lines):
        key = line.split("=", 1)[0].strip()
        if "=" in line and key in left and not line.lstrip().startswith("#"):
            lines[i] = f"{key} = {_toml_value(left.pop(key))}"
    lines.extend(f"{key} = {_toml_value(value)}" for key, value in left.items())
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)


def render_file(values: Mapping[str, Any]) -> str:
    """A config.toml with every setting, its help as a comment, unset ones commented out."""
    lines = ["# hubnet node settings. Every setting is described in docs/OPERATIONS.md.", ""]
    for setting in SETTINGS:
        lines.append(f"# {setting.help}")
        if setting.name in values:
            lines.append(f"{setting.name} = {_toml_value(values[setting.name])}")
        else:
            lines.append(f"# {setting.name} = {_toml_value(setting.default)}")
        lines.append("")
    return "\n".join(lines)
