"""Every Qt widget of RTCC Desktop, and only here (see tests/test_architecture.py)."""
