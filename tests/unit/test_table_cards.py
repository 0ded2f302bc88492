"""Every table in the templates becomes cards on a phone (web/static/style.css,
`table.cards`): a new table that forgets the class would be cut off on a phone's
screen. (tests/browser/test_narrow_pages.py measures the pages themselves.)"""

from __future__ import annotations

import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"


def test_every_table_in_the_templates_is_cards_on_a_phone() -> None:
    tables = {
        f"{path.name}: {tag}"
        for path in sorted((WEB / "templates").glob("*.html"))
        for tag in re.findall(r"<table\b[^>]*>", path.read_text(encoding="utf-8"))
    }
    assert tables, "no tables found in web/templates"
    plain = sorted(t for t in tables if not re.search(r'class="[^"]*\bcards\b', t))
    assert not plain, f"tables that a phone's screen would cut off: {plain}"
