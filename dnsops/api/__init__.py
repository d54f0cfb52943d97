"""REST API of the dnsops app: outbound DANE validations."""
