"""The ``genad`` command line: fit, score, explain, export, datasets, bench, monitor, feedback, retrain,
serve.

Every error caused by the user's input ends the command with exit status 2 and one line on
stderr that says what is wrong and what to do, never a traceback.
"""

from __future__ import annotations

import inspect
import json
import sys
import time
from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="genad: deep anomaly detection with generative models.",
)


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


def _fail(msg: str) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code=2)


def _run(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except typer.Exit:
        raise
    except (CLIError, ValueError, FileNotFoundError, KeyError, TypeError, OSError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        _fail(" ".join(str(msg).split()))


# --------------------------------------------------------------------------- helpers
def detector_classes() -> dict[str, type]:
    """Detectors exported by genad, by class name."""
    import genad
    from genad.base import Detector

    out = {}
    for name in genad.__all__:
        obj = getattr(genad, name, None)
        if inspect.isclass(obj) and issubclass(obj, Detector) and obj is not Detector:
            out[name] = obj
    return out


def _parse_value(text: str):
    low = text.strip().lower()
    if low in ("none", "null"):
        return None
    if low in ("true", "false"):
        return low == "true"
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _detector_names() -> list[str]:
    """Names of the public detectors, without importing them (for the help text)."""
    import genad

    return [n for n, mod in genad._EXPORTS.items() if mod.startswith(".detectors.")]


_KINDS = {bool: "true or false", int: "an integer", float: "a number"}


def check_param_types(cls, params: dict) -> None:
    """A text value for a parameter whose default is a number or a flag is a typo: say so."""
    defaults = cls().get_params(deep=False)
    for k, v in params.items():
        kind = type(defaults.get(k))
        if kind in _KINDS and isinstance(v, str):
            raise CLIError(
                f"--param {k}={v}: {cls.__name__} expects {_KINDS[kind]} for {k} "
                f"(default {defaults[k]!r}), got the text {v!r}"
            )


def parse_params(items: list[str] | None) -> dict:
    params = {}
    for item in items or []:
        if "=" not in item:
            raise CLIError(f"--param {item!r} is not name=value (for example --param n_estimators=200)")
        k, v = item.split("=", 1)
        params[k.strip()] = _parse_value(v)
    return params


def read_table(path: Path, drop: list[str] | None = None):
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise CLIError(f"data file {path} does not exist")
    if path.is_dir():
        raise CLIError(f"{path} is a folder; pass a CSV or Parquet file")
    if path.stat().st_size == 0:
        raise CLIError(f"data file {path} is empty")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        elif suffix in (".csv", ".txt", ".gz"):
            df = pd.read_csv(path)
        else:
            raise CLIError(f"cannot read {path}: use a .csv or .parquet file")
    except CLIError:
        raise
    except pd.errors.EmptyDataError:
        raise CLIError(f"data file {path} is empty") from None
    except Exception as exc:
        raise CLIError(f"cannot read {path}: {type(exc).__name__}: {exc}") from None
    df = drop_columns(df, drop, path)
    if df.shape[0] == 0:
        raise CLIError(f"data file {path} has a header but no rows")
    if df.shape[1] == 0:
        raise CLIError(f"data file {path} has no columns left to use")
    return df


def drop_columns(df, drop: list[str] | None, path: Path):
    """``df`` without the ``--drop`` columns (each must exist)."""
    if not drop:
        return df
    missing = [c for c in drop if c not in df.columns]
    if missing:
        raise CLIError(f"--drop names column(s) {missing} that {path} does not have")
    return df.drop(columns=list(drop))


def check_columns(det, df, path: Path) -> None:
    """Columns the model was not fitted on (and none missing): suggest ``--drop``."""
    names = getattr(det, "feature_names_in_", None)
    if names is None:
        return
    names = {str(v) for v in names}
    extra = [str(c) for c in df.columns if str(c) not in names]
    if extra and names <= {str(c) for c in df.columns}:
        raise CLIError(
            f"{path} has unexpected column(s) {extra} that the model was not fitted on; "
            f"leave them out of the model input with {' '.join(f'--drop {c}' for c in extra)}"
        )


def write_table(df, path: Path) -> None:
    from .persistence import replaced_atomically

    path = Path(path)
    if not path.parent.exists():
        raise CLIError(f"output folder {path.parent} does not exist")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise CLIError(f"cannot write {path}: use a .csv or .parquet file name")
    with replaced_atomically(path) as tmp:
        if suffix == ".csv":
            df.to_csv(tmp, index=False)
        else:
            df.to_parquet(tmp, index=False)


def build_detector(name: str, params: dict):
    classes = detector_classes()
    lookup = {k.lower(): v for k, v in classes.items()}
    cls = lookup.get(name.lower())
    if cls is None:
        raise CLIError(f"unknown model {name!r}; choose one of: {', '.join(sorted(classes))}")
    valid = set(cls().get_params(deep=False))
    unknown = sorted(set(params) - valid)
    if unknown:
        raise CLIError(f"unknown parameter(s) {unknown} for {cls.__name__}; valid: {', '.join(sorted(valid))}")
    check_param_types(cls, params)
    return cls(**params)


# --------------------------------------------------------------------------- commands
@app.command()
def fit(
    model: str = typer.Argument(..., help="detector class, one of: " + ", ".join(_detector_names())),
    data: Path = typer.Option(..., "--data", help="training data: CSV or Parquet, numeric columns"),
    out: Path = typer.Option(..., "--out", help="model file to write, e.g. model.genad"),
    param: Optional[List[str]] = typer.Option(None, "--param", help="hyper-parameter name=value (repeatable)"),
    drop: Optional[List[str]] = typer.Option(None, "--drop", help="column to ignore, e.g. a label (repeatable)"),
):
    """Fit a detector on a table of (mostly) normal rows and save it."""

    def go():
        params = parse_params(param)
        det = build_detector(model, params)
        df = read_table(data, drop)
        t0 = time.perf_counter()
        try:
            det.fit(df)
        except (ValueError, TypeError) as exc:
            # a text value the detector could not use: name the parameter it came from
            culprit = [k for k, v in params.items() if isinstance(v, str) and v in str(exc)]
            if culprit:
                k = culprit[0]
                raise CLIError(f"--param {k}={params[k]}: invalid value for {type(det).__name__}'s {k} ({exc})") from None
            raise
        secs = time.perf_counter() - t0
        det.save(out)
        typer.echo(
            f"fitted {type(det).__name__} on {df.shape[0]} rows x {df.shape[1]} columns in {secs:.2f} s; "
            f"threshold {det.threshold_:.6g} ({det.threshold_rule_}); saved to {out}"
        )

    _run(go)


@app.command()
def score(
    model: Path = typer.Option(..., "--model", help="model file written by genad fit"),
    data: Path = typer.Option(
        ..., "--data", help="rows to score: a CSV or Parquet file, a folder of Parquet files or a glob ('flows/*.parquet')"
    ),
    out: Path = typer.Option(
        ..., "--out", help="output CSV or Parquet file, or a folder for partitioned Parquet: kept columns + score, "
        "p_value, label (genad_label, ... if taken)"
    ),
    drop: Optional[List[str]] = typer.Option(
        None, "--drop", help="column left out of the model input but kept in the output, e.g. a label (repeatable)"
    ),
    keep: Optional[List[str]] = typer.Option(
        None, "--keep", help="copy only these columns to the output, e.g. --keep id,timestamp (default: every column)"
    ),
    engine: str = typer.Option("local", "--engine", help="local (this process, streaming) or dask"),
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", help="Dask scheduler address, e.g. tcp://host:8786 (default: a local cluster)"
    ),
):
    """Score rows with a saved model: anomaly score, conformal p-value, 0/1 label. Streams the data
    in bounded-memory batches (a progress bar with rows/s on a terminal)."""

    def go():
        keep_cols = [c.strip() for k in keep for c in k.split(",") if c.strip()] if keep else None
        if engine not in ("local", "dask"):
            raise CLIError(f"--engine {engine!r}: use local or dask")
        if scheduler is not None and engine != "dask":
            raise CLIError("--scheduler needs --engine dask")
        if engine == "dask":
            try:
                from genad import distributed as D
            except ImportError as exc:
                raise CLIError(f"--engine dask needs the distributed extra ({exc}); pip install 'genad[distributed]'") from None
            res = D.score_parquet(model, str(data), out, client=scheduler, keep=keep_cols, drop=drop, progress=None)
        else:
            from genad.batch import score_dataset

            res = score_dataset(model, str(data), out, keep=keep_cols, drop=drop)
        renamed = list(res.renamed.values())
        where = out if len(res.files) == 1 else f"{len(res.files)} parts to {out}"
        typer.echo(
            f"scored {res.rows} rows ({res.rows_per_s:,.0f} rows/s): {res.flagged} flagged as anomalies; wrote {where}"
            + (f" (columns {', '.join(renamed)}: the input has columns of those names)" if renamed else "")
        )

    _run(go)


@app.command()
def explain(
    model: Path = typer.Option(..., "--model", help="model file written by genad fit"),
    data: Path = typer.Option(..., "--data", help="rows to explain: CSV or Parquet with the training columns"),
    top: int = typer.Option(5, "--top", min=1, help="features printed per row"),
    flagged: bool = typer.Option(False, "--flagged", help="only rows above the model's threshold"),
    out: Optional[Path] = typer.Option(None, "--out", help="also write every contribution to this CSV or Parquet"),
    drop: Optional[List[str]] = typer.Option(None, "--drop", help="column left out of the model input (repeatable)"),
):
    """Print the features that contribute most to each row's anomaly score."""

    def go():
        import genad

        det = genad.load(model)
        df = drop_columns(read_table(data), drop, data)
        check_columns(det, df, data)
        e = det.explain(df)
        for i, feats in enumerate(e.top(top)):
            anomalous = e.scores[i] > det.threshold_
            if flagged and not anomalous:
                continue
            mark = " ANOMALY" if anomalous else ""
            parts = ", ".join(f"{name} {value:+.4g}" for name, value in feats)
            typer.echo(f"row {i}: score {e.scores[i]:.6g}{mark} ({e.method}) {parts}")
        if out is not None:
            res = e.to_frame()
            res.insert(0, "score", e.scores)
            res.insert(1, "base_value", e.base_values)
            write_table(res, out)

    _run(go)


@app.command()
def export(
    model: Path = typer.Option(..., "--model", help="model file written by genad fit"),
    out: Optional[Path] = typer.Option(None, "--out", help="file to write (default: the model's name with .onnx)"),
    format: str = typer.Option("onnx", "--format", help="export format (onnx)"),
):
    """Export a saved model as an ONNX graph: raw rows in, anomaly score out (threshold in its metadata)."""

    def go():
        import genad

        if format.lower() != "onnx":
            raise CLIError(f"unknown --format {format!r}; the one format is onnx")
        det = genad.load(model)
        path = out or Path(model).with_suffix(".onnx")
        det.export_onnx(path)
        typer.echo(f"exported {type(det).__name__} to {path} (input X: raw rows, output score; "
                   f"threshold {det.threshold_:.6g} in the metadata)")

    _run(go)


@app.command()
def datasets(
    data_home: Optional[Path] = typer.Option(None, "--data-home", help="data folder (default: $GENAD_DATA)"),
):
    """List the datasets genad can load and whether their files are present."""

    def go():
        from genad import datasets as D

        home = D.get_data_home(data_home)
        typer.echo(f"data folder: {home}  (set with --data-home or the GENAD_DATA environment variable)")
        for info in D.list_datasets(data_home=data_home):
            mark = "yes" if info.get("present") else "no "
            typer.echo(f"  [{mark}] {info['name']:<22} {info.get('description', '')}")

    _run(go)


@app.command()
def bench(
    suite: str = typer.Argument("default", help="suite: default, ff12-kdd, ecg5000, mnist, cifar10, adbench, sdss-groups, synthetic-groups"),
    out: Optional[Path] = typer.Option(None, "--out", help="output folder (default ./bench-results/SUITE)"),
    seeds: int = typer.Option(1, "--seeds", help="number of seeds"),
    detectors: Optional[List[str]] = typer.Option(None, "--detectors", help="only these detectors (repeatable)"),
    data_home: Optional[Path] = typer.Option(None, "--data-home", help="data folder (default: $GENAD_DATA)"),
    with_pyod: bool = typer.Option(False, "--with-pyod", help="also run PyOD's counterparts on the same splits"),
    all_: bool = typer.Option(False, "--all", help="include CPU-heavy (slow) entries"),
):
    """Run a benchmark suite; print where the results go, a reading (winner, margin against the
    seed spread, the suite's caveats) and a compact table. Full tables and plots go to the folder."""

    def go():
        from genad import bench as B

        if seeds < 1:
            raise CLIError("--seeds must be at least 1")
        B.get_suite(suite)  # an unknown suite fails before anything is printed
        folder = out if out is not None else Path("bench-results") / suite
        typer.echo(f"results folder: {folder} (results.json, results.csv, summary.md, plots/)")
        result = B.run_suite(
            suite, out_dir=folder, seeds=seeds, detectors=detectors, data_home=data_home,
            with_pyod=with_pyod, include_slow=all_, progress=True,
            command="genad " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["bench"] else None,
        )
        typer.echo(B.bench_report(result))

    _run(go)


def data_files(pattern: str) -> list[Path]:
    """The files a ``--data`` value names: one path, or a glob pattern (sorted)."""
    import glob

    p = Path(pattern)
    if p.exists():
        return [p]
    files = [Path(f) for f in sorted(glob.glob(pattern)) if Path(f).is_file()]
    if not files:
        raise CLIError(f"no data file matches {pattern!r}; give a CSV or Parquet file or a pattern such as 'new/*.parquet'")
    return files


@app.command()
def monitor(
    model: Path = typer.Option(..., "--model", help="model file written by genad fit"),
    data: str = typer.Option(..., "--data", help="new rows: a CSV/Parquet file or a pattern ('new/*.parquet'), one batch per file"),
    reference: Optional[Path] = typer.Option(None, "--reference", help="training rows for the input and latent tests "
                                             "(default: rows stored in the model, else the first rows seen)"),
    batch_rows: Optional[int] = typer.Option(None, "--batch-rows", help="split each file into batches of this many rows"),
    alpha: float = typer.Option(0.01, "--alpha", help="false-alarm level of one check"),
    window: int = typer.Option(1000, "--window", help="most recent rows tested at each check"),
    drop: Optional[List[str]] = typer.Option(None, "--drop", help="column left out of the model input (repeatable)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON report per batch"),
):
    """Check new rows for drift against a saved model: scores, each input feature, latent codes."""

    def go():
        import genad
        from genad.monitor import Monitor

        det = genad.load(model)
        ref = None
        if reference is not None:
            ref = read_table(reference)
            ref = ref.drop(columns=[c for c in drop or [] if c in ref.columns])
        mon = Monitor(det, reference=ref, alpha=alpha, window=window, min_rows=min(50, window))
        if batch_rows is not None and batch_rows < 1:
            raise CLIError("--batch-rows must be at least 1")
        report = None
        for path in data_files(data):
            df = drop_columns(read_table(path), drop, path)
            check_columns(det, df, path)
            step = batch_rows or len(df)
            for start in range(0, len(df), step):
                report = mon.update(df.iloc[start:start + step])
                if as_json:
                    typer.echo(json.dumps({"file": str(path), **report.to_dict()}, allow_nan=False))
                else:
                    typer.echo(f"{path.name} rows {start}-{start + min(step, len(df) - start) - 1}: "
                               f"{'DRIFT' if report.drift else 'ok'} (p = {report.p_value:.3g})"
                               + (f" features {', '.join(report.features[:5])}" if report.features else ""))
        if not as_json and report is not None:
            typer.echo(str(report))

    _run(go)


@app.command()
def feedback(
    model: Path = typer.Option(..., "--model", help="model file the verdicts are about"),
    key: Optional[str] = typer.Option(None, "--key", help="the scored item's id"),
    verdict: Optional[int] = typer.Option(None, "--verdict", help="1 anomaly, 0 normal"),
    who: Optional[str] = typer.Option(None, "--who", help="the analyst"),
    labels: Optional[Path] = typer.Option(None, "--labels", help="CSV/Parquet of verdicts: columns key, verdict, who (when optional)"),
    store: Optional[Path] = typer.Option(None, "--store", help="feedback store (default NAME.feedback.sqlite beside the model)"),
):
    """Record analysts' verdicts on scored items (append-only store beside the model); without
    verdicts, print what the store holds."""

    def go():
        from genad.monitor import FeedbackStore, store_path

        if not model.exists():
            raise CLIError(f"model file {model} does not exist")
        st = FeedbackStore(store or store_path(model))
        records = []
        if labels is not None:
            df = read_table(labels)
            missing = [c for c in ("key", "verdict") if c not in df.columns]
            if missing:
                raise CLIError(f"{labels} lacks column(s) {missing}; give key, verdict and who")
            if "who" not in df.columns and who is None:
                raise CLIError(f"{labels} has no who column; add one or pass --who NAME")
            for rec in df.to_dict("records"):
                rec = {k: v for k, v in rec.items() if k in ("key", "verdict", "who", "when")}
                rec.setdefault("who", who)
                rec["key"] = str(rec["key"])
                records.append(rec)
        if key is not None or verdict is not None:
            if key is None or verdict is None or who is None:
                raise CLIError("give --key, --verdict and --who together (or --labels FILE)")
            records.append({"key": key, "verdict": verdict, "who": who})
        if records:
            n = st.add_many(records)
            typer.echo(f"stored {n} verdict(s) in {st.path}")
        s = st.summary()
        typer.echo(f"{st.path}: {s['records']} records, {s['keys']} items ({s['anomalies']} anomalies, {s['normals']} normal)")

    _run(go)


@app.command()
def retrain(
    model: Path = typer.Option(..., "--model", help="model file in service (NAME.genad)"),
    data: str = typer.Option(..., "--data", help="new rows: a CSV/Parquet file or a pattern, with a key column"),
    key_column: str = typer.Option(..., "--key-column", help="column of the items' ids (matched with the verdicts; not a model input)"),
    labels: Optional[Path] = typer.Option(None, "--labels", help="verdicts: a feedback store (.sqlite) or a CSV/Parquet "
                                          "with key, verdict (default: the store beside the model)"),
    metric: str = typer.Option("f1", "--metric", help="f1, f2, accuracy or precision_at_recall"),
    holdout: float = typer.Option(0.3, "--holdout", help="fraction of rows held out for the comparison"),
    recalibrate_only: bool = typer.Option(False, "--recalibrate-only", help="keep the model, choose a new threshold"),
    drop: Optional[List[str]] = typer.Option(None, "--drop", help="column left out of the model input (repeatable)"),
):
    """Build a new model version from analysts' verdicts; promote it over NAME.genad only if it is
    not worse on held-out labelled items. Every version stays as NAME.vK.genad with its lineage."""

    def go():
        import pandas as pd

        import genad
        from genad.monitor import FeedbackStore, labels_for_keys, retrain_file, store_path

        det = genad.load(model)
        frames = [read_table(p) for p in data_files(data)]
        df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        if key_column not in df.columns:
            raise CLIError(f"--key-column {key_column!r} is not a column of the data; columns: {list(df.columns)[:20]}")
        keys = df[key_column].astype(str).tolist()
        X = drop_columns(df.drop(columns=[key_column]), drop, Path(data))
        check_columns(det, X, Path(data))
        src = labels if labels is not None else store_path(model)
        if src.suffix == ".sqlite":
            if not src.exists():
                raise CLIError(f"feedback store {src} does not exist; record verdicts with genad feedback first")
            verdicts = FeedbackStore(src).labels()
        else:
            t = read_table(src)
            if not {"key", "verdict"} <= set(t.columns):
                raise CLIError(f"{src} needs the columns key and verdict")
            v = pd.to_numeric(t["verdict"], errors="coerce")
            bad = ~v.isin([0, 1])
            if bad.any():
                raise CLIError(f"{src}: verdict must be 1 (anomaly) or 0 (normal); key {str(t['key'][bad].iloc[0])!r} "
                               f"has {t['verdict'][bad].tolist()[0]!r}")
            verdicts = {str(k): int(x) for k, x in zip(t["key"], v)}
        y = labels_for_keys(keys, verdicts)
        if (y >= 0).sum() == 0:
            raise CLIError(f"none of the {len(keys)} rows has a verdict in {src} (matched on {key_column})")
        res = retrain_file(model, X, y, metric=metric, holdout=holdout, refit=not recalibrate_only)
        typer.echo(str(res))

    _run(go)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="address to bind (loopback by default)"),
    port: int = typer.Option(8000, "--port", help="TCP port"),
    models: Path = typer.Option(Path("models"), "--models", help="folder of NAME.genad model files and NAME.onnx files from genad export (created if missing)"),
    api_keys: Path = typer.Option(Path("genad-keys.json"), "--api-keys", help="file of API key hashes and roles"),
    no_auth: bool = typer.Option(False, "--no-auth", help="no API keys (only with a loopback --host)"),
    new_key: Optional[str] = typer.Option(None, "--new-key", help="make a key NAME, print it once, store its hash, exit"),
    role: str = typer.Option("score", "--role", help="role of --new-key: score or admin"),
    max_body_mb: float = typer.Option(32, "--max-body-mb", help="largest request body in MiB"),
    max_upload_mb: float = typer.Option(512, "--max-upload-mb", help="largest model file accepted by PUT, in MiB"),
    max_model_mb: float = typer.Option(1024, "--max-model-mb",
                                       help="largest uncompressed content of a model file, in MiB (genad.load's max_bytes)"),
    max_rows: int = typer.Option(100_000, "--max-rows", help="most rows per score request"),
    rate_limit: float = typer.Option(200, "--rate-limit", help="requests per second per key (0: no limit)"),
    burst: Optional[float] = typer.Option(None, "--burst", help="token-bucket burst (default 2 x --rate-limit)"),
    max_concurrent: int = typer.Option(32, "--max-concurrent", help="requests in progress before fast 503s"),
    workers: Optional[int] = typer.Option(None, "--workers", help="scoring threads (default: CPU count)"),
    train_workers: int = typer.Option(1, "--train-workers", help="training jobs of the /train page run at once"),
    cors: Optional[List[str]] = typer.Option(None, "--cors", help="allow browser calls from ORIGIN (repeatable)"),
    reload_interval: float = typer.Option(2.0, "--reload-interval",
                                          help="seconds between looks at --models for new, replaced "
                                               "(genad retrain) or removed files (0: never)"),
):
    """Serve the models of a folder over HTTP: score, list, upload, delete (FastAPI + uvicorn)."""

    def go():
        try:
            from genad import serve as S
        except ImportError as exc:
            raise CLIError(f"genad serve needs the web extra ({exc}); pip install 'genad[web]'") from None
        if new_key is not None:
            key = S.new_key(api_keys, new_key, role)
            typer.echo(key)
            typer.echo(f"key {new_key!r} (role {role}) stored as a SHA-256 hash in {api_keys}; "
                       "this is the only time it is shown", err=True)
            return
        S.run(host, port, auth=not no_auth, echo=typer.echo, models=models,
              api_keys=None if no_auth else api_keys, max_body_mb=max_body_mb, max_upload_mb=max_upload_mb,
              max_rows=max_rows, load_options={"max_bytes": int(max_model_mb * 2**20)},
              rate_limit=rate_limit, burst=burst, max_concurrent=max_concurrent, workers=workers,
              train_workers=train_workers, cors=cors or (), reload_interval=reload_interval)

    _run(go)


def main() -> None:  # pragma: no cover - entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
