"""Every page's words go through the catalogue (docs/ARCHITECTURE.md, "Languages"):
no template text outside {% trans %}, and a Welsh translation for every message."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest
from babel.messages import pofile

from web.rendering import TEMPLATES

ROOT = Path(__file__).parents[2]
TRANSLATIONS = ROOT / "web" / "translations"
# Text a page shows that is the same in every language (a name, a symbol).
ALLOWED = {
    # hub_profile.html's macro writes a field's attributes, which read as text here.
    'aria-invalid="true" aria-describedby=" -error"',
}
# Attributes a reader hears or sees, besides the text between tags.
SHOWN_ATTRIBUTES = {"placeholder", "aria-label", "title", "alt", "data-label"}
_JINJA = " "  # what a {{ value }} or {% tag %} outside {% trans %} reads as here


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_data(self, data: str) -> None:
        self.found.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.extend(v or "" for k, v in attrs if k in SHOWN_ATTRIBUTES)


def untranslated(source: str) -> list[str]:
    """Text with letters outside {% trans %} in a template: Jinja's lexer's `data`
    tokens, read as HTML (so tags and attribute names do not count)."""
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    kept: list[str] = []
    depth = 0
    before = ""  # the kind of the token before, whitespace aside
    for _, kind, value in env.lex(source):
        if kind == "whitespace":
            continue
        if kind == "name" and before == "block_begin":
            depth += value == "trans"
            depth -= value == "endtrans"
        before = kind
        if depth:
            continue
        kept.append(value if kind == "data" else _JINJA if kind.endswith("_begin") else "")
    parser = _Text()
    parser.feed("".join(kept))
    parser.close()
    words = (t.strip() for t in parser.found)
    return [w for w in words if re.search(r"[^\W\d_]", w) and w not in ALLOWED]


TEMPLATE_FILES = sorted(p.name for p in TEMPLATES.glob("*.html"))


@pytest.mark.parametrize("name", TEMPLATE_FILES)
def test_a_template_shows_no_text_outside_the_catalogue(name: str) -> None:
    left = untranslated((TEMPLATES / name).read_text())
    assert not left, f"{name}: mark these with {{% trans %}}: {left[:5]}"


def test_the_check_finds_unmarked_text_and_passes_marked_text() -> None:
    assert untranslated('<p title="Hello">{% trans %}Hi{% endtrans %} {{ x }}</p>') == ["Hello"]
    assert untranslated("<p>{{ _('Hi') }} · {% trans n=1 %}{{ n }} day{% endtrans %}</p>") == []
    assert untranslated("<p>{% if x %}Yes{% endif %}</p>") == ["Yes"]


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\([a-z_0-9]+\)[sdr]|%[sd]|%%", text))


def test_every_message_has_a_welsh_translation_with_the_same_placeholders() -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        template = pofile.read_po(f)
    with (TRANSLATIONS / "cy" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        welsh = pofile.read_po(f, locale="cy")
    missing, wrong = [], []
    for message in template:
        if not message.id:
            continue
        found = welsh.get(message.id, message.context)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = found.string if found is not None else ()
        strings = strings if isinstance(strings, tuple) else (strings,)
        if found is None or not all(strings):
            missing.append(ids[0])
            continue
        for text in strings:
            if _placeholders(text) != _placeholders(ids[-1]):
                wrong.append(f"{ids[0]!r}: {text!r}")
    assert not missing, f"{len(missing)} messages have no Welsh: {missing[:5]}"
    assert not wrong, f"placeholders differ: {wrong[:5]}"


def test_the_catalogue_template_is_up_to_date_with_the_pages(tmp_path: Path) -> None:
    out = tmp_path / "messages.pot"
    # As `make translations` does: the services' refusals and words by keywords.txt.
    refusals = (TRANSLATIONS / "keywords.txt").read_text().split()
    subprocess.run(
        [sys.executable, "-c", "from babel.messages.frontend import main; main()", "extract",
         "-F", "babel.cfg", "-k", "N_", *(f"-k{name}" for name in refusals),
         "--no-location", "--omit-header", "-o", str(out), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with out.open("rb") as f:
        fresh = {m.id for m in pofile.read_po(f) if m.id}
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        kept = {m.id for m in pofile.read_po(f) if m.id}
    assert fresh == kept, "run `make translations`: " + str(sorted(fresh ^ kept, key=str)[:5])


# Where a refusal is the operator's, met on the command line or in the node's log, not on
# a member's page: it may be written with its values formatted in, in English.
OPERATORS = (
    "node/cli/",
    "node/backup.py",
    "node/setup.py",
    "node/identity.py",
    "node/keys.py",
    "node/store/",
    "node/activitypub/keys.py",
    "node/federation/",
)


def formatted_refusals(source: str, refusals: set[str]) -> list[int]:
    """The lines of `source` that raise one of `refusals` with an f-string: the catalogue
    cannot hold it, so it could only ever be shown in English (node/wording.py)."""
    lines = []
    for found in ast.walk(ast.parse(source)):
        if isinstance(found, ast.Raise) and isinstance(found.exc, ast.Call) and found.exc.args:
            called = found.exc.func
            name = getattr(called, "id", None) or getattr(called, "attr", None)
            if name in refusals and isinstance(found.exc.args[0], ast.JoinedStr):
                lines.append(found.lineno)
    return lines


def test_every_refusal_a_member_may_meet_is_written_for_the_catalogue() -> None:
    refusals = set((TRANSLATIONS / "keywords.txt").read_text().split())
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted((ROOT / "node").rglob("*.py"))
        if not str(path.relative_to(ROOT)).startswith(OPERATORS)
        for line in formatted_refusals(path.read_text(), refusals)
    ]
    assert not found, "raise these as a template with %(name)s and values: " + str(found)
    # The check finds one.
    assert formatted_refusals('raise FundsError(f"{what} is missing.")', {"FundsError"}) == [1]
    assert formatted_refusals('raise FundsError("%(what)s is missing.", what=w)', refusals) == []


def test_the_words_node_gives_the_pages_are_in_the_catalogue() -> None:
    from node.accounts.permissions import ROLE_DESCRIPTIONS, ROLE_TITLES
    from node.community.campaigns import STATUSES
    from node.discussion.topics import CATEGORIES
    from node.events.drafts import TYPE_TITLES, VISIBILITIES
    from node.funds.ledger import KIND_TITLES
    from node.network.actions import DEFAULT_REGIONS
    from web.node_words import WORDS

    given = {
        *ROLE_TITLES.values(),
        *ROLE_DESCRIPTIONS.values(),
        *TYPE_TITLES.values(),
        *VISIBILITIES.values(),
        *KIND_TITLES.values(),
        *CATEGORIES.values(),
        *DEFAULT_REGIONS,
        *STATUSES,
    }
    assert given <= set(WORDS), sorted(given - set(WORDS))


def test_times_and_plurals_follow_the_pages_language() -> None:
    from web import i18n
    from web.rendering import describe_date, time_left, when

    day = 86_400_000
    i18n.use("cy")
    try:
        assert time_left(0, day) == "mewn 1 diwrnod"
        assert time_left(0, 2 * day) == "mewn 2 ddiwrnod"  # Welsh: the form for two
        assert time_left(0, 5 * day) == "mewn 5 diwrnod"
        assert when(1_900_000_000_000) == "17 Maw 2030, 17:46 GMT"
        assert describe_date(1_900_000_000_000) == "17 Mawrth 2030 am 17:46 GMT"
    finally:
        i18n.use("en")
    assert (time_left(0, day), time_left(0, 2 * day)) == ("in 1 day", "in 2 days")
    assert when(1_900_000_000_000) == "17 Mar 2030, 17:46 GMT"
