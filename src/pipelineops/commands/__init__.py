"""One module per stage: load inputs → plan → (dry-run | execute) → StageReport. Never exits."""
