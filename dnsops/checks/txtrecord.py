"""The ``v=...; key=value`` TXT grammar shared by MTA-STS (RFC 8461 §3.1) and TLS-RPT (RFC 8460 §3).

Both records are ``version 1*(*WSP ";" *WSP field) [*WSP ";" *WSP]``, with extension fields
``name=value`` where the name is alphanumeric plus up to 31 of ``_-.`` and alphanumerics, and
the value is printable ASCII without ``=``, ``;`` and space. One deliberate leniency: white
space at the very end of a record is ignored (as mox does), since publishing tools add it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from dnsops.dns.types import TxtRecord, printable

EXTENSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
EXTENSION_VALUE = re.compile(r"[\x21-\x3a\x3c\x3e-\x7e]+")
_FIELD_DELIMITER = re.compile(r"[ \t]*;[ \t]*")
_VERSION_END = ";\t "


class TxtSyntaxError(ValueError):
    """A TXT record does not follow its grammar; the message says where."""


@dataclass(frozen=True)
class Candidates:
    """The TXT records of one RRset sorted by what they claim to be."""

    records: tuple[str, ...]  # records that begin with the exact version tag
    lookalikes: tuple[str, ...]  # records that only resemble it (other version, other case)


def join_strings(record: TxtRecord) -> str:
    """One TXT record as text: its character-strings joined without spaces."""
    return record if isinstance(record, str) else "".join(record)


def select_candidates(records: Iterable[TxtRecord], version: str, family: str) -> Candidates:
    """Split ``records`` into those starting with ``version`` and those resembling ``family``.

    ``version`` (``v=STSv1``) must be followed by ``;``, white space or the end; ``family``
    (``v=STS``) is compared case-insensitively to catch typos worth reporting.
    """
    exact: list[str] = []
    lookalikes: list[str] = []
    for record in records:
        text = join_strings(record)
        rest = text[len(version) :]
        if text.startswith(version) and (not rest or rest[0] in _VERSION_END):
            exact.append(text)
        elif text[: len(family)].lower() == family.lower():
            lookalikes.append(text)
    return Candidates(tuple(exact), tuple(lookalikes))


def split_fields(text: str, version: str) -> list[tuple[str, str]]:
    """The ``(name, value)`` fields after ``version`` in ``text``, in order.

    ``text`` must start with ``version``. Raises :class:`TxtSyntaxError` for a missing
    delimiter, an empty field or a field without ``=``; values are not checked here.
    """
    rest = text.rstrip(" \t")[len(version) :]
    if not rest:
        return []
    parts = _FIELD_DELIMITER.split(rest)
    if parts[0]:
        raise TxtSyntaxError(f'expected ";" after "{version}", found "{printable(rest)}"')
    fields = parts[1:]
    if fields[-1] == "":
        fields.pop()
    pairs: list[tuple[str, str]] = []
    for raw in fields:
        if not raw:
            raise TxtSyntaxError('empty field between ";" delimiters')
        name, equals, value = raw.partition("=")
        if not equals:
            raise TxtSyntaxError(f'field "{printable(raw)}" has no "="')
        pairs.append((name, value))
    return pairs


def check_extension(name: str, value: str) -> None:
    """Raise :class:`TxtSyntaxError` unless ``name=value`` is a valid extension field."""
    if not EXTENSION_NAME.fullmatch(name):
        raise TxtSyntaxError(
            f'"{printable(name)}" is not a valid field name '
            "(a letter or digit, then up to 31 letters, digits, '_', '-' or '.')"
        )
    if not EXTENSION_VALUE.fullmatch(value):
        raise TxtSyntaxError(
            f'field "{printable(name)}" has an empty value or one with space, "=" or ";"'
        )
