"""Serializer fields that take JSON values as they are (DRF would turn ``42`` into ``"42"``)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class JsonStringField(serializers.CharField):
    """A JSON string, and only a string (a number is not turned into one)."""

    def to_internal_value(self, data: Any) -> str:
        """Refuse anything but a string."""
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class JsonIntegerField(serializers.IntegerField):
    """A JSON integer, and only an integer (no string, float or boolean)."""

    def to_internal_value(self, data: Any) -> int:
        """Refuse anything but an integer."""
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))
