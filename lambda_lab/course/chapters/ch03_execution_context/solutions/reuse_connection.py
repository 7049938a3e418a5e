# Module-level code runs once per execution environment, in the init phase; warm invocations of
# that environment reuse what it made. So open the connection there, not in the handler.
import time


def connect():
    # Stands in for opening a database connection: it takes 300 ms.
    time.sleep(0.3)
    return {"opened_at": time.time()}


db = connect()  # once per execution environment (the init phase)


def handler(event, context):
    return {"opened_at": db["opened_at"]}
