"""Kinesis resharding through boto3: SplitShard, MergeShards and UpdateShardCount as AWS does
them, and a Lambda mapping over a resharded stream.

KDS-DG = Kinesis Data Streams Developer Guide, "After resharding" (kinesis-using-sdk-java-after-
resharding, "Data routing, data persistence, and shard state after a reshard"): records in a
parent before the reshard stay there, readable with GetShardIterator/GetRecords until retention
ends; the parent is CLOSED (no records are added to it); records that would have gone to it go
to the child shards by the hash key their partition key maps to; reading a closed parent to its
end gives a null NextShardIterator.

Time moves only by ``aws.advance``.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json

import boto3
import pytest
from aws_helpers import REGION, create, lam, role, session  # noqa: F401

from lambda_lab.sources import store_for

TOP = 2**128 - 1  #: the highest hash key
MID = 2**127
LOW, HIGH = "1", str(TOP)  # explicit hash keys at both ends of the range


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


@pytest.fixture
def kinesis(aws):
    return boto3.client("kinesis", region_name=REGION)


def put(kinesis, stream: str, data: str, hash_key: str | None = None,
        key: str = "k") -> tuple[str, str]:
    """put_record: (ShardId, SequenceNumber)."""
    extra = {"ExplicitHashKey": hash_key} if hash_key is not None else {}
    r = kinesis.put_record(StreamName=stream, Data=data.encode(), PartitionKey=key, **extra)
    return r["ShardId"], r["SequenceNumber"]


def shards(kinesis, stream: str) -> dict[str, dict]:
    return {s["ShardId"]: s for s in kinesis.list_shards(StreamName=stream)["Shards"]}


def open_shards(kinesis, stream: str) -> dict[str, dict]:
    return {i: s for i, s in shards(kinesis, stream).items()
            if "EndingSequenceNumber" not in s["SequenceNumberRange"]}


def hash_range(shard: dict) -> tuple[int, int]:
    r = shard["HashKeyRange"]
    return int(r["StartingHashKey"]), int(r["EndingHashKey"])


def read(kinesis, stream: str, shard_id: str) -> list[tuple[str, str]]:
    """Every record of a shard from TRIM_HORIZON: (SequenceNumber, data)."""
    it = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard_id,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    out: list[tuple[str, str]] = []
    for _ in range(20):
        r = kinesis.get_records(ShardIterator=it, Limit=2)
        out += [(x["SequenceNumber"], x["Data"].decode()) for x in r["Records"]]
        it = r.get("NextShardIterator")
        if it is None or not r["Records"]:
            break
    return out


# ----------------------------------------------------------------- SplitShard


def test_split_keeps_the_parents_records_and_routes_new_ones_to_the_children(kinesis):
    """KDS-DG after resharding: the parent keeps the records it had (same sequence numbers) and
    is CLOSED (API Shard: a closed shard's SequenceNumberRange has an EndingSequenceNumber);
    new records go only to the child whose HashKeyRange holds their hash key; the children
    (ParentShardId = the parent) split the parent's range at NewStartingHashKey."""
    kinesis.create_stream(StreamName="s", ShardCount=1)
    (parent,) = shards(kinesis, "s")
    before = [put(kinesis, "s", d, h) for d, h in (("a0", LOW), ("b0", HIGH), ("a1", LOW))]
    assert {s for s, _ in before} == {parent}
    kinesis.split_shard(StreamName="s", ShardToSplit=parent, NewStartingHashKey=str(MID))

    listed = shards(kinesis, "s")
    assert listed[parent]["SequenceNumberRange"]["EndingSequenceNumber"] == before[-1][1]
    assert hash_range(listed[parent]) == (0, TOP)
    children = {i: s for i, s in listed.items() if s.get("ParentShardId") == parent}
    low, high = sorted(children, key=lambda i: hash_range(children[i]))
    assert hash_range(children[low]) == (0, MID - 1)
    assert hash_range(children[high]) == (MID, TOP)
    assert set(open_shards(kinesis, "s")) == {low, high}
    described = kinesis.describe_stream(StreamName="s")["StreamDescription"]["Shards"]
    assert {s["ShardId"]: s for s in described} == listed
    summary = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 2
    assert read(kinesis, "s", low) == [] and read(kinesis, "s", high) == []  # children start empty

    after = [put(kinesis, "s", d, h) for d, h in (("a2", LOW), ("b1", HIGH), ("a3", LOW))]
    assert [s for s, _ in after] == [low, high, low]
    assert read(kinesis, "s", parent) == [(seq, d) for (_, seq), d in
                                          zip(before, ("a0", "b0", "a1"), strict=True)]
    assert [d for _, d in read(kinesis, "s", low)] == ["a2", "a3"]
    assert [d for _, d in read(kinesis, "s", high)] == ["b1"]
    # a partition key (no explicit hash key) lands in an open child too
    assert put(kinesis, "s", "p", key="any-key")[0] in {low, high}


def test_a_childs_sequence_numbers_come_after_its_parents(kinesis):
    """Kinesis key concepts: sequence numbers for the same partition key increase over time,
    also across a reshard (a child's StartingSequenceNumber is past the parent's ending)."""
    kinesis.create_stream(StreamName="seq", ShardCount=1)
    (parent,) = shards(kinesis, "seq")
    last = [put(kinesis, "seq", f"r{i}", LOW)[1] for i in range(3)][-1]
    kinesis.split_shard(StreamName="seq", ShardToSplit=parent, NewStartingHashKey=str(MID))
    listed = shards(kinesis, "seq")
    for child in (s for s in listed.values() if s.get("ParentShardId") == parent):
        assert int(child["SequenceNumberRange"]["StartingSequenceNumber"]) > int(last)
    shard, seq = put(kinesis, "seq", "later", LOW)
    assert shard != parent and int(seq) > int(last)


def test_get_records_on_a_closed_parent_ends_with_a_null_iterator_and_its_children(kinesis):
    """KDS-DG after resharding: a null NextShardIterator means the parent has been read to its
    end. API GetRecords: ChildShards is returned only when the end of the shard is reached; an
    open shard always gives a NextShardIterator."""
    kinesis.create_stream(StreamName="end", ShardCount=1)
    (parent,) = shards(kinesis, "end")
    put(kinesis, "end", "a", LOW)
    it = kinesis.get_shard_iterator(StreamName="end", ShardId=parent,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    r = kinesis.get_records(ShardIterator=it)
    assert r["NextShardIterator"] and not r.get("ChildShards")  # open: more may come
    kinesis.split_shard(StreamName="end", ShardToSplit=parent, NewStartingHashKey=str(MID))
    children = {i for i, s in shards(kinesis, "end").items() if s.get("ParentShardId") == parent}
    r = kinesis.get_records(ShardIterator=it)
    assert [x["Data"] for x in r["Records"]] == [b"a"]
    assert "NextShardIterator" not in r
    assert {c["ShardId"] for c in r["ChildShards"]} == children
    assert all(c["ParentShards"] == [parent] for c in r["ChildShards"])


def test_a_closed_shard_cannot_be_split_or_merged_again(kinesis):
    """KDS-DG after resharding: after a reshard the parent is CLOSED; moto's InvalidArgument
    error for a shard "already merged or split" (emulator wording) applies to merges too."""
    kinesis.create_stream(StreamName="twice", ShardCount=2)
    first, second = sorted(shards(kinesis, "twice"))
    kinesis.split_shard(StreamName="twice", ShardToSplit=first, NewStartingHashKey="1000")
    with pytest.raises(kinesis.exceptions.InvalidArgumentException):
        kinesis.split_shard(StreamName="twice", ShardToSplit=first, NewStartingHashKey="2000")
    with pytest.raises(kinesis.exceptions.InvalidArgumentException):
        kinesis.merge_shards(StreamName="twice", ShardToMerge=first, AdjacentShardToMerge=second)


# ----------------------------------------------------------------- MergeShards


def test_merge_keeps_both_parents_records_and_the_child_starts_empty(kinesis):
    """KDS-DG after resharding, for a merge: both parents keep their records and are CLOSED;
    the child (ParentShardId = ShardToMerge, AdjacentParentShardId = AdjacentShardToMerge)
    covers both hash key ranges, starts empty and takes every new record. API MergeShards: the
    two shards are adjacent when their ranges form a contiguous set, in either order."""
    kinesis.create_stream(StreamName="m", ShardCount=2)
    lower, upper = sorted(shards(kinesis, "m"), key=lambda i: hash_range(shards(kinesis, "m")[i]))
    a = put(kinesis, "m", "low", LOW)
    b = put(kinesis, "m", "high", HIGH)
    assert (a[0], b[0]) == (lower, upper)
    kinesis.merge_shards(StreamName="m", ShardToMerge=upper, AdjacentShardToMerge=lower)
    listed = shards(kinesis, "m")
    (child,) = open_shards(kinesis, "m")
    assert listed[child]["ParentShardId"] == upper
    assert listed[child]["AdjacentParentShardId"] == lower
    assert hash_range(listed[child]) == (0, TOP)
    assert listed[lower]["SequenceNumberRange"]["EndingSequenceNumber"] == a[1]
    assert listed[upper]["SequenceNumberRange"]["EndingSequenceNumber"] == b[1]
    assert read(kinesis, "m", child) == []
    assert {put(kinesis, "m", d, h)[0] for d, h in (("x", LOW), ("y", HIGH))} == {child}
    assert read(kinesis, "m", lower) == [(a[1], "low")]
    assert read(kinesis, "m", upper) == [(b[1], "high")]
    assert [d for _, d in read(kinesis, "m", child)] == ["x", "y"]


# ----------------------------------------------------------------- UpdateShardCount


def test_update_shard_count_reshards_uniformly_and_keeps_every_record_in_place(kinesis):
    """API UpdateShardCount (UNIFORM_SCALING): the stream ends with TargetShardCount open shards
    of equal hash key ranges, made by splits and merges of individual shards (short-lived
    shards may be created); KDS-DG after resharding: every closed shard keeps its records and
    new records go only to open shards."""
    kinesis.create_stream(StreamName="u", ShardCount=1)
    contents: dict[str, list[tuple[str, str]]] = {}
    hash_keys = [str(h) for h in (0, 2**126, MID - 1, MID, 3 * 2**126 + 5, TOP)]
    counter = 0
    current = 1
    for target in (2, 4, 3, 6):
        for h in hash_keys:
            counter += 1
            shard, seq = put(kinesis, "u", f"r{counter}", h)
            contents.setdefault(shard, []).append((seq, f"r{counter}"))
        r = kinesis.update_shard_count(StreamName="u", TargetShardCount=target,
                                       ScalingType="UNIFORM_SCALING")
        assert (r["CurrentShardCount"], r["TargetShardCount"]) == (current, target)
        current = target
        listed = shards(kinesis, "u")
        opened = open_shards(kinesis, "u")
        assert len(opened) == target
        ranges = sorted(hash_range(s) for s in opened.values())
        assert ranges[0][0] == 0 and ranges[-1][1] == TOP
        assert all(a[1] + 1 == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
        widths = [hi - lo + 1 for lo, hi in ranges]
        assert max(widths) - min(widths) <= target  # equal, up to rounding
        summary = kinesis.describe_stream_summary(StreamName="u")["StreamDescriptionSummary"]
        assert summary["OpenShardCount"] == target
        for s in listed.values():  # lineage: a child's parents are closed
            for p in (s.get("ParentShardId"), s.get("AdjacentParentShardId")):
                assert p is None or p not in opened
        for shard_id in listed:  # records stay where they were put; new shards start empty
            assert read(kinesis, "u", shard_id) == contents.get(shard_id, [])
    for h in hash_keys:
        shard, _ = put(kinesis, "u", "last", h)
        lo, hi = hash_range(opened[shard])
        assert lo <= int(h) <= hi


# ----------------------------------------------------------------- a mapping over it

HANDLER = """
import base64, json
def handler(event, context):
    seen = [[r["eventID"].split(":")[0], r["kinesis"]["sequenceNumber"],
             base64.b64decode(r["kinesis"]["data"]).decode()] for r in event["Records"]]
    print("SEEN " + json.dumps(seen))
    return {}
"""


def test_a_mapping_reads_a_resharded_stream_once_parents_before_children(aws, lam, kinesis,
                                                                         create):
    """DG with-kinesis: Lambda processes records in order per partition key and, after a
    reshard, a parent shard's records before its children's. With KDS-DG's routing the
    function sees every record exactly once (no copies in the children), and each key's records
    in the order they were put, across split, split again, merge and UpdateShardCount."""
    kinesis.create_stream(StreamName="live", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="live")["StreamDescription"]["StreamARN"]
    name = create(HANDLER)
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=3,
                                           StartingPosition="TRIM_HORIZON")["UUID"]
    keys = [f"key{i}" for i in range(8)]
    where: dict[tuple[str, str], str] = {}  # (shard, sequence number) -> data
    count = {k: 0 for k in keys}

    def put_all(n: int) -> None:
        for _ in range(n):
            for k in keys:
                shard, seq = put(kinesis, "live", f"{k}#{count[k]}", key=k)
                where[(shard, seq)] = f"{k}#{count[k]}"
                count[k] += 1

    put_all(2)
    aws.advance(1.5)  # the parent is part read
    (root,) = shards(kinesis, "live")
    kinesis.split_shard(StreamName="live", ShardToSplit=root, NewStartingHashKey=str(MID))
    put_all(2)
    low = min(open_shards(kinesis, "live"), key=lambda i: hash_range(shards(kinesis, "live")[i]))
    kinesis.split_shard(StreamName="live", ShardToSplit=low, NewStartingHashKey=str(MID // 2))
    put_all(1)
    aws.advance(1)
    a, b = sorted(open_shards(kinesis, "live"),
                  key=lambda i: hash_range(shards(kinesis, "live")[i]))[:2]
    kinesis.merge_shards(StreamName="live", ShardToMerge=a, AdjacentShardToMerge=b)
    put_all(2)
    kinesis.update_shard_count(StreamName="live", TargetShardCount=4,
                               ScalingType="UNIFORM_SCALING")
    put_all(2)
    aws.advance(40)
    assert len({shard for shard, _ in where}) >= 5  # the records are spread over the lineage

    logs = boto3.client("logs", region_name=REGION)
    pages = logs.get_paginator("filter_log_events").paginate(logGroupName=f"/aws/lambda/{name}")
    seen = [tuple(x) for page in pages for e in page["events"]
            if e["message"].startswith("SEEN ")
            for x in json.loads(e["message"].split("SEEN ", 1)[1])]
    assert sorted(seen) == sorted((s, q, d) for (s, q), d in where.items())  # exactly once

    h = store_for(aws.platform()).mappings[uuid].history
    assert all(e["outcome"] == "success" for e in h)
    order = [(e["shard_id"], seq) for e in h for seq in e["succeeded"]]
    assert sorted(order) == sorted(where)
    for k in keys:  # each key in the order it was put
        mine = [int(where[x].split("#")[1]) for x in order if where[x].startswith(k + "#")]
        assert mine == list(range(count[k]))
    listed = shards(kinesis, "live")
    first = {}
    last = {}
    for e in h:
        first.setdefault(e["shard_id"], e["time"])
        last[e["shard_id"]] = e["time"]
    for shard_id in first:  # a child's first batch after its parents' last
        for p in (listed[shard_id].get("ParentShardId"),
                  listed[shard_id].get("AdjacentParentShardId")):
            if p in last:
                assert first[shard_id] > last[p]


def test_the_resharding_patches_last_as_long_as_the_session():
    """Emulator contract: moto is patched per ``mock_aws()`` session, and moto's own
    resharding is back once the session ends."""
    import moto.kinesis.models as kinesis_models

    import lambda_lab
    from lambda_lab.clock import VirtualClock

    own = (kinesis_models.Stream.split_shard, kinesis_models.Stream.get_shard_for_key)
    with lambda_lab.mock_aws(clock=VirtualClock()):
        assert kinesis_models.Stream.split_shard is not own[0]
        assert kinesis_models.Stream.get_shard_for_key is not own[1]
    assert (kinesis_models.Stream.split_shard, kinesis_models.Stream.get_shard_for_key) == own
