"""Pure planning: typed inputs → frozen Plans of ordered Steps with their SQL. No I/O, no clock."""
