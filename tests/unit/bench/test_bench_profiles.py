"""bench/profiles.py: pprof and py-spy output reduced to areas and hottest functions."""

from __future__ import annotations

import pytest

from bench import profiles
from bench.profiles import Profile, parse_pprof_top, peer_profile, python_profile, window
from bench.report import profile_section
from network.topology import UTILITY

FABRIC = "github.com/hyperledger/fabric/core"
VALIDATE_TX = f"{FABRIC}/committer/txvalidator/v20.(*TxValidator).validateTx"
KEY_LEVEL = (
    f"{FABRIC}/common/validation/statebased."
    "(*KeyLevelValidationParameterManagerImpl).GetValidationParameterForKey"
)
PPROF_TOP = "\n".join(
    [
        "File: peer",
        "Type: cpu",
        "Duration: 10s, Total samples = 8s (80.00%)",
        "      flat  flat%   sum%        cum   cum%",
        "         0     0%     0%         4s 50.00%  "
        "github.com/syndtr/goleveldb/leveldb.(*DB).tCompaction",
        f"     0.50s  6.25%  6.25%      2.50s 31.25%  {VALIDATE_TX}",
        f"         0     0%  6.25%      2.00s 25.00%  {KEY_LEVEL}",
        "     3.00s 37.50% 43.75%      3.00s 37.50%  github.com/golang/snappy.encodeBlock",
        "   400ms  5.00% 48.75%      400ms  5.00%  runtime.memmove",
    ]
)

PY_SPY_RAW = """\
_bootstrap (threading.py:1002);_bootstrap_inner (threading.py:1045);run (threading.py:982) 40
main (chaincode/runtime/server.py:200);write (chaincode/runtime/service.py:40) 30
SubmitReadings (chaincode/community/meters.py:232);verify (chaincode/community/readings.py:193) 20
main (x.py:1);loads (json/decoder.py:337) 10
"""


def test_pprof_top_totals_cumulative_and_self_time_in_seconds():
    total, cumulative, flat = parse_pprof_top(PPROF_TOP)
    assert total == 8
    assert cumulative["github.com/syndtr/goleveldb/leveldb.(*DB).tCompaction"] == 4
    assert cumulative["runtime.memmove"] == pytest.approx(0.4)
    assert [name for name, _ in flat][:3] == [
        "github.com/golang/snappy.encodeBlock",
        VALIDATE_TX,
        "runtime.memmove",
    ]


def test_pprof_top_in_milliseconds():
    total, _, _ = parse_pprof_top("Duration: 1s, Total samples = 250ms (25.00%)\n")
    assert total == pytest.approx(0.25)


def test_a_listing_without_totals_is_refused():
    with pytest.raises(ValueError, match="Total samples"):
        parse_pprof_top("Failed to fetch profile\n")


def test_peer_areas_are_shares_of_the_sampled_cpu(monkeypatch, tmp_path):
    monkeypatch.setattr(profiles, "pprof_top", lambda path: PPROF_TOP)
    profile = peer_profile(UTILITY, tmp_path / "p.pb.gz", 10)
    areas = dict(profile.areas)
    assert profile.busy_s == 8
    assert areas["LevelDB compaction"] == 0.5
    assert areas["block validation"] == pytest.approx(2.5 / 8)
    assert areas["ECDSA signature checks"] == 0
    assert profile.hottest[0] == ("snappy.encodeBlock", 3 / 8)


def test_python_areas_by_the_innermost_frame(tmp_path):
    raw = tmp_path / "chaincode.txt"
    raw.write_text(PY_SPY_RAW)
    profile = python_profile("chaincode server", raw, 2)
    areas = dict(profile.areas)
    assert profile.busy_s == 1.0  # 100 samples at 100 per second
    assert areas["gRPC core's poller thread (network I/O, TLS, HTTP/2)"] == 0.4
    assert areas["GridLedger chaincode runtime (the shim)"] == 0.3
    assert areas["signing and verifying"] == 0.2
    assert areas["JSON"] == 0.1
    assert areas["other"] == 0
    assert profile.hottest[0] == ("run (threading.py:982)", 0.4)


def test_an_empty_sample_file_is_an_empty_profile(tmp_path):
    raw = tmp_path / "client.txt"
    raw.write_text("")
    assert python_profile("client", raw, 5) == Profile("client", 0.0, 5)


@pytest.mark.parametrize(("warmup", "duration"), [(5, 15), (5, 600), (1, 2), (2, 40)])
def test_profiling_stays_inside_the_measured_window(warmup, duration):
    delay, seconds = window(warmup, duration)
    assert delay >= warmup
    assert delay + seconds <= warmup + duration
    assert 1 <= seconds <= 30


def test_the_report_section_names_each_run_and_process():
    profile = Profile("peer of UtilityMSP", 6.0, 10, [("LevelDB compaction", 0.5)], [("f", 0.25)])
    lines = profile_section({"sustained 600s": [profile]})
    text = "\n".join(lines)
    assert "### sustained 600s" in text
    assert "**peer of UtilityMSP**: 6.0 s of CPU sampled in 10 s (60 % of one core)" in text
    assert "LevelDB compaction 50 %" in text
    assert "`f` 25 %" in text
    assert profile_section({}) == []
