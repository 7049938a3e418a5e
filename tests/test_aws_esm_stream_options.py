"""Kinesis event source mapping options through boto3 (issue #4 §Streams): ParallelizationFactor,
BisectBatchOnFunctionError, ReportBatchItemFailures, MaximumBatchingWindowInSeconds, tumbling
windows, resharding order and AT_TIMESTAMP. DG = the Lambda Developer Guide pages cited.

Time moves only by ``aws.advance``; the poller looks at each shard every second of it.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json

import boto3
import pytest
from aws_helpers import REGION, create, lam, logged_events, role, session  # noqa: F401

from lambda_lab.sources import store_for

# MODE=raise: a batch holding a record whose data starts with "bad" raises;
# MODE=report: those records are reported as batchItemFailures (highest first);
# MODE=answer: returns the JSON in ANSWER. Every event is printed without its records' data.
HANDLER = """
import base64, json, os
def handler(event, context):
    records = event.get("Records", [])
    data = [base64.b64decode(r["kinesis"]["data"]).decode() for r in records]
    shown = {k: v for k, v in event.items() if k != "Records"}
    print("EVENT " + json.dumps({**shown, "data": [d[:20] for d in data]}))
    bad = [r["kinesis"]["sequenceNumber"] for r, d in zip(records, data) if d.startswith("bad")]
    mode = os.environ.get("MODE", "raise")
    if mode == "raise" and bad:
        raise RuntimeError("poison pill")
    if mode == "report":
        return {"batchItemFailures": [{"itemIdentifier": s} for s in reversed(bad)]}
    if mode == "answer":
        return json.loads(os.environ["ANSWER"])
    return {}
"""
# Tumbling windows: counts the records of the window in its state; "big" makes it > 1 MB.
WINDOWED = """
import base64, json
def handler(event, context):
    records = event["Records"]
    data = [base64.b64decode(r["kinesis"]["data"]).decode() for r in records]
    print("EVENT " + json.dumps({**{k: v for k, v in event.items() if k != "Records"},
                                 "data": data}))
    state = dict(event["state"])
    state["count"] = state.get("count", 0) + len(records)
    if "big" in data:
        state["pad"] = "x" * (1024 * 1024 + 1)
    return {"state": state}
