"""Who may use `assistant serve`: the server's secret, short-lived session tokens, the login cookie.

- Bound to loopback the server is open by default (a secret may still be set). Bound to any other address
  it needs a secret (`--token` / ASSISTANT_TOKEN) or an explicit `--insecure`.
- Every session start (`POST /offer`, `/ws`) needs a session token from `POST /session`: signed (HMAC
  SHA-1 by itsdangerous), bound to the client's address and valid for `server.session_token_ttl_s`.
  With a secret set, `/session` wants the secret as `Authorization: Bearer SECRET` or the login cookie that
  `POST /login` sets (HttpOnly, SameSite=Strict) once the page has been given the secret. Without one it
  is open, but a page of another origin still cannot read its answer, so it cannot start a session.
- `/metrics` wants `Authorization: Bearer` with its own token, or the secret; open when neither is set.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from assistant.config import ConfigError

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")
LOGIN_COOKIE = "assistant_login"
LOGIN_TTL_S = 12 * 3600


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the server on this machine ("localhost", 127.0.0.0/8, ::1)."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def client_key(host: str | None) -> str:
    """The address per-client limits count by: an IPv4 address, or an IPv6 client's /64 (one home or
    phone gets a whole /64, and would otherwise have 2^64 addresses to rotate through)."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer TOKEN` header."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison (hmac.compare_digest refuses non-ASCII str, so bytes)."""
    return hmac.compare_digest(_utf8(given), _utf8(expected))


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # lone surrogates (from undecodable argv) stay distinct


@dataclass
class Access:
    """The access policy of one server. `secret=None`: sessions need a token, but anyone may get one."""

    secret: str | None = None
    metrics_token: str | None = None
    loopback_only: bool = True
    """Only this machine reaches the server (loopback, no proxy). Without a secret, requests must then
    name a loopback host: a web page whose DNS name is rebound to 127.0.0.1 is refused."""
    session_ttl_s: float = 60.0
    _key: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        # The secret signs tokens (changing it logs everyone out); without one a key per process.
        self._key = self.secret or secrets.token_urlsafe(32)
        self._sessions = URLSafeTimedSerializer(self._key, salt="assistant-session")
        self._logins = URLSafeTimedSerializer(self._key, salt="assistant-login")

    @classmethod
    def for_bind(
        cls,
        host: str,
        secret: str | None,
        insecure: bool = False,
        metrics_token: str | None = None,
        session_ttl_s: float = 60.0,
        behind_proxy: bool = False,
    ) -> Access:
        """The policy for serving on `host` (`behind_proxy`: server.trusted_proxies is set, so others reach
        it through the proxy); raises ConfigError when it would open the port to anyone."""
        if secret is not None and len(secret) < 16:
            raise ConfigError(
                "the server's secret needs 16 characters or more (openssl rand -hex 16 makes one)"
            )
        local = is_loopback(host) and not behind_proxy
        if not local and secret is None and not insecure:
            where = f"{host} behind a proxy" if behind_proxy else host
            raise ConfigError(
                f"refusing to serve on {where} without a secret: anyone who can reach the port would get "
                "a conversation (and its transcripts). Set ASSISTANT_TOKEN=$(openssl rand -hex 16) (or "
                "--token), or pass --insecure if the network is yours alone."
            )
        return cls(secret, metrics_token, local, session_ttl_s)

    @property
    def needs_login(self) -> bool:
        return self.secret is not None

    def check_secret(self, given: str | None) -> bool:
        return self.secret is not None and given is not None and same_secret(given, self.secret)

    def login_cookie(self) -> str:
        return self._logins.dumps("login")

    def check_login(self, cookie: str | None) -> bool:
        if not cookie:
            return False
        try:
            return self._logins.loads(cookie, max_age=LOGIN_TTL_S) == "login"
        except BadSignature:
            return False

    def may_get_session(self, authorization: str | None, cookie: str | None) -> bool:
        """Whether a `POST /session` request may have a session token."""
        return not self.needs_login or self.check_secret(bearer(authorization)) or self.check_login(cookie)

    def session_token(self, client: str) -> str:
        return self._sessions.dumps({"c": client, "n": secrets.token_urlsafe(6)})

    def session_token_error(self, token: str | None, client: str) -> str | None:
        """None if `token` admits a session for `client`, else why not (a sentence for the client)."""
        if not token:
            return "a session token is required: POST /session first (see the README)"
        try:
            claims = self._sessions.loads(token, max_age=self.session_ttl_s)
        except SignatureExpired:
            return "the session token has expired: get a new one from POST /session"
        except BadSignature:
            return "the session token is not valid"
        if not isinstance(claims, dict) or claims.get("c") != client:
            return "the session token was issued to another address"
        return None

    def may_read_metrics(self, authorization: str | None) -> bool:
        expected = self.metrics_token or self.secret
        given = bearer(authorization)
        return expected is None or (given is not None and same_secret(given, expected))
