"""Serializers of the domains API; input serializers refuse fields they do not know."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rest_framework import serializers

from dane_admin.api.fields import JsonStringField
from domains.models import AcceptedDomain, Operation
from domains.names import lookalike_warning
from domains.tlsrpt import services as tlsrpt_services


class StrictSerializer(serializers.Serializer):
    """A serializer that rejects a body that is not an object or has unknown fields."""

    def to_internal_value(self, data: Any) -> Any:
        """Refuse unknown fields by name, then validate as usual."""
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field."] for name in unknown[:20]}
                )
        return super().to_internal_value(data)


#: DRF's rendering of a date and time (ISO 8601, UTC as ``Z``), for the lean serializers.
DATETIME = serializers.DateTimeField()


class DomainListSerializer(serializers.ListSerializer):
    """A page of domains: their TLS-RPT endpoints allocated together, not one by one."""

    def to_representation(self, data: Any) -> list[Any]:
        """The page's domains, with their endpoints attached first."""
        domains = list(data.all() if hasattr(data, "all") else data)
        tlsrpt_services.attach_endpoints(domains)
        return super().to_representation(domains)


class DomainSerializer(serializers.ModelSerializer):
    """An accepted domain as the API shows it."""

    verified = serializers.BooleanField(source="is_verified", read_only=True)
    verification_record = serializers.CharField(read_only=True)
    verification_record_name = serializers.CharField(source="name", read_only=True)
    tlsrpt_record = serializers.SerializerMethodField(
        help_text="The TXT value to publish at _smtp._tls.<name> for TLS-RPT reports."
    )
    lookalike = serializers.SerializerMethodField(
        help_text="mixed-script or whole-script-confusable when display_name may imitate "
        "another name (UTS #39); name is the A-label to compare. Null otherwise."
    )

    class Meta:
        model = AcceptedDomain
        list_serializer_class = DomainListSerializer
        fields = (
            "name",
            "display_name",
            "lookalike",
            "is_initial",
            "is_self_service",
            "verified",
            "verified_at",
            "verification_record_name",
            "verification_record",
            "tlsrpt_record",
            "version",
            "created_at",
        )
        read_only_fields = fields

    def get_tlsrpt_record(self, domain: AcceptedDomain) -> str:
        """``v=TLSRPTv1; rua=https://<public host>/tlsrpt/<token>/``."""
        return tlsrpt_services.tlsrpt_record(domain)

    def get_lookalike(self, domain: AcceptedDomain) -> str | None:
        """The look-alike warning of the domain's Unicode form, if any."""
        return lookalike_warning(domain.display_name)

    def to_representation(self, domain: AcceptedDomain) -> dict[str, Any]:
        """The fields of ``Meta.fields``, read directly: DRF's walk over its field objects cost
        more than the rest of a list page (tests/test_api_domains.py compares the two)."""
        return {
            "name": domain.name,
            "display_name": domain.display_name,
            "lookalike": lookalike_warning(domain.display_name),
            "is_initial": domain.is_initial,
            "is_self_service": domain.is_self_service,
            "verified": domain.is_verified,
            "verified_at": None
            if domain.verified_at is None
            else DATETIME.to_representation(domain.verified_at),
            "verification_record_name": domain.name,
            "verification_record": domain.verification_record,
            "tlsrpt_record": tlsrpt_services.tlsrpt_record(domain),
            "version": domain.version,
            "created_at": DATETIME.to_representation(domain.created_at),
        }


class DomainCreateSerializer(StrictSerializer):
    """Body of ``POST /api/v1/domains/``: the name as the customer writes it."""

    name = JsonStringField(max_length=1024, trim_whitespace=False)


class ErrorSerializer(serializers.Serializer):
    """The API's error shape (for the OpenAPI document)."""

    code = serializers.CharField()
    detail = serializers.CharField()


class VerificationFailureSerializer(ErrorSerializer):
    """A failed ownership check: what the TXT lookup found instead."""

    found = serializers.ListField(child=serializers.CharField())


class CommandRequestSerializer(StrictSerializer):
    """Body of a command (``.../enable/``, ``.../disable/``): empty, or ``{}``."""


class OperationSerializer(serializers.ModelSerializer):
    """An operation: what was asked, how far it got, and the cmdlet-shaped result."""

    domain = serializers.CharField(source="domain_name", read_only=True)
    error = serializers.SerializerMethodField()

    class Meta:
        model = Operation
        fields = (
            "id",
            "kind",
            "domain",
            "state",
            "steps",
            "attempts",
            "next_attempt_at",
            "actor",
            "created_at",
            "updated_at",
            "finished_at",
            "result",
            "error",
        )
        read_only_fields = fields

    def get_error(self, operation: Operation) -> dict[str, str] | None:
        """``{"code", "detail"}`` of a failed (or retrying) operation."""
        if not operation.error_code and not operation.error_detail:
            return None
        return {"code": operation.error_code, "detail": operation.error_detail}

    def to_representation(self, operation: Operation) -> dict[str, Any]:
        """The fields of ``Meta.fields``, read directly: DRF's walk over its field objects was
        an eighth of a command's Python calls (tests/test_api_operations.py compares the two)."""
        return {
            "id": str(operation.id),
            "kind": str(operation.kind),
            "domain": operation.domain_name,
            "state": str(operation.state),
            "steps": operation.steps,
            "attempts": operation.attempts,
            "next_attempt_at": _datetime(operation.next_attempt_at),
            "actor": operation.actor,
            "created_at": _datetime(operation.created_at),
            "updated_at": _datetime(operation.updated_at),
            "finished_at": _datetime(operation.finished_at),
            "result": operation.result,
            "error": self.get_error(operation),
        }


