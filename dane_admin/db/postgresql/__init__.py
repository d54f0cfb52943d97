"""PostgreSQL, with a health check of kept connections that costs no round trip."""
