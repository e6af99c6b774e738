"""`manage.py demo`: runs every example workflow end to end and prints their timelines.

The HTTP example needs an endpoint; this machine may have no network, so the command serves
`examples/site/` on a loopback port for the length of the run.
"""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

EXAMPLES = Path(settings.BASE_DIR) / "examples"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class Command(BaseCommand):
    help = "Run the example workflows end to end and print their timelines."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        handler = functools.partial(QuietHandler, directory=str(EXAMPLES / "site"))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base_url = f"http://127.0.0.1:{server.server_address[1]}"
        runs = [
            ("order_routing.json", '{"order_id": "A-17", "amount": 250}'),
            ("fan_out_fan_in.json", '{"prices": [3, 5, 8]}'),
            ("http_inventory.json", f'{{"base_url": "{base_url}", "reorder_below": 10}}'),
        ]
        failed = []
        try:
            for file_name, execution_input in runs:
                self.stdout.write(self.style.MIGRATE_HEADING(f"\n== {file_name}"))
                try:
                    call_command(
                        "workflow_run", str(EXAMPLES / file_name), input=execution_input, wait=True
                    )
                except SystemExit as exit_code:
                    if exit_code.code:
                        failed.append(file_name)
        finally:
            server.shutdown()
        if failed:
            raise CommandError(f"examples that did not succeed: {', '.join(failed)}")
        self.stdout.write(self.style.SUCCESS(f"\nall {len(runs)} example workflows succeeded"))
