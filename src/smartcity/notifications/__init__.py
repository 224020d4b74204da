"""Notifications: one interface, channels by name (in-page, e-mail, SMS), rules, quiet hours, escalation."""
