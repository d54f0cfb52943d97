"""Writes of the domains app: tenants, API keys, accepted domains and their verification.

Every function here that changes state does so in one transaction together with its audit
event. The API, the management commands, the admin and tasks call these; none of them
changes these models directly.

The messages of the errors raised here are in the language active when they are raised
(``gettext``): the reader's in the UI, English in the API unless the request asks for zh-Hant
(``Accept-Language``); the error codes never change.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import partial
from typing import cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from dnsops.dns import resolver
from dnsops.partitions import release_place
from domains import migration
from domains.api_keys import forget_api_key
from domains.audit import Actor, record_audit_event
from domains.choices import IN_FLIGHT_STATES, AuditAction, DaneState, DnssecState, MemberRole
from domains.errors import (
    DnsLookupFailed,
    DomainAlreadyExists,
    DomainDnssecInvalid,
    DomainNotDeletable,
    DomainReserved,
    DomainVerifiedElsewhere,
    InvalidRequest,
    LastAdminRequired,
    MemberAlreadyExists,
    TenantAlreadyExists,
    VerificationRecordNotFound,
    VersionConflict,
)
from domains.models import (
    VERIFICATION_RECORD_PREFIX,
    AcceptedDomain,
    Membership,
    Tenant,
    TenantAPIKey,
)
from domains.names import DomainName, DomainNameError, parse_domain_name

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def provider_suffixes() -> list[str]:
    """The provider's own namespaces, which no tenant may add as a domain."""
    return [
        settings.DANE_MX_SUFFIX,
        settings.DANE_INITIAL_DOMAIN_SUFFIX,
        *(suffix.strip(".").lower() for suffix in settings.DANE_LEGACY_MX_SUFFIXES),
    ]


def create_tenant(slug: str, *, name: str = "", actor: Actor) -> Tenant:
    """Create a tenant and its initial domain ``<slug>.<DANE_INITIAL_DOMAIN_SUFFIX>``."""
    if not _SLUG.match(slug) or "--" in slug[2:4]:
        raise InvalidRequest(
            f"The tenant slug {slug!r} must be one DNS label: lower-case letters, digits and "
            "inner hyphens, at most 63 characters."
        )
    initial = parse_domain_name(f"{slug}.{settings.DANE_INITIAL_DOMAIN_SUFFIX}")
    with transaction.atomic():
        if Tenant.objects.filter(slug=slug).exists():
            raise TenantAlreadyExists(f"The tenant {slug} exists already.")
        tenant = Tenant.objects.create(slug=slug, name=name or slug)
        domain = AcceptedDomain.objects.create(
            tenant=tenant,
            name=initial.alabel,
            display_name=initial.ulabel,
            is_initial=True,
            verified_at=timezone.now(),
        )
        record_audit_event(
            AuditAction.TENANT_CREATED,
            actor=actor,
            tenant=tenant,
            target_type="tenant",
            target_id=slug,
            data={"name": tenant.name, "initial_domain": domain.name},
        )
    return tenant


def add_member(
    tenant: Tenant, user: User, *, actor: Actor, role: str = MemberRole.ADMIN
) -> Membership:
    """Make ``user`` a member of ``tenant`` with ``role`` (a user may belong to several)."""
    with transaction.atomic():
        membership = Membership.objects.create(tenant=tenant, user=user, role=MemberRole(role))
        record_audit_event(
            AuditAction.MEMBER_ADDED,
            actor=actor,
            tenant=tenant,
            target_type="user",
            target_id=user.get_username(),
            data={"role": membership.role},
        )
    return membership


def _keep_an_admin(membership: Membership) -> None:
    """Refuse (LastAdminRequired) when ``membership`` is its tenant's only admin; the
    tenant's admin memberships stay locked until the caller's transaction ends."""
    admins = list(
        Membership.objects.select_for_update()
        .filter(tenant_id=membership.tenant_id, role=MemberRole.ADMIN)
        .values_list("pk", flat=True)
    )
    if admins == [membership.pk]:
        raise LastAdminRequired(
            gettext("%(user)s is the only admin of %(tenant)s: make another member an admin first.")
            % {"user": membership.user.get_username(), "tenant": membership.tenant.slug}
        )


