"""``python -m chaincode.consortium`` as the peer's chaincode server, in a subprocess."""

import asyncio
import json
import os
import re
import signal
import sys
from pathlib import Path

from ccfakes import identity
from ccpeer import PACKAGE_ID, FakePeer, response_of

REPO = Path(__file__).resolve().parents[3]
LINE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR) \S+ .*")


async def serve_and_register() -> tuple[int | None, list, str]:
    env = dict(os.environ, CHAINCODE_ID="wrong_1.0:" + "0" * 64)
    env.pop("GRIDLEDGER_CC_LOG_LEVEL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chaincode.consortium",
        "--chaincode-id",
        PACKAGE_ID,
        "--address",
        "127.0.0.1:0",
        "--insecure",
        cwd=REPO,
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        head = []
        while not (listening := re.search(r"listening on 127\.0\.0\.1:(\d+)", "".join(head))):
            line = await asyncio.wait_for(process.stderr.readline(), timeout=15)
            assert line, "".join(head)
            head.append(line.decode())
        admin = identity("UtilityMSP", "admin", cn="alice")
        async with FakePeer(f"127.0.0.1:{listening[1]}") as peer:
            replies = [
                await asyncio.wait_for(peer.invoke(*call, creator=admin), timeout=5)
                for call in (
                    ("MemberContract:RegisterMember", "UtilityMSP", "Grid Utility", "utility"),
                    ("MemberContract:GetMember", "UtilityMSP"),
                    ("MemberContract:ListMembers",),
                )
            ]
            # stop while the peer's stream is still open, as `make down` does: the server
            # must close it cleanly, well before its 5 s grace period runs out
            process.send_signal(signal.SIGTERM)
            _, tail = await asyncio.wait_for(process.communicate(), timeout=3)
        return process.returncode, replies, "".join(head) + tail.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_serves_the_consortium_chaincode_and_stops_cleanly_on_sigterm_with_a_peer_connected():
    returncode, replies, log = asyncio.run(serve_and_register())

    assert returncode == 0, log
    registered, got, listed = (response_of(reply) for reply in replies)
    assert (registered.status, got.status, listed.status) == (200, 200, 200)
    record = json.loads(registered.payload)
    assert record["registered_by"] == "alice"
    assert got.payload == registered.payload
    assert json.loads(listed.payload) == [record]
    assert replies[0].chaincode_event.event_name == "MemberRegistered"
    assert json.loads(replies[0].chaincode_event.payload) == record

    lines = log.splitlines()
    assert all(LINE.fullmatch(line) for line in lines), log
    assert f"chaincode {PACKAGE_ID} listening on 127.0.0.1:" in log
    assert "stopping chaincode" in log
    assert " ERROR " not in log
    assert "put_state called" not in log  # the shim's payload logging stays off
