"""Papermill orchestration: the stage notebooks for each LA, then the compile notebook.

The scenario is loaded and validated here before any kernel starts, and every parameter is
checked against the parameters each notebook declares: papermill itself only warns about an
unknown parameter, which would let a mistyped setting run silently with its default.

Each kernel starts in the run folder: the folder is given to the kernel at launch (nbclient's
``resources['metadata']['path']``), never by changing this process's working directory.
Papermill's own ``cwd=`` is a process-wide ``os.chdir``, so with LAs in threads one kernel could
start in another LA's folder or in the caller's, and results could depend on ``--workers``.
The run folder keeps the scenario as run (``scenario.yaml``, every setting resolved), which the
notebooks read with a path relative to their folder: executed notebooks hold no machine path.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import papermill as pm
import yaml
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger as pm_logger
from tqdm import tqdm

from cme_eval import shipped, wales
from cme_eval.config import Scenario, resolved_settings
from cme_eval.evaluate.without_truth import RESTRICTED
from cme_eval.exceptions import CmeEvalError
from cme_eval.inputs import decisions
from cme_eval.run import folder as run_folder
from cme_eval.run.scenario import load as load_scenario
from cme_eval.run.stages import Run
from cme_eval.uncertainty.replicates import check_same_run, copy_summary, read_replicates

# What ran and what was reused: always in run.log, on the terminal only with --verbose (the
# progress bar says the same).
progress_log = logging.getLogger("cme_eval.run")

AUTHORITY_NOTEBOOKS = ("01_generate.ipynb", "02_link.ipynb", "03_evaluate.ipynb")
STAGE_OF = {"01_generate.ipynb": "generate", "02_link.ipynb": "link",
            "03_evaluate.ipynb": "evaluate"}
COMPILE_NOTEBOOK = "04_compile.ipynb"
SCENARIO_FILE = "scenario.yaml"
LOG_FILE = "run.log"
REPLICATES_DIR = "replicates"


class QuietKernelManager(AsyncKernelManager):
    """A kernel whose own process log (start-up chatter on the terminal) is discarded.

    What the notebook prints, warns or raises still reaches the executed notebook through the
    kernel's messages; only ipykernel's application log on the process's stderr is dropped.
    """

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        kw["stderr"] = subprocess.DEVNULL
        return await super()._async_launch_kernel(kernel_cmd, **kw)


class PipelineError(CmeEvalError, RuntimeError):
    """A run cannot start or a notebook failed; the message says which and why."""


@dataclass(frozen=True)
class RunRequest:
    """One ``cme-eval run``: the scenario (a name or a YAML path as the user gave it, relative
    to where they stand), the run folder, and run parameters overriding the scenario."""

    scenario: str
    out: Path
    authorities: tuple[str, ...] = ()
    seed: int | None = None
    scale: float | None = None
    workers: int = 1
    force: bool = False  # clear a run folder that holds another run
    progress: bool = True
    # ``cme-eval evaluate``: an LA's own extracts (no generation, no truth) and settings
    # overriding the scenario's (extract date, disclosure control).
    inputs_dir: Path | None = None
    overrides: dict[str, Any] | None = None
    # ``cme-eval replicate`` folder of the same scenario, seed, scale and LAs: copied into the
    # run folder (``replicates/``) so the report shows the replicates' range beside its figures.
    replicates_from: Path | None = None
    # The scenario as the command already loaded and checked it with these parameters (one
    # load per command); None: loaded here.
    loaded: Scenario | None = None
    # ``--decisions``: a reviewer's decisions on partial matches, for the link of this run
    # only (``inputs.decisions``); read and checked before anything runs.
    decisions: Path | None = None


def in_workers(authorities: list[str], workers: int, cwd: Path, work) -> None:
    """``work(authority, kernel)`` for each LA, ``workers`` at a time, in threads, LAs taken in
    order. Each thread has one kernel (``kernel()`` starts it in ``cwd`` when first asked, see
    ``worker_kernel``) for all the notebooks it runs, and shuts it down when it is done.
    After a failure no further LA is started; the first failure is raised once all stop."""
    pending = list(authorities)
    lock = threading.Lock()
    failures: list[BaseException] = []

    def worker() -> None:
        with ExitStack() as stack:
            kernels: list = []

            def kernel():
                if not kernels:
                    kernels.append(stack.enter_context(worker_kernel(cwd)))
                return kernels[0]

            while True:
                with lock:
                    if failures or not pending:
                        return
                    authority = pending.pop(0)
                try:
                    work(authority, kernel)
                except BaseException as exc:  # noqa: BLE001 - raised again in the caller
                    with lock:
                        failures.append(exc)
                    return

    threads = [threading.Thread(target=worker, name=f"cme-eval-worker-{i}")
               for i in range(min(workers, len(pending)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def check_parameters(notebook: Path, parameters: dict[str, Any]) -> None:
    declared = pm.inspect_notebook(str(notebook))
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise PipelineError(
            f"{notebook.name}: unknown parameter {unknown[0]!r}; allowed: "
            + ", ".join(sorted(declared))
        )


HISTORY_IN_MEMORY = "--HistoryManager.hist_file=:memory:"  # as nbclient starts its kernels
FRESH = "get_ipython().reset(new_session=True)"  # empty namespace, execution count back to 1


@contextmanager
def worker_kernel(cwd: Path):
    """One kernel, started in ``cwd`` (the run folder), for the stage notebooks a worker runs.

    Each notebook still runs alone: before it, the kernel's namespace is cleared and its
    execution count restarted (``FRESH``, by ``_SharedKernelClient``), as in a new kernel;
    only the imported modules stay, so pandas, the package and recordlinkage are imported once
    per worker rather than once per notebook.
    """
    km = QuietKernelManager(kernel_name="python3")
    run_sync(km.start_kernel)(cwd=str(cwd), extra_arguments=[HISTORY_IN_MEMORY])
    try:
        yield km
    finally:
        run_sync(km.shutdown_kernel)(now=False)


class _SharedKernelClient(PapermillNotebookClient):
    """Papermill's client on a kernel it does not own: it empties the kernel first (``FRESH``,
    on its own channels, nothing recorded in the notebook), leaves the kernel running, as it
    should, and closes its channels, which it would otherwise leave open (one warning per
    notebook when they are collected)."""

    def papermill_execute_cells(self):
        _reset(self.kc, self.wait_for_reply)
        super().papermill_execute_cells()

    def execute(self, **kwargs):
        try:
            return super().execute(**kwargs)
        finally:
            if self.kc is not None:
                self.kc.stop_channels()
                self.kc = None


class SharedKernelEngine(NBClientEngine):
    """Papermill's nbclient engine, executing on a kernel given as ``km``."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=60, execution_timeout=None,
                                 **kwargs):
        kwargs = {k: v for k, v in kwargs.items()
                  if k not in ("input_path", "timeout", "startup_timeout")}
        return _SharedKernelClient(
            nb_man, timeout=execution_timeout, startup_timeout=start_timeout,
            kernel_name=kernel_name, log=pm_logger, log_output=log_output,
            stdout_file=stdout_file, stderr_file=stderr_file, **kwargs).execute()


