"""Short-lived signed download links, the sandbox's stand-in for Flowdock's S3 URLs.

``GET /files/...`` (with the reader's credentials) answers 302 to ``/downloads/<hash>/<name>
?expires=<unix time>&signature=<hex>``, which anyone holding the link may fetch until it
expires. The signature is an HMAC of the hash and the expiry under a key made when the
sandbox starts, so a link is useless after its time, for another file, and after a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import quote, urlencode


class DownloadLinks:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._key = secrets.token_bytes(32)

    def _signature(self, key: str, expires: int) -> str:
        return hmac.new(self._key, f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def url(self, base_url: str, key: str, file_name: str) -> str:
        expires = int(time.time() + self.ttl) + 1
        query = urlencode({"expires": expires, "signature": self._signature(key, expires)})
        return f"{base_url}/downloads/{key}/{quote(file_name, safe='')}?{query}"

    def valid(self, key: str, expires: str | None, signature: str | None) -> bool:
        """The link's signature is right and its time has not passed."""
        if not expires or not expires.isdigit() or len(expires) > 12 or not signature:
            return False
        if int(expires) < time.time():
            return False
        return hmac.compare_digest(signature, self._signature(key, int(expires)))
