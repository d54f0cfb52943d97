"""TLS-RPT (RFC 8460) reports: decoding, the §4.4 schema, and the mail wrapping (pure code:
no Django models, no network; DKIM keys come from a lookup function the caller passes)."""
