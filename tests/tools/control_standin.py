"""A small EAS control-plane stand-in on 127.0.0.1 for the official ``alibabacloud-eas20210701`` SDK:
CreateService, DescribeService and DeleteService (ROA, /api/v2/services), keeping what it receives."""

from __future__ import annotations

import hashlib
import hmac
import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from ._standin import StandIn


class ControlStandIn(StandIn):
    """``with ControlStandIn(key_id="K", key_secret="S") as cp:`` then ``EAS_OPENAPI_ENDPOINT=cp.endpoint``.

    A created service reports ``Creating`` for ``creating_polls`` describes, then ``Running``.
    ``fail_create`` = (HTTP status, code) answers every create with that error."""

    def __init__(
        self,
        *,
        key_id: str,
        key_secret: str,
        creating_polls: int = 2,
        fail_create: tuple[int, str] | None = None,
    ):
        self.key_id = key_id
        self.key_secret = key_secret
        self.creating_polls = creating_polls
        self.fail_create = fail_create
        self.services: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self._polls: dict[str, int] = {}
        super().__init__()

    def signed_by_key(self, method: str, path: str, headers: dict[str, str], body: bytes) -> bool:
        """Check an ACS3-HMAC-SHA256 (signature V3) Authorization against the stand-in's key pair."""
        auth = headers.get("authorization", "")
        if not auth.startswith("ACS3-HMAC-SHA256 "):
            return False
        fields = dict(part.split("=", 1) for part in auth.split(" ", 1)[1].split(","))
        if fields.get("Credential") != self.key_id:
            return False
        signed = fields["SignedHeaders"].split(";")
        route, _, query = path.partition("?")
        canonical_query = "&".join(sorted(query.split("&"))) if query else ""
        canonical = "\n".join(
            [
                method,
                route,
                canonical_query,
                "".join(f"{h}:{headers.get(h, '').strip()}\n" for h in signed),
                ";".join(signed),
                hashlib.sha256(body).hexdigest(),
            ]
        )
        to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
        expected = hmac.new(self.key_secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, fields.get("Signature", ""))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        cp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, doc: dict[str, Any]) -> None:
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _error(self, status: int, code: str, message: str) -> None:
                self._json(status, {"Code": code, "Message": message, "RequestId": "R1"})

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                cp.requests.append((self.command, self.path, headers, body))
                if not cp.signed_by_key(self.command, self.path, headers, body):
                    self._error(400, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
                    return
                parts = self.path.split("?")[0].strip("/").split("/")  # api v2 services [region name]
                if self.command == "POST" and parts == ["api", "v2", "services"]:
                    if cp.fail_create:
                        self._error(cp.fail_create[0], cp.fail_create[1], "refused by the stand-in")
                        return
                    spec = json.loads(body)
                    name = spec["name"]
                    if name in cp.services:
                        self._error(400, "ServiceAlreadyExists", f"service {name} already exists")
                        return
                    cp.services[name] = spec
                    cp._polls[name] = 0
                    created = {
                        "RequestId": "R2",
                        "ServiceId": "eas-m-1",
                        "ServiceName": name,
                        "Status": "Creating",
                    }
                    self._json(200, {**created, "Region": "cn-test", "InternetEndpoint": _url(name)})
                    return
                if len(parts) == 5 and parts[:3] == ["api", "v2", "services"]:
                    name = parts[4]
                    if name not in cp.services:
                        self._error(404, "ServiceNotFound", f"service {name} not found")
                    elif self.command == "GET":
                        cp._polls[name] += 1
                        running = cp._polls[name] > cp.creating_polls
                        self._json(200, {"ServiceName": name, "Status": "Running" if running else "Creating",
                                         "RunningInstance": 1 if running else 0, "TotalInstance": 1,
                                         "AccessToken": "SERVICE-TOKEN-secret",
                                         "InternetEndpoint": _url(name)})  # fmt: skip
                    elif self.command == "DELETE":
                        del cp.services[name]
                        self._json(200, {"RequestId": "R3", "Message": "deleted"})
                    return
                self._error(404, "NotFound", self.path)

            do_GET = do_POST = do_DELETE = _handle

        return Handler


def _url(name: str) -> str:
    return f"http://1.cn-test.pai-eas.aliyuncs.com/api/predict/{name}"
