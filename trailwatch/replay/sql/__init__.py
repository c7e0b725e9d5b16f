"""Replay in SQL engines: the pattern compiler (`compiler`), DuckDB over local files
(`duckdb_engine`), Athena over the CloudTrail table in S3 (`athena`)."""
