"""Traffic and security cameras: events from their analytics, traffic flow per lane, audited snapshots."""
