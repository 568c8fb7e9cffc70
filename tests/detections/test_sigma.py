"""Sigma rules: converted by pySigma's DuckDB backend through the mapping's processing pipeline,
then run over the OCSF tables (here an `ocsf.authentication` of the columns the rule reads, shaped as
the warehouse builds it; tests/detections/test_rules_content.py runs the built-in ones end to end)."""

from __future__ import annotations

import duckdb
import pytest
import yaml

from log_assets.detections import RuleError
from log_assets.detections.rules import SIGMA, builtin_rules
from log_assets.detections.sigma import rule_from_sigma

RULE = """
title: Failed logins of a service account
name: my_service_failed_login
id: 5e0c3b1e-0a2b-4c55-9d11-2a6f6b0c1d01
level: low
tags: [attack.credential_access, attack.t1110.001]
logsource: {product: forcepoint, service: access}
threshold: 2
window: 5m
detection:
  failed:
    Details: failed login attempt.
  svc:
    Email|startswith: svc-
  condition: failed and svc
"""


def run_rule(sql: str, rows: list[tuple]) -> list[tuple]:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA ocsf")
    con.execute(
        'CREATE TABLE ocsf.authentication ("time" BIGINT, metadata STRUCT(product STRUCT("name" VARCHAR, '
        'vendor_name VARCHAR), uid VARCHAR, log_name VARCHAR), message VARCHAR, "user" STRUCT("name" VARCHAR, '
        "email_addr VARCHAR))"
    )
    for time, event_id, email, user, details in rows:
        con.execute(
            "INSERT INTO ocsf.authentication VALUES (epoch_ms(CAST(? AS TIMESTAMPTZ)), {'product': "
            "{'name': 'Forcepoint ONE SSE', 'vendor_name': 'Forcepoint'}, 'uid': ?, 'log_name': 'access'}, ?, "
            "{'name': ?, 'email_addr': ?})",
            [time, event_id, details, user, email],
        )
    return con.execute(f"SELECT event_id, entity, vendor, log_type, event_time FROM ({sql}) ORDER BY 1").fetchall()


def test_converts_and_runs_case_insensitively():
    rule = rule_from_sigma(yaml.safe_load(RULE), SIGMA, "my.yml")
    assert (rule.rule_id, rule.severity, rule.mitre_techniques) == (
        "my_service_failed_login",
        "low",
        ("T1110.001",),
    )
    assert (rule.threshold, rule.window.total_seconds()) == (2, 300)
    got = run_rule(
        rule.sql,
        [
            ("2026-04-01 10:00:00+00", "a", "SVC-backup@acme.example", "Backup", "Failed login attempt."),
            ("2026-04-01 10:01:00+00", "b", "svc-ci@acme.example", "CI", "FAILED LOGIN ATTEMPT."),
            ("2026-04-01 10:02:00+00", "c", "anna@acme.example", "Anna", "Failed login attempt."),
            ("2026-04-01 10:03:00+00", "d", "svc-ci@acme.example", "CI", "Failed login attempt. Retrying"),
        ],
    )
    assert [(g[0], g[1], g[2], g[3]) for g in got] == [
        ("a", "svc-backup@acme.example", "forcepoint", "access"),
        ("b", "svc-ci@acme.example", "forcepoint", "access"),
    ]
    assert got[0][4].isoformat() == "2026-04-01T10:00:00+00:00"


def test_the_builtin_sigma_rules_convert():
    sigma = [r for r in builtin_rules() if r.source == SIGMA]
    assert {r.rule_id for r in sigma} >= {
        "sigma_forcepoint_sso_config_changed",
        "sigma_aperture_source_code_exposed",
    }
    assert all(" FROM ocsf." in r.sql for r in sigma)


@pytest.mark.parametrize(
    "change,named",
    [
        (("logsource", {"product": "windows", "category": "process_creation"}), "windows/None"),
        (("detection", {"x": {"CommandLine|contains": "mimikatz"}, "condition": "x"}), "CommandLine"),
        (
            ("logsource", {"product": "forcepoint", "service": "access", "category": "http_activity"}),
            "http_activity",
        ),
        (("name", None), "name"),
        (("entity", "Nobody"), "Nobody"),
    ],
)
def test_a_sigma_rule_that_does_not_fit_is_refused_naming_the_file(change, named):
    doc = yaml.safe_load(RULE)
    doc[change[0]] = change[1]
    with pytest.raises(RuleError) as e:
        rule_from_sigma(doc, SIGMA, "/rules/my.yml")
    assert "/rules/my.yml" in str(e.value) and named in str(e.value)