def change_member_role(
    membership: Membership, role: str, *, actor: Actor, keep_an_admin: bool = False
) -> Membership:
    """Give a member another role in its tenant (no change, no audit event);
    ``keep_an_admin`` refuses to demote the tenant's only admin (LastAdminRequired)."""
    new_role = MemberRole(role)
    with transaction.atomic():
        if keep_an_admin and new_role != MemberRole.ADMIN:
            _keep_an_admin(membership)
        updated = (
            Membership.objects.filter(pk=membership.pk).exclude(role=new_role).update(role=new_role)
        )
        if updated:
            record_audit_event(
                AuditAction.MEMBER_ROLE_CHANGED,
                actor=actor,
                tenant=membership.tenant,
                target_type="user",
                target_id=membership.user.get_username(),
                data={"from": membership.role, "to": new_role.value},
            )
    membership.refresh_from_db()
    return membership


def provision_member(
    tenant: Tenant, username: str, *, role: str, actor: Actor
) -> tuple[Membership, str]:
    """Create (or find) the user ``username``, make it a member of ``tenant`` with ``role``
    and give it a new generated password, returned once (only its hash is stored)."""
    new_role = MemberRole(role)
    if not username or len(username) > 150:
        raise InvalidRequest(gettext("A user name has 1 to 150 characters."))
    password = secrets.token_urlsafe(18)
    with transaction.atomic():
        user, _ = User.objects.get_or_create(username=username)
        user.set_password(password)
        user.save(update_fields=["password"])
        record_audit_event(
            AuditAction.MEMBER_PASSWORD_SET,
            actor=actor,
            tenant=tenant,
            target_type="user",
            target_id=username,
        )
        membership = Membership.objects.filter(tenant=tenant, user=user).first()
        if membership is None:
            membership = add_member(tenant, user, actor=actor, role=new_role)
        else:
            membership = change_member_role(membership, new_role, actor=actor)
    return membership, password


def invite_member(
    tenant: Tenant, username: str, *, role: str, actor: Actor
) -> tuple[Membership, str | None]:
    """Make ``username`` a member of ``tenant`` with ``role``, as a tenant admin does it: a
    new user gets a generated password, returned once; an existing user keeps theirs (a
    tenant admin never sets the password of someone who may belong to other tenants).

    Raises InvalidRequest for a malformed user name, MemberAlreadyExists for a member.
    """
    new_role = MemberRole(role)
    malformed = InvalidRequest("A user name has 1 to 150 letters, digits and @ . + - _ signs.")
    if len(username) > 150:
        raise malformed
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise malformed from exc
    password: str | None = None
    try:
        with transaction.atomic():
            user = User.objects.filter(username=username).first()
            if user is None:
                password = secrets.token_urlsafe(18)
                user = User.objects.create_user(username=username, password=password)
            membership = add_member(tenant, user, actor=actor, role=new_role)
    except IntegrityError as exc:
        raise MemberAlreadyExists(
            gettext("%(user)s is already a member of %(tenant)s.")
            % {"user": username, "tenant": tenant.slug}
        ) from exc
    return membership, password


def remove_member(membership: Membership, *, actor: Actor, keep_an_admin: bool = False) -> None:
    """End a user's membership of its tenant (their sessions no longer act for it);
    ``keep_an_admin`` refuses to remove the tenant's only admin (LastAdminRequired)."""
    with transaction.atomic():
        if keep_an_admin and membership.role == MemberRole.ADMIN:
            _keep_an_admin(membership)
        deleted, _ = Membership.objects.filter(pk=membership.pk).delete()
        if deleted:
            record_audit_event(
                AuditAction.MEMBER_REMOVED,
                actor=actor,
                tenant=membership.tenant,
                target_type="user",
                target_id=membership.user.get_username(),
            )


def create_api_key(tenant: Tenant, *, name: str, actor: Actor) -> tuple[TenantAPIKey, str]:
    """Create an API key for ``tenant``; the raw key is returned once and never stored."""
    with transaction.atomic():
        created, raw_key = TenantAPIKey.objects.create_key(tenant=tenant, name=name[:50])
        api_key = cast(TenantAPIKey, created)
        record_audit_event(
            AuditAction.API_KEY_CREATED,
            actor=actor,
            tenant=tenant,
            target_type="api_key",
            target_id=api_key.prefix,
            data={"name": api_key.name},
        )
    return api_key, raw_key


