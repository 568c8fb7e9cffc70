"""The engine's promises: a re-run or a late event updates an alert, never adds a second; later
matches past the dedup period are a new alert; suppressions mark without deleting; only what
changed is evaluated; a rebuild keeps the alerts; users add rules from their own folder; a bad
rule file is refused naming the file, before anything is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import log_assets.detections
from log_assets.detections import RuleError, load_rules
from log_assets.detections.runner import run
from log_assets.paths import Home
from log_assets.simulator import scenarios
from log_assets.warehouse import connect_readonly, rebuild, sync
from tests.detections.scenario_lake import DAY, forcepoint_event, write_by_day

FAILED = "forcepoint_multiple_failed_logins"
WHO = scenarios.person("late")


def failed_logins(start: datetime, n: int, step: timedelta, part: str = "p0") -> list[dict]:
    return [
        forcepoint_event(
            "access",
            {
                "time": (start + i * step).strftime("%d %b %Y %H:%M:%S"),
                "syslogheader": f"<110>1 {(start + i * step).isoformat()} api.bitglass.com NILVALUE NILVALUE "
                "access",
                "activity": "Login",
                "details": "Failed login attempt.",
                "email": WHO.upper(),  # real records: the e-mail in any case
                "user": "Late Comer",
                "ipaddress": "198.51.100.5",
                "transactionid": f"{part}-{i}",
            },
        )
        for i in range(n)
    ]


def alerts(home: Home, rule: str = FAILED) -> list[dict]:
    with connect_readonly(home) as con:
        rel = con.sql(
            "SELECT alert_id, entity, first_seen, last_seen, event_count, status, created_at, updated_at "
            f"FROM detections.alerts WHERE rule_id = '{rule}' ORDER BY first_seen"
        )
        return [dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()]


def rules_folder(tmp_path: Path) -> Path:
    """An empty rules folder of the user's."""
    folder = tmp_path / "rules"
    folder.mkdir()
    return folder


@pytest.fixture
def home(tmp_path) -> Home:
    return Home.from_env(tmp_path / "home")


T0 = datetime(DAY.year, DAY.month, DAY.day, 9, 0, tzinfo=UTC)


def test_rerun_and_late_event_update_the_one_alert(home):
    write_by_day(home, failed_logins(T0, 10, timedelta(seconds=50)))
    sync(home)
    run(home)
    [first] = alerts(home)
    assert (first["entity"], first["event_count"]) == (WHO, 10)

    report = run(home)  # again, nothing changed: nothing evaluated, nothing new
    assert alerts(home) == [first]
    assert report.days == 0 and not report.entities and not report.new_alerts

    # a late event inside the alert's window (earlier than its first event) arrives in another part
    late = failed_logins(T0 - timedelta(minutes=2), 1, timedelta(0), part="late")
    write_by_day(home, late, part="p1")
    sync(home)
    report = run(home)
    [updated] = alerts(home)
    assert updated["alert_id"] == first["alert_id"] and updated["created_at"] == first["created_at"]
    assert updated["event_count"] == 11 and updated["first_seen"] == T0 - timedelta(minutes=2)
    assert updated["updated_at"] > first["updated_at"]
    assert report.updated_alerts == {FAILED: 1} and not report.new_alerts


def test_matches_after_the_dedup_period_are_a_second_alert(home):
    write_by_day(home, failed_logins(T0, 10, timedelta(seconds=30)))
    write_by_day(home, failed_logins(T0 + timedelta(hours=12), 10, timedelta(seconds=30), "b"), part="p1")
    nextday = T0 + timedelta(hours=25)
    write_by_day(home, failed_logins(nextday, 10, timedelta(seconds=30), "c"))
    sync(home)
    run(home)
    got = alerts(home)
    # 12 hours later: inside the first alert's 24 hours, joined to it; 25 hours later: a new alert
    assert [a["event_count"] for a in got] == [20, 10]
    assert len({a["alert_id"] for a in got}) == 2


def test_suppression_marks_without_deleting(home, tmp_path):
    write_by_day(home, failed_logins(T0, 10, timedelta(seconds=30)))
    sync(home)
    run(home)
    folder = rules_folder(tmp_path)
    (folder / "suppressions.yaml").write_text(
        f"- rule_id: {FAILED}\n  entity: {WHO.upper()}\n  until: {DAY + timedelta(days=30)}\n  reason: pen test\n"
    )
    report = run(home, folder)
    [a] = alerts(home)
    assert a["status"] == "suppressed" and report.suppressed == 1
    with connect_readonly(home) as con:
        assert con.sql("SELECT rule_id, entity, reason FROM detections.suppressions").fetchall() == [
            (FAILED, WHO.upper(), "pen test")
        ]
    (folder / "suppressions.yaml").write_text("")
    run(home, folder)
    assert alerts(home)[0]["status"] == "new"


