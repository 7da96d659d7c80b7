"""Strict static check of generated Snowflake SQL (test-side; DESIGN.md §6).

``check_snowflake_sql(text)`` raises ``AssertionError`` unless ``text`` is exactly one statement that either

* starts like one of the forms sqlglot knows only as an opaque ``exp.Command`` (or knows only in some
  versions: schema SWAP/RENAME, table SWAP, UNDROP, GRANT … ON ALL|FUTURE|SCHEMA|DATABASE, CREATE ROLE,
  SHOW …) and then full-matches that form's strict pattern over quoted identifiers, whatever sqlglot
  makes of it; or
* parses with ``read="snowflake"`` to a real expression (not ``exp.Command``) whose relation names are all
  quoted upper-case identifiers (``"[A-Z_][A-Z0-9_]*"``), ``<db>.information_schema.<view>`` and CTE names
  excepted.

So a typo in a keyword (``UNDROP TABEL``, ``SWAP WTIH``, ``GRANT SELCT``), an unquoted identifier with a
space, or two statements in one string all fail.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

QUOTED = r'"[A-Z_][A-Z0-9_]*"'
DATABASE = QUOTED
SCHEMA = rf"(?:{QUOTED}\.)?{QUOTED}"
OBJECT = rf"(?:{QUOTED}\.){{0,2}}{QUOTED}"
STRING = r"'(?:[^'\\]|''|\\.)*'"
PRIVILEGE = (
    r"(?:SELECT|INSERT|UPDATE|DELETE|TRUNCATE|REFERENCES|USAGE|MONITOR|OPERATE|OWNERSHIP|MODIFY|APPLYBUDGET"
    r"|ADD\s+SEARCH\s+OPTIMIZATION|ALL(?:\s+PRIVILEGES)?"
    r"|CREATE\s+(?:TABLE|VIEW|MATERIALIZED\s+VIEW|DYNAMIC\s+TABLE|STAGE|FILE\s+FORMAT|SEQUENCE|FUNCTION"
    r"|PROCEDURE|STREAM|TASK|PIPE|TAG|MASKING\s+POLICY|ROW\s+ACCESS\s+POLICY|SECRET|EXTERNAL\s+TABLE))"
)
GRANT_OPTION = r"(?:\s+WITH\s+GRANT\s+OPTION)?"
PLURAL_OBJECTS = (
    r"(?:TABLES|VIEWS|SCHEMAS|SEQUENCES|FUNCTIONS|PROCEDURES|STAGES|DYNAMIC\s+TABLES|MATERIALIZED\s+VIEWS)"
)
SHOWABLE = r"(?:SCHEMAS|OBJECTS|TABLES|VIEWS|DATABASES)"

#: Family name → (how a statement of that family starts, the strict full pattern it must then match).
FORMS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    name: (re.compile(start, re.IGNORECASE | re.DOTALL), re.compile(full, re.DOTALL))
    for name, start, full in (
        (
            "ALTER SCHEMA",
            r"ALTER\s+SCHEMA\b",
            rf"ALTER\s+SCHEMA\s+(?:IF\s+EXISTS\s+)?{SCHEMA}\s+(?:(?:SWAP\s+WITH|RENAME\s+TO)\s+{SCHEMA}"
            r"|ENABLE\s+MANAGED\s+ACCESS)",
        ),
        (
            "ALTER TABLE … SWAP",
            r"ALTER\s+TABLE\b.*\bSWAP\b",
            rf"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?{OBJECT}\s+SWAP\s+WITH\s+{OBJECT}",
        ),
        (
            "UNDROP",
            r"UNDROP\b",
            rf"UNDROP\s+(?:TABLE\s+{OBJECT}|SCHEMA\s+{SCHEMA}|DATABASE\s+{DATABASE})",
        ),
        (
            "GRANT … ON ALL|FUTURE",
            r"GRANT\b.*\bON\s+(?:ALL|FUTURE)\b",
            rf"GRANT\s+{PRIVILEGE}(?:\s*,\s*{PRIVILEGE})*\s+ON\s+(?:ALL|FUTURE)\s+{PLURAL_OBJECTS}\s+"
            rf"IN\s+(?:SCHEMA\s+{SCHEMA}|DATABASE\s+{DATABASE})\s+TO\s+ROLE\s+{QUOTED}{GRANT_OPTION}"
            r"(?:\s+(?:COPY|REVOKE)\s+CURRENT\s+GRANTS)?",
        ),
        (  # sqlglot parses these as exp.Grant whatever the privilege word: `GRANT USGE ON SCHEMA` too
            "GRANT … ON SCHEMA|DATABASE",
            r"GRANT\b.*\bON\s+(?:SCHEMA|DATABASE)\b",
            rf"GRANT\s+{PRIVILEGE}(?:\s*,\s*{PRIVILEGE})*\s+ON\s+(?:SCHEMA\s+{SCHEMA}|DATABASE\s+{DATABASE})"
            rf"\s+TO\s+ROLE\s+{QUOTED}{GRANT_OPTION}",
        ),
        (
            "CREATE ROLE",
            r"CREATE\s+(?:OR\s+REPLACE\s+)?ROLE\b",
            rf"CREATE\s+(?:OR\s+REPLACE\s+)?ROLE\s+(?:IF\s+NOT\s+EXISTS\s+)?{QUOTED}",
        ),
        (
            "ALTER SESSION",
            r"ALTER\s+SESSION\b",
            r"ALTER\s+SESSION\s+(?:SET\s+(?:STATEMENT_TIMEOUT_IN_SECONDS\s*=\s*\d+|QUERY_TAG\s*=\s*"
            + STRING
            + r")|UNSET\s+(?:STATEMENT_TIMEOUT_IN_SECONDS|QUERY_TAG))",
        ),
        (
            "SHOW",
            r"SHOW\b",
            rf"SHOW\s+(?:TERSE\s+)?{SHOWABLE}(?:\s+LIKE\s+{STRING})?"
            rf"(?:\s+IN\s+(?:ACCOUNT|DATABASE\s+{DATABASE}|SCHEMA\s+{SCHEMA}))?"
            rf"|SHOW\s+GRANTS\s+(?:ON\s+(?:SCHEMA\s+{SCHEMA}|(?:TABLE|VIEW)\s+{OBJECT}|DATABASE\s+{DATABASE})"
            rf"|TO\s+ROLE\s+{QUOTED}|OF\s+ROLE\s+{QUOTED})"
            rf"|SHOW\s+FUTURE\s+GRANTS\s+IN\s+(?:SCHEMA\s+{SCHEMA}|DATABASE\s+{DATABASE})",
        ),
    )
}
INFORMATION_SCHEMA_VIEWS = frozenset({"views", "columns", "tables", "schemata"})
_QUOTED_NAME = re.compile(r"[A-Z_][A-Z0-9_]*\Z")


def _statements(text: str) -> list[exp.Expr]:
    try:
        parsed = sqlglot.parse(text, read="snowflake")
    except sqlglot.errors.ParseError as exc:
        raise AssertionError(f"sqlglot cannot parse this as Snowflake SQL: {exc}\n  {text}") from None
    return [e for e in parsed if e is not None and not isinstance(e, exp.Semicolon)]


def _check_relation_names(tree: exp.Expr, text: str) -> None:
    ctes = {cte.alias_or_name.upper() for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        parts = [p for p in table.parts if isinstance(p, exp.Identifier)]
        if len(parts) == 1 and not parts[0].quoted and parts[0].name.upper() in ctes:
            continue
        if (
            len(parts) >= 2
            and not parts[-2].quoted
            and parts[-2].name.lower() == "information_schema"
            and parts[-1].name.lower() in INFORMATION_SCHEMA_VIEWS
        ):
            parts = parts[:-2]
        for part in parts:
            if not part.quoted or not _QUOTED_NAME.match(part.name):
                raise AssertionError(
                    f"relation name part {part.sql('snowflake')!r} is not a quoted upper-case identifier "
                    f'("[A-Z_][A-Z0-9_]*"), in:\n  {text}'
                )


def check_snowflake_sql(text: str) -> None:
    """Raise ``AssertionError`` unless ``text`` is one well-formed Snowflake statement (module docstring)."""
    body = text.strip()
    if body.endswith(";"):
        body = body[:-1].rstrip()
    if not body:
        raise AssertionError("empty statement")
    statements = _statements(text)
    if len(statements) != 1:
        raise AssertionError(f"expected exactly one statement, sqlglot found {len(statements)} in:\n  {text}")
    for name, (start, full) in FORMS.items():
        if start.match(body):
            if not full.fullmatch(body):
                raise AssertionError(f"not a well-formed {name} statement (strict pattern):\n  {text}")
            return
    (tree,) = statements
    if isinstance(tree, exp.Command):
        raise AssertionError(
            f"sqlglot knows this only as an opaque Command and it matches no strict form:\n  {text}"
        )
    _check_relation_names(tree, text)
