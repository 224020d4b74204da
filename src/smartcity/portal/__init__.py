"""The public front door: home, news and pages, one search across domains, contacts, the citizen's space."""
