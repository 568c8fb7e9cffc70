"""Sigma rules: converted by pySigma's DuckDB backend through the mapping's processing pipeline,
then run over the warehouse's tables."""

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
    con.execute("CREATE SCHEMA forcepoint")
    con.execute(
        "CREATE TABLE forcepoint.access (event_time TIMESTAMPTZ, vendor VARCHAR, log_type VARCHAR, "
        'event_id VARCHAR, email VARCHAR, "user" VARCHAR, details VARCHAR)'
    )
    con.executemany("INSERT INTO forcepoint.access VALUES (?, 'forcepoint', 'access', ?, ?, ?, ?)", rows)
    return con.execute(f"SELECT event_id, entity FROM ({sql}) ORDER BY 1").fetchall()


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
    assert got == [("a", "svc-backup@acme.example"), ("b", "svc-ci@acme.example")]


def test_the_builtin_sigma_rules_convert():
    sigma = [r for r in builtin_rules() if r.source == SIGMA]
    assert {r.rule_id for r in sigma} >= {
        "sigma_forcepoint_sso_config_changed",
        "sigma_aperture_source_code_exposed",
    }
    assert all("FROM forcepoint." in r.sql or "FROM aperture." in r.sql for r in sigma)


@pytest.mark.parametrize(
    "change,named",
    [
        (("logsource", {"product": "windows", "category": "process_creation"}), "windows/None"),
        (("detection", {"x": {"CommandLine|contains": "mimikatz"}, "condition": "x"}), "CommandLine"),
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
