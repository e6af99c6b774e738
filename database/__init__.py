"""What the database itself guarantees: roles, row-level security, log partitions, retention.

Application code is not trusted to keep tenants apart or to keep the logs bounded; this app
holds the SQL (in `database/sql/`) that makes PostgreSQL do it, the migrations that install it
and the small Python helpers that set the acting user and the role of a transaction.
"""
