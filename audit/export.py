"""The nightly export of one day of the audit trail: gzip'd JSON lines plus a SHA-256 file.

The archive lives outside the database (a local folder by default, any Django storage such as
an S3-compatible bucket through django-storages), so even the database owner cannot quietly
rewrite history that was already exported. The export is byte-for-byte deterministic (rows by
id, sorted keys, gzip without a timestamp), which makes it idempotent: running it again for
a day finds the same checksum and writes nothing; a different checksum for a day already
exported means the trail changed after the fact, and is raised, never overwritten.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction

from audit.sqlfile import sql
from database.roles import maintenance_role

COLUMNS = (
    "id",
    "created_at",
    "action",
    "actor_id",
    "subject_user_id",
    "target_type",
    "target_id",
    "detail",
)


class AuditExportConflict(RuntimeError):
    pass


@dataclass(frozen=True)
class AuditExport:
    name: str
    checksum: str
    records: int
    written: bool


def audit_export_name(day: date) -> str:
    return f"audit/{day:%Y/%m}/audit-{day:%Y-%m-%d}.jsonl.gz"


def audit_export_day(*, day: date, storage: Storage | None = None) -> AuditExport:
    """Exports the records of UTC `day` (midnight to midnight)."""
    storage = storage or storages["audit"]
    start = datetime.combine(day, time.min, tzinfo=UTC)
    with transaction.atomic(), maintenance_role():
        rows = sql.fetch_all("audit_day", day_start=start, day_end=start + timedelta(days=1))
    lines = []
    for row in rows:
        record = dict(zip(COLUMNS, row, strict=True))
        record["created_at"] = record["created_at"].astimezone(UTC).isoformat()
        record["detail"] = json.loads(record["detail"])
        lines.append(json.dumps(record, sort_keys=True, separators=(",", ":")))
    content = gzip.compress("".join(f"{line}\n" for line in lines).encode(), mtime=0)
    checksum = hashlib.sha256(content).hexdigest()
    name = audit_export_name(day)
    if storage.exists(name):
        with storage.open(name, "rb") as existing:
            found = hashlib.sha256(existing.read()).hexdigest()
        if found != checksum:
            raise AuditExportConflict(
                f"{name} exists with checksum {found}, but the trail now gives {checksum}"
            )
        return AuditExport(name, checksum, len(lines), written=False)
    # The checksum file is written first: an archive without its checksum never exists.
    storage.save(f"{name}.sha256", ContentFile(f"{checksum}  {name.rsplit('/', 1)[-1]}\n"))
    storage.save(name, ContentFile(content))
    return AuditExport(name, checksum, len(lines), written=True)
