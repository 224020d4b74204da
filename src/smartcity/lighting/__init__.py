"""Street lighting: groups, schedules from the sun, dimming, faults into maintenance tickets, energy."""
