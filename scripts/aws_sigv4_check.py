"""Signs a request with botocore (AWS's own Python SDK core), an independent check of AWSSigV4.

Reads one JSON object on stdin: method, url, headers, body (text), date (YYYYMMDDTHHMMSSZ),
access_key, secret_key, token (or null), region, service. Prints the Authorization header.
"""
import datetime
import json
import sys
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

spec = json.load(sys.stdin)
request = AWSRequest(method=spec["method"], url=spec["url"], data=spec["body"].encode(), headers=spec["headers"])
credentials = Credentials(spec["access_key"], spec["secret_key"], spec["token"])
moment = datetime.datetime.strptime(spec["date"], "%Y%m%dT%H%M%SZ")
with mock.patch("botocore.auth.get_current_datetime", return_value=moment):
    SigV4Auth(credentials, spec["service"], spec["region"]).add_auth(request)
print(request.headers["Authorization"])
