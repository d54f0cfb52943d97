"""Management commands of the dnsops app."""
