"""Streaming scoring of Arrow record batches and Parquet (or CSV) data sets, in bounded memory.

The core, :func:`score_batches`, takes any iterable of Arrow record batches or pandas frames and
yields, batch by batch, the pass-through (key) columns plus ``score``, ``p_value`` and ``label``.
:func:`score_dataset` applies it to files on disk: a file, a folder or a glob of Parquet files is
read with :mod:`pyarrow.dataset` / :class:`pyarrow.parquet.ParquetFile` a batch at a time, so
memory depends on the batch size and the Parquet row-group size, never on the data size.

The input is cut into *parts* (:func:`plan_parts`): a run of row groups of one file of about
``rows_per_part`` rows. Each part becomes one output file ``part-NNNNN.parquet``, written under a
temporary name and renamed into place, so a crash or a retried task never leaves a half file or
a duplicate. :mod:`genad.distributed` maps the same parts over a Dask cluster.

Columns
-------
The model's input columns are matched by name, as in ``decision_function``: a model fitted on a
DataFrame takes its ``feature_names_in_`` from each batch, in its own order. ``keep`` names the
columns copied to the output (``None``: every input column). ``drop`` names columns that are not
model input (nor output, unless ``keep`` is None). Any other column the model does not know is an error (it may be
a mistake: a label left in the data), which names the column and the fix. A model fitted on an
array (no column names) takes every column that is not in ``drop`` or an explicit ``keep``.
"""

from __future__ import annotations

import glob
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

__all__ = ["score_batches", "score_dataset", "plan_parts", "Part", "ScoreSummary", "OUTPUT_COLUMNS"]

#: columns added to the output (each gets a ``genad_`` prefix when a kept input column has its name)
OUTPUT_COLUMNS = ("score", "p_value", "label")
#: rows per Arrow batch read and scored at a time
BATCH_SIZE = 65_536
#: rows per output part (and per Dask task)
ROWS_PER_PART = 1_000_000
_PARQUET = (".parquet", ".pq")
_CSV = (".csv", ".txt", ".gz")
_TMP_SUFFIX = ".tmp"


# ----------------------------------------------------------------------------- columns
def _point_detector(model):
    from .base import Detector

    if isinstance(model, (str, os.PathLike)):
        from .persistence import load

        model = load(model)
    if not isinstance(model, Detector):
        raise ValueError(
            f"batch scoring takes a fitted point detector (genad.Detector), got {type(model).__name__}; "
            "group detectors score whole groups, call their decision_function on each group's rows"
        )
    from .validation import check_fitted

    check_fitted(model)
    return model


@dataclass(frozen=True)
class _Columns:
    features: list[str]
    keep: list[str]
    out: dict[str, str]  # score/p_value/label -> output column name

    @property
    def read(self) -> list[str]:
        return list(dict.fromkeys(self.features + self.keep))


def _resolve(det, names: Sequence[str], keep: Sequence[str] | None, drop: Sequence[str] | None,
             where: str) -> _Columns:
    names = [str(c) for c in names]
    drop = [str(c) for c in drop or ()]
    explicit = keep is not None
    keep = [str(c) for c in (keep if explicit else names)]
    for what, cols in (("keep", keep), ("drop", drop)):
        missing = [c for c in cols if c not in names]
        if missing:
            raise ValueError(f"{what} names column(s) {missing} that {where} does not have (its columns: {names})")
    fitted = getattr(det, "feature_names_in_", None)
    if fitted is not None:
        features = [str(c) for c in fitted]
        missing = [c for c in features if c not in names]
        if missing:
            raise ValueError(
                f"{where} does not have the columns the model was fitted on: missing column(s) {missing}. "
                f"Pass data with these columns: {features}."
            )
        allowed = set(features) | set(drop) | (set(keep) if explicit else set())
        extra = [c for c in names if c not in allowed]
        if extra:
            raise ValueError(
                f"{where} has unexpected column(s) {extra} that the model was not fitted on; leave them out "
                f"of the model input with {' '.join(f'--drop {c}' for c in extra)} (drop={extra}), or copy "
                f"them to the output with --keep {','.join(extra)} (keep={extra})"
            )
    else:
        skip = set(drop) | (set(keep) if explicit else set())
        features = [c for c in names if c not in skip]
        if not features:
            raise ValueError(f"{where} has no columns left for the model input after keep/drop")
    out = {c: f"genad_{c}" if c in keep else c for c in OUTPUT_COLUMNS}
    return _Columns(features, keep, out)


