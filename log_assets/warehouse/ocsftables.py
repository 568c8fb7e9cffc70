"""The `ocsf.<class>` tables: every event of the per-type tables as an OCSF 1.8.0 event.

One SQL file per class (`log_assets/ocsf/sql/<class>.sql`), one section per log type mapped to it (named by its
table, `forcepoint.swgweb`); a log type whose records go to several classes routes each record to
exactly one of them (`sql/common.sql`, `ocsf_route_<type>`). Each table is a derived table of the
warehouse: recomputed for the days its per-type tables rewrote, published to the catalog namespace
`ocsf`. Its columns are OCSF attributes (objects as STRUCTs) and `event_day`; their types follow from
the SQL (the log types' selects, unioned by name).
"""

from __future__ import annotations

from log_assets.ocsf import schema
from log_assets.warehouse.derive import Derived, RefreshReport
from log_assets.warehouse.layout import TableRef
from log_assets.warehouse.sqlfiles import fill, ident, literal, sections, sql

SCHEMA = "ocsf"
PACKAGE = "log_assets.ocsf"


def caption_of(column: str, captions: dict[str, str], otherwise: str) -> str:
    """SQL: the caption of `column`'s value, `otherwise` for a value without one (or 99 Other)."""
    whens = " ".join(f"WHEN {int(k)} THEN {literal(v)}" for k, v in captions.items() if k != "99")
    return f"CASE {ident(column)} {whens} ELSE {otherwise} END"


def macros() -> str:
    """The macros the mappings use; the ip_t and email_t patterns are the vendored schema's."""
    return sql_common(
        "macros",
        ip_pattern=literal(schema.type_pattern("network_endpoint", "ip")),
        ip_max_length=str(schema.max_length("network_endpoint", "ip") or 40),
        email_pattern=literal(schema.type_pattern("user", "email_addr")),
    )


class OcsfTable(Derived):
    """An OCSF class table; recomputed for every day its per-type tables rewrote."""

    def __init__(self, name: str):
        self.name = name
        self.ref = TableRef(SCHEMA, name)
        self.mappings = sections(name, PACKAGE)
        self.__doc__ = (
            f"{self.ref.key}: OCSF 1.8.0 {schema.caption(name)} ({schema.class_uid(name)}) events of "
            f"{', '.join(sorted(self.mappings))}; OCSF attributes (objects as STRUCTs) and event_day."
        )

    @property
    def reads(self) -> tuple[TableRef, ...]:
        return tuple(TableRef.parse(key) for key in self.mappings)

    def select(self, day_filter: str) -> str:
        names = schema.captions(self.name)
        branches = [
            sql_common(
                "wrap",
                class_uid=str(schema.class_uid(self.name)),
                category_uid=str(schema.category_uid(self.name)),
                class_name=literal(schema.caption(self.name)),
                category_name=literal(names["category"]),
                type_name=caption_of("type_uid", names["type_uid"], "NULL"),
                activity_name=caption_of("activity_id", names["activity_id"], "activity_name"),
                severity=caption_of("severity_id", names["severity_id"], literal("Other")),
                select=fill(
                    body,
                    f"log_assets/ocsf/sql/{self.name}.sql {key}",
                    table=TableRef.parse(key).sql,
                    day_filter=day_filter,
                ),
            )
            for key, body in sorted(self.mappings.items())
        ]
        return "\nUNION ALL BY NAME\n".join(f"({b})" for b in branches)

    def statements(self) -> list[str]:
        return [macros(), self.select("true")]

    def create(self, w, table: TableRef) -> None:
        """Create `table`, empty, with the columns the SQL gives (the log types' selects, unioned)."""
        w.conn.execute(sql_common("probe", table=table.sql, select=self.select("false")))

    def ensure(self, w) -> None:
        """Make the schema and the macros; (re)create the table when its columns differ from what
        the SQL gives (then it is recomputed in full)."""
        w.conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        w.conn.execute(macros())
        super().ensure(w)

    def select_all(self) -> str:
        return self.select("true")

    def update(self, w, seq: int, since: int, report: RefreshReport) -> None:
        report.days = self.pending_days(w, since, self.reads)
        if report.days:
            day_filter = sql("derive", "day_filter")
            self.replace(w, seq, day_filter, self.select(day_filter))


def sql_common(section: str, /, **slots: str) -> str:
    return fill(sections("common", PACKAGE)[section], f"log_assets/ocsf/sql/common.sql {section}", **slots)


OCSF_CLASSES = schema.EMITTED
OCSF_TABLES: tuple[OcsfTable, ...] = tuple(OcsfTable(name) for name in OCSF_CLASSES)
