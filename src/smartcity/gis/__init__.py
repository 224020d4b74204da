"""GIS: layers, planning zones, land parcels, addresses and house numbers, OGC API Features."""
