"""The RFC 8460 §4.4 report schema as a JSON Schema (draft 2020-12).

Strict where the RFC is (the required members, integers that are counts, arrays where §4.4
says arrays), tolerant of what real reporters send (``vectors.md``): ``mx-host`` as a string
(RFC 8460 App. B) or an array; date-times without a UTC offset (Microsoft: read as UTC);
missing ``policy-domain``, ``policy-string``, ``mx-host`` or counters (0); empty strings for
the addresses and host names of a failure (absent); unknown ``policy-type`` values (kept as
``other``) and unknown members (ignored). Every string and array has an upper bound.
"""

from __future__ import annotations

from typing import Any

MAX_TEXT = 1024  # one field: a host name, an IP, a reason code
MAX_LONG_TEXT = 8192  # additional-information, a policy line
MAX_POLICIES = 1000
MAX_FAILURE_DETAILS = 10000
MAX_POLICY_LINES = 1000
MAX_COUNT = 10**12

DATE_TIME_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})?$"
)

_TEXT: dict[str, Any] = {"type": "string", "maxLength": MAX_TEXT}
_COUNT: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": MAX_COUNT}
_DATE_TIME: dict[str, Any] = {"type": "string", "pattern": DATE_TIME_PATTERN}
_LINES: dict[str, Any] = {
    "type": "array",
    "maxItems": MAX_POLICY_LINES,
    "items": {"type": "string", "maxLength": MAX_LONG_TEXT},
}

REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["organization-name", "date-range", "contact-info", "report-id", "policies"],
    "properties": {
        "organization-name": {**_TEXT, "minLength": 1},
        "date-range": {
            "type": "object",
            "required": ["start-datetime", "end-datetime"],
            "properties": {"start-datetime": _DATE_TIME, "end-datetime": _DATE_TIME},
        },
        "contact-info": _TEXT,
        "report-id": {**_TEXT, "minLength": 1},
        "policies": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_POLICIES,
            "items": {
                "type": "object",
                "required": ["policy", "summary"],
                "properties": {
                    "policy": {
                        "type": "object",
                        "required": ["policy-type"],
                        "properties": {
                            "policy-type": {**_TEXT, "minLength": 1},
                            "policy-string": _LINES,
                            "policy-domain": _TEXT,
                            "mx-host": {"oneOf": [_TEXT, _LINES]},
                        },
                    },
                    "summary": {
                        "type": "object",
                        "properties": {
                            "total-successful-session-count": _COUNT,
                            "total-failure-session-count": _COUNT,
                        },
                    },
                    "failure-details": {
                        "type": "array",
                        "maxItems": MAX_FAILURE_DETAILS,
                        "items": {
                            "type": "object",
                            "required": ["result-type", "failed-session-count"],
                            "properties": {
                                "result-type": {**_TEXT, "minLength": 1},
                                "sending-mta-ip": _TEXT,
                                "receiving-mx-hostname": _TEXT,
                                "receiving-mx-helo": _TEXT,
                                "receiving-ip": _TEXT,
                                "failed-session-count": _COUNT,
                                "additional-information": {
                                    "type": "string",
                                    "maxLength": MAX_LONG_TEXT,
                                },
                                "failure-reason-code": _TEXT,
                            },
                        },
                    },
                },
            },
        },
    },
}
