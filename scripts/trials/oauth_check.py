"""Run one OAuth login with requests.Session and say whether the user ended
signed in, for the trial scripts (scripts/try-superset, scripts/try-airflow).

Follows every redirect by hand (the app's login, the emulator's authorize
endpoint, the app's callback, wherever the app sends the user), printing each
hop and refusing any host that is not loopback. Emulator faults are injected
first, over the emulator's ``POST /_emulator/faults``.

Exit status: 0 signed in, 1 not signed in, 2 usage error or unreachable.

--drop-cookies   clears the client's cookies before every redirect from the
                 provider back to the app (a browser that lost the session
                 cookie)
--callback-base  sends the provider's redirect back to another instance of
                 the app (scheme://host:port), path and query kept: a load
                 balancer reaching another replica (cookies for 127.0.0.1 go
                 to every port, as in a browser)
--follow-retry   then clicks the final page's "Try again" link and follows it
--log FILE       prints the lines this login added to FILE that match
                 --log-match (repeatable)
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import os
import re
import sys
import time
import zlib
from urllib.parse import urlencode
from urllib.parse import urljoin
from urllib.parse import urlsplit

import requests

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
REDIRECTS = {301, 302, 303, 307, 308}
TRY_AGAIN = re.compile(r'<a[^>]*href="([^"]+)"[^>]*>\s*Try again')


def decode_flask_cookie(value: str) -> object:
    """A Flask client-side session cookie's payload, not verified."""
    try:
        compressed = value.startswith(".")
        payload = value.lstrip(".").split(".")[0]
        data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        if compressed:
            data = zlib.decompress(data)
        decoded: object = json.loads(data)
        return decoded
    except (ValueError, zlib.error):
        return None  # not a client-side session (Airflow keeps a signed sid)


def pending_flashes(session: requests.Session) -> list[object]:
    found: list[object] = []
    for cookie in session.cookies:
        if cookie.name == "session" and cookie.value:
            decoded = decode_flask_cookie(cookie.value)
            if isinstance(decoded, dict) and "_flashes" in decoded:
                found.extend(decoded["_flashes"])
    return found


