"""Notifications: events written to an outbox with the change that caused them, delivered as
signed webhooks and as e-mail digests (docs/notifications.md)."""
