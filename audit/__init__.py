"""The append-only audit trail of security-relevant actions, enforced by the database.

Rows are only ever inserted: a trigger refuses UPDATE, DELETE and TRUNCATE for every role
unless the table owner opens the explicit maintenance path, and a nightly job exports each
day as compressed JSON lines with a checksum to a storage the database cannot rewrite.
"""
