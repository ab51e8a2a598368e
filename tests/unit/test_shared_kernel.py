"""The stage notebooks a worker runs share one kernel (pipeline.worker_kernel), and each still
runs as if alone: before each, the namespace is emptied and the execution count starts at 1."""

from __future__ import annotations

from jupyter_core.utils import run_sync

from cme_eval.run.pipeline import fresh, worker_kernel


def _run(km, code: str) -> dict:
    client = km.client()
    client.start_channels()
    try:
        run_sync(client.wait_for_ready)(timeout=60)
        return run_sync(client.execute_interactive)(code, timeout=60,
                                                    output_hook=lambda _: None)
    finally:
        client.stop_channels()


def test_a_fresh_kernel_forgets_names_keeps_modules_and_counts_from_one(tmp_path):
    with worker_kernel(tmp_path) as km:
        _run(km, "import json\nleft_over = 1")
        assert _run(km, "left_over")["content"]["status"] == "ok"
        fresh(km)
        forgotten = _run(km, "left_over")["content"]
        assert forgotten["status"] == "error" and forgotten["ename"] == "NameError"
        fresh(km)
        first = _run(km, "import sys\nassert 'json' in sys.modules")["content"]
        assert first["status"] == "ok" and first["execution_count"] == 1
        cwd = _run(km, f"import os\nassert os.getcwd() == {str(tmp_path)!r}")["content"]
        assert cwd["status"] == "ok"
