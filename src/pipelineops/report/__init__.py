"""Report layer: one result type, pure renderers, and the only writer of workflow commands (STYLE.md §5)."""
