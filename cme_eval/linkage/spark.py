"""Where the Spark engine runs: a :class:`SparkRuntime`, owned by the ``splink-spark`` engine,
holds one SparkSession, started when that engine first links (never by another engine).

The session is made from the ``spark`` settings (``config.Spark``: master URL, driver memory,
shuffle partitions, checkpoint and warehouse folders, further Spark properties), which the
engine's ``setup`` hands over before a stage links; without that, the package defaults
(``local[2]``, 2 GB). It is reused by every link until the engine is closed (a stage closes the
engines it set up), and stopped at exit in any case.

Nothing lands in the current directory. Spark's scratch (``spark.local.dir``), the Derby and
metastore home, the warehouse and the checkpoints (where Splink writes its intermediate tables
as parquet) are folders of one ``tempfile.mkdtemp`` folder, removed when the session stops
(or, if its process was killed first, by the next session), unless the settings name other
folders. Each link checkpoints into a subfolder of its own, removed when the link is done, so
disk use is bounded by one link. Spark's own log is kept at WARN (its start-up notices at
ERROR) and goes to stderr, never stdout.

Splink's similarity jar (``similarity_jar_location()``) is put on the session, as Splink
expects. The spec's Jaro-Winkler is not taken from it: the jar's (Apache Commons Text) counts
half transpositions, so ``ROBERT``/``ROBTER`` scores 0.942 there and 0.961 in rapidfuzz and
DuckDB; 3,115 of 200,000 test pairs of names differed. The spec's rule is compiled instead to
``cme_jaro_winkler``, a vectorised (pandas) UDF running rapidfuzz, the numpy backend's own
function, so every engine puts every pair in the same level.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import sys
import tempfile
import threading
import uuid
from pathlib import Path

from cme_eval.config import Spark
from cme_eval.exceptions import CmeEvalError
from cme_eval.linkage.rules import JW_SPARK_UDF

log = logging.getLogger(__name__)

EXTRA = 'pip install "cme-eval[spark]"'


class MissingExtra(CmeEvalError, ImportError):
    """An optional dependency is not installed; the message says which extra brings it."""


def require_pyspark() -> None:
    """Raise a one-line :class:`MissingExtra` unless pyspark can be imported."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise MissingExtra(f"the splink-spark engine needs pyspark, which is not installed: "
                           f"{EXTRA}") from None


def available() -> bool:
    try:
        require_pyspark()
    except MissingExtra:
        return False
    return True


def _is_local(master: str) -> bool:
    return master == "local" or master.startswith("local[")


LOG4J = """\
# cme-eval: Spark's own log at WARN on stderr, its start-up notices at ERROR
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
logger.utils.name = org.apache.spark.util.Utils
logger.utils.level = error
logger.native.name = org.apache.hadoop.util.NativeCodeLoader
logger.native.level = error
logger.conf.name = org.apache.spark.SparkConf
logger.conf.level = error
logger.datasource.name = org.apache.spark.sql.execution.datasources.DataSource
logger.datasource.level = error
# "a task of very large size": the input tables travel from pandas inside the tasks
logger.tasks.name = org.apache.spark.scheduler.TaskSetManager
logger.tasks.level = error
"""


def session_conf(settings, folder: Path) -> dict[str, str]:
    """Every Spark property the session is made with (``folder``: its temporary folder)."""
    from splink.backends.spark import similarity_jar_location

    log4j = folder / "log4j2.properties"
    log4j.write_text(LOG4J, encoding="utf-8")
    derby = folder / "derby"
    java = f"-Dderby.system.home={derby} -Dlog4j.configurationFile=file:{log4j}"
    warehouse = settings.warehouse_dir or str(folder / "warehouse")
    conf = {
        "spark.app.name": "cme-eval",
        "spark.master": settings.master,
        "spark.driver.memory": settings.driver_memory,
        "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
        "spark.default.parallelism": str(settings.shuffle_partitions),
        "spark.jars": similarity_jar_location(),
        "spark.local.dir": str(folder / "local"),
        "spark.sql.warehouse.dir": _absolute(warehouse),
        "spark.sql.catalogImplementation": "in-memory",
        "spark.driver.extraJavaOptions": java,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.debug.maxToStringFields": "1000",  # Splink's plans are wide: no warning
    }
    if _is_local(settings.master):
        # Python workers (the Jaro-Winkler UDF) run this interpreter, with this package; on a
        # cluster, the executors' Python is the cluster's (spark.conf: spark.pyspark.python).
        conf.update({"spark.pyspark.python": sys.executable,
                     "spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"})
    conf.update(settings.conf)
    return conf


def _absolute(path: str) -> str:
    """A folder with no scheme, resolved against where the user stands; a URL as given."""
    return path if "://" in path else str(Path(path).expanduser().resolve())