# ----------------------------------------------------------------------------- core
def _score_arrays(det, X) -> dict[str, np.ndarray]:
    from .thresholds import conformal_p_values

    shape = tuple(getattr(det, "input_shape_", ()))
    if len(shape) > 1 and getattr(det, "feature_names_in_", None) is None:
        X = np.asarray(X.to_numpy(dtype=np.float64)).reshape((len(X),) + shape)  # flattened samples
    s = det.decision_function(X)
    return {"score": s, "p_value": conformal_p_values(det.calibration_scores_, s),
            "label": (s > det.threshold_).astype(np.int64)}


def score_batches(model, batches: Iterable[Any], *, keep: Sequence[str] | None = None,
                  drop: Sequence[str] | None = None, where: str = "the input") -> Iterator[Any]:
    """Score an iterable of Arrow record batches (or tables) or pandas DataFrames, one at a time.

    Parameters
    ----------
    model : fitted genad Detector, or the path of a model file (loaded with :func:`genad.load`)
    batches : iterable of ``pyarrow.RecordBatch``, ``pyarrow.Table`` or ``pandas.DataFrame``
    keep : column names copied to the output (pass-through keys such as ``id``, ``timestamp``);
        None (default) copies every input column.
    drop : column names that are not model input (nor output, unless ``keep`` is None).
    where : how error messages name the input.

    Yields
    ------
    For each batch, a batch of the same kind (Arrow record batch for Arrow input, DataFrame for
    pandas input) with the ``keep`` columns, then ``score``, ``p_value`` and ``label`` (0/1 at
    the model's threshold), row for row. An output name taken by a kept column gets the prefix
    ``genad_``. Memory is that of one batch.

    Raises
    ------
    ValueError naming the column, or the rows (counted over the whole input) and the problem.
    """
    import pandas as pd
    import pyarrow as pa

    det = _point_detector(model)
    cols = None
    start = 0
    for batch in batches:
        is_pandas = isinstance(batch, pd.DataFrame)
        if not is_pandas and not isinstance(batch, (pa.RecordBatch, pa.Table)):
            raise ValueError(f"score_batches takes Arrow record batches or pandas DataFrames, got {type(batch).__name__}")
        names = [str(c) for c in (batch.columns if is_pandas else batch.schema.names)]
        if cols is None:
            cols = _resolve(det, names, keep, drop, where)
        n = len(batch)
        if n == 0:
            continue
        missing = [c for c in cols.read if c not in names]
        if missing:
            raise ValueError(f"rows {start}-{start + n - 1} of {where}: missing column(s) {missing} that earlier rows have")
        if is_pandas:
            X = batch.set_axis(names, axis=1)[cols.features]
        else:
            X = batch.select(cols.features).to_pandas()
        try:
            res = _score_arrays(det, X)
        except ValueError as exc:
            raise ValueError(f"rows {start}-{start + n - 1} of {where}: {exc}") from None
        if is_pandas:
            out = batch.set_axis(names, axis=1)[cols.keep].copy()
            for k, v in res.items():
                out[cols.out[k]] = v
        else:
            kept = batch.select(cols.keep)
            out = pa.RecordBatch.from_arrays(
                [kept.column(i).combine_chunks() if isinstance(kept, pa.Table) else kept.column(i)
                 for i in range(kept.num_columns)] + [pa.array(v) for v in res.values()],
                names=cols.keep + [cols.out[k] for k in res])
        start += n
        yield out


# ----------------------------------------------------------------------------- data sets
@dataclass(frozen=True)
class Part:
    """A slice of the input scored as one unit: ``row_groups`` of the Parquet file ``path``
    (None: the whole file, CSV files), ``rows`` rows, written to ``part-<index>.parquet``."""

    index: int
    path: str
    row_groups: tuple[int, ...] | None
    rows: int

    @property
    def name(self) -> str:
        return f"part-{self.index:05d}.parquet"


