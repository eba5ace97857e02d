"""A widely used xAPI client library against a served Cairn: TinCanPython (xAPI 1.0.x only).

Usage: client_compat.py ENDPOINT KEY SECRET. Exits non-zero on the first failure.
"""
import sys
import uuid

from tincan import Activity, Agent, RemoteLRS, Statement, Verb

endpoint, key, secret = sys.argv[1:4]
lrs = RemoteLRS(version="1.0.3", endpoint=endpoint, username=key, password=secret)


def check(ok, what):
    if not ok:
        print(f"client_compat: FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"client_compat: ok: {what}")


about = lrs.about()
check(about.success, f"about() succeeds ({about.data!r})")
check("1.0.3" in about.content.version, "about() lists 1.0.3")

verb_id = f"http://example.com/verbs/compat-{uuid.uuid4()}"
statement = Statement(
    actor=Agent(name="Compat", mbox="mailto:compat@example.com"),
    verb=Verb(id=verb_id),
    object=Activity(id="http://example.com/activities/client-compat"),
)
saved = lrs.save_statement(statement)
check(saved.success, f"save_statement() succeeds ({saved.data!r})")
sid = saved.content.id

got = lrs.retrieve_statement(sid)
check(got.success and str(got.content.id) == str(sid), "retrieve_statement() returns it")

found = lrs.query_statements({"verb": Verb(id=verb_id), "limit": 10})
check(found.success, f"query_statements() succeeds ({found.data!r})")
ids = [str(s.id) for s in found.content.statements]
check(ids == [str(sid)], f"query_statements() by verb finds exactly it (got {ids})")
