"""`ocsf.detection_finding`: the alerts as OCSF 1.8.0 Detection Finding events (class 2004).

One row per alert: `activity_id` 1 (Create) until the alert is updated, then 2 (Update);
`finding_info` names the alert (`uid`), the rule (`analytic`), its ATT&CK techniques (`attacks`)
and the first and last event; `resources` the entity; `status_id` 1 (New) or 3 (Suppressed);
`count` the events; times are OCSF timestamps (milliseconds since the epoch). Columns are OCSF
attributes (objects as STRUCTs) plus `event_day` (the day of the alert's first event), as the
other `ocsf.*` tables; `metadata.uid` is the `alert_id`, `metadata.log_name` `alerts`.
"""

from __future__ import annotations

import duckdb

TABLE = "ocsf.detection_finding"
CLASS_UID, CATEGORY_UID, OCSF_VERSION = 2004, 2, "1.8.0"

SELECT = f"""
SELECT
    CASE WHEN a.updated_at > a.created_at THEN 2 ELSE 1 END AS activity_id,
    CASE WHEN a.updated_at > a.created_at THEN 'Update' ELSE 'Create' END AS activity_name,
    {CATEGORY_UID} AS category_uid,
    'Findings' AS category_name,
    {CLASS_UID} AS class_uid,
    'Detection Finding' AS class_name,
    {CLASS_UID * 100} + CASE WHEN a.updated_at > a.created_at THEN 2 ELSE 1 END AS type_uid,
    CASE a.severity WHEN 'informational' THEN 1 WHEN 'low' THEN 2 WHEN 'medium' THEN 3 WHEN 'high' THEN 4
        WHEN 'critical' THEN 5 ELSE 99 END AS severity_id,
    CASE a.severity WHEN 'informational' THEN 'Informational' WHEN 'low' THEN 'Low' WHEN 'medium' THEN 'Medium'
        WHEN 'high' THEN 'High' WHEN 'critical' THEN 'Critical' ELSE 'Other' END AS severity,
    CASE a.status WHEN 'suppressed' THEN 3 ELSE 1 END AS status_id,
    CASE a.status WHEN 'suppressed' THEN 'Suppressed' ELSE 'New' END AS status,
    epoch_ms(a.updated_at) AS "time",
    a.title || ': ' || a.entity AS message,
    a.event_count AS "count",
    true AS is_alert,
    {{
        'uid': a.alert_id,
        'title': a.title,
        'desc': r.description,
        'types': [a.rule_id],
        'created_time': epoch_ms(a.created_at),
        'modified_time': epoch_ms(a.updated_at),
        'first_seen_time': epoch_ms(a.first_seen),
        'last_seen_time': epoch_ms(a.last_seen),
        'analytic': {{'uid': a.rule_id, 'name': a.title, 'type_id': 1, 'type': 'Rule'}},
        'attacks': list_transform(coalesce(r.mitre_techniques, []), lambda t: {{'technique': {{'uid': t}}}}),
        'related_events_count': a.event_count
    }} AS finding_info,
    [{{'uid': a.entity, 'name': a.entity, 'type': r.entity}}] AS resources,
    {{
        'product': {{'name': 'log-assets', 'vendor_name': 'log-assets'}},
        'version': '{OCSF_VERSION}',
        'uid': a.alert_id,
        'log_name': 'alerts',
        'modified_time': epoch_ms(a.updated_at)
    }} AS metadata,
    CAST(a.first_seen AS DATE) AS event_day
FROM detections.alerts AS a LEFT JOIN detections.rules AS r USING (rule_id)
"""


def refresh(conn: duckdb.DuckDBPyConnection, seq: int) -> int:
    """Make ocsf.detection_finding hold the current alerts; returns its rows. The days whose rows
    changed are logged in the warehouse's change log (batch `seq`), as a derived table's are, for a
    publisher that follows it by day."""
    conn.execute("CREATE SCHEMA IF NOT EXISTS ocsf")
    conn.execute(f"CREATE TEMP TABLE _finding_new AS {SELECT}")
    exists = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'ocsf' AND table_name = 'detection_finding'"
    ).fetchall()[0][0]
    if exists:
        changed = f"(SELECT * FROM {TABLE} EXCEPT ALL SELECT * FROM _finding_new) UNION ALL " + (
            f"(SELECT * FROM _finding_new EXCEPT ALL SELECT * FROM {TABLE})"
        )
    else:
        changed = "SELECT * FROM _finding_new"
    conn.execute(
        f"INSERT INTO _warehouse.changes SELECT DISTINCT $seq, '{TABLE}', event_day FROM ({changed})", {"seq": seq}
    )
    conn.execute(f'CREATE OR REPLACE TABLE {TABLE} AS SELECT * FROM _finding_new ORDER BY event_day, "time"')
    conn.execute("DROP TABLE _finding_new")
    return conn.execute(f"SELECT count(*) FROM {TABLE}").fetchall()[0][0]