SHARED_KERNEL_ENGINE = "cme-eval-shared-kernel"
papermill_engines.register(SHARED_KERNEL_ENGINE, SharedKernelEngine)


def _reset(client, wait_for_reply) -> None:
    reply = wait_for_reply(client.execute(FRESH, silent=True, store_history=False))
    if not reply or reply["content"]["status"] != "ok":
        raise PipelineError("the kernel could not be emptied between two notebooks")


def fresh(km) -> None:
    """Clear a kernel's namespace and restart its execution count (nothing is displayed), as
    ``_SharedKernelClient`` does before each notebook, here on a client of its own."""
    client = km.client()
    client.start_channels()
    try:
        run_sync(client.wait_for_ready)(timeout=60)
        _reset(client, lambda msg_id: run_sync(client.get_shell_msg)(timeout=60))
    finally:
        client.stop_channels()


def execute(notebook: str, output: Path, parameters: dict[str, Any], cwd: Path,
            km=None) -> None:
    """Execute one stage notebook with its kernel started in ``cwd`` (the run folder), or in
    the kernel ``km`` (see ``worker_kernel``), emptied first."""
    source = shipped.notebook_dir() / notebook
    check_parameters(source, parameters)
    output.parent.mkdir(parents=True, exist_ok=True)
    shared = {}
    if km is not None:  # emptied by the engine's client before the first cell
        shared = {"km": km, "engine_name": SHARED_KERNEL_ENGINE}
    try:
        pm.execute_notebook(
            str(source), str(output), parameters=parameters,
            progress_bar=False, log_output=False, kernel_name="python3",
            kernel_manager_class=QuietKernelManager,
            resources={"metadata": {"path": str(cwd)}}, **shared,
        )
    except pm.PapermillExecutionError as exc:
        raise PipelineError(
            f"{notebook} failed ({parameters.get('authority', 'all authorities')}): "
            f"{exc.ename}: {exc.evalue} -- the executed notebook is kept at "
            f"{_relative(output, cwd)}"
        ) from None
    finally:
        _strip_machine_paths(output, cwd)


def _relative(path: Path, base: Path) -> str:
    return path.relative_to(base).as_posix() if path.is_relative_to(base) else path.name


def _strip_machine_paths(output: Path, cwd: Path) -> None:
    """Papermill records absolute input and output paths in the notebook; keep them relative."""
    if not output.is_file():
        return
    nb = nbformat.read(output, as_version=4)
    meta = nb.metadata.get("papermill", {})
    if "input_path" in meta:
        meta["input_path"] = f"notebooks/{Path(meta['input_path']).name}"
    if "output_path" in meta:
        meta["output_path"] = _relative(Path(meta["output_path"]), cwd)
    nbformat.write(nb, output)


