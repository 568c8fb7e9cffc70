"""Builds `security_analyst.ipynb` from the cells below, so the notebook is reviewed as code.

    python notebooks/build_notebook.py            # write the notebook (no outputs)
    python notebooks/build_notebook.py --check    # exit 1 if the committed notebook differs

Edit the cells here, never the .ipynb by hand; the test suite runs the notebook against a
warehouse built from simulator data and checks that the file matches this script.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from textwrap import dedent

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
# Shipped inside the package (`log-assets notebook` opens a copy of it).
NOTEBOOK = HERE.parent / "log_assets" / "data" / "security_analyst.ipynb"


def md(text: str):
    return new_markdown_cell(dedent(text).strip("\n"))


def code(text: str):
    return new_code_cell(dedent(text).strip("\n"))


CELLS = [
    md(
        """
        # Security analyst notebook

        The first questions an analyst asks of the Forcepoint ONE SSE and Palo Alto Data Security
        (Aperture) logs, answered from the `log-assets` warehouse:

        1. Incidents over time, by severity and by source
        2. Top risky users
        3. DLP hits by pattern and application
        4. Unusual activity by hour
        5. Remediation times

        Each section has a short explanation, the SQL and a plot. The SQL is plain DuckDB SQL: it runs
        as it is in `python -m log_assets.warehouse sql "…"` (read-only, in UTC), or in any DuckDB 2.x
        client after `SET TimeZone = 'UTC';` (hours and days are UTC); `$name` marks a parameter.

        **Reading while the pipeline writes.** The warehouse is opened read-only with
        `connect_readonly`: it never waits for a pipeline run and never blocks one. The connection
        reads the snapshot that was current when it opened; run the set-up cell again to see newer
        data. All times are UTC. Every table and column is described in `docs/tables.md`.

        The warehouse is found in `$LOG_ASSETS_HOME` (by default `data/` at the repository root).
        """
    ),
    code(
        """
        %matplotlib inline
        import os
        from pathlib import Path

        import matplotlib.pyplot as plt
        import numpy as np
        import pandas as pd
        from IPython.display import display

        from log_assets.warehouse import connect_readonly

        # $LOG_ASSETS_HOME (`make notebook` and `log-assets notebook` set it), else ./data beside the
        # notebook; in a checkout (the notebook in log_assets/data/), ./data at the repository root.
        _cwd = Path.cwd()
        _default_home = (_cwd.parents[1] if _cwd.parts[-2:] == ("log_assets", "data") else _cwd) / "data"
        HOME = Path(os.environ.get("LOG_ASSETS_HOME") or _default_home).resolve()
        con = connect_readonly(HOME)


        def q(sql: str, **params) -> pd.DataFrame:
            \"\"\"Run one query on the open snapshot; `$name` placeholders take `name=value`.\"\"\"
            return con.sql(sql, params=params or None).df()


        def no_data(ax, what: str) -> None:
            ax.text(0.5, 0.5, f"no {what} in this warehouse", ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])


        pd.set_option("display.max_columns", 20)
        pd.set_option("display.width", 160)
        plt.rcParams.update(
            {
                "figure.dpi": 100,
                "axes.grid": True,
                "grid.alpha": 0.3,
                "axes.spines.top": False,
                "axes.spines.right": False,
            }
        )
        print(f"warehouse: {HOME / 'warehouse.duckdb'}")
        """
    ),
    md(
        """
        ## Open alerts and top entities

        What needs a look first: the alerts of the detection rules that are open (`status` = `new`;
        suppressed ones are left out), newest first, and the entities (for rules about a person, the
        `user_key`) with the most open alerts. One alert is one rule, entity and window: a late event
        updates its row (`event_count`, `last_seen`), it never adds a second. `detections.rules` says
        what each rule looks for. Until the `detections/*` assets have run, this section says so.
        """
    ),
    code(
        """
        def has_table(qualified: str) -> bool:
            schema, name = qualified.split(".")
            found = q(
                "SELECT count(*) AS n FROM information_schema.tables "
                "WHERE table_catalog = current_database() AND table_schema = $schema AND table_name = $name",
                schema=schema,
                name=name,
            )
            return bool(found["n"].iloc[0])


        RULE = "coalesce(r.title, a.rule_id)" if has_table("detections.rules") else "a.rule_id"
        RULES_JOIN = "LEFT JOIN detections.rules r USING (rule_id)" if has_table("detections.rules") else ""
        OPEN_ALERTS_SQL = f\"\"\"
        SELECT a.last_seen, a.severity, {RULE} AS rule, a.entity, a.event_count, a.first_seen, a.alert_id
        FROM detections.alerts a {RULES_JOIN}
        WHERE a.status = 'new'
        ORDER BY a.last_seen DESC, a.alert_id
        LIMIT 20
        \"\"\"
        TOP_ENTITIES_SQL = \"\"\"
        SELECT entity,
               count(*) AS open_alerts,
               count(DISTINCT rule_id) AS rules,
               sum(event_count) AS events,
               max(last_seen) AS latest
        FROM detections.alerts
        WHERE status = 'new'
        GROUP BY entity
        ORDER BY open_alerts DESC, events DESC, entity
        LIMIT 10
        \"\"\"
        fig, ax = plt.subplots(figsize=(9, 3.5))
        if not has_table("detections.alerts"):
            print(
                "No alerts yet: this warehouse has no detections.alerts table. Materialize the detections "
                "assets after the warehouse: dagster asset materialize -m log_assets.definitions "
                "--select 'key:detections/*'"
            )
            no_data(ax, "detections tables")
        else:
            open_alerts, top_entities = q(OPEN_ALERTS_SQL), q(TOP_ENTITIES_SQL)
            print(f"open alerts (newest {len(open_alerts)}):")
            display(open_alerts)
            print("top entities by open alerts:")
            display(top_entities)
            if top_entities.empty:
                no_data(ax, "open alerts")
            else:
                ax.barh(top_entities["entity"].fillna("(none)"), top_entities["open_alerts"], color="tab:red")
                ax.invert_yaxis()
                ax.set_xlabel("open alerts")
        ax.set_title("Entities with the most open alerts")
        plt.show()
        """
    ),
    md(
        """
        ## What is in the warehouse

        Events per source (vendor / log type) and the time span they cover, from `analytics.events`
        (one row per event of every log type). Check this first: a source that stopped arriving
        shows up here as an early `last_event`.
        """
    ),
    code(
        """
        OVERVIEW_SQL = \"\"\"
        SELECT vendor, log_type,
               count(*) AS events,
               count(DISTINCT event_day) AS days,
               min(event_time) AS first_event,
               max(event_time) AS last_event
        FROM analytics.events
        GROUP BY ALL
        ORDER BY vendor, log_type
        \"\"\"
        overview = q(OVERVIEW_SQL)
        display(overview)

        fig, ax = plt.subplots(figsize=(9, 0.3 * max(len(overview), 4) + 1))
        if overview.empty:
            no_data(ax, "events")
        else:
            labels = overview["vendor"] + "/" + overview["log_type"]
            vendor_colors = {"forcepoint": "tab:blue", "aperture": "tab:orange"}
            colors = overview["vendor"].map(vendor_colors).fillna("tab:gray")
            ax.barh(labels, overview["events"], color=colors)
            ax.invert_yaxis()
            ax.set_xscale("log")
            ax.set_xlabel("events (log scale)")
        ax.set_title("Events per source")
        plt.show()
        """
    ),
    md(
        """
        ## 1. Incidents over time, by severity and by source

        `analytics.incidents` holds one row per incident, counted here on the UTC day it was first
        seen. Aperture incidents (one per `incident_id`, with its violations and remediation) carry a
        severity from 0 to 5; Forcepoint DLP hits (one per event of `swgwebdlp`, and of `access` /
        `cloudaudit` when a DLP pattern matched) have no severity. So the left chart shows Aperture
        incidents by severity and the right one every source. The sources differ by orders of
        magnitude, hence the log scale.
        """
    ),
    code(
        """
        INCIDENTS_OVER_TIME_SQL = \"\"\"
        SELECT event_day,
               vendor || '/' || log_type AS source,
               CAST(round(severity) AS INTEGER) AS severity,
               count(*) AS incidents
        FROM analytics.incidents
        GROUP BY ALL
        ORDER BY ALL
        \"\"\"
        incidents_by_day = q(INCIDENTS_OVER_TIME_SQL)

        by_severity = (
            incidents_by_day.dropna(subset=["severity"])
            .pivot_table(index="event_day", columns="severity", values="incidents", aggfunc="sum", fill_value=0)
        )
        # Days without incidents of a source stay empty (NaN): a log scale has no zero.
        by_source = incidents_by_day.pivot_table(
            index="event_day", columns="source", values="incidents", aggfunc="sum"
        )

        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 4.5))
        if by_severity.empty:
            no_data(ax1, "incidents with a severity")
        else:
            days = [d.strftime("%m-%d") for d in pd.to_datetime(by_severity.index)]
            bottom = np.zeros(len(by_severity))
            cmap = plt.get_cmap("YlOrRd")
            for sev in sorted(by_severity.columns):
                ax1.bar(
                    days, by_severity[sev], bottom=bottom, label=f"severity {int(sev)}",
                    color=cmap(0.15 + 0.85 * int(sev) / 5),
                )
                bottom += by_severity[sev].to_numpy()
            ax1.legend(fontsize="small")
            ax1.set_ylabel("incidents first seen")
        ax1.set_title("Aperture incidents per day, by severity")
        if by_source.empty:
            no_data(ax2, "incidents")
        else:
            for source in by_source.columns:
                ax2.plot(pd.to_datetime(by_source.index), by_source[source], marker="o", label=source)
            ax2.set_yscale("log")
            ax2.legend(fontsize="small")
            ax2.set_ylabel("incidents / DLP hits (log scale)")
            ax2.tick_params(axis="x", labelrotation=30)
        ax2.set_title("Incidents per day, by source")
        fig.tight_layout()
        plt.show()

        display(by_source.fillna(0).astype(int).assign(total=lambda t: t.sum(axis=1)).tail(14))
        """
    ),
    md(
        """
        ## 2. Top risky users

        Three signals per user, from `analytics.incidents` and `analytics.activity_daily`:
        Aperture incidents on items the user owns (and how many of them are severity 4-5),
        Forcepoint DLP hits on the user's traffic, and bytes the user uploaded (swgweb, swgwebdlp and
        ztna report them). Users are matched by `user_key` (the lower-cased e-mail address, the name where
        there is none), the same for a person across both vendors.

        The risk score adds each signal as a share of the largest value among all users, weighted
        by `WEIGHTS` (so 3 is the maximum with the default weights). Change the weights to taste.
        """
    ),
    code(
        """
        RISKY_USERS_SQL = \"\"\"
        WITH signals AS (
            SELECT user_key, user_name,
                   count(*) FILTER (WHERE vendor = 'aperture') AS incidents,
                   count(*) FILTER (WHERE vendor = 'aperture' AND severity >= 4) AS high_severity,
                   count(*) FILTER (WHERE vendor = 'aperture' AND status = 'open') AS open_incidents,
                   count(*) FILTER (WHERE vendor = 'forcepoint') AS dlp_hits,
                   0 AS bytes_out
            FROM analytics.incidents
            GROUP BY ALL
            UNION ALL BY NAME
            SELECT user_key, user_name,
                   sum(bytes_out) AS bytes_out
            FROM analytics.activity_daily
            WHERE bytes_out > 0
            GROUP BY ALL
        )
        SELECT user_key,
               coalesce(mode(user_name) FILTER (WHERE user_name NOT LIKE '%@%'), any_value(user_name))
                   AS user_name,
               CAST(coalesce(sum(incidents), 0) AS BIGINT) AS incidents,
               CAST(coalesce(sum(high_severity), 0) AS BIGINT) AS high_severity,
               CAST(coalesce(sum(open_incidents), 0) AS BIGINT) AS open_incidents,
               CAST(coalesce(sum(dlp_hits), 0) AS BIGINT) AS dlp_hits,
               CAST(coalesce(sum(bytes_out), 0) AS BIGINT) AS bytes_out
        FROM signals
        WHERE user_key IS NOT NULL
        GROUP BY user_key
        \"\"\"
        WEIGHTS = {"incidents": 1.0, "dlp_hits": 1.0, "bytes_out": 1.0}
        TOP = 15

        users = q(RISKY_USERS_SQL)
        users["risk_score"] = sum(
            w * (users[col] / users[col].max() if users[col].max() > 0 else 0.0) for col, w in WEIGHTS.items()
        )
        users["gb_out"] = users["bytes_out"] / 1e9
        top_users = users.sort_values("risk_score", ascending=False).head(TOP).reset_index(drop=True)
        display(top_users[
            [
                "user_name", "user_key", "risk_score", "incidents", "high_severity",
                "open_incidents", "dlp_hits", "gb_out",
            ]
        ].round(2))

        fig, axes = plt.subplots(1, 4, figsize=(15, 0.35 * max(len(top_users), 4) + 1.5), sharey=True)
        if top_users.empty:
            for ax in axes:
                no_data(ax, "users")
        else:
            names = top_users["user_name"].fillna(top_users["user_key"])
            axes[0].barh(names, top_users["risk_score"], color="tab:red")
            axes[0].set_title("risk score")
            low_severity = top_users["incidents"] - top_users["high_severity"]
            axes[1].barh(names, low_severity, color="tab:orange", label="severity 0-3")
            axes[1].barh(
                names, top_users["high_severity"], left=low_severity, color="darkred", label="severity 4-5"
            )
            axes[1].legend(fontsize="small")
            axes[1].set_title("Aperture incidents")
            axes[2].barh(names, top_users["dlp_hits"], color="tab:blue")
            axes[2].set_title("Forcepoint DLP hits")
            axes[3].barh(names, top_users["gb_out"], color="tab:green")
            axes[3].set_title("GB uploaded")
            axes[0].invert_yaxis()
        fig.suptitle(f"Top {TOP} risky users")
        fig.tight_layout()
        plt.show()
        """
    ),
    md(
        """
        ## 3. DLP hits by pattern and application

        Which kinds of sensitive data are moving, and where. The pattern is each of an incident's
        `policy_names`: the Forcepoint DLP patterns (`dlppattern` / `patterns`, with the matched
        keywords in brackets removed) or the Aperture policy rules. The application is the cloud app;
        for web DLP (`swgwebdlp`, whose application is often empty or just "Web Browsing") it is the
        destination `domain`.
        """
    ),
    code(
        """
        DLP_SQL = r\"\"\"
        SELECT vendor,
               trim(regexp_replace(policy_name, '\\s*\\([^)]*\\)\\s*$', '')) AS pattern,
               coalesce(CASE WHEN log_type = 'swgwebdlp' THEN domain END, app_name, domain, '(unknown)')
                   AS application,
               count(*) AS hits,
               count(DISTINCT user_key) AS users
        FROM (SELECT *, unnest(policy_names) AS policy_name FROM analytics.incidents)
        GROUP BY ALL
        \"\"\"
        TOP_APPS = 15

        dlp = q(DLP_SQL)
        by_pattern = dlp.pivot_table(index="pattern", columns="vendor", values="hits", aggfunc="sum", fill_value=0)
        if not by_pattern.empty:
            by_pattern = by_pattern.loc[by_pattern.sum(axis=1).sort_values().index]
        top_apps = dlp.groupby("application")["hits"].sum().sort_values(ascending=False).head(TOP_APPS).index
        matrix = (
            dlp[dlp["application"].isin(top_apps)]
            .pivot_table(index="pattern", columns="application", values="hits", aggfunc="sum", fill_value=0)
        )
        if not matrix.empty:
            matrix = matrix.loc[by_pattern.index[::-1].intersection(matrix.index, sort=False), list(top_apps)]

        fig, (ax1, ax2) = plt.subplots(
            1, 2, figsize=(16, 0.4 * max(len(by_pattern), 5) + 3), gridspec_kw={"width_ratios": [1, 2]}
        )
        if by_pattern.empty:
            no_data(ax1, "DLP hits")
            no_data(ax2, "DLP hits")
        else:
            left = np.zeros(len(by_pattern))
            for vendor, color in (("forcepoint", "tab:blue"), ("aperture", "tab:orange")):
                if vendor in by_pattern:
                    ax1.barh(by_pattern.index, by_pattern[vendor], left=left, color=color, label=vendor)
                    left += by_pattern[vendor].to_numpy()
            ax1.legend(fontsize="small")
            ax1.set_xlabel("hits")
            ax1.set_title("DLP hits by pattern")
            im = ax2.imshow(np.log10(matrix.to_numpy() + 1), aspect="auto", cmap="Blues")
            ax2.set_xticks(range(len(matrix.columns)), matrix.columns, rotation=45, ha="right")
            ax2.set_yticks(range(len(matrix.index)), matrix.index)
            for (r, c), v in np.ndenumerate(matrix.to_numpy()):
                if v:
                    ax2.text(c, r, f"{v:,}", ha="center", va="center", fontsize=7)
            ax2.grid(False)
            fig.colorbar(im, ax=ax2, label="log10(hits + 1)")
            ax2.set_title(f"DLP hits by pattern and application (top {TOP_APPS} applications)")
        fig.tight_layout()
        plt.show()
        """
    ),
    md(
        """
        ## 4. Unusual activity by hour

        For each user, events per hour (all log types except the health feeds) compared with that
        user's own median over the hours in which they were active. An hour with more than `RATIO`
        times the median (and at least `MIN_EVENTS` events, so that quiet users do not flag on a
        handful of events) is flagged. Events that carry only a user name are matched to an e-mail
        address through the other events of that name.

        The heat map shows every user-hour relative to the user's median (capped at `RATIO`); the
        scatter shows each user-hour against its user's median, with the `RATIO` line. Flagged hours
        are listed below with what made them up.
        """
    ),
    code(
        """
        HOURLY_SQL = \"\"\"
        WITH hourly AS (
            SELECT user_key, time_bucket(INTERVAL 1 HOUR, event_time) AS hour, count(*) AS events
            FROM analytics.events
            WHERE user_key IS NOT NULL AND event_class <> 'health'
            GROUP BY ALL
        ),
        baseline AS (
            SELECT user_key, median(events) AS median_events, count(*) AS active_hours, sum(events) AS total_events
            FROM hourly
            GROUP BY user_key
        )
        SELECT h.user_key, h.hour, h.events, b.median_events, b.active_hours, b.total_events,
               h.events / b.median_events AS ratio
        FROM hourly h JOIN baseline b USING (user_key)
        ORDER BY ratio DESC
        \"\"\"
        RATIO = 3.0
        MIN_EVENTS = 10

        hourly = q(HOURLY_SQL)
        hourly["flagged"] = (hourly["ratio"] > RATIO) & (hourly["events"] >= MIN_EVENTS)
        flagged = hourly[hourly["flagged"]]
        print(
            f"{len(hourly):,} user-hours of {hourly['user_key'].nunique()} users; "
            f"{len(flagged)} above {RATIO:g}x the user's median"
        )

        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(16, 6), gridspec_kw={"width_ratios": [2, 1]})
        if hourly.empty:
            no_data(ax1, "user activity")
            no_data(ax2, "user activity")
        else:
            order = hourly.groupby("user_key")["total_events"].first().sort_values(ascending=False).index
            grid = hourly.pivot_table(
                index="user_key", columns="hour", values="ratio", fill_value=0
            ).reindex(order)
            hours = pd.to_datetime(grid.columns)
            im = ax1.imshow(
                grid.to_numpy(), aspect="auto", cmap="magma", vmin=0, vmax=RATIO, interpolation="nearest"
            )
            ax1.set_yticks(range(len(grid.index)), grid.index, fontsize=7)
            step = max(1, len(hours) // 12)
            ax1.set_xticks(
                range(0, len(hours), step), [h.strftime("%m-%d %H:00") for h in hours[::step]],
                rotation=45, ha="right", fontsize=7,
            )
            rows = {u: i for i, u in enumerate(grid.index)}
            cols = {h: i for i, h in enumerate(grid.columns)}
            ax1.scatter(
                [cols[h] for h in flagged["hour"]], [rows[u] for u in flagged["user_key"]], marker="s", s=40,
                facecolors="none", edgecolors="cyan", label=f"> {RATIO:g}x median",
            )
            if not flagged.empty:
                ax1.legend(fontsize="small", loc="upper right")
            ax1.grid(False)
            fig.colorbar(im, ax=ax1, label=f"events / user's median (capped at {RATIO:g})")
            ax1.set_title("Events per user per hour, relative to the user's median (UTC)")

            normal = hourly[~hourly["flagged"]]
            ax2.scatter(normal["median_events"], normal["events"], s=8, alpha=0.4, label="user-hour")
            ax2.scatter(flagged["median_events"], flagged["events"], s=25, color="red", label="flagged")
            lim = np.array([max(hourly["median_events"].min(), 0.5), hourly["median_events"].max() * 1.2])
            ax2.plot(lim, RATIO * lim, "r--", lw=1, label=f"{RATIO:g}x median")
            ax2.plot(lim, lim, "k:", lw=1, label="median")
            ax2.set_xscale("log")
            ax2.set_yscale("log")
            ax2.set_xlabel("user's median events per active hour")
            ax2.set_ylabel("events in the hour")
            ax2.legend(fontsize="small")
            ax2.set_title("Each user-hour against the user's median")
        fig.tight_layout()
        plt.show()

        display(flagged.head(20))
        """
    ),
    md(
        """
        What made up the flagged hours (the top ones, by log type and application). When nothing is
        flagged this is empty: every user stayed within `RATIO` times their usual hourly volume.
        """
    ),
    code(
        """
        FLAGGED_DETAIL_SQL = \"\"\"
        SELECT vendor, log_type, app_name, action, count(*) AS events, sum(bytes_out) AS bytes_out
        FROM analytics.events
        WHERE event_day = CAST(CAST($hour AS TIMESTAMPTZ) AS DATE)
          AND time_bucket(INTERVAL 1 HOUR, event_time) = CAST($hour AS TIMESTAMPTZ)
          AND user_key = $user_key
          AND event_class <> 'health'
        GROUP BY ALL
        ORDER BY events DESC
        \"\"\"
        for row in flagged.head(3).itertuples():
            print(
                f"{row.user_key} at {row.hour:%Y-%m-%d %H:00} UTC: {row.events} events, "
                f"{row.ratio:.1f}x the median of {row.median_events:g}"
            )
            display(q(FLAGGED_DETAIL_SQL, hour=row.hour.isoformat(), user_key=row.user_key).head(10))
        """
    ),
    md(
        """
        ## 5. Remediation times

        Aperture incidents only (Forcepoint DLP hits are detections, never remediated in the logs).
        `time_to_remediate` is the time from the incident's first incident or violation record to its
        first remediation (NULL when that is unknown: a remediation that arrived before any other
        record of the incident); `status` is `remediated` or `open`. The left chart is
        the distribution, the middle one by severity, the right one how many incidents of each
        severity are still open. The tables below summarise by severity and list the oldest open
        incidents.
        """
    ),
    code(
        """
        REMEDIATION_SQL = \"\"\"
        SELECT incident_id, CAST(round(severity) AS INTEGER) AS severity, status, first_seen, remediated_at,
               epoch(time_to_remediate) / 3600.0 AS hours_to_remediate,
               epoch(now() - first_seen) / 3600.0 AS age_hours,
               remediation_action, remediated_by, policy, lower(exposure) AS exposure,
               app_name, user_name, object_name
        FROM analytics.incidents
        WHERE vendor = 'aperture'
        \"\"\"
        remediation = q(REMEDIATION_SQL)
        # Remediated with a known time to remediate (unknown when the remediation came first).
        done = remediation[(remediation["status"] == "remediated") & remediation["hours_to_remediate"].notna()]
        still_open = remediation[remediation["status"] == "open"]

        fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(16, 4.5))
        if done.empty:
            no_data(ax1, "remediated incidents")
            no_data(ax2, "remediated incidents")
        else:
            hours = done["hours_to_remediate"]
            ax1.hist(hours, bins=30, color="tab:green", alpha=0.8)
            for label, value, style in (("median", hours.median(), "--"), ("p90", hours.quantile(0.9), ":")):
                ax1.axvline(value, color="k", linestyle=style, label=f"{label} {value:.1f} h")
            ax1.legend(fontsize="small")
            ax1.set_xlabel("hours to remediate")
            ax1.set_ylabel("incidents")
            sev = sorted(done["severity"].dropna().unique())
            ax2.boxplot(
                [done.loc[done["severity"] == s, "hours_to_remediate"] for s in sev],
                tick_labels=[str(int(s)) for s in sev],
            )
            ax2.set_xlabel("severity")
            ax2.set_ylabel("hours to remediate")
        ax1.set_title("Time to remediate")
        ax2.set_title("Time to remediate by severity")
        status = remediation.pivot_table(
            index="severity", columns="status", values="incident_id", aggfunc="count", fill_value=0
        )
        if status.empty:
            no_data(ax3, "Aperture incidents")
        else:
            bottom = np.zeros(len(status))
            for st, color in (("remediated", "tab:green"), ("open", "tab:red")):
                if st in status:
                    ax3.bar([str(int(s)) for s in status.index], status[st], bottom=bottom, color=color, label=st)
                    bottom += status[st].to_numpy()
            ax3.legend(fontsize="small")
            ax3.set_xlabel("severity")
            ax3.set_ylabel("incidents")
        ax3.set_title("Open vs remediated, by severity")
        fig.tight_layout()
        plt.show()

        summary = remediation.groupby("severity", dropna=False).agg(
            incidents=("incident_id", "count"),
            remediated=("status", lambda s: int((s == "remediated").sum())),
            open=("status", lambda s: int((s == "open").sum())),
            median_hours=("hours_to_remediate", "median"),
            p90_hours=("hours_to_remediate", lambda h: h.quantile(0.9)),
            oldest_open_hours=("age_hours", lambda a: a[remediation.loc[a.index, "status"] == "open"].max()),
        )
        display(summary.round(1))
        display(done.groupby("remediated_by")["hours_to_remediate"].describe()[["count", "50%", "max"]].round(1))
        display(still_open.sort_values("age_hours", ascending=False).head(10)[
            [
                "incident_id", "severity", "first_seen", "age_hours", "policy", "exposure",
                "app_name", "user_name", "object_name",
            ]
        ].round({"age_hours": 1}))
        """
    ),
    md(
        """
        ## Going further

        - Every table and column: `docs/tables.md`. Raw vendor records are in the `raw` column of every
          table (JSON text): `json_extract_string(raw, '$.field')` reaches fields the typed columns lack.
        - The per-type tables (`forcepoint.swgwebdlp`, `aperture.incident`, ...) hold every documented
          vendor field; `forcepoint.cloudsummary_current` and `aperture.incident_current` the latest state
          of each file and incident.
        - To see data loaded since this notebook connected, run the set-up cell again
          (a connection keeps its snapshot; keep one no longer than a few hours).
        """
    ),
]


def build() -> nbformat.NotebookNode:
    nb = new_notebook(cells=[])
    for i, cell in enumerate(CELLS):
        cell = nbformat.from_dict(dict(cell))
        cell["id"] = f"cell-{i:02d}"  # stable ids: rebuilding changes nothing
        nb.cells.append(cell)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nbformat.validate(nb)
    return nb


def render() -> str:
    return nbformat.writes(build()) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the notebook is not what this script writes")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not NOTEBOOK.exists() or NOTEBOOK.read_text(encoding="utf-8") != text:
            print(
                f"{NOTEBOOK} is out of date: run python {Path(__file__).relative_to(HERE.parent)}", file=sys.stderr
            )
            return 1
        return 0
    NOTEBOOK.write_text(text, encoding="utf-8")
    print(f"wrote {NOTEBOOK}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