def _files(source) -> list[Path]:
    """The input files of ``source``: a file, a folder (its Parquet files), a glob, or a list."""
    if isinstance(source, (list, tuple)):
        out = []
        for s in source:
            out.extend(_files(s))
        if not out:
            raise FileNotFoundError("no input files given")
        return out
    text = str(source)
    if glob.has_magic(text):
        found = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        if not found:
            raise FileNotFoundError(f"no file matches {text}")
        return found
    path = Path(text)
    if not path.exists():
        raise FileNotFoundError(f"data file {path} does not exist")
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _PARQUET)
        if not found:
            raise FileNotFoundError(f"folder {path} holds no .parquet files")
        return found
    return [path]


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _PARQUET:
        return "parquet"
    if suffix in _CSV:
        return "csv"
    raise ValueError(f"cannot read {path}: use .parquet (or .csv) files")


def _parquet(path: Path):
    import pyarrow.parquet as pq

    if path.stat().st_size == 0:
        raise ValueError(f"data file {path} is empty")
    try:
        return pq.ParquetFile(path)
    except Exception as exc:
        raise ValueError(f"cannot read {path}: {type(exc).__name__}: {exc}") from None


def _csv_names(path: Path) -> list[str]:
    import pyarrow.csv as pcsv

    if path.stat().st_size == 0:
        raise ValueError(f"data file {path} is empty")
    try:
        reader = pcsv.open_csv(path)
    except Exception as exc:
        msg = str(exc)
        if "Empty CSV file" in msg:
            raise ValueError(f"data file {path} is empty") from None
        raise ValueError(f"cannot read {path}: {type(exc).__name__}: {msg}") from None
    names = reader.schema.names
    reader.close()
    return names


def plan_parts(source, *, rows_per_part: int = ROWS_PER_PART) -> tuple[list[Part], list[str]]:
    """Cut the input into :class:`Part`\\ s of about ``rows_per_part`` rows (whole row groups of
    one file each) and return them with the first file's column names. Only file metadata is
    read. Raises FileNotFoundError for a missing input, ValueError for an unreadable or empty
    file, or files whose columns differ from the first file's."""
    if rows_per_part < 1:
        raise ValueError(f"rows_per_part must be at least 1, got {rows_per_part}")
    files = _files(source)
    parts: list[Part] = []
    names = None
    for path in files:
        if _kind(path) == "csv":
            these = _csv_names(path)
            groups = [(None, -1)]
        else:
            pf = _parquet(path)
            these = pf.schema_arrow.names
            md = pf.metadata
            groups = [(i, md.row_group(i).num_rows) for i in range(md.num_row_groups)]
        if names is None:
            names = these
        elif these != names:
            raise ValueError(f"{path} has columns {these}, unlike {files[0]} ({names}); score files of one schema together")
        run, rows = [], 0
        for g, n in groups:
            if g is None:
                parts.append(Part(len(parts), str(path), None, n))
                continue
            if n == 0:
                continue
            run.append(g)
            rows += n
            if rows >= rows_per_part:
                parts.append(Part(len(parts), str(path), tuple(run), rows))
                run, rows = [], 0
        if run:
            parts.append(Part(len(parts), str(path), tuple(run), rows))
    return parts, list(names or [])


def read_part(part: Part, columns: Sequence[str] | None = None, *, batch_size: int = BATCH_SIZE) -> Iterator[Any]:
    """Arrow record batches of one part, ``batch_size`` rows at a time (bounded memory)."""
    path = Path(part.path)
    if not path.exists():
        raise FileNotFoundError(f"data file {path} does not exist")
    try:
        if part.row_groups is None:
            import pyarrow as pa
            import pyarrow.csv as pcsv

            reader = pcsv.open_csv(path, read_options=pcsv.ReadOptions(block_size=8 << 20),
                                   convert_options=pcsv.ConvertOptions(include_columns=list(columns) if columns else None))
            schema = None
            for b in reader:
                # type inference runs on the first block; later blocks follow its types
                schema = schema or b.schema
                yield b if b.schema == schema else pa.RecordBatch.from_arrays(
                    [b.column(i).cast(schema.field(i).type) for i in range(b.num_columns)], schema=schema)
        else:
            pf = _parquet(path)
            for g in part.row_groups:  # one row group at a time: Arrow buffers all the groups it is given
                yield from pf.iter_batches(batch_size=batch_size, row_groups=[g],
                                           columns=list(columns) if columns else None, use_threads=False)
    except (ValueError, FileNotFoundError):
        raise
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    except Exception as exc:  # Arrow's conversion and decoding errors
        raise ValueError(f"cannot read {path}: {type(exc).__name__}: {exc}") from None


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}{_TMP_SUFFIX}")


