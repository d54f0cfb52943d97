"""Project-wide API plumbing: the error shape, parsers, pagination, throttling, OpenAPI."""