def _datetime(value: datetime | None) -> str | None:
    """DRF's rendering of a nullable date and time."""
    return None if value is None else DATETIME.to_representation(value)


class DnssecStatusQuerySerializer(serializers.Serializer):
    """Query of ``GET /api/v1/domains/{name}/dnssec/``: ``refresh=true`` runs the checks now."""

    refresh = serializers.BooleanField(default=False)


class InboundStatusQuerySerializer(serializers.Serializer):
    """Query of ``GET /api/v1/domains/{name}/smtp-dane-inbound/``: ``probe=true`` connects to
    each address of the MX host and matches the certificate it serves."""

    probe = serializers.BooleanField(default=False)


class PublisherFindingSerializer(serializers.Serializer):
    """One RFC 7671 §8 finding on the TLSA set the domain publishes."""

    code = serializers.CharField(help_text="A stable code, e.g. ChainNotAuthenticated.")
    severity = serializers.ChoiceField(choices=["error", "warning", "info"])
    message = serializers.CharField()
    records = serializers.ListField(
        child=serializers.CharField(), help_text="The TLSA records the finding concerns."
    )


class PublisherChecksSerializer(serializers.Serializer):
    """The RFC 7671 §8 checks of the TLSA set the registered inbound keys give, against the
    chain the servers present now (current keys) and after the rollover (next keys)."""

    Status = serializers.ChoiceField(choices=["Passed", "Warning", "Failed"])
    Findings = PublisherFindingSerializer(many=True)


class PublishedKeySerializer(serializers.Serializer):
    """One of the provider's published inbound keys."""

    Name = serializers.CharField()
    State = serializers.ChoiceField(choices=["next", "current"])
    TlsaRecord = serializers.CharField()


class RolloverStateSerializer(serializers.Serializer):
    """Which inbound keys are published and whether a key rollover is in progress."""

    InProgress = serializers.BooleanField()
    Phase = serializers.ChoiceField(
        choices=["stable", "pre-published", "switching"],
        help_text="pre-published: a next key is published beside the current one; switching: "
        "promoted, the old key still published until it is retired.",
    )
    PublishedKeys = PublishedKeySerializer(many=True)


class InboundStatusSerializer(serializers.Serializer):
    """Get-SmtpDaneInboundStatus (``probe=true`` adds ``ServedCertificateDetail``)."""

    Result = serializers.ChoiceField(choices=["Success"])
    DomainName = serializers.CharField()
    DnssecMxValue = serializers.CharField(allow_null=True)
    TlsaRecords = serializers.ListField(
        child=serializers.CharField(), help_text="As the validating resolver returns them."
    )
    ExpectedTlsaRecords = serializers.ListField(
        child=serializers.CharField(), help_text="The set the domain should publish."
    )
    DnssecValidated = serializers.BooleanField()
    MatchesExpected = serializers.BooleanField()
    ServedCertificateMatches = serializers.BooleanField(
        allow_null=True, help_text="null when not probed."
    )
    PublisherChecks = PublisherChecksSerializer(
        allow_null=True, help_text="null while SMTP DANE inbound is not enabled."
    )
    Rollover = RolloverStateSerializer(
        allow_null=True, help_text="null while SMTP DANE inbound is not enabled."
    )


class MigrationRecordSerializer(serializers.Serializer):
    """A DNS record the customer publishes at their domain for the current migration step."""

    Name = serializers.CharField()
    Type = serializers.CharField()
    Preference = serializers.IntegerField()
    Value = serializers.CharField(help_text="The MX host, with its final dot.")
    Ttl = serializers.IntegerField(allow_null=True)


class MigrationStepSerializer(serializers.Serializer):
    """Where the domain is in the MX migration of SPEC §4 (``domains/migration.py``)."""

    Number = serializers.IntegerField(min_value=1, max_value=9)
    Of = serializers.IntegerField(help_text="Always 9.")
    Title = serializers.CharField()
    Action = serializers.CharField(help_text="What to change now, naming records and values.")
    Record = MigrationRecordSerializer(allow_null=True, help_text="The record to publish.")
    Code = serializers.CharField(
        allow_null=True, help_text="The finding (EX006, ES001...) that decided the step."
    )
    InProgress = serializers.BooleanField(help_text="A command is changing the domain now.")
    Done = serializers.BooleanField(help_text="Step 9: SMTP DANE inbound is enabled.")


class DnssecStatusSerializer(serializers.Serializer):
    """Get-DnssecStatusForVerifiedDomain (the sections are described in
    docs/status-codes.md), with ``MigrationStep``."""

    Result = serializers.ChoiceField(choices=["Success", "Error"])
    Domain = serializers.CharField()
    DnssecFeatureStatus = serializers.CharField(allow_null=True)
    MigrationStep = MigrationStepSerializer(
        allow_null=True, help_text="null while the domain's ownership is not verified."
    )
