"""Plain records and pure functions shared by every layer (no Qt, no SQL)."""
