"""Open data: the catalogue of the domains' public datasets, their resources, CKAN's Action API and DCAT."""
