"""``manage.py`` commands of the dnsops app."""
