"""The dbt edge: run dbt as a subprocess and read its artifacts. The only modules that touch dbt."""
