"""The dialect contract: every piece of SQL and every capability in which one engine differs from another.

A plan never asks which engine it is on; it asks its ``Dialect`` object for the statement or the capability.
Each engine has one module in ``dialects/`` that implements this class, and one entry in ``dialects.DIALECTS``
(the key is the ``engine:`` value of the configuration). A dialect that leaves out a method cannot be
instantiated, and mypy reports it where the object is created: a new engine never silently takes another
engine's path. SQL that every engine writes alike stays in ``common.py``, ``journal.py`` and the other modules
of this package, and reaches the engine-specific parts through these methods.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from pipelineops.plan.sql.common import Relation
    from pipelineops.plan.sql.time_travel import PointInTime

#: How a deploy publishes the new colour to readers.
#: ``transactional-ddl``: every consumer view is re-pointed in one transaction (DDL is transactional);
#: ``schema-swap``: views are prepared in a shadow schema, then one atomic ``ALTER SCHEMA … SWAP WITH``
#: per consumer schema (DDL auto-commits).
Cutover = Literal["transactional-ddl", "schema-swap"]
#: The kinds of point in time a dialect can read (``time_travel.PointInTime.kind``).
PointKind = Literal["version", "timestamp", "offset", "statement"]


class SnapshotCopy(ABC):
    """The time-travel route of an engine that keeps every snapshot and has transactional DDL: the current
    rows are copied aside and the table refilled from the past snapshot, in one transaction."""

    @abstractmethod
    def restore(self, table: Relation, point: PointInTime, aside: Relation) -> tuple[str, ...]:
        """Keep the current rows in ``aside``, then refill ``table`` as it was at ``point``."""

    @abstractmethod
    def latest_snapshot(self, database: str) -> str:
        """The current snapshot id (column ``v``): the newest version a restore can go back to."""


class CloneSwap(ABC):
    """The time-travel route of an engine with zero-copy clones: a clone of the past into a side table, then
    an atomic table swap; where ``CREATE OR REPLACE`` restarted the history, ``UNDROP`` brings it back."""

    @abstractmethod
    def clone_at(self, side: Relation, table: Relation, point: PointInTime, *, transient: bool) -> str:
        """A side table holding ``table`` as of ``point`` (``transient``: the kind of ``table``)."""

    @abstractmethod
    def swap_tables(self, table: Relation, side: Relation) -> str:
        """The atomic swap of two tables."""

    @abstractmethod
    def rename_table(self, table: Relation, new_name: str) -> str: ...

    @abstractmethod
    def undrop_table(self, table: Relation) -> str:
        """The newest dropped version of ``table`` back under its name."""

    @abstractmethod
    def show_table(self, table: Relation) -> str:
        """Kind, retention and creation time of one table (what decides whether its history is there)."""

    @abstractmethod
    def query_history(self, database: str, query_id: str) -> str:
        """The type and start time of one query (``query_id``, ``query_type``, ``start_time``)."""


#: How a table goes back to a past point in time: one of the two route objects above.
TimeTravelRoute = SnapshotCopy | CloneSwap


class Dialect(ABC):
    """One engine's SQL. Instances are stateless singletons: compare them with ``is`` or ``==``."""

    #: the registry key: the ``engine:`` value of an environment, and the name plans are printed with
    name: str
    #: the sqlglot dialect that reads this engine's compiled SQL (column-level impact analysis of slim-ci)
    sqlglot: str

    # --- capabilities ------------------------------------------------------------------------------

    #: how a deploy (and a rollback's re-publish) makes a colour what readers see
    cutover: Cutover
    #: whether DDL runs inside a transaction (several copies commit once; Snowflake DDL auto-commits)
    transactional_ddl: bool
    #: how a table is restored to a past point in time, and that route's SQL
    time_travel: TimeTravelRoute
    #: the points in time the engine can read (``--to-version``, ``--at``, ``--offset``, ``--before-statement``)
    point_kinds: frozenset[PointKind]
    #: whether the engine has roles and grants (shadow schemas copy them, verify-grants and parity read them)
    has_grants: bool
    #: whether a copy of a table is zero-copy, so that ``dbt clone`` of unchanged models is worth running
    zero_copy_clone: bool

    # --- identifiers and literals ------------------------------------------------------------------

    @abstractmethod
    def fold(self, name: str) -> str:
        """An identifier as the engine stores it when written unquoted (identifier folding)."""

    @abstractmethod
    def quote(self, name: str) -> str:
        """A validated identifier, folded and quoted."""

    @abstractmethod
    def literal(self, value: str) -> str:
        """A string literal, escaped as the engine reads quoted text."""

    @property
    @abstractmethod
    def timestamp_tz(self) -> str:
        """The type name of a timestamp with time zone."""

    # --- catalog reads -----------------------------------------------------------------------------

    @abstractmethod
    def list_schemas(self, database: str) -> str:
        """Schemas of a database, name in column ``name``."""

    @abstractmethod
    def list_relations(self, database: str, schema: str) -> str:
        """Tables and views of a schema: columns ``name`` and ``kind`` (TABLE or VIEW)."""

    @abstractmethod
    def view_definitions(self, database: str, schema: str) -> str:
        """Name and SQL text of every view in a schema: columns ``name`` and ``sql``."""

    @abstractmethod
    def columns_of(self, relation: Relation) -> str:
        """Column names and data types of a relation: columns ``name`` and ``type``, in order."""

    @abstractmethod
    def columns_of_schema(self, database: str, schema: str) -> str:
        """Every column of every relation in a schema: columns ``relation``, ``name``, ``type``."""

    @abstractmethod
    def list_schemas_created(self, database: str, like: str) -> str:
        """Schemas whose name matches the LIKE pattern ``like``: columns ``name`` and ``created_on``."""

    # --- DDL ---------------------------------------------------------------------------------------

    @abstractmethod
    def copy_table(self, target: Relation, source: Relation, *, transient: bool) -> str:
        """``target`` replaced by a full copy of ``source`` (a clone where the engine has one).
        ``transient`` is the kind of ``source`` where the engine tells kinds of table apart."""

    @abstractmethod
    def view_options(self, *, copy_grants: bool) -> str:
        """What follows the view name in ``CREATE OR REPLACE VIEW`` (keeping the replaced view's grants)."""

    @abstractmethod
    def swap_schema(self, database: str, schema: str, other: str) -> str:
        """The atomic swap of two schemas (the ``schema-swap`` cutover); ValueError where there is none."""

    @abstractmethod
    def clone_schema(self, database: str, schema: str, source: str) -> str:
        """``schema`` replaced by a clone of ``source`` with its objects; ValueError where there is none."""

    @abstractmethod
    def statement_timeout(self, seconds: int) -> Sequence[str]:
        """Statements that make the session cancel a statement running longer than ``seconds`` (none where
        the engine has no statement timeout)."""

    @abstractmethod
    def statement_timeout_reset(self) -> Sequence[str]:
        """Statements that undo ``statement_timeout``."""

    def __repr__(self) -> str:
        return f"<dialect {self.name}>"

    def __str__(self) -> str:
        return self.name