class _AtomicWriter:
    """Write Arrow batches to ``path`` (.parquet or .csv) under a temporary name; rename on close."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.tmp = _temporary(self.path)
        self.writer = None

    def write(self, batch) -> None:
        import pyarrow.csv as pcsv
        import pyarrow.parquet as pq

        if self.writer is None:
            if self.path.suffix.lower() == ".csv":
                self.writer = pcsv.CSVWriter(str(self.tmp), batch.schema)
            else:
                self.writer = pq.ParquetWriter(str(self.tmp), batch.schema)
        self.writer.write_batch(batch)

    def commit(self, schema=None) -> None:
        if self.writer is None:  # no rows: an empty file with the output schema
            import pyarrow as pa

            self.write(pa.RecordBatch.from_pylist([], schema=schema))
        self.writer.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            if self.writer is not None:
                self.writer.close()
        finally:
            if self.tmp.exists():
                self.tmp.unlink()


def _output_schema(cols: _Columns, names_types):
    import pyarrow as pa

    fields = [pa.field(n, names_types[n]) for n in cols.keep]
    fields += [pa.field(cols.out["score"], pa.float64()), pa.field(cols.out["p_value"], pa.float64()),
               pa.field(cols.out["label"], pa.int64())]
    return pa.schema(fields)


def score_part(det, part: Part, out_dir, cols: _Columns, *, batch_size: int = BATCH_SIZE, on_rows=None) -> dict:
    """Score one part into ``out_dir/part-NNNNN.parquet`` atomically; returns its row and flag
    counts. Running it again (a retried task) replaces the file with the same content.
    ``on_rows(n)`` is called after each batch (progress)."""
    out = Path(out_dir) / part.name
    writer = _AtomicWriter(out)
    rows = flagged = 0
    try:
        for b in score_batches(det, read_part(part, cols.read, batch_size=batch_size), keep=cols.keep,
                               drop=[], where=_where(part)):
            writer.write(b)
            rows += b.num_rows
            flagged += int(np.asarray(b.column(cols.out["label"])).sum())
            if on_rows is not None:
                on_rows(b.num_rows)
        writer.commit(None if rows else _empty_schema(part, cols))
    except BaseException:
        writer.abort()
        raise
    return {"part": part.index, "rows": rows, "flagged": flagged}


def _where(part: Part) -> str:
    if part.row_groups is None:
        return part.path
    return f"{part.path} (row groups {part.row_groups[0]}-{part.row_groups[-1]})"


def _empty_schema(part: Part, cols: _Columns):
    import pyarrow.parquet as pq

    if part.row_groups is None:
        import pyarrow as pa

        return _output_schema(cols, {n: pa.string() for n in cols.keep})
    schema = pq.read_schema(part.path)
    return _output_schema(cols, {n: schema.field(n).type for n in cols.keep})


def prepare_output(out, *, folder_only: bool = False) -> tuple[Path, bool]:
    """Check the output: a ``.parquet`` / ``.csv`` file name (its folder must exist) or a folder for
    partitioned Parquet (created; it must not hold parts of an earlier run). Returns the path and
    whether it is a folder."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix in (".csv",) + _PARQUET and not out.is_dir():
        if folder_only:
            raise ValueError(f"{out} is a file name; this engine writes partitioned Parquet: pass a folder")
        if not out.parent.exists():
            raise FileNotFoundError(f"output folder {out.parent} does not exist")
        return out, False
    if suffix and not out.is_dir():
        raise ValueError(f"cannot write {out}: use a .csv or .parquet file name, or a folder for partitioned Parquet")
    if out.exists() and not out.is_dir():
        raise ValueError(f"output {out} exists and is not a folder")
    if not out.parent.exists():
        raise FileNotFoundError(f"output folder {out.parent} does not exist")
    out.mkdir(exist_ok=True)
    old = sorted(p.name for p in out.glob("part-*.parquet"))
    if old:
        raise ValueError(f"output folder {out} already holds scored parts ({old[0]}, ...); remove them or choose another folder")
    return out, True


