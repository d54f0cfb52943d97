"""The API's request parser: ``application/json`` in UTF-8 only, with every malformed body a 400
in the API's error shape (and any other media type a 415)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.utils.http import parse_header_parameters
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.parsers import JSONParser

UTF8_NAMES = frozenset({"utf-8", "utf8"})


def is_utf8_json(media_type: str) -> bool:
    """``application/json``, with no charset or UTF-8 (not ``*/*``, not another charset)."""
    main_type, params = parse_header_parameters(media_type)
    charset = params.get("charset", "utf-8").lower()
    return main_type.lower() == "application/json" and charset in UTF8_NAMES


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, refusing media types DRF's negotiation lets match (``*/*``,
    ``application/*``, another charset) and documents nested too deeply for the decoder
    (``[[[[…`` raises RecursionError, which DRF would let through as a 500)."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        """Parse the body; RecursionError becomes a ParseError."""
        if not is_utf8_json(media_type or ""):
            raise UnsupportedMediaType(media_type or "")
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the document is nested too deeply.") from exc
