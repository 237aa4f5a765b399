"""Pure logic over the store: plates, what was near, hot lists, geofences, alerts, camera visibility."""
