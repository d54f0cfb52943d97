"""Parsing of customer domain names: IDNA 2008 (UTS #46 mapping), DNS length rules, and the
refusals a mail platform needs (wildcards, IP literals, single labels, special-use names).

Every name that enters the service goes through :func:`parse_domain_name`; what it returns is
the only form stored. Refusals are worded in the active language (``gettext``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import idna
from django.utils.translation import gettext

MAX_INPUT_LENGTH = 1024
MAX_NAME_OCTETS = 253
MAX_LABEL_OCTETS = 63

# RFC 6761 / RFC 6762 / RFC 7686 names that can never be a customer's mail domain.
SPECIAL_USE_TLDS = frozenset({"localhost", "invalid", "local", "arpa", "onion"})

_LDH_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")

# A last label that inet_aton() and the WHATWG URL parser read as a number (decimal, octal or
# hex: 127.1, 0x7f.0x1, 127.0.0.0x1) makes the whole name an IPv4 address literal.
_NUMERIC_LABEL = re.compile(r"^(?:[0-9]+|0x[0-9a-f]*)$")

# ZERO WIDTH NON-JOINER / JOINER are format characters, but IDNA 2008 (CONTEXTJ, RFC 5892
# Appendix A.1/A.2) allows them in some contexts (Persian, Indic scripts); idna judges them.
_JOINERS = frozenset("\u200c\u200d")

# Bidirectional classes that make a name a "Bidi domain name" (RFC 5893 section 1.4).
_RTL_BIDI_CLASSES = frozenset({"R", "AL", "AN"})


class DomainNameError(ValueError):
    """A domain name was refused; ``str(error)`` says why, in terms a user understands."""


@dataclass(frozen=True)
class DomainName:
    """A validated domain name: ``alabel`` is stored, ``ulabel`` is for display."""

    alabel: str
    ulabel: str

    @property
    def labels(self) -> list[str]:
        """The A-label form split into labels."""
        return self.alabel.split(".")

    def is_within(self, suffix: str) -> bool:
        """True when this name is ``suffix`` or a name below it."""
        suffix = suffix.strip(".").lower()
        return self.alabel == suffix or self.alabel.endswith("." + suffix)


def parse_domain_name(raw: object) -> DomainName:
    """Validate ``raw`` and return its canonical A-label and display U-label forms.

    Accepts U-labels, A-labels and mixed case; one trailing dot (a fully qualified name) is
    allowed. Raises :class:`DomainNameError` with the reason otherwise. The names parsed last
    are remembered (a pure function of the text; refusals are not kept, as their wording
    follows the active language): every API read of a domain parses the name in its URL.
    """
    if not isinstance(raw, str):
        raise DomainNameError(gettext("A domain name must be a string."))
    return _parse_text(raw)


@lru_cache(maxsize=4096)
def _parse_text(raw: str) -> DomainName:
    if not raw:
        raise DomainNameError(gettext("The domain name is empty."))
    if len(raw) > MAX_INPUT_LENGTH:
        raise DomainNameError(
            gettext("The domain name is longer than %(limit)d characters.")
            % {"limit": MAX_INPUT_LENGTH}
        )
    if any((ch.isspace() or not ch.isprintable()) and ch not in _JOINERS for ch in raw):
        raise DomainNameError(gettext("The domain name contains whitespace or control characters."))
    if "*" in raw:
        raise DomainNameError(gettext("Wildcard names are not accepted; add the domain itself."))
    if raw.startswith("[") or ":" in raw:
        raise DomainNameError(gettext("IP address literals are not domain names."))
    if "@" in raw or "/" in raw or "\\" in raw:
        raise DomainNameError(
            gettext(
                "Give only the domain name, without a mailbox, URL or path (e.g. contoso.example)."
            )
        )

    name = raw[:-1] if raw.endswith(".") else raw
    try:
        alabel = idna.encode(name, uts46=True, std3_rules=True, transitional=False).decode("ascii")
    except idna.IDNAError as exc:
        raise DomainNameError(
            gettext("Not a valid internationalized domain name: %(error)s.") % {"error": exc}
        ) from exc
    except UnicodeError as exc:
        raise DomainNameError(
            gettext("Not a valid domain name: %(error)s.") % {"error": exc}
        ) from exc

    labels = alabel.split(".")
    if len(alabel) > MAX_NAME_OCTETS:
        raise DomainNameError(
            gettext("The domain name is %(length)d octets long; the limit is %(limit)d.")
            % {"length": len(alabel), "limit": MAX_NAME_OCTETS}
        )
    for label in labels:
        if not label:
            raise DomainNameError(
                gettext("The domain name has an empty label (two dots in a row).")
            )
        if len(label) > MAX_LABEL_OCTETS:
            raise DomainNameError(
                gettext("The label '%(label)s…' is longer than %(limit)d octets.")
                % {"label": label[:20], "limit": MAX_LABEL_OCTETS}
            )
        if not _LDH_LABEL.match(label):
            raise DomainNameError(
                gettext("The label '%(label)s' is not a valid host name label.") % {"label": label}
            )
    if len(labels) < 2:
        raise DomainNameError(
            gettext("Single-label names are not accepted; give the full domain name.")
        )
    if _NUMERIC_LABEL.match(labels[-1]):
        raise DomainNameError(gettext("IP address literals are not domain names."))
    if labels[-1] in SPECIAL_USE_TLDS:
        raise DomainNameError(
            gettext("Names under the special-use domain '.%(tld)s' cannot receive mail.")
            % {"tld": labels[-1]}
        )

    try:
        ulabel = idna.decode(alabel)
    except idna.IDNAError as exc:
        raise DomainNameError(
            gettext("Not a valid internationalized domain name: %(error)s.") % {"error": exc}
        ) from exc
    _check_bidi_domain(ulabel)
    return DomainName(alabel=alabel, ulabel=ulabel)


def _check_bidi_domain(ulabel: str) -> None:
    """Apply the Bidi Rule to every label of a Bidi domain name (RFC 5893 section 2).

    idna checks it only within labels that contain right-to-left characters, but in a name
    with any such label the left-to-right labels must satisfy it too (so ``1com.אב`` is
    refused: a label may not start with a digit there).
    """
    if not any(unicodedata.bidirectional(ch) in _RTL_BIDI_CLASSES for ch in ulabel):
        return
    for label in ulabel.split("."):
        try:
            idna.check_bidi(label, check_ltr=True)
        except idna.IDNABidiError as exc:
            raise DomainNameError(
                gettext(
                    "Not a valid internationalized domain name (right-to-left rules): %(error)s."
                )
                % {"error": exc}
            ) from exc


# Script sets a single label may mix (UTS #39 "highly restrictive"): Japanese, Chinese and
# Korean writing combine Han with their own scripts, and Latin may join any of them.
ALLOWED_SCRIPT_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)


@lru_cache(maxsize=8192)
def _script_of(char: str) -> str:
    """The Unicode script alias of ``char`` (confusable-homoglyphs searches its table)."""
    from confusable_homoglyphs import categories  # type: ignore[import-untyped]

    return str(categories.alias(char))


def lookalike_warning(unicode_name: str) -> str | None:
    """Why a name may imitate another (UTS #39, with confusable-homoglyphs' Unicode data):
    ``"mixed-script"`` when a label mixes scripts (``paypal`` with a Cyrillic a, U+0430),
    ``"whole-script-confusable"`` when a label in another script reads as Latin letters
    (``scope`` written all in Cyrillic), None otherwise. Such names are accepted (ownership
    verification protects the tenant); this only flags them. An ASCII name is neither (its
    letters are Latin, its digits and hyphens common to all scripts): every page of the
    domain list shows this, so that case costs no look-up."""
    from confusable_homoglyphs import confusables

    if unicode_name.isascii():
        return None
    for label in unicode_name.split("."):
        scripts = {_script_of(char) for char in label} - {"COMMON", "INHERITED"}
        if len(scripts) > 1 and not any(scripts <= mix for mix in ALLOWED_SCRIPT_MIXES):
            return "mixed-script"
        letters = [char for char in label if char.isalpha()]
        if (
            scripts
            and scripts != {"LATIN"}
            and letters
            and all(
                confusables.is_confusable(char, preferred_aliases=["latin"]) for char in letters
            )
        ):
            return "whole-script-confusable"
    return None
