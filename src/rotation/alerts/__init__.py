"""Alerts on rotation itself: rules (TOML), evaluation, state in the store, delivery."""
