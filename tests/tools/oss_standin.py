"""A small OSS stand-in on 127.0.0.1: enough of PutObject and multipart upload for the official
``oss2`` SDK, keeping what it receives so tests can check the bytes."""

from __future__ import annotations

import urllib.parse
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler
from typing import Any

from ._standin import StandIn


class OssStandIn(StandIn):
    """``with OssStandIn() as oss:`` then point ``OSS_ENDPOINT`` at ``oss.endpoint``."""

    def __init__(self, *, refuse: str | None = None) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.parts: dict[str, dict[int, bytes]] = {}
        self.refuse = refuse  # an OSS error code returned for every call (e.g. InvalidAccessKeyId)
        super().__init__()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        oss = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for k, v in {"x-oss-request-id": "REQ1", **(headers or {})}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                oss.requests.append(
                    (self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
                )
                bucket, _, key = url.path.lstrip("/").partition("/")
                key = urllib.parse.unquote(key)
                if oss.refuse:
                    err = f"<Error><Code>{oss.refuse}</Code><Message>refused</Message></Error>".encode()
                    self._reply(403, err, {"Content-Type": "application/xml"})
                    return
                if self.command == "POST" and "uploads" in query:
                    oss.parts["U1"] = {}
                    xml = (
                        f"<InitiateMultipartUploadResult><Bucket>{bucket}</Bucket><Key>{key}</Key>"
                        "<UploadId>U1</UploadId></InitiateMultipartUploadResult>"
                    )
                    self._reply(200, xml.encode(), {"Content-Type": "application/xml"})
                elif self.command == "PUT" and "partNumber" in query:
                    oss.parts[query["uploadId"]][int(query["partNumber"])] = body
                    self._reply(200, headers={"ETag": f'"P{query["partNumber"]}"'})
                elif self.command == "POST" and "uploadId" in query:
                    numbers = [int(e.text or 0) for e in ET.fromstring(body).iter("PartNumber")]
                    parts = oss.parts.pop(query["uploadId"])
                    oss.objects[(bucket, key)] = b"".join(parts[n] for n in numbers)
                    xml = (
                        f"<CompleteMultipartUploadResult><Bucket>{bucket}</Bucket><Key>{key}</Key>"
                        '<ETag>"M"</ETag></CompleteMultipartUploadResult>'
                    )
                    self._reply(200, xml.encode(), {"Content-Type": "application/xml", "ETag": '"M"'})
                elif self.command == "PUT":
                    oss.objects[(bucket, key)] = body
                    self._reply(200, headers={"ETag": '"E"'})
                elif self.command == "DELETE":
                    self._reply(204)
                else:
                    self._reply(405)

            do_PUT = do_POST = do_DELETE = _handle

        return Handler