def revoke_api_key(api_key: TenantAPIKey, *, actor: Actor) -> None:
    """Revoke an API key for good."""
    with transaction.atomic():
        updated = TenantAPIKey.objects.filter(pk=api_key.pk, revoked=False).update(revoked=True)
        # This process stops trusting the key at once (and again after the commit, in case a
        # request of this process read it meanwhile); other processes within their cache bound.
        forget_api_key(str(api_key.pk))
        transaction.on_commit(partial(forget_api_key, str(api_key.pk)))
        if updated:
            record_audit_event(
                AuditAction.API_KEY_REVOKED,
                actor=actor,
                tenant=api_key.tenant,
                target_type="api_key",
                target_id=api_key.prefix,
            )


def _parse_customer_domain(raw: object) -> DomainName:
    try:
        domain = parse_domain_name(raw)
    except DomainNameError as exc:
        raise InvalidRequest(str(exc)) from exc
    for suffix in provider_suffixes():
        if domain.is_within(suffix):
            raise DomainReserved(
                gettext("%(domain)s is in the provider's namespace %(suffix)s and cannot be added.")
                % {"domain": domain.alabel, "suffix": suffix}
            )
    return domain


def add_domain(tenant: Tenant, raw_name: object, *, actor: Actor) -> AcceptedDomain:
    """Add ``raw_name`` to the tenant's accepted domains, unverified."""
    domain_name = _parse_customer_domain(raw_name)
    try:
        with transaction.atomic():
            domain = AcceptedDomain.objects.create(
                tenant=tenant, name=domain_name.alabel, display_name=domain_name.ulabel
            )
            record_audit_event(
                AuditAction.DOMAIN_ADDED,
                actor=actor,
                tenant=tenant,
                target_type="domain",
                target_id=domain.name,
                data={"display_name": domain.display_name},
            )
    except IntegrityError as exc:
        raise DomainAlreadyExists(
            gettext("%(domain)s is already one of this tenant's domains.")
            % {"domain": domain_name.alabel}
        ) from exc
    return domain


def delete_domain(
    domain: AcceptedDomain, *, actor: Actor, expected_version: int | None = None
) -> None:
    """Remove an accepted domain; refuses the initial domain and a stale ``expected_version``."""
    if domain.is_initial:
        raise DomainNotDeletable(
            gettext("%(domain)s is the tenant's initial domain.") % {"domain": domain.name}
        )
    with transaction.atomic():
        locked = AcceptedDomain.objects.select_for_update().get(pk=domain.pk)
        busy = locked.operations.filter(state__in=IN_FLIGHT_STATES).exists()
        if (
            busy
            or locked.dnssec_state != DnssecState.DISABLED
            or locked.dane_state != DaneState.DISABLED
        ):
            raise DomainNotDeletable(
                gettext(
                    "%(domain)s still has DNSSEC or SMTP DANE inbound on (or a command "
                    "running): disable them first (Disable-DnssecForVerifiedDomain)."
                )
                % {"domain": domain.name}
            )
        matching = AcceptedDomain.objects.filter(pk=domain.pk)
        if expected_version is not None:
            matching = matching.filter(version=expected_version)
        deleted, _ = matching.delete()
        if not deleted:
            raise VersionConflict(
                gettext("%(domain)s changed since it was read; read it again.")
                % {"domain": domain.name}
            )
        if locked.partition_id is not None and locked.mx_token is not None:
            release_place(locked.partition_id)
        record_audit_event(
            AuditAction.DOMAIN_DELETED,
            actor=actor,
            tenant=domain.tenant,
            target_type="domain",
            target_id=domain.name,
            data={"was_verified": domain.is_verified},
        )


@dataclass(frozen=True)
class VerificationOutcome:
    """The result of an ownership check: the domain as it now is and what DNS showed."""

    domain: AcceptedDomain
    newly_verified: bool
    found: list[str]


