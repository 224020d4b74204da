"""Education: the city's public schools — students, fees, assets and online learning."""