def test_a_user_rule_from_a_folder(home, tmp_path):
    folder = rules_folder(tmp_path)
    (folder / "my_failed_login.yaml").write_text(
        "id: my_any_failed_login\ntitle: Any failed login\ndescription: One is enough.\nseverity: low\n"
        "mitre: [T1110]\nsql: |\n  SELECT event_time, email AS entity, vendor, log_type, event_id\n"
        "  FROM forcepoint.access WHERE details ILIKE 'failed login%'\n"
    )
    # a built-in rule turned off by a file of the user's with its id
    (folder / "off.yaml").write_text(
        f"id: {FAILED}\ntitle: Turned off\ndescription: Not wanted here.\nseverity: low\nenabled: false\n"
        "sql: SELECT 1\n"
    )
    write_by_day(home, failed_logins(T0, 3, timedelta(seconds=30)))
    sync(home)
    run(home, folder)
    assert [a["event_count"] for a in alerts(home, "my_any_failed_login")] == [3]
    with connect_readonly(home) as con:
        assert con.sql(
            "SELECT source, enabled FROM detections.rules WHERE rule_id IN ('my_any_failed_login', "
            f"'{FAILED}') ORDER BY rule_id"
        ).fetchall() == [("user", False), ("user", True)]


@pytest.mark.parametrize(
    "text,named",
    [
        ("id: x_bad\ntitle: t\ndescription: d\nseverity: urgent\nsql: SELECT 1\n", "severity"),
        ("id: x_bad\ntitle: t\ndescription: d\nseverity: low\nthreshold: 3\nsql: SELECT 1\n", "window"),
        ("id: x_bad\ntitle: t\ndescription: d\nseverity: low\nsql: SELECT 1\n", "event_time"),
        ("id: x_bad\ntitle: t\ndescription: d\nseverity: low\nsql: SELECT * FROM nowhere.nothing\n", "nowhere"),
        ("id: x_bad\n  title: [", "YAML"),
    ],
)
def test_a_bad_rule_file_is_refused_naming_it(home, tmp_path, text, named):
    write_by_day(home, failed_logins(T0, 10, timedelta(seconds=30)))
    sync(home)
    folder = rules_folder(tmp_path)
    (folder / "bad.yaml").write_text(text)
    with pytest.raises(RuleError) as e:
        run(home, folder)
    assert str(folder / "bad.yaml") in str(e.value) and named in str(e.value)
    with connect_readonly(home) as con:  # nothing was written
        assert not con.sql("SELECT * FROM information_schema.tables WHERE table_schema = 'detections'").fetchall()


def test_a_rule_enabled_again_sees_what_changed_while_it_was_off(home, tmp_path):
    folder = rules_folder(tmp_path)
    off = folder / "off.yaml"
    builtin = Path(log_assets.detections.__file__).with_name("rules") / f"{FAILED}.yaml"
    off.write_text(builtin.read_text() + "enabled: false\n")  # the built-in rule, turned off
    write_by_day(home, failed_logins(T0, 3, timedelta(seconds=30)))
    sync(home)
    run(home)
    run(home, folder)
    write_by_day(home, failed_logins(T0 + timedelta(minutes=2), 10, timedelta(seconds=30), "b"), part="p1")
    sync(home)
    run(home, folder)  # off: the change is consumed without it
    assert alerts(home) == []
    off.unlink()
    run(home, folder)
    assert [a["event_count"] for a in alerts(home)] == [13]


def test_a_rule_failing_on_the_data_names_its_file_and_writes_nothing(home, tmp_path):
    folder = rules_folder(tmp_path)
    (folder / "cast.yaml").write_text(
        "id: my_casting_rule\ntitle: Casts\ndescription: Casts the user to a number.\nseverity: low\nsql: |\n"
        "  SELECT event_time, email AS entity, vendor, log_type, event_id FROM forcepoint.access\n"
        '  WHERE CAST("user" AS INTEGER) > 0\n'
    )
    write_by_day(home, failed_logins(T0, 10, timedelta(seconds=30)))
    sync(home)
    with pytest.raises(RuleError) as e:
        run(home, folder)
    assert "my_casting_rule" in str(e.value) and str(folder / "cast.yaml") in str(e.value)
    with connect_readonly(home) as con:
        assert not con.sql("SELECT * FROM information_schema.tables WHERE table_schema = 'detections'").fetchall()
    (folder / "cast.yaml").unlink()
    run(home, folder)  # fixed: the changes are evaluated then
    assert [a["event_count"] for a in alerts(home)] == [10]


def test_rebuild_keeps_the_alerts(home):
    write_by_day(home, failed_logins(T0, 10, timedelta(seconds=30)))
    sync(home)
    run(home)
    before = alerts(home)
    rebuild(home)
    assert alerts(home) == before
    run(home)
    assert alerts(home) == before


def test_builtin_rules_load():
    rules = load_rules().rules
    assert len(rules) >= 16 and all(r.mitre_techniques for r in rules)


def test_an_incident_id_keeps_its_case_a_person_is_lower_cased(home):
    from tests.detections.scenario_lake import aperture_event

    rec = scenarios.incident(T0, "INC-9F2A", scenarios.person("Owner").upper(), 5, exposure="PUBLIC")
    write_by_day(home, [aperture_event(rec)])
    sync(home)
    run(home)
    assert [a["entity"] for a in alerts(home, "aperture_high_severity_incident")] == ["INC-9F2A"]
    assert [a["entity"] for a in alerts(home, "aperture_public_exposure")] == [scenarios.person("owner")]
