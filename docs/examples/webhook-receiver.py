"""Receives lead-server's webhooks (Python 3.8+, standard library only): checks the signature
(Standard Webhooks), refuses old or replayed requests, and handles each delivery once even when
it comes again. Run it behind your HTTPS proxy:

    WEBHOOK_SECRET=whsec_… PORT=8787 python3 webhook-receiver.py

WEBHOOK_SECRET is what `lead-server webhook add` printed. Replace handle() with your own work.
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = os.environ.get("WEBHOOK_SECRET", "")
if not SECRET.startswith("whsec_"):
    sys.exit("set WEBHOOK_SECRET to the whsec_… secret of `lead-server webhook add`")
KEY = base64.b64decode(SECRET[len("whsec_"):])
TOLERANCE_SECONDS = 5 * 60
# The ids of deliveries already handled (a database table in real life; a day is enough).
SEEN = set()
SEEN_LOCK = threading.Lock()


def verified(webhook_id, timestamp, body, signatures):
    """Whether `signatures` (the webhook-signature header) holds our signature of the request."""
    expected = hmac.new(KEY, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    for entry in (signatures or "").split(" "):
        version, _, signature = entry.partition(",")
        try:
            given = base64.b64decode(signature)
        except ValueError:
            continue
        if version == "v1" and hmac.compare_digest(given, expected):
            return True
    return False


def handle(webhook_id, event):
    # Your work: file the order in the ERP, post to a chat, …
    record = (event.get("data") or {}).get("id")
    print(json.dumps({"processed": webhook_id, "type": event.get("type"), "record": record}), flush=True)


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        webhook_id = self.headers.get("webhook-id")
        timestamp = self.headers.get("webhook-timestamp", "")
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= TOLERANCE_SECONDS
        if not webhook_id or not fresh or not verified(
            webhook_id, timestamp, body, self.headers.get("webhook-signature")
        ):
            self.send_response(401)
            self.end_headers()
            return
        with SEEN_LOCK:  # one request at a time per id, even when one comes twice at once
            if webhook_id in SEEN:
                # Sent again (our answer got lost): already handled, just say so.
                print(json.dumps({"duplicate": webhook_id}), flush=True)
            else:
                handle(webhook_id, json.loads(body))
                SEEN.add(webhook_id)
        self.send_response(200)
        self.end_headers()

    def log_message(self, format, *args):
        pass


ThreadingHTTPServer(
    (os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8787"))), Receiver
).serve_forever()
