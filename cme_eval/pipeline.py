"""Papermill orchestration: the stage notebooks for each LA, then the compile notebook.

The scenario is loaded and validated here before any kernel starts, and every parameter is
checked against the parameters each notebook declares: papermill itself only warns about an
unknown parameter, which would let a mistyped setting run silently with its default.
Executed notebooks are kept in ``RUN_DIR/notebooks/``; they run with the run folder as their
working directory and get ``run_dir='.'``, so no machine path is written into them.
"""

from __future__ import annotations

import logging
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import papermill as pm
from jupyter_client.manager import AsyncKernelManager
from tqdm import tqdm

from cme_eval import wales
from cme_eval.config import REPO_ROOT, load_scenario

log = logging.getLogger(__name__)

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
AUTHORITY_NOTEBOOKS = ("01_generate.ipynb", "02_link.ipynb", "03_evaluate.ipynb")
COMPILE_NOTEBOOK = "04_compile.ipynb"


class QuietKernelManager(AsyncKernelManager):
    """A kernel whose own process log (start-up chatter on the terminal) is discarded.

    What the notebook prints, warns or raises still reaches the executed notebook through the
    kernel's messages; only ipykernel's application log on the process's stderr is dropped.
    """

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        kw["stderr"] = subprocess.DEVNULL
        return await super()._async_launch_kernel(kernel_cmd, **kw)


class PipelineError(RuntimeError):
    """A run cannot start or a notebook failed; the message says which and why."""


@dataclass(frozen=True)
class RunRequest:
    scenario: str
    out: Path
    authorities: tuple[str, ...] = ()
    seed: int | None = None
    scale: float | None = None
    workers: int = 1


def check_parameters(notebook: Path, parameters: dict[str, Any]) -> None:
    declared = pm.inspect_notebook(str(notebook))
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise PipelineError(
            f"{notebook.name}: unknown parameter {unknown[0]!r}; allowed: "
            + ", ".join(sorted(declared))
        )


def execute(notebook: str, output: Path, parameters: dict[str, Any], cwd: Path) -> None:
    source = NOTEBOOK_DIR / notebook
    check_parameters(source, parameters)
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        pm.execute_notebook(
            str(source), str(output), parameters=parameters, cwd=str(cwd),
            progress_bar=False, log_output=False, kernel_name="python3",
            kernel_manager_class=QuietKernelManager,
        )
    except pm.PapermillExecutionError as exc:
        raise PipelineError(
            f"{notebook} failed ({parameters.get('authority', 'all authorities')}): "
            f"{exc.ename}: {exc.evalue} -- the executed notebook is kept at {_relative(output, cwd)}"
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


def run(request: RunRequest) -> Path:
    """Run the whole evaluation; returns the run folder."""
    scenario = load_scenario(request.scenario, seed=request.seed, scale=request.scale,
                             authorities=list(request.authorities) or None)
    out = request.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    common = {"scenario": request.scenario, "run_dir": ".", "seed": scenario.seed,
              "scale": scenario.scale}
    authorities = list(scenario.authorities)
    steps = len(authorities) * len(AUTHORITY_NOTEBOOKS) + 1
    started = time.perf_counter()
    with tqdm(total=steps, desc=f"{scenario.name}", unit="notebook") as bar:

        def one_authority(authority: str, notebooks: tuple[str, ...]) -> None:
            slug = wales.get(authority).slug
            for nb in notebooks:
                bar.set_postfix_str(f"{authority}: {nb}")
                execute(nb, out / "notebooks" / slug / nb, {**common, "authority": authority}, out)
                bar.update()

        # Central matching links every LA's NHS records at once, so every LA is generated
        # before any is linked; otherwise each LA runs its notebooks straight through.
        phases = ((AUTHORITY_NOTEBOOKS[:1], AUTHORITY_NOTEBOOKS[1:])
                  if scenario.cross_border.central_matching else (AUTHORITY_NOTEBOOKS,))
        with ThreadPoolExecutor(max_workers=max(1, request.workers)) as pool:
            for notebooks in phases:
                for future in [pool.submit(one_authority, a, notebooks) for a in authorities]:
                    future.result()
        bar.set_postfix_str(COMPILE_NOTEBOOK)
        execute(COMPILE_NOTEBOOK, out / "notebooks" / COMPILE_NOTEBOOK,
                {**common, "authorities": ",".join(authorities)}, out)
        bar.update()
    log.info("run finished in %.1f s", time.perf_counter() - started)
    return out
