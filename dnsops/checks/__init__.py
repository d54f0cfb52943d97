"""Pure logic of the status checks (Get-DnssecStatusForVerifiedDomain, SPEC §5).

Plain functions over plain data: no network, no database, no Django. The DNS client
(:mod:`dnsops.dns`) and the HTTPS policy fetcher (:mod:`dnsops.checks.mta_sts_fetch`) describe
what they saw with the types of :mod:`dnsops.dns.types` and :mod:`dnsops.checks.mta_sts`;
:func:`dnsops.checks.status.evaluate` turns that into the status result. The two modules with
I/O are the fetcher and :mod:`dnsops.checks.runner`, which asks both and calls the pure
checks. Every code is listed in :mod:`dnsops.checks.catalogue` and ``docs/status-codes.md``.
"""