"""


@pytest.fixture
def aws():
    """Platform time moves only by ``aws.advance`` in these tests."""
    yield from session(virtual_clock=True)


@pytest.fixture
def kinesis(aws):
    return boto3.client("kinesis", region_name=REGION)


@pytest.fixture
def failures(aws):
    """An SQS queue for on-failure records: (arn, read() -> the batch infos sent so far)."""
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="failures")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url,
                                   AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def read() -> list[dict]:
        out = []
        while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
            out += [json.loads(msg["Body"]) for msg in got]
            for msg in got:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
        return out

    return arn, read


def make_stream(kinesis, name: str, shards: int = 1) -> str:
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    return kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]


def put(kinesis, stream: str, *items: tuple[str, str]) -> list[str]:
    """put_record of (partition key, data) pairs; their sequence numbers."""
    return [kinesis.put_record(StreamName=stream, Data=data.encode(),
                               PartitionKey=key)["SequenceNumber"] for key, data in items]


def history(aws, uuid: str) -> list[dict]:
    return store_for(aws.platform()).mappings[uuid].history


def batches(aws, uuid: str) -> list[list[str]]:
    return [h["records"] for h in history(aws, uuid)]


def mapping(lam, arn: str, name: str, **params) -> str:
    params.setdefault("StartingPosition", "TRIM_HORIZON")
    return lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                           **params)["UUID"]


def on_failure(queue_arn: str) -> dict:
    return {"OnFailure": {"Destination": queue_arn}}


# ----------------------------------------------------------------- ParallelizationFactor


def test_parallelization_runs_batches_of_a_shard_at_once_in_key_order(aws, lam, kinesis,
                                                                       create, failures):
    """DG with-kinesis (concurrent batches per shard): up to ParallelizationFactor batches of
    one shard are processed at once, and Lambda still processes records in order at the
    partition-key level; a failing batch holds back later records of its keys only."""
    queue_arn, read = failures
    arn = make_stream(kinesis, "par")
    name = create(HANDLER)
    uuid = mapping(lam, arn, name, BatchSize=2, ParallelizationFactor=4, MaximumRetryAttempts=1,
                   DestinationConfig=on_failure(queue_arn))
    items = [("a", "bad-a0"), ("a", "a1"), ("a", "a2")]
    items += [(k, f"{k}{i}") for i in range(4) for k in "bcdefgh"]
    seqs = put(kinesis, "par", *items)
    key_of = {s: k for s, (k, _) in zip(seqs, items, strict=True)}
    aws.advance(15)
    h = history(aws, uuid)
    ticks: dict[float, list[dict]] = {}
    for e in h:
        ticks.setdefault(e["time"], []).append(e)
    assert max(len(t) for t in ticks.values()) > 1  # several batches of the one shard at once
    assert all(len(t) <= 4 for t in ticks.values())  # ... at most ParallelizationFactor
    for t in ticks.values():  # never the same record twice at once
        held = [s for e in t for s in e["records"]]
        assert len(held) == len(set(held))
    assert store_for(aws.platform()).pollers[uuid].peak_concurrency > 1
    done = [s for e in h for s in e["succeeded"]]
    discarded = [s for e in h for s in e.get("discarded_records", [])]
    assert seqs[0] in discarded and seqs[0] not in done
    assert sorted(done + discarded, key=int) == seqs  # each record exactly once
    for key in "abcdefgh":  # in order per key
        mine = [s for s in done if key_of[s] == key]
        assert mine == sorted(mine, key=int)
    (give_up,) = [i for i, e in enumerate(h) if e.get("discarded")]
    later = [s for s in seqs if key_of[s] == "a" and s not in h[give_up]["records"]]
    assert later  # "a" records behind the failing batch ...
    assert all(i > give_up for i, e in enumerate(h) for s in later if s in e["records"])
    first_bad = min(i for i, e in enumerate(h) if seqs[0] in e["records"])
    # other lanes went on while "a"'s lane retried
    assert any(e["succeeded"] for e in h[first_bad + 1:give_up])
    (info,) = read()
    assert info["KinesisBatchInfo"]["batchSize"] == len(h[give_up]["records"])


# ----------------------------------------------------------------- BisectBatchOnFunctionError


def test_bisect_splits_a_failed_batch_down_to_the_bad_record(aws, lam, kinesis, create,
                                                             failures):
    """DG kinesis-on-failure-destination: BisectBatchOnFunctionError splits a failed batch in
    two and retries each half; splitting a batch does not count toward the retry quota
    (MaximumRetryAttempts=0 still isolates the bad record); only it goes on-failure."""
    queue_arn, read = failures
    arn = make_stream(kinesis, "split")
    name = create(HANDLER)
    uuid = mapping(lam, arn, name, BatchSize=4, BisectBatchOnFunctionError=True,
                   MaximumRetryAttempts=0, DestinationConfig=on_failure(queue_arn))
    r0, r1, bad, r3 = put(kinesis, "split", *[("k", d) for d in ("r0", "r1", "bad", "r3")])
    aws.advance(10)
    assert batches(aws, uuid) == [[r0, r1, bad, r3], [r0, r1], [bad, r3], [bad], [r3]]
    outcomes = [h["outcome"] for h in history(aws, uuid)]
    assert outcomes == ["function error (Unhandled)", "success", "function error (Unhandled)",
                        "function error (Unhandled)", "success"]
    assert history(aws, uuid)[3]["discarded"] == "RetryAttemptsExhausted"
    (info,) = read()
    batch = info["KinesisBatchInfo"]
    assert batch["startSequenceNumber"] == batch["endSequenceNumber"] == bad
    assert batch["batchSize"] == 1
    assert info["requestContext"]["condition"] == "RetryAttemptsExhausted"


def test_bisect_halves_still_retry_up_to_maximum_retry_attempts(aws, lam, kinesis, create):
    """DG kinesis-on-failure-destination: the retry quota applies to the split batches."""
    arn = make_stream(kinesis, "split2")
    name = create(HANDLER)
    uuid = mapping(lam, arn, name, BatchSize=2, BisectBatchOnFunctionError=True,
                   MaximumRetryAttempts=2)
    bad, good = put(kinesis, "split2", ("k", "bad"), ("k", "good"))
    aws.advance(15)
    assert batches(aws, uuid) == [[bad, good], [bad], [bad], [bad], [good]]
    assert history(aws, uuid)[3]["discarded"] == "RetryAttemptsExhausted"


# ----------------------------------------------------------------- ReportBatchItemFailures


def test_item_failures_checkpoint_before_the_lowest_reported_record(aws, lam, kinesis, create,
                                                                    failures):
    """DG services-kinesis-batchfailurereporting: with several batchItemFailures Lambda uses
    the lowest sequence number as the checkpoint and retries every record from it."""
    queue_arn, read = failures
    arn = make_stream(kinesis, "report")
    name = create(HANDLER, Environment={"Variables": {"MODE": "report"}})
    uuid = mapping(lam, arn, name, FunctionResponseTypes=["ReportBatchItemFailures"],
                   MaximumRetryAttempts=1, DestinationConfig=on_failure(queue_arn))
    r0, r1, bad2, r3, bad4 = put(kinesis, "report",
                                 *[("k", d) for d in ("r0", "r1", "bad2", "r3", "bad4")])
    aws.advance(2)
    (r5,) = put(kinesis, "report", ("k", "r5"))
    aws.advance(6)
    h = history(aws, uuid)
    assert [e["records"] for e in h] == [[r0, r1, bad2, r3, bad4], [bad2, r3, bad4], [r5]]
    assert [e["outcome"] for e in h] == ["partial failure", "partial failure", "success"]
    assert h[0]["succeeded"] == [r0, r1] and h[1]["succeeded"] == []
    assert h[1]["discarded"] == "RetryAttemptsExhausted"
    (info,) = read()
    batch = info["KinesisBatchInfo"]
    assert (batch["startSequenceNumber"], batch["endSequenceNumber"]) == (bad2, bad4)
    assert batch["batchSize"] == 3


@pytest.mark.parametrize("answer", [{}, None, {"batchItemFailures": []},
                                    {"batchItemFailures": None}])
def test_empty_item_failure_answers_are_success(aws, lam, kinesis, create, answer):
    """DG services-kinesis-batchfailurereporting: an empty or null batchItemFailures list, an
    empty or null EventResponse: complete success."""
    arn = make_stream(kinesis, "ok")
    name = create(HANDLER, Environment={"Variables": {"MODE": "answer",
                                                      "ANSWER": json.dumps(answer)}})
    uuid = mapping(lam, arn, name, FunctionResponseTypes=["ReportBatchItemFailures"])
    seqs = put(kinesis, "ok", ("k", "a"), ("k", "b"))
    aws.advance(4)
    assert [(e["records"], e["outcome"]) for e in history(aws, uuid)] == [(seqs, "success")]


@pytest.mark.parametrize("item", [{"itemIdentifier": ""}, {"itemIdentifier": None},
                                  {"itemIdentifer": "1"}, {"itemIdentifier": "999"}])
def test_bad_item_identifiers_fail_the_whole_batch(aws, lam, kinesis, create, failures, item):
    """DG services-kinesis-batchfailurereporting: an empty string, a null or a misnamed
    itemIdentifier is a complete failure (one not in the batch too: emulator's reading)."""
    queue_arn, read = failures
    arn = make_stream(kinesis, "malformed")
    name = create(HANDLER, Environment={"Variables": {
        "MODE": "answer", "ANSWER": json.dumps({"batchItemFailures": [item]})}})
    uuid = mapping(lam, arn, name, FunctionResponseTypes=["ReportBatchItemFailures"],
                   MaximumRetryAttempts=1, DestinationConfig=on_failure(queue_arn))
    seqs = put(kinesis, "malformed", ("k", "a"), ("k", "b"))
    aws.advance(5)
    h = history(aws, uuid)
    assert [e["records"] for e in h] == [seqs, seqs]  # the whole batch, retried
    assert {e["outcome"] for e in h} == {"malformed batchItemFailures response"}
    assert h[-1]["discarded"] == "RetryAttemptsExhausted"
    (info,) = read()
    assert info["KinesisBatchInfo"]["batchSize"] == 2


def test_item_failures_without_the_setting_are_ignored(aws, lam, kinesis, create):
    """DG services-kinesis-batchfailurereporting: partial batch responses are not processed
    unless ReportBatchItemFailures is turned on for the mapping."""
    arn = make_stream(kinesis, "ignored")
    name = create(HANDLER, Environment={"Variables": {"MODE": "report"}})
    uuid = mapping(lam, arn, name)
    seqs = put(kinesis, "ignored", ("k", "a"), ("k", "bad"))
    aws.advance(4)
    assert [(e["records"], e["outcome"]) for e in history(aws, uuid)] == [(seqs, "success")]


def test_bisect_with_item_failures_retries_only_the_rest(aws, lam, kinesis, create):
    """DG services-kinesis-batchfailurereporting: with BisectBatchOnFunctionError and
    ReportBatchItemFailures the batch is bisected at the returned sequence number and only the
    remaining records are retried (a failure at the first record bisects in halves, emulator's
    reading of "bisected regardless of your ReportBatchItemFailures setting")."""
    arn = make_stream(kinesis, "both")
    name = create(HANDLER, Environment={"Variables": {"MODE": "report"}})
    uuid = mapping(lam, arn, name, FunctionResponseTypes=["ReportBatchItemFailures"],
                   BisectBatchOnFunctionError=True, MaximumRetryAttempts=0)
    r0, r1, bad, r3 = put(kinesis, "both", *[("k", d) for d in ("r0", "r1", "bad", "r3")])
    aws.advance(10)
    assert batches(aws, uuid) == [[r0, r1, bad, r3], [bad, r3], [bad], [r3]]
    h = history(aws, uuid)
    assert h[0]["succeeded"] == [r0, r1] and h[2]["discarded"] == "RetryAttemptsExhausted"
    assert h[3]["outcome"] == "success"


# ----------------------------------------------------------------- batching window


def test_batching_window_waits_for_a_full_batch_or_the_window(aws, lam, kinesis, create):
    """DG with-kinesis (polling and batching): with MaximumBatchingWindowInSeconds Lambda
    gathers records until the batch is full, the window expires or the payload reaches 6 MB."""
    arn = make_stream(kinesis, "window")
    name = create(HANDLER)
    uuid = mapping(lam, arn, name, BatchSize=3, MaximumBatchingWindowInSeconds=10)
    start = aws.clock.now()
    (r0,) = put(kinesis, "window", ("k", "r0"))
    aws.advance(5)
    (r1,) = put(kinesis, "window", ("k", "r1"))
    aws.advance(4.5)
    assert history(aws, uuid) == []  # 9.5 s: still gathering
    aws.advance(1)
    assert batches(aws, uuid) == [[r0, r1]]
    assert history(aws, uuid)[0]["time"] == pytest.approx(start + 10)
    full = put(kinesis, "window", *[("k", f"f{i}") for i in range(3)])
    aws.advance(1.5)
    assert batches(aws, uuid)[1:] == [full]  # a full batch goes at once


def test_batching_window_stops_at_6_mb(aws, lam, kinesis, create):
    """DG with-kinesis: the batch also closes when it reaches the 6 MB payload limit."""
    arn = make_stream(kinesis, "big")
    name = create(HANDLER, MemorySize=1024)
    uuid = mapping(lam, arn, name, BatchSize=100, MaximumBatchingWindowInSeconds=300)
    seqs = put(kinesis, "big", *[("k", "x" * 1_000_000)] * 6)  # 1.33 MB each in base64
    aws.advance(2)
    assert batches(aws, uuid) == [seqs[:4]]  # 4 fit in 6 MB, a 5th would not
    assert history(aws, uuid)[0]["outcome"] == "success"
    aws.advance(300)
    assert batches(aws, uuid)[1:] == [seqs[4:]]


# ----------------------------------------------------------------- tumbling windows


def test_tumbling_window_carries_state_and_ends_with_a_final_invocation(aws, lam, kinesis,
                                                                       create):
    """DG services-kinesis-windows: each invocation gets the window, the state the previous
    one returned, shardId and eventSourceARN; at the window's end a final invocation
    (isFinalInvokeForWindow) gets the final state; the next window starts with a fresh one."""
    arn = make_stream(kinesis, "tumble")
    name = create(WINDOWED)
    aws.advance(30 - aws.clock.now() % 30 + 0.25)  # just after a 30 s boundary
    start = aws.clock.now() - 0.25
    uuid = mapping(lam, arn, name, TumblingWindowInSeconds=30)
    put(kinesis, "tumble", ("k", "r0"), ("k", "r1"))
    aws.advance(1)
    put(kinesis, "tumble", ("k", "r2"))
    aws.advance(1)
    events = logged_events(name)
    assert [e["data"] for e in events] == [["r0", "r1"], ["r2"]]
    first, second = events
    shard_id = kinesis.list_shards(StreamName="tumble")["Shards"][0]["ShardId"]

    def iso(t: float) -> str:
        import datetime as dt

        return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    assert first["window"] == {"start": iso(start), "end": iso(start + 30)}
    assert first["state"] == {} and second["state"] == {"count": 2}
    assert first["shardId"] == shard_id and first["eventSourceARN"] == arn
    assert first["isFinalInvokeForWindow"] is False
    assert first["isWindowTerminatedEarly"] is False
    aws.advance(29)  # past the window's end
    final = logged_events(name)[2]
    assert final["isFinalInvokeForWindow"] is True and final["data"] == []
    assert final["state"] == {"count": 3} and final["window"] == first["window"]
    put(kinesis, "tumble", ("k", "r3"))
    aws.advance(2)
    nxt = logged_events(name)[3]
    assert nxt["data"] == ["r3"] and nxt["state"] == {}
    assert nxt["window"]["start"] == iso(start + 30)
    assert [e["outcome"] for e in history(aws, uuid)] == ["success"] * 4


def test_state_over_1_mb_terminates_the_window_early(aws, lam, kinesis, create):
    """DG services-kinesis-windows: the state can be at most 1 MB per shard; past it Lambda
    terminates the window early (isWindowTerminatedEarly); the window goes on, fresh state."""
    arn = make_stream(kinesis, "early")
    name = create(WINDOWED, MemorySize=512)
    aws.advance(60 - aws.clock.now() % 60 + 0.25)
    uuid = mapping(lam, arn, name, TumblingWindowInSeconds=60)
    put(kinesis, "early", ("k", "big"))
    aws.advance(2)
    put(kinesis, "early", ("k", "r1"))
    aws.advance(2)
    events = logged_events(name)
    assert [(e["data"], e["isFinalInvokeForWindow"], e["isWindowTerminatedEarly"])
            for e in events] == [(["big"], False, False), ([], True, True), (["r1"], False, False)]
    assert events[1]["state"]["count"] == 1 and len(events[1]["state"]["pad"]) > 1024 * 1024
    assert events[2]["state"] == {} and events[2]["window"] == events[0]["window"]
    assert len(history(aws, uuid)) == 3


def test_a_windowed_response_without_state_fails(aws, lam, kinesis, create):
    """DG services-kinesis-windows: if the response does not contain a state property, Lambda
    considers this a failed invocation."""
    arn = make_stream(kinesis, "nostate")
    name = create(HANDLER)  # returns {}
    uuid = mapping(lam, arn, name, TumblingWindowInSeconds=60, MaximumRetryAttempts=0)
    seqs = put(kinesis, "nostate", ("k", "a"))
    aws.advance(2)
    (e,) = history(aws, uuid)
    assert e["records"] == seqs and e["outcome"] == "no state in the response"
    assert e["discarded"] == "RetryAttemptsExhausted"


# ----------------------------------------------------------------- resharding, AT_TIMESTAMP


def test_a_merged_shard_is_read_after_both_parents(aws, lam, kinesis, create):
    """DG with-kinesis / Kinesis resharding: a child shard is processed only after its
    parents have been read to the end (parent before child). KDS-DG after resharding: the
    parents keep their records and new records go to the child."""
    arn = make_stream(kinesis, "merge", shards=2)
    shards = [s["ShardId"] for s in kinesis.list_shards(StreamName="merge")["Shards"]]
    name = create(HANDLER)
    kinesis.put_record(StreamName="merge", Data=b"bad", PartitionKey="p",
                       ExplicitHashKey=str(2 ** 128 - 2))  # into the second shard
    kinesis.put_record(StreamName="merge", Data=b"ok", PartitionKey="p", ExplicitHashKey="1")
    kinesis.merge_shards(StreamName="merge", ShardToMerge=shards[0],
                         AdjacentShardToMerge=shards[1])
    (child,) = set(s["ShardId"] for s in kinesis.list_shards(StreamName="merge")["Shards"]) \
        - set(shards)
    (late,) = put(kinesis, "merge", ("p", "late"))
    uuid = mapping(lam, arn, name, MaximumRetryAttempts=2)
    aws.advance(15)
    h = history(aws, uuid)
    last_parent = max(i for i, e in enumerate(h) if e["shard_id"] in shards)
    first_child = min(i for i, e in enumerate(h) if e["shard_id"] == child)
    assert h[last_parent]["discarded"] == "RetryAttemptsExhausted"  # the blocked parent
    assert first_child > last_parent
    assert h[first_child]["time"] > h[last_parent]["time"]
    assert [e["records"] for e in h if e["shard_id"] == child] == [[late]]  # no copies


def test_split_children_wait_for_the_parent(aws, lam, kinesis, create):
    """Parent before child for a split too: records put after the split (KDS-DG after
    resharding: routed to the child shards by hash key) wait for the parent's last batch."""
    arn = make_stream(kinesis, "split")
    (parent,) = [s["ShardId"] for s in kinesis.list_shards(StreamName="split")["Shards"]]
    name = create(HANDLER)
    uuid = mapping(lam, arn, name, MaximumRetryAttempts=1)
    put(kinesis, "split", ("p", "bad"))
    aws.advance(0.5)
    kinesis.split_shard(StreamName="split", ShardToSplit=parent,
                        NewStartingHashKey=str(2 ** 127))
    children = {s["ShardId"] for s in kinesis.list_shards(StreamName="split")["Shards"]
                if s.get("ParentShardId") == parent}
    assert len(children) == 2
    into = {kinesis.put_record(StreamName="split", Data=b"child", PartitionKey="c",
                               ExplicitHashKey=hash_key)["ShardId"]
            for hash_key in ("0", str(2 ** 128 - 1))}
    assert into == children
    aws.advance(6)
    h = history(aws, uuid)
    by_shard = [e["shard_id"] for e in h]
    assert by_shard[0] == parent and set(by_shard[-2:]) == children
    assert all(s == parent for s in by_shard[:-2])


def test_at_timestamp_starts_at_the_first_record_at_or_after_it(aws, lam, kinesis, create):
    """DG with-kinesis (starting positions): AT_TIMESTAMP reads from the first record whose
    arrival time is at or after the timestamp, also for records that arrive later."""
    arn = make_stream(kinesis, "stamped")
    name, later = create(HANDLER), create(HANDLER)
    (r0,) = put(kinesis, "stamped", ("k", "r0"))
    aws.advance(5)
    (r1,) = put(kinesis, "stamped", ("k", "r1"))
    aws.advance(5)
    (r2,) = put(kinesis, "stamped", ("k", "r2"))
    shard_id = kinesis.list_shards(StreamName="stamped")["Shards"][0]["ShardId"]
    it = kinesis.get_shard_iterator(StreamName="stamped", ShardId=shard_id,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    arrival = kinesis.get_records(ShardIterator=it)["Records"][1]["ApproximateArrivalTimestamp"]
    uuid = mapping(lam, arn, name, StartingPosition="AT_TIMESTAMP",
                   StartingPositionTimestamp=arrival)
    future = aws.clock.now() + 10
    uuid2 = mapping(lam, arn, later, StartingPosition="AT_TIMESTAMP",
                    StartingPositionTimestamp=future)
    (r3,) = put(kinesis, "stamped", ("k", "r3"))  # before the second mapping's timestamp
    aws.advance(11)
    (r4,) = put(kinesis, "stamped", ("k", "r4"))
    aws.advance(2)
    assert [s for b in batches(aws, uuid) for s in b] == [r1, r2, r3, r4]
    assert [s for b in batches(aws, uuid2) for s in b] == [r4]
    assert r0 not in {s for b in batches(aws, uuid) for s in b}
