"""Palo Alto Networks Data Security (Aperture) ingestion, free of Dagster.

`client` talks to the API, `drain` empties the destructive event queue into the durable `spool`,
`parse` turns bodies into lake rows, and `land` merges a day's spooled events into the lake.
"""
