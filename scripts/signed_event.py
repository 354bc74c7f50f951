"""Wraps a webhook payload (stdin, JSON) as a Lambda Function URL event signed as GitHub signs it.

Usage: signed_event.py EVENT SECRET < payload.json > event.json
"""
import base64
import hashlib
import hmac
import json
import sys
import uuid

event, secret = sys.argv[1], sys.argv[2]
body = json.dumps(json.load(sys.stdin)).encode()
signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
print(json.dumps({"version": "2.0", "isBase64Encoded": True, "body": base64.b64encode(body).decode(),
                  "headers": {"x-github-event": event, "x-github-delivery": str(uuid.uuid4()),
                              "x-hub-signature-256": signature, "content-type": "application/json"}}))
