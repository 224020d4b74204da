"""Shared building blocks: settings, database, errors, events, audit. Imports no domain."""
