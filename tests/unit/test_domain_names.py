"""The domain name gate: every hostile name is refused with a clean reason, every valid name
comes back in its exact canonical A-label and U-label forms.

Pure unit tests of :func:`domains.names.parse_domain_name`: no database, no network. The two
corpora live in ``tests/data`` and are shared with the API-level tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from domains.names import MAX_NAME_OCTETS, DomainName, DomainNameError, parse_domain_name

DATA = Path(__file__).parent.parent / "data"
HOSTILE: list[dict[str, Any]] = json.loads(
    (DATA / "hostile_domain_names.json").read_text(encoding="utf-8")
)
VALID: list[dict[str, str]] = json.loads(
    (DATA / "valid_domain_names.json").read_text(encoding="utf-8")
)


def _key(name: object) -> str:
    """A canonical, hashable form of a corpus entry's name (which may be any JSON value)."""
    return json.dumps(name, sort_keys=True)


def _hostile_id(index: int, entry: dict[str, Any]) -> str:
    return f"hostile-{index:03d}-{entry['why']}"


def _valid_id(index: int, entry: dict[str, str]) -> str:
    alabel = entry["alabel"]
    shown = alabel if len(alabel) <= 60 else f"{alabel[:40]}...({len(alabel)} octets)"
    return f"valid-{index:02d}-{shown}"


HOSTILE_PARAMS = [
    pytest.param(entry, id=_hostile_id(index, entry)) for index, entry in enumerate(HOSTILE)
]
VALID_PARAMS = [
    pytest.param(entry, id=_valid_id(index, entry)) for index, entry in enumerate(VALID)
]


@pytest.mark.parametrize("entry", HOSTILE_PARAMS)
def test_hostile_name_is_refused_with_a_clean_reason(entry: dict[str, Any]) -> None:
    with pytest.raises(DomainNameError) as excinfo:
        parse_domain_name(entry["name"])
    message = str(excinfo.value)
    assert message.strip(), "the refusal must say why"
    echoed = [ch for ch in message if not ch.isprintable()]
    assert echoed == [], f"the reason echoes control/format characters: {message!r}"


@pytest.mark.parametrize("entry", VALID_PARAMS)
def test_valid_name_is_accepted_in_canonical_form(entry: dict[str, str]) -> None:
    parsed = parse_domain_name(entry["name"])
    assert parsed == DomainName(alabel=entry["alabel"], ulabel=entry["ulabel"])


@pytest.mark.parametrize("entry", VALID_PARAMS)
def test_canonical_forms_parse_to_themselves(entry: dict[str, str]) -> None:
    expected = DomainName(alabel=entry["alabel"], ulabel=entry["ulabel"])
    assert parse_domain_name(entry["alabel"]) == expected
    assert parse_domain_name(entry["ulabel"]) == expected
    assert parse_domain_name(entry["alabel"] + ".") == expected


def test_hostile_corpus_is_large_and_has_no_duplicates() -> None:
    assert len(HOSTILE) >= 200
    keys = [_key(entry["name"]) for entry in HOSTILE]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    assert duplicates == []


def test_hostile_corpus_entries_are_well_formed() -> None:
    for index, entry in enumerate(HOSTILE):
        assert set(entry) == {"name", "why"}, index
        assert isinstance(entry["why"], str), index
        assert entry["why"].strip(), index


def test_valid_corpus_is_large_well_formed_and_has_no_duplicates() -> None:
    assert len(VALID) >= 40
    names = [entry["name"] for entry in VALID]
    assert len(set(names)) == len(names)
    for entry in VALID:
        assert set(entry) == {"name", "alabel", "ulabel"}
        assert entry["alabel"].isascii()
        assert entry["alabel"] == entry["alabel"].lower()
        assert not entry["alabel"].endswith(".")
        assert len(entry["alabel"]) <= MAX_NAME_OCTETS


def test_valid_and_hostile_corpora_do_not_overlap() -> None:
    hostile = {_key(entry["name"]) for entry in HOSTILE}
    assert [entry["name"] for entry in VALID if _key(entry["name"]) in hostile] == []


def test_domain_name_error_is_a_value_error() -> None:
    assert issubclass(DomainNameError, ValueError)


@pytest.mark.parametrize(
    ("name", "alabel"),
    [
        pytest.param("example.test", "example.test", id="test-tld"),
        pytest.param("mail.tenant.example.", "mail.tenant.example", id="example-tld-fqdn"),
        pytest.param("xn--zca.example", "xn--zca.example", id="non-transitional-sharp-s"),
    ],
)
def test_product_test_network_names_stay_valid(name: str, alabel: str) -> None:
    assert parse_domain_name(name).alabel == alabel
