"""Serializers of the outbound DANE validation API; the request refuses unknown fields and
values of the wrong JSON type."""

from __future__ import annotations

from rest_framework import serializers

from dane_admin.api.fields import JsonIntegerField, JsonStringField
from dnsops.dane.config import port_choice_allowed
from domains.api.serializers import StrictSerializer
from domains.models import DaneValidation
from domains.names import DomainNameError, parse_domain_name


class DaneValidationRequestSerializer(StrictSerializer):
    """Body of ``POST /api/v1/dane-validations/``."""

    domain = JsonStringField(max_length=1024, trim_whitespace=False)
    port = JsonIntegerField(
        min_value=1,
        max_value=65535,
        required=False,
        help_text="Only where DANE_VALIDATION_ALLOW_PORT is on (tests); otherwise port 25.",
    )

    def validate_domain(self, value: str) -> str:
        """The destination as an A-label name."""
        try:
            return parse_domain_name(value).alabel
        except DomainNameError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate_port(self, value: int) -> int:
        """A port other than 25 only where the service allows choosing it."""
        if not port_choice_allowed():
            raise serializers.ValidationError(
                "This service validates port 25 only (DANE_VALIDATION_ALLOW_PORT is off)."
            )
        return value


class DaneValidationSummarySerializer(serializers.ModelSerializer):
    """A validation in a list: what was asked and the verdict, without the trace."""

    status_code = serializers.SerializerMethodField()

    class Meta:
        model = DaneValidation
        fields: tuple[str, ...] = (
            "id",
            "domain",
            "port",
            "verdict",
            "disposition",
            "status_code",
            "requested_by",
            "started_at",
            "finished_at",
            "duration_ms",
        )
        read_only_fields = fields

    def get_status_code(self, validation: DaneValidation) -> str | None:
        """The enhanced status code; ``null`` when mail is delivered."""
        return validation.status_code or None


class DaneValidationSerializer(DaneValidationSummarySerializer):
    """A validation with its full report (hosts, sessions, every step with its timing)."""

    class Meta(DaneValidationSummarySerializer.Meta):
        fields: tuple[str, ...] = (*DaneValidationSummarySerializer.Meta.fields, "result")
        read_only_fields = fields