class SparkRuntime:
    """One SparkSession at a time, made from the ``spark`` settings when first asked for, with
    its temporary folders; stopped by :meth:`stop` (the engine's ``close``) or at exit."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._settings = None  # config.Spark, or None for the package defaults
        self._state: dict = {}  # session, folder, checkpoint root, settings it was made with
        atexit.register(self.stop)

    @property
    def running(self) -> bool:
        return bool(self._state)

    @property
    def folder(self) -> Path | None:
        """The running session's temporary folder."""
        return self._state.get("folder")

    def configure(self, settings) -> None:
        """Use these ``spark`` settings (``config.Spark``) from now on. A session made with
        other settings is stopped (a running JVM cannot change its master or memory); the next
        link starts one with these."""
        with self._lock:
            self._settings = settings
            if self._state and self._state["settings"] != settings:
                self.stop()

    def current_settings(self):
        return self._settings if self._settings is not None else Spark()

    def scratch(self, spark) -> link_scratch:
        """A checkpoint folder for one link, under the session's checkpoint root."""
        return link_scratch(spark, self._state["checkpoints"])

    def session(self):
        """The process's SparkSession, made from the current settings when first asked for."""
        with self._lock:
            if self._state:
                return self._state["session"]
            require_pyspark()
            settings = self.current_settings()
            remove_stale_folders()
            folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
            try:
                from pyspark.sql import SparkSession

                conf = session_conf(settings, folder)
                if _is_local(settings.master):  # pyspark starts workers with $PYSPARK_PYTHON
                    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
                builder = SparkSession.builder
                for key, value in conf.items():
                    builder = builder.config(key, value)
                spark = builder.getOrCreate()
                logging.getLogger("py4j").setLevel(logging.WARNING)  # a line per closed connection
                spark.sparkContext.setLogLevel("WARN")
                root = settings.checkpoint_dir or str(folder / "checkpoints")
                root = _absolute(root).rstrip("/") + f"/cme-eval-{uuid.uuid4().hex[:12]}"
                register_udfs(spark)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            self._state.update(session=spark, folder=folder, checkpoints=root, settings=settings)
            log.info("Spark session started: master %s, driver memory %s", settings.master,
                     settings.driver_memory)
            return spark

    def jvm_pid(self) -> int | None:
        """The process id of the session's JVM (the Spark driver), if one is running."""
        with self._lock:
            if not self._state:
                return None
            try:
                jvm = self._state["session"].sparkContext._jvm
                return int(jvm.java.lang.ProcessHandle.current().pid())
            except Exception:  # noqa: BLE001
                return None

    def stop(self) -> None:
        """Stop the session and its JVM, if any, and remove its folders; the next link starts a
        new one (with the settings then current: a JVM keeps the memory it was started with)."""
        with self._lock:
            if not self._state:
                return
            spark, folder = self._state["session"], self._state["folder"]
            try:
                from pyspark import SparkContext

                _delete(spark, self._state["checkpoints"])
                gateway = SparkContext._gateway
                spark.stop()
                if gateway is not None:
                    gateway.shutdown()
                    proc = getattr(gateway, "proc", None)
                    if proc is not None:
                        proc.terminate()
                        proc.wait(30)
                    SparkContext._gateway = SparkContext._jvm = None
            finally:
                self._state.clear()
                shutil.rmtree(folder, ignore_errors=True)


PREFIX = "cme-eval-spark-"  # then the process id: cme-eval-spark-PID-XXXXXXXX


def remove_stale_folders() -> None:
    """Remove the temporary folders of sessions whose process is gone (killed before it could
    stop its session, e.g. a notebook kernel shut down while its JVM was stopping)."""
    import psutil

    for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}*-*"):
        pid = folder.name[len(PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not psutil.pid_exists(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def register_udfs(spark) -> None:
    """Splink's jar functions, and the spec's Jaro-Winkler (rapidfuzz, as the numpy backend)
    as ``cme_jaro_winkler``."""
    from pyspark import cloudpickle
    from pyspark.sql.functions import pandas_udf
    from pyspark.sql.types import DoubleType
    from splink.internals.spark.jar_location import get_scala_udfs

    for udf in get_scala_udfs():  # Splink's jar functions, once per session
        spark.udf.registerJavaFunction(*udf)

    # Shipped to the Python workers by value: they need rapidfuzz, pandas and pyarrow, not
    # this package (a cluster's executors may not have it).
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    # pyspark's stubs lack pandas_udf(f, returnType) for an f without type hints (at run time
    # a scalar pandas UDF, the default)
    jw_udf = pandas_udf(_jaro_winkler, DoubleType())  # type: ignore[call-overload]
    spark.udf.register(JW_SPARK_UDF, jw_udf)


def _jaro_winkler(a, b):
    """Jaro-Winkler similarity of aligned pandas Series of text (None as empty)."""
    import numpy as np
    import pandas as pd
    from rapidfuzz import process
    from rapidfuzz.distance import JaroWinkler

    if not len(a):
        return pd.Series(np.zeros(0))
    left = a.fillna("").astype(str).tolist()
    right = b.fillna("").astype(str).tolist()
    return pd.Series(process.cpdist(left, right, scorer=JaroWinkler.normalized_similarity,
                                    dtype=np.float64), index=a.index)


class link_scratch:
    """A checkpoint folder of one link (Splink writes its intermediate tables there), removed
    with the link's temporary views when the link is done."""

    def __init__(self, spark, checkpoints: str):
        self.spark = spark
        self.key = uuid.uuid4().hex[:12]
        self.path = f"{checkpoints}/link-{self.key}"
        self.views: list[str] = []

    def view(self, label: str) -> str:
        """A name of this link's own for an input table (dropped afterwards)."""
        self.views.append(f"cme_{label}_{self.key}")
        return self.views[-1]

    def __enter__(self):
        self.spark.sparkContext.setCheckpointDir(self.path)
        return self

    def __exit__(self, *exc):
        for table in self.spark.catalog.listTables():
            if table.isTemporary and (table.name.startswith("__splink")
                                      or table.name in self.views):
                self.spark.catalog.dropTempView(table.name)
        self.spark.catalog.clearCache()
        _delete(self.spark, self.path)


def _delete(spark, path: str) -> None:
    """Remove a folder through Hadoop's file system (local, HDFS, S3 alike)."""
    try:
        jvm = spark.sparkContext._jvm
        hpath = jvm.org.apache.hadoop.fs.Path(path)
        hpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).delete(hpath, True)
    except Exception as exc:  # noqa: BLE001 - a folder left behind is not worth a failed link
        log.warning("could not remove Spark checkpoints %s: %s", path, exc)
