"""Errors the domain service layer and the commands raise; each carries a stable code for API
clients (the one module of errors: the API maps them to HTTP statuses)."""

from __future__ import annotations

from typing import Any

from domains.choices import ErrorCode
from domains.results import error_result


class ServiceError(Exception):
    """Base class: ``code`` is stable (automation matches on it), the message is for people."""

    code: str = "ServiceError"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidRequest(ServiceError):
    """The input cannot be used (malformed domain name, bad slug, ...)."""

    code = "InvalidRequest"


class DomainNotFound(ServiceError):
    """The domain is not one of the tenant's accepted domains (or, for a command, not verified).

    Raised by a command (:meth:`of_command`), its ``details`` carry the cmdlet-shaped result.
    """

    code: str = ErrorCode.DOMAIN_NOT_FOUND

    @classmethod
    def of_command(cls, message: str) -> DomainNotFound:
        """The error as a command raises it: with the cmdlet-shaped result in its details."""
        return cls(message, **error_result(cls.code, message))


class DomainReserved(InvalidRequest):
    """The name belongs to the provider's own namespaces."""

    code = "DomainReserved"


class DomainAlreadyExists(ServiceError):
    """The tenant already has this domain."""

    code = "DomainAlreadyExists"


class DomainVerifiedElsewhere(ServiceError):
    """Another tenant holds this domain verified."""

    code = "DomainVerifiedElsewhere"


class DomainNotDeletable(ServiceError):
    """The domain cannot be removed in its current state (e.g. the tenant's initial domain)."""

    code = "DomainNotDeletable"


class VersionConflict(ServiceError):
    """The object changed since the caller read it (optimistic locking)."""

    code = "VersionConflict"


class VerificationRecordNotFound(ServiceError):
    """The ownership TXT record is not (yet) published as expected."""

    code = "VerificationRecordNotFound"


class DomainDnssecInvalid(ServiceError):
    """The domain's DNS answers fail DNSSEC validation: its owner must repair the zone."""

    code = "DomainDnssecInvalid"


class DnsLookupFailed(ServiceError):
    """The resolver could not answer; the request can be retried later."""

    code = "DnsLookupFailed"


class ServiceMisconfigured(ServiceError):
    """The service cannot do this because of its own set-up (a file a setting names is gone or
    unreadable); its operator must fix it, the request may be retried later."""

    code = "ServiceMisconfigured"


class TenantAlreadyExists(ServiceError):
    """A tenant with this slug exists."""

    code = "TenantAlreadyExists"


class CommandError(ServiceError):
    """A cmdlet error (SPEC §4): ``code`` is one of the cmdlets' ErrorCodes and ``details``
    carry the cmdlet-shaped result (``Result``, ``ErrorData``) beside the API's error shape."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message, **error_result(self.code, message), **details)


class DomainNotSupported(CommandError):
    """The tenant's initial domain or a self-service domain."""

    code: str = ErrorCode.DOMAIN_NOT_SUPPORTED


class PartitionNotFound(CommandError):
    """SMTP DANE asked for a domain whose MX host is not published (DNSSEC not enabled)."""

    code: str = ErrorCode.PARTITION_NOT_FOUND


class DnssecOperationFailed(CommandError):
    """The zone or records could not be created; retry later."""

    code: str = ErrorCode.DNSSEC_OPERATION_FAILED


class OperationInProgress(ServiceError):
    """The opposite command is still running for this domain and feature."""

    code = "OperationInProgress"


class IdempotencyKeyReused(ServiceError):
    """The Idempotency-Key was used before (within its window) for a different command or
    domain."""

    code = "IdempotencyKeyReused"


class MemberAlreadyExists(ServiceError):
    """The user is already a member of the tenant."""

    code = "MemberAlreadyExists"


class LastAdminRequired(ServiceError):
    """The change would leave the tenant without an admin."""

    code = "LastAdminRequired"


class TooManyDomains(InvalidRequest):
    """A check batch names more domains than one batch takes."""

    code = "TooManyDomains"


class TooManyCheckBatches(ServiceError):
    """The tenant already has ``DANE_CHECK_BATCHES_PER_TENANT`` check batches unfinished
    (``limit``); a new one may start when one of them finishes."""

    code = "TooManyCheckBatches"


class UnknownDomains(InvalidRequest):
    """A check batch names domains that are not the caller's tenant's (``unknown`` lists
    them; another tenant's domain looks exactly like one that does not exist)."""

    code = "UnknownDomains"


class OperationNotKnown(ServiceError):
    """No operation has that id (the operator API answers 404)."""

    code = "OperationNotKnown"


class OperationNotFailed(ServiceError):
    """Only a failed operation can be run again (the operator API answers 409)."""

    code = "OperationNotFailed"


class PartitionNotKnown(ServiceError):
    """No partition has that id (the operator API answers 404)."""

    code = "PartitionNotKnown"


class InboundKeyNotFound(ServiceError):
    """No inbound key of the provider has that name."""

    code = "InboundKeyNotFound"


class RolloverRefused(ServiceError):
    """An inbound key rollover step is not allowed now (the gate has not passed, a server
    still serves the key…); the message says why and until when. Nothing changed."""

    code = "RolloverRefused"
