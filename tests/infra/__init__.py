"""Real servers the cluster-mode tests start for themselves: PostgreSQL and an S3-compatible store."""
