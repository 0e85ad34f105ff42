"""Data layer: schema, store, files, providers, validation, universes."""
