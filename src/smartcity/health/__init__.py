"""Health: a FHIR R4 server, record coverage, immunisation and home-quarantine monitoring."""
