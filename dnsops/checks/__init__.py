"""Pure logic of the status checks (Get-DnssecStatusForVerifiedDomain, SPEC §5).

Plain functions over plain data: no network, no database, no Django. The resolver and the
HTTPS fetcher describe what they saw with the types of :mod:`dnsops.dns.types` and
:mod:`dnsops.checks.mta_sts`; :func:`dnsops.checks.status.evaluate` turns that into the
status result. Every code is listed in :mod:`dnsops.checks.catalogue` and
``docs/status-codes.md``.
"""
