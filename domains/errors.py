"""Errors the domain service layer raises; each carries a stable code for API clients."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base class: ``code`` is stable (automation matches on it), the message is for people."""

    code = "ServiceError"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidRequest(ServiceError):
    """The input cannot be used (malformed domain name, bad slug, ...)."""

    code = "InvalidRequest"


class DomainNotFound(ServiceError):
    """The domain is not one of the tenant's accepted domains."""

    code = "DomainNotFound"


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


class TenantAlreadyExists(ServiceError):
    """A tenant with this slug exists."""

    code = "TenantAlreadyExists"


class MemberAlreadyExists(ServiceError):
    """The user is already a member of the tenant."""

    code = "MemberAlreadyExists"


class LastAdminRequired(ServiceError):
    """The change would leave the tenant without an admin."""

    code = "LastAdminRequired"
