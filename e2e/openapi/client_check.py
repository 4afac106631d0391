"""A Python client generated from the hub's /api/openapi.json by openapi-python-client, used
as an integrator would: Alice logs in and starts a session, the admin logs in, lists the
users, and ends Alice's session with a reason; the session then reads as ended by the admin.

Usage: PYTHONPATH=<folder holding presence_hub_client> python client_check.py URL
(run by e2e/scripts/openapi-tools.sh, which generates the client first).
"""

import sys

from presence_hub_client import AuthenticatedClient, Client
from presence_hub_client.api.auth import auth_login
from presence_hub_client.api.sessions import sessions_end, sessions_show, sessions_start
from presence_hub_client.api.users import users_list
from presence_hub_client.models import EndSessionRequest, LoginBody, StartSessionRequest
from presence_hub_client.types import Unset

PASSWORD = "demo-pass-1"


def absent(value):
    """A field the answer left out or set to null."""
    return value is None or isinstance(value, Unset)


def check(condition, what):
    if not condition:
        print(f"client_check: FAILED: {what}", file=sys.stderr)
        sys.exit(1)


def login(url, email):
    answer = auth_login.sync_detailed(
        client=Client(base_url=url), body=LoginBody(email=email, password=PASSWORD)
    )
    check(answer.status_code == 200, f"{email} logs in (HTTP {answer.status_code})")
    return AuthenticatedClient(base_url=url, token=answer.parsed.token)


def main(url):
    alice = login(url, "alice@demo.test")
    started = sessions_start.sync_detailed(
        client=alice, body=StartSessionRequest(note="from the generated client")
    )
    check(started.status_code in (200, 201), f"Alice starts a session (HTTP {started.status_code})")
    session_id = started.parsed.id
    check(absent(started.parsed.ended_at), "the session runs")

    admin = login(url, "admin@demo.test")
    users = users_list.sync_detailed(client=admin, per_page=100)
    check(users.status_code == 200, f"the admin lists the users (HTTP {users.status_code})")
    emails = {u.email for u in users.parsed.items}
    check("alice@demo.test" in emails, f"Alice is listed among {sorted(emails)}")
    check(users.parsed.total == len(users.parsed.items), "one page holds them all")

    ended = sessions_end.sync_detailed(
        session_id, client=admin, body=EndSessionRequest(reason="Shift is over")
    )
    check(ended.status_code == 200, f"the admin ends the session (HTTP {ended.status_code})")
    check(not absent(ended.parsed.ended_at), "it has ended")

    shown = sessions_show.sync_detailed(session_id, client=alice)
    check(shown.status_code == 200, "Alice reads her session")
    check(shown.parsed.end_reason == "admin_ended", f"ended by an admin: {shown.parsed.end_reason}")

    again = sessions_end.sync_detailed(
        session_id, client=admin, body=EndSessionRequest(reason="twice")
    )
    check(again.status_code == 409, f"ending it twice is a conflict (HTTP {again.status_code})")
    print(f"client_check: logged in, listed {len(emails)} users, ended session {session_id}")


if __name__ == "__main__":
    main(sys.argv[1])
