"""The translations' sources: complete, current, and usable.

Every language's .po file translates every message of the code (0 untranslated, 0 fuzzy), with
the same placeholders as the English, and the .pot is what the code says now (a string added
without running ``python -m app.i18n extract`` fails here). Then the catalogs load and speak.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app import i18n
from tests.languages import TRANSLATED

ROOT = Path(__file__).resolve().parent.parent


def read(path: Path) -> Catalog:
    with path.open("rb") as stream:
        return read_po(stream)


class AnyValue:
    """Formats as anything: ``{n:,}``, ``{time}``, ``{factor:.1f}``."""

    def __format__(self, spec: str) -> str:
        return "x"


def placeholders(text: str) -> set[str]:
    return set(i18n.PLACEHOLDER.findall(text))


def test_every_language_has_its_sources() -> None:
    assert set(i18n.catalog_sources()) == set(TRANSLATED)
    assert (i18n.locale_dir() / "looplab.pot").is_file()


def test_the_template_is_what_the_code_says_now() -> None:
    """The .pot lists exactly the messages the code marks (app/i18n.py's keywords)."""
    keywords = {"_": None, "N_": None, "translated": None, "ngettext": (1, 2)}
    in_code = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT / "app"), keywords=keywords):
        in_code.add(message if isinstance(message, str) else tuple(message))
    template = read(i18n.locale_dir() / "looplab.pot")
    in_template = {m.id for m in template if m.id}
    assert not in_code - in_template, f"not in the .pot (run python -m app.i18n extract): {sorted(map(str, in_code - in_template))}"
    assert not in_template - in_code, f"in the .pot, gone from the code: {sorted(map(str, in_template - in_code))}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated_with_its_placeholders(code: str) -> None:
    template = read(i18n.locale_dir() / "looplab.pot")
    catalog = read(i18n.catalog_sources()[code])
    problems = []
    for english in (m for m in template if m.id):
        message = catalog.get(english.id)
        if message is None:
            problems.append(f"missing: {english.id!r}")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {english.id!r}")
        ids = list(message.id) if isinstance(message.id, tuple) else [message.id]
        strings = list(message.string) if isinstance(message.string, tuple) else [message.string]
        if isinstance(message.id, tuple) and len(strings) != catalog.num_plurals:
            problems.append(f"{len(strings)} plural forms, the language has {catalog.num_plurals}: {english.id!r}")
        for text in strings:
            if not text:
                problems.append(f"untranslated: {english.id!r}")
                continue
            # Each form has the English placeholders (a plural form may leave out the singular's count).
            if not any(placeholders(text) == placeholders(source) for source in ids):
                problems.append(f"placeholders {sorted(placeholders(text))} in {text!r} for {english.id!r}")
            try:
                text.format_map({name: AnyValue() for name in placeholders(text)})
            except (ValueError, KeyError, IndexError) as exc:
                problems.append(f"{text!r} does not format ({exc})")
            if ids[0][:1].isspace() != text[:1].isspace() or ids[0][-1:].isspace() != text[-1:].isspace():
                problems.append(f"spaces at the ends differ: {text!r} for {english.id!r}")
    untranslated = [m for m in catalog if m.id and not m.string]
    assert not problems, f"{code}: {len(problems)} problems\n" + "\n".join(problems)
    assert not untranslated
    assert not [m for m in catalog if m.id and m.fuzzy]


@pytest.mark.parametrize("code", TRANSLATED)
def test_a_lesson_comment_line_stays_short(code: str) -> None:
    """The comments of a lesson's code (app/core/lessons.py), as the translator broke their lines:
    none so long that app.core.lessons.comment has to break it again."""
    from app.core.lessons import COMMENT_WIDTH, _columns

    catalog = read(i18n.catalog_sources()[code])
    long_lines = [
        line
        for message in catalog
        if isinstance(message.id, str) and any(path == "app/core/lessons.py" for path, _line in message.locations)
        and "\n" in message.id
        for line in message.string.split("\n")
        if _columns(line) > COMMENT_WIDTH
    ]  # fmt: skip
    assert not long_lines


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_catalog_loads_and_speaks(code: str) -> None:
    try:
        assert i18n.set_language(code) == code
        assert i18n._("Run") != "Run"
        assert i18n.ngettext("{n} task: {states}", "{n} tasks: {states}", 3) != "{n} tasks: {states}"
        from app.core.lessons import lesson_by_id

        assert lesson_by_id("sleep").title != "Sleep: time.sleep vs await asyncio.sleep"
    finally:
        i18n.set_language("en")
    assert i18n._("Run") == "Run"


def test_the_language_is_chosen_from_the_environment_the_setting_and_the_system(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)
    assert i18n.choose_language() == "en"
    assert i18n.choose_language(system=["de-DE", "en-US"]) == "de"
    assert i18n.choose_language(system=["zh-Hans-CN"]) == "zh_CN"
    assert i18n.choose_language(system=["zh-TW", "ja-JP"]) == "en"  # traditional Chinese is not simplified
    assert i18n.choose_language(system=["pt-PT"]) == "pt_BR"
    assert i18n.choose_language(system=["it-IT", "fr-CA"]) == "fr"
    monkeypatch.setenv("LANG", "es_MX.UTF-8")
    assert i18n.choose_language() == "es"
    assert i18n.choose_language("de") == "de"  # Settings beat the system
    monkeypatch.setenv(i18n.ENV_VAR, "fr")
    assert i18n.choose_language("de") == "fr"  # LOOPLAB_LANG beats Settings
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv(i18n.ENV_VAR)
    assert i18n.choose_language(system=["de-DE"]) == "de"  # "C" is no choice: Qt's system languages still count
    assert i18n.match_language(["C"]) == "en"


def test_an_unknown_language_falls_back_to_english() -> None:
    assert i18n.set_language("xx") == "en"
    assert i18n.set_language(None) == "en"
    assert i18n._("Run") == "Run"


def test_a_catalog_not_compiled_is_read_from_its_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh checkout that skipped `python -m app.i18n compile` still speaks (Babel reads the .po)."""
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "looplab.po").write_bytes(i18n.catalog_sources()["de"].read_bytes())
    monkeypatch.setattr(i18n, "locale_dir", lambda: tmp_path)
    try:
        assert i18n.set_language("de") == "de"
        assert i18n._("Run") == "Start"
    finally:
        i18n.set_language("en")
    assert i18n.compile_catalogs() == [folder / "looplab.mo"]
    assert i18n.compile_catalogs() == []  # up to date: nothing written


def test_the_compile_command_builds_every_catalog(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "app.i18n", "compile"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    for code, po in i18n.catalog_sources().items():
        mo = po.with_suffix(".mo")
        assert mo.is_file(), code
        import gettext

        with mo.open("rb") as stream:
            assert gettext.GNUTranslations(io.BytesIO(stream.read())).gettext("Cancel") != "Cancel"
