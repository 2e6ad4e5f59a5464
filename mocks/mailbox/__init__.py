"""The mailbox: an SMTP sink with a Mailpit-compatible HTTP API."""
