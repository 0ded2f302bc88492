"""Settings: every one documented, sources layered, mistakes refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.config import SETTINGS, load, render_file
from node.errors import ConfigError

OPERATIONS = Path(__file__).parents[2] / "docs" / "OPERATIONS.md"


def test_every_setting_is_documented() -> None:
    text = OPERATIONS.read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert f"| `{setting.name}` |" in text, f"{setting.name} missing from OPERATIONS.md"


def make(tmp_path: Path, **values: object) -> Path:
    (tmp_path / "config.toml").write_text(
        render_file({"name": "Riverside", "url": "http://127.0.0.1:8080", **values})
    )
    return tmp_path


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    make(tmp_path, port=9000)
    assert load(tmp_path, environ={}).port == 9000
    assert load(tmp_path, environ={"HUBNET_PORT": "9001"}).port == 9001
    assert load(tmp_path, {"port": 9002}, environ={"HUBNET_PORT": "9001"}).port == 9002
    assert load(tmp_path, {"port": None}, environ={}).port == 9000


def test_rendered_file_round_trips_awkward_text(tmp_path: Path) -> None:
    name = 'Hub "North" \\ side\n'
    make(tmp_path, name=name)
    assert load(tmp_path, environ={}).name == name


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"HUBNET_PORTT": "1"}, "HUBNET_PORTT is not a hubnet setting"),
        ({"HUBNET_PORT": "eighty"}, "port in the environment must be a whole number"),
        ({"HUBNET_PORT": "70000"}, "port must be between"),
        ({"HUBNET_LOG_LEVEL": "loud"}, "log_level must be one of"),
        ({"HUBNET_URL": "hub.example.org"}, "url must be an http"),
    ],
)
def test_bad_settings_are_refused_with_the_reason(
    tmp_path: Path, environ: dict[str, str], message: str
) -> None:
    make(tmp_path)
    with pytest.raises(ConfigError, match=message):
        load(tmp_path, environ=environ)


def test_malformed_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("name = \n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load(tmp_path, environ={})


def test_wrong_type_in_file_is_refused(tmp_path: Path) -> None:
    make(tmp_path)
    with (tmp_path / "config.toml").open("a") as f:
        f.write('port = "8080"\n')
    with pytest.raises(ConfigError):
        load(tmp_path, environ={})


def test_address_lists_come_from_the_file_or_comma_separated_from_the_environment(
    tmp_path: Path,
) -> None:
    make(tmp_path, trusted_proxies=["127.0.0.1", "10.0.0.0/8"])
    assert load(tmp_path, environ={}).trusted_proxies == ("127.0.0.1", "10.0.0.0/8")
    environ = {"HUBNET_METRICS_ALLOW": "192.0.2.1, ::1"}
    assert load(tmp_path, environ=environ).metrics_allow == ("192.0.2.1", "::1")
    assert load(tmp_path, environ={"HUBNET_TRUSTED_PROXIES": ""}).trusted_proxies == ()
    with pytest.raises(ConfigError, match="'localhost' is not an IP address"):
        load(tmp_path, environ={"HUBNET_TRUSTED_PROXIES": "localhost"})


async def test_init_hashes_the_founders_password_as_the_node_will_check_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`hubnet init` honours HUBNET_ARGON2_* as `hubnet run` does: an operator on a small
    Raspberry Pi who lowered the memory cost gets a founder's hash made with it."""
    from node.setup import init_data_dir
    from node.store.database import Database
    from node.store.office import OfficeStore

    monkeypatch.setenv("HUBNET_ARGON2_MEMORY_KIB", "19456")
    monkeypatch.setenv("HUBNET_ARGON2_TIME_COST", "2")
    await init_data_dir(tmp_path / "hub", "Riverside", "http://127.0.0.1:8080", network=False)
    db = await Database.open(tmp_path / "hub" / "hubnet.db")
    try:
        hashed = await OfficeStore(db).password_hash(1)
    finally:
        await db.close()
    assert hashed is not None and "$m=19456,t=2," in hashed, hashed