def _write_scenario(request: RunRequest, out: Path) -> None:
    """The scenario as run, every setting resolved, so the folder can be re-run on its own."""
    settings = resolved_settings(request.scenario, request.overrides)
    header = (f"# The scenario of this run, every setting resolved (from {request.scenario}).\n"
              f"# Run parameters (seed, scale, authorities) are in run.json.\n")
    text = header + yaml.safe_dump(settings, sort_keys=False, allow_unicode=True)
    (out / SCENARIO_FILE).write_text(text, encoding="utf-8")


class _RunLog:
    """``run.log`` in the run folder: what ran, what was reused, how long it took. Names of
    stages and LAs and timings only, never a record. Written whatever the terminal shows."""

    def __init__(self, out: Path) -> None:
        self.handler = logging.FileHandler(out / LOG_FILE, mode="a", encoding="utf-8")
        self.handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        self.handler.setLevel(logging.INFO)
        self.logger = logging.getLogger("cme_eval")

    def __enter__(self) -> _RunLog:
        self.level = self.logger.level
        self.logger.setLevel(min(self.logger.getEffectiveLevel(), logging.INFO))
        self.logger.addHandler(self.handler)
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self.level)
        self.handler.close()


def run(request: RunRequest) -> Path:
    """Run the whole evaluation into ``request.out``; returns the run folder."""

    if request.workers < 1:
        raise PipelineError(f"--workers must be at least 1, got {request.workers}")
    scenario = request.loaded or load_scenario(
        request.scenario, seed=request.seed, scale=request.scale,
        authorities=list(request.authorities) or None, overrides=request.overrides)
    review = (None if request.decisions is None
              else decisions.read(Path(request.decisions).expanduser()))
    replicates = None
    if request.replicates_from is not None:

        meta, _ = read_replicates(request.replicates_from)
        check_same_run(meta, scenario, "--replicates-from")
        replicates = Path(request.replicates_from)
    out = run_folder.claim(request.out, scenario, force=request.force,
                           inputs={"INPUTS_DIR": request.inputs_dir,
                                   "--replicates-from": request.replicates_from})
    _write_scenario(request, out)
    decisions.store(review, out / RESTRICTED)  # or none, when an earlier run had some
    shutil.rmtree(out / REPLICATES_DIR, ignore_errors=True)  # none from an earlier run
    if replicates is not None:

        copy_summary(replicates, out / REPLICATES_DIR)
    common = {"scenario": SCENARIO_FILE, "run_dir": ".", "seed": scenario.seed,
              "scale": scenario.scale}
    notebooks_per_la: tuple[str, ...] = AUTHORITY_NOTEBOOKS
    inputs_dir: str | None = None
    if request.inputs_dir is not None:  # an LA's own extracts: nothing to generate
        inputs_dir = str(Path(request.inputs_dir).expanduser().resolve())
        common["inputs_dir"] = inputs_dir
        notebooks_per_la = AUTHORITY_NOTEBOOKS[1:]
    authorities = list(scenario.authorities)
    stage_run = Run.open(scenario, out, inputs_dir=inputs_dir)
    steps = len(authorities) * len(notebooks_per_la) + 1
    started = time.perf_counter()
    with _RunLog(out), tqdm(total=steps, desc=scenario.name, unit="notebook",
                            disable=not request.progress) as bar:
        progress_log.info("run %s into %s: %s", scenario.name, out.name, run_folder.describe(
            run_folder.identity(scenario)))

        def one_authority(authority: str, notebooks: tuple[str, ...], kernel) -> None:
            slug = wales.get(authority).slug
            for nb in notebooks:
                output = out / "notebooks" / slug / nb
                if output.is_file() and stage_run.is_done(STAGE_OF[nb], authority):
                    bar.set_postfix_str(f"{authority}: {nb} reused")
                    progress_log.info("%s: %s reused (done with the same settings and code)",
                                      authority, nb)
                else:
                    bar.set_postfix_str(f"{authority}: {nb}")
                    tic = time.perf_counter()
                    execute(nb, output, {**common, "authority": authority}, out, kernel())
                    progress_log.info("%s: %s ran in %.1f s", authority, nb,
                                      time.perf_counter() - tic)
                bar.update()

        # Central matching links every LA's NHS records at once, so every LA is generated
        # before any is linked; otherwise each LA runs its notebooks straight through.
        phases = ((AUTHORITY_NOTEBOOKS[:1], AUTHORITY_NOTEBOOKS[1:])
                  if scenario.cross_border.central_matching else (notebooks_per_la,))
        for notebooks in phases:
            in_workers(authorities, request.workers, out,
                       lambda authority, kernel, nbs=notebooks: one_authority(authority, nbs,
                                                                                kernel))
        bar.set_postfix_str(COMPILE_NOTEBOOK)
        tic = time.perf_counter()
        execute(COMPILE_NOTEBOOK, out / "notebooks" / COMPILE_NOTEBOOK,
                {**common, "authorities": ",".join(authorities)}, out)
        progress_log.info("all authorities: %s ran in %.1f s", COMPILE_NOTEBOOK,
                          time.perf_counter() - tic)
        bar.update()
        progress_log.info("run finished in %.1f s", time.perf_counter() - started)
    return out
