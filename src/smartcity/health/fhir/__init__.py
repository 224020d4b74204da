"""The FHIR R4 server: validation, storage with search columns, search, bundles, capability, access."""