def remove_temporaries(out_dir) -> int:
    """Remove the temporary files that an interrupted part write left in ``out_dir``."""
    n = 0
    for p in Path(out_dir).glob(f".part-*.parquet.*{_TMP_SUFFIX}"):
        p.unlink(missing_ok=True)
        n += 1
    return n


@dataclass
class ScoreSummary:
    """What :func:`score_dataset` did: rows scored and flagged, files written, renamed columns."""

    rows: int = 0
    flagged: int = 0
    files: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("nan")


def prepare(model, source, out, *, keep=None, drop=None, rows_per_part: int = ROWS_PER_PART,
            folder_only: bool = False):
    """Load the model, plan the parts, check the columns and the output, before anything is
    written. Returns ``(det, parts, cols, out, is_folder)``."""
    det = _point_detector(model)
    out, is_folder = prepare_output(out, folder_only=folder_only)
    parts, names = plan_parts(source, rows_per_part=rows_per_part)
    if not parts:
        raise ValueError(f"{source} has a header but no rows")
    cols = _resolve(det, names, keep, drop, str(source))
    return det, parts, cols, out, is_folder


def score_dataset(model, source, out, *, keep: Sequence[str] | None = None, drop: Sequence[str] | None = None,
                  batch_size: int = BATCH_SIZE, rows_per_part: int = ROWS_PER_PART,
                  progress: bool | None = None) -> ScoreSummary:
    """Score a Parquet data set (a file, a folder, a glob such as ``"flows/*.parquet"``, or a list)
    in bounded memory, on this process.

    Parameters
    ----------
    model : fitted Detector or model file path
    source : input files (Parquet; a CSV file is read as one part)
    out : a folder (partitioned Parquet, one ``part-NNNNN.parquet`` per part, each written
        atomically) or a ``.parquet`` / ``.csv`` file name (one file, written atomically)
    keep, drop : see the module docstring
    batch_size : rows scored at a time
    rows_per_part : rows per output part
    progress : show a progress bar with rows/s on stderr (None: when stderr is a terminal)

    Returns
    -------
    :class:`ScoreSummary`
    """
    import time

    from tqdm.auto import tqdm

    det, parts, cols, out, is_folder = prepare(model, source, out, keep=keep, drop=drop, rows_per_part=rows_per_part)
    total = sum(p.rows for p in parts) if all(p.row_groups is not None for p in parts) else None
    summary = ScoreSummary(renamed={k: v for k, v in cols.out.items() if k != v})
    t0 = time.perf_counter()
    bar = tqdm(total=total, unit="rows", unit_scale=True, disable=None if progress is None else not progress,
               desc="scoring", dynamic_ncols=True)
    try:
        if is_folder:
            try:
                for part in parts:
                    res = score_part(det, part, out, cols, batch_size=batch_size, on_rows=bar.update)
                    summary.rows += res["rows"]
                    summary.flagged += res["flagged"]
                    summary.files.append(str(out / part.name))
            except BaseException:  # no partial result: the parts of this run go
                for f in summary.files:
                    Path(f).unlink(missing_ok=True)
                raise
        else:
            writer = _AtomicWriter(out)
            try:
                for part in parts:
                    for b in score_batches(det, read_part(part, cols.read, batch_size=batch_size), keep=cols.keep,
                                           drop=[], where=_where(part)):
                        writer.write(b)
                        summary.rows += b.num_rows
                        summary.flagged += int(np.asarray(b.column(cols.out["label"])).sum())
                        bar.update(b.num_rows)
                if summary.rows == 0:
                    raise ValueError(f"{source} has a header but no rows")
                writer.commit()
            except BaseException:
                writer.abort()
                raise
            summary.files.append(str(out))
    finally:
        bar.close()
    summary.seconds = time.perf_counter() - t0
    return summary
