"""Warehouse engines: each renders nothing itself; it runs plan SQL on one warehouse (DESIGN.md §2)."""