def visible_text(body: str) -> str:
    """The page's text, roughly as a user reads it."""
    body = re.sub(r"(?is)<(script|style|noscript|template)\b.*?</\1>", " ", body)
    body = re.sub(r"(?s)<!--.*?-->", " ", body)
    body = re.sub(r"(?s)<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html.unescape(body)).strip()


def log_offsets(paths: list[str]) -> dict[str, int]:
    return {p: (os.path.getsize(p) if os.path.exists(p) else 0) for p in paths}


def print_new_log_lines(offsets: dict[str, int], pattern: str, ignore: str) -> None:
    for path, start in offsets.items():
        if not os.path.exists(path):
            continue
        with open(path, "rb") as fh:
            fh.seek(start)
            new = fh.read().decode("utf-8", "replace").splitlines()
        hits = [line for line in new if re.search(pattern, line)]
        noise = [line for line in hits if ignore and re.search(ignore, line)]
        hits = [line for line in hits if line not in noise]
        skipped = f" (+{len(noise)} known-noise lines not shown)" if noise else ""
        print(
            f"log {path}: {len(new)} new lines, "
            f"{len(hits)} matching {pattern!r}{skipped}"
        )
        for line in hits[:60]:
            print(f"  | {line[:700]}")
        if len(hits) > 60:
            print(f"  | ... {len(hits) - 60} more")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--app", required=True, help="app base URL (loopback)")
    p.add_argument("--login", required=True, help="login path on the app")
    p.add_argument("--next", default=None, help="the login's next argument")
    p.add_argument(
        "--whoami", required=True, help="path answering 200 only when signed in"
    )
    p.add_argument("--emulator", required=True, help="emulator base URL")
    p.add_argument("--fault", action="append", default=[], help="JSON fault spec")
    p.add_argument("--max-hops", type=int, default=20)
    p.add_argument("--show-body", action="store_true", help="print the final body")
    p.add_argument("--drop-cookies", action="store_true")
    p.add_argument("--callback-base", default=None)
    p.add_argument("--follow-retry", action="store_true")
    p.add_argument("--log", action="append", default=[], help="server log file")
    p.add_argument(
        "--log-match",
        default=r"flask_oauth_recover|:(WARNING|ERROR|CRITICAL):"
        r"|\[(warning|error|critical) *\]|Traceback",
        help="regex selecting the new log lines printed",
    )
    p.add_argument(
        "--log-ignore",
        default=r"InsecureKeyLengthWarning|default spinner SVG",
        help="regex of matching lines not printed (known noise)",
    )
    p.add_argument("--text-chars", type=int, default=700)
    p.add_argument(
        "--find",
        action="append",
        default=[],
        help="regex: print the final body's lines that match (repeatable)",
    )
    return p.parse_args()


def main() -> int:
    args = parse_args()
    for base in filter(None, [args.app, args.emulator, args.callback_base]):
        if (urlsplit(base).hostname or "") not in LOOPBACK:
            print(f"refusing non-loopback URL {base}", file=sys.stderr)
            return 2

    for spec in args.fault:
        answer = requests.post(
            args.emulator.rstrip("/") + "/_emulator/faults",
            json=json.loads(spec),
            timeout=10,
        )
        print(f"fault {spec} -> HTTP {answer.status_code} {answer.text.strip()}")
        if answer.status_code != 204:
            return 2

    offsets = log_offsets(args.log)
    s = requests.Session()
    url = urljoin(args.app, args.login)
    if args.next is not None:
        url += ("&" if "?" in url else "?") + urlencode({"next": args.next})
    hops = 0
    retried = False
    while True:
        if (urlsplit(url).hostname or "") not in LOOPBACK:
            print(f"STOP: redirect leaves loopback: {url}")
            return 2
        try:
            r = s.get(url, allow_redirects=False, timeout=60)
        except requests.RequestException as exc:
            print(f"GET {url} failed: {exc}")
            return 2
        where = "emulator" if url.startswith(args.emulator) else "app"
        print(f"[{hops:2}] {r.status_code} {where:8} {url}")
        hops += 1
        location = r.headers.get("Location")
        if r.status_code in REDIRECTS and location:
            previous = url
            url = urljoin(url, location)
            back = previous.startswith(args.emulator) and not url.startswith(
                args.emulator
            )
            if back and args.callback_base:
                parts = urlsplit(url)
                query = "?" + parts.query if parts.query else ""
                url = args.callback_base.rstrip("/") + parts.path + query
                print(
                    f"     (callback sent to the other instance {args.callback_base})"
                )
            if back and args.drop_cookies and not retried:
                names = sorted({c.name for c in s.cookies})
                print(f"     (cookies dropped before the callback: {names})")
                s.cookies.clear()
            if hops >= args.max_hops:
                print(f"STOP: more than {args.max_hops} hops (redirect loop?)")
                break
            continue
        if args.follow_retry and not retried:
            link = TRY_AGAIN.search(r.text)
            if link:
                retried = True
                print(f"     page {r.status_code} {visible_text(r.text)[:80]!r}...")
                url = urljoin(url, html.unescape(link.group(1)))
                print(f"     (clicking 'Try again': {url})")
                continue
            print("     (no 'Try again' link on the final page)")
        break

    ctype = r.headers.get("Content-Type", "")
    title = re.search(r"<title>(.*?)</title>", r.text, re.S | re.I)
    print(f"final: HTTP {r.status_code} {ctype} {url}")
    if title:
        print(f"final page title: {title.group(1).strip()!r}")
    if args.text_chars and "html" in ctype:
        print(f"final page text: {visible_text(r.text)[: args.text_chars]!r}")
    if args.show_body:
        print("---- body (first 3000 chars) ----")
        print(r.text[:3000])
        print("---- end body ----")
    print(f"cookies now held: {sorted({c.name for c in s.cookies})}")
    for pattern in args.find:
        for line in r.text.splitlines():
            if re.search(pattern, line, re.I):
                print(f"final body matches {pattern!r}: {line.strip()[:300]}")
    pending = pending_flashes(s)
    if pending:
        print(f"flash messages still pending in the session cookie: {pending}")

    w = s.get(
        urljoin(args.app, args.whoami),
        headers={"Accept": "application/json"},
        allow_redirects=False,
        timeout=30,
    )
    body = w.text.strip().replace("\n", " ")
    print(f"whoami {args.whoami}: HTTP {w.status_code} {body[:300]}")
    if args.log:
        time.sleep(0.5)  # let the server flush its log
        print_new_log_lines(offsets, args.log_match, args.log_ignore)
    if w.status_code == 200:
        print("RESULT: signed in")
        return 0
    print("RESULT: NOT signed in")
    return 1


if __name__ == "__main__":
    sys.exit(main())
