"""TLS-RPT (RFC 8460) for accepted domains: the report endpoint, storage, aggregates, API."""