def _verification_hint(domain: AcceptedDomain, found: list[str]) -> str:
    """What is wrong with a near miss among the TXT values ``found`` (or nothing)."""
    for value in found:
        if domain.verification_token in value:
            return " " + gettext(
                'A value with the token is published as "%(value)s": publish exactly '
                '"%(record)s" (no quotes or spaces inside the value, the prefix in lower case).'
            ) % {"value": value, "record": domain.verification_record}
    ours = [value for value in found if value.startswith(VERIFICATION_RECORD_PREFIX)]
    if ours:
        return " " + gettext(
            "A different verification value is published (%(value)s); it may belong to "
            "another tenant or an older token."
        ) % {"value": ours[0]}
    return ""


def verify_domain(domain: AcceptedDomain, *, actor: Actor) -> VerificationOutcome:
    """Look up the ownership TXT record through the resolver and mark the domain verified.

    Raises VerificationRecordNotFound (with what was found instead), DomainDnssecInvalid when
    the domain's answers fail DNSSEC validation, DnsLookupFailed when the resolver cannot
    answer, DomainVerifiedElsewhere when another tenant holds the name.
    """
    if domain.is_verified:
        return VerificationOutcome(domain=domain, newly_verified=False, found=[])
    try:
        answer = resolver.query(domain.name, "TXT")
    except resolver.DnssecValidationFailed as exc:
        raise DomainDnssecInvalid(
            gettext(
                "%(error)s Validating resolvers reject every answer for %(domain)s, so its TXT "
                "record cannot be read: fix the DS record at the registrar or the zone's "
                "signatures at the DNS host, then verify again."
            )
            % {"error": exc, "domain": domain.name}
        ) from exc
    except resolver.ResolverUnavailable as exc:
        raise DnsLookupFailed(
            gettext("Could not look up the TXT records of %(domain)s: %(error)s Try again later.")
            % {"domain": domain.name, "error": exc}
        ) from exc
    found = resolver.txt_strings(answer)
    if answer.rcode == "NXDOMAIN":
        names = {
            "domain": domain.name,
            "record": domain.verification_record,
            "alias": answer.aliases[-1] if answer.aliases else "",
        }
        raise VerificationRecordNotFound(
            (
                gettext(
                    "%(domain)s is an alias (CNAME) of %(alias)s, which does not exist in DNS "
                    '(NXDOMAIN). Publish the TXT record "%(record)s" at %(domain)s.'
                )
                if answer.aliases
                else gettext(
                    "%(domain)s does not exist in DNS (NXDOMAIN). Publish the TXT record "
                    '"%(record)s" at %(domain)s.'
                )
            )
            % names,
            found=[],
        )
    if domain.verification_record not in found:
        raise VerificationRecordNotFound(
            gettext('No TXT record "%(record)s" at %(domain)s; found %(count)d TXT record(s).')
            % {"record": domain.verification_record, "domain": domain.name, "count": len(found)}
            + _verification_hint(domain, found),
            found=found,
        )
    try:
        with transaction.atomic():
            updated = AcceptedDomain.objects.filter(
                pk=domain.pk, version=domain.version, verified_at__isnull=True
            ).update(verified_at=timezone.now(), version=F("version") + 1)
            if not updated:
                current = AcceptedDomain.objects.filter(pk=domain.pk).first()
                if current is not None and current.is_verified:  # verified concurrently
                    return VerificationOutcome(domain=current, newly_verified=False, found=found)
                raise VersionConflict(
                    gettext("%(domain)s changed during verification; retry.")
                    % {"domain": domain.name}
                )
            migration.refresh_steps([domain.pk])
            record_audit_event(
                AuditAction.DOMAIN_VERIFIED,
                actor=actor,
                tenant=domain.tenant,
                target_type="domain",
                target_id=domain.name,
                data={"dnssec_authenticated": answer.authenticated},
            )
    except IntegrityError as exc:
        raise DomainVerifiedElsewhere(
            gettext(
                "%(domain)s is verified by another organisation in this service. Remove it "
                "there first, or contact the provider's support."
            )
            % {"domain": domain.name}
        ) from exc
    domain.refresh_from_db()
    return VerificationOutcome(domain=domain, newly_verified=True, found=found)
