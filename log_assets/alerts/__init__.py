"""Alerts reach people: `detections.alerts` rows posted to a webhook (Slack-compatible), each once.

Dagster-free; `log_assets.defs.alerts` puts a sensor on top.

- `pending`: which alerts are due since the sensor's cursor, and the cursor itself.
- `webhook`: the message of an alert and the client that posts it.
"""
