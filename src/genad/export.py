"""ONNX export: a fitted detector as one graph from raw rows to the anomaly score.

``det.export_onnx(path)`` (or :func:`export_onnx`) writes an ONNX model whose input ``X`` is a
batch of raw samples (a dynamic batch dimension; rows ``(n, d)``, sequences ``(n, t, d)``,
images ``(n, c, h, w)``) and whose output ``score`` equals ``det.decision_function(X)``: the
feature scaling and the score's reduction are inside the graph. The threshold, the feature names,
the detector class, the input dtype and the calibration scores are in the model's metadata
(``metadata_props``: ``genad.threshold``, ``genad.feature_names`` (JSON), ``genad.named_features``
(whether those names came from a DataFrame), ``genad.detector``, ``genad.input_dtype``,
``genad.input_shape``, ``genad.calibration_scores`` (JSON, the held-out normal scores behind the
conformal p-values), ``genad.calibration``). Run it with onnxruntime, no Python detector or torch
needed::

    import onnxruntime as ort
    sess = ort.InferenceSession("model.onnx")
    scores = sess.run(["score"], {"X": X.astype(np.float32)})[0]

or load it with :class:`OnnxDetector` (``decision_function``, ``predict``, ``p_values`` on the same
inputs the detector takes, DataFrame columns matched by name); ``genad serve`` serves ``.onnx``
files of its models folder with it.

What each family's graph computes:

* deep detectors (AutoEncoder, VAE, AdversarialAutoEncoder, BiGAN, GANomaly, Seq2Seq, and any
  torch detector whose ``_score_batch`` traces) -- the scoring networks, float32. The VAE's graph
  holds the fixed noise vectors its score averages over (drawn once from ``random_state``, see
  :class:`genad.VAE`): no random operator, the same scores as ``decision_function``.
* PCA, KNN, KDE, GMM, OCSVM -- the scoring formula on the stored arrays, float64 (input ``X`` is
  float64): residual norm, k-th / mean neighbour distance, Gaussian log-density, mixture
  log-density, the SVM's kernel expansion.
* IsolationForest -- scikit-learn's trees converted by skl2onnx, wrapped in the scaling and
  ``-score_samples``; float32 input (the trees' thresholds are float32 in scikit-learn too).

The torch graphs are traced by torch's TorchScript-based exporter (``dynamo=False``): the
``torch.export`` path needs the onnxscript package, which the ``[export]`` extra does not pull in.

Refused with a ``ValueError`` that says why: ADGAN and AnoGAN, whose score is an optimisation
(a latent search, and for ADGAN per-point generator updates) run at scoring time, which a
feed-forward graph cannot express; group detectors; KNN and OCSVM fitted on sparse input; GMM
with a covariance type other than "full"; OCSVM with a kernel other than "rbf".
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

__all__ = ["export_onnx", "onnx_scores", "OnnxDetector", "REFUSED"]

#: detectors that cannot be exported, with the reason
REFUSED = {
    "ADGAN": "its score comes from a gradient search over latent codes and generator weights for "
             "every scored point (Deecke et al.), an optimisation a feed-forward ONNX graph cannot run",
    "AnoGAN": "its score comes from a gradient search for the latent code that best reproduces each "
              "point (Schlegl et al.), an optimisation a feed-forward ONNX graph cannot run",
    "DAGMM": "its energy solves with the mixture's Cholesky factors (torch.linalg.solve_triangular), "
             "which torch's ONNX exporter cannot write at opset 17",
    "ICL": "its score pairs every feature window with its complement in shapes the traced graph fixes "
           "to the batch it was traced with, so the graph would not take other batch sizes",
}


def _scaler_arrays(det, ndim: int, dtype):
    sc = det.scaler_
    if getattr(sc, "kind", None) is None:
        d = det.input_shape_[0] if ndim == 4 else det.input_shape_[-1]
        off, scale = np.zeros(d), np.ones(d)
    else:
        off, scale = np.asarray(sc.offset_, dtype=np.float64), np.asarray(sc.scale_, dtype=np.float64)
    shape = (1, -1, 1, 1) if ndim == 4 else (1,) * (ndim - 1) + (-1,)
    return off.reshape(shape).astype(dtype), scale.reshape(shape).astype(dtype)


def _torch_module(det):
    """A torch module: raw samples -> score, for deep detectors and the formula-based classics."""
    import torch

    from .explain import is_deep as _is_deep

    ndim = 1 + len(det.input_shape_)
    is_deep = _is_deep(det)
    tdtype = torch.float32 if is_deep else torch.float64
    off, scale = _scaler_arrays(det, ndim, np.float32 if is_deep else np.float64)
    score = _deep_score(det) if is_deep else _classic_score(det)

    class Scoring(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("offset", torch.as_tensor(off))
            self.register_buffer("scale", torch.as_tensor(scale))
            self.nets = torch.nn.ModuleList(det._modules() if is_deep else [])

        def forward(self, x):
            return score((x - self.offset) / self.scale)

    return Scoring().eval(), tdtype


def _deep_score(det):
    import torch

    if type(det).__name__ == "VAE":
        def squared_error(x, x_hat):  # per-row mean over every cell, as the VAE's score
            return (x - x_hat).pow(2).reshape(x.shape[0], -1).mean(dim=1)

        def vae_score(x):
            mu, logvar = det._posterior(x)
            std = torch.exp(0.5 * logvar)
            noise = torch.as_tensor(det._score_noise(mu.shape[1], torch.float32, "cpu").numpy())
            total = 0.0
            for eps in noise:
                x_mean = det.decoder_(mu + std * eps)
                total = total + (squared_error(x, x_mean) if det.score_type == "reconstruction"
                                 else det._nll(x, x_mean))
            s = total / len(noise)
            if det.score_type == "elbo":
                s = s + float(det.beta) * det._kl(mu, logvar)
            return s

        return vae_score
    if type(det).__name__ == "Seq2Seq":
        def seq_score(x):  # the same layout as Seq2Seq._as_sequences, on tensors
            if x.dim() == 2:
                x = x.unsqueeze(2)
            elif x.dim() == 4:
                x = x.permute(0, 2, 1, 3).reshape(x.shape[0], x.shape[2], -1)
            return det._score_batch(x)

        return seq_score
    return det._score_batch


def _classic_score(det):
    import torch

    name = type(det).__name__
    t = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float64))  # noqa: E731

    def sq_dist(x, C):  # ||x - c||^2 for every pair, clipped at 0
        return (x.pow(2).sum(1, keepdim=True) - 2 * x @ C.T + C.pow(2).sum(1)[None, :]).clamp_min(0.0)

    if name == "PCA":
        mean, V = t(det.mean_), t(det.components_)

        def pca(x):
            xc = x - mean
            return (xc - (xc @ V.T) @ V).pow(2).sum(1)

        return pca
    if name == "KNN":
        ref, k, method = t(det.model_._fit_X), int(det.k_), det.method

        def knn(x):
            dist = sq_dist(x, ref).sqrt()
            top = torch.topk(dist, k, dim=1, largest=False).values
            if method == "largest":
                return top[:, -1]
            if method == "mean":
                return top.mean(1)
            return top.median(1).values if k % 2 else 0.5 * (top[:, k // 2 - 1] + top[:, k // 2])

        return knn
    if name == "KDE" and "centres_" in vars(det):
        C, h = t(det.centres_), float(det.bandwidth_)
        m, d = C.shape
        const = float(np.log(m) + 0.5 * d * np.log(2 * np.pi) + d * np.log(h))

        def kde(x):
            return -(torch.logsumexp(-sq_dist(x, C) / (2 * h * h), dim=1) - const)

        return kde
    if name == "GMM":
        g = det.model_
        if g.covariance_type != "full":
            raise ValueError(f"GMM export supports covariance_type='full'; this one is {g.covariance_type!r}.")
        P, mu = t(g.precisions_cholesky_), t(g.means_)
        logw = t(np.log(g.weights_))
        d = mu.shape[1]
        logdet = t(np.log(np.diagonal(g.precisions_cholesky_, axis1=1, axis2=2)).sum(1))

        def gmm(x):
            # log N(x; mu_k, Sigma_k) = -1/2 ||(x - mu_k) L_k||^2 + log det L_k - d/2 log 2 pi
            y = torch.einsum("nd,kde->nke", x, P) - torch.einsum("kd,kde->ke", mu, P)[None]
            logp = -0.5 * y.pow(2).sum(2) + logdet[None] - 0.5 * d * float(np.log(2 * np.pi))
            return -torch.logsumexp(logp + logw[None], dim=1)

        return gmm
    if name == "OCSVM":
        svm = det.model_
        if svm.kernel != "rbf":
            raise ValueError(f"OCSVM export supports kernel='rbf'; this one is {svm.kernel!r}.")
        SV, coef = t(svm.support_vectors_), t(svm.dual_coef_[0])
        gamma, rho = float(svm._gamma), float(svm.intercept_[0])

        def ocsvm(x):  # -(sum_i a_i exp(-gamma ||x - sv_i||^2) + b)
            return -(torch.exp(-gamma * sq_dist(x, SV)) @ coef + rho)

        return ocsvm
    raise ValueError(f"{name} has no ONNX export.")


def _metadata(det, model, input_dtype: str) -> None:
    from .explain import feature_names

    props = {
        "genad.detector": type(det).__name__,
        "genad.threshold": repr(float(det.threshold_)),
        "genad.threshold_rule": str(getattr(det, "threshold_rule_", "")),
        "genad.feature_names": json.dumps(feature_names(det)),
        "genad.input_shape": json.dumps(list(det.input_shape_)),
        "genad.input_dtype": input_dtype,
        "genad.named_features": json.dumps(getattr(det, "feature_names_in_", None) is not None),
        "genad.calibration": str(getattr(det, "calibration_", "")),
    }
    cal = getattr(det, "calibration_scores_", None)
    if cal is not None:  # repr of a float64 reads back to the same float
        props["genad.calibration_scores"] = "[" + ",".join(repr(float(v)) for v in np.ravel(cal)) + "]"
    for k, v in props.items():
        p = model.metadata_props.add()
        p.key, p.value = k, v


def _isolation_forest(det):
    import onnx
    from onnx import TensorProto, helper
    from skl2onnx import to_onnx

    X0 = np.zeros((1, det.n_features_in_), dtype=np.float32)
    m = to_onnx(det.model_, X0, target_opset={"": 17, "ai.onnx.ml": 3},
                options={id(det.model_): {"score_samples": True}})
    g = m.graph
    score_name = next(o.name for o in g.output if "score_samples" in o.name or o.name == "score_samples")
    x_in = g.input[0].name
    off, scale = _scaler_arrays(det, 2, np.float32)
    inits = [helper.make_tensor("genad_offset", TensorProto.FLOAT, off.shape, off.ravel()),
             helper.make_tensor("genad_scale", TensorProto.FLOAT, scale.shape, scale.ravel())]
    # rename the forest's input; feed it the scaled rows
    for node in g.node:
        node.input[:] = ["genad_scaled" if i == x_in else i for i in node.input]
    pre = [helper.make_node("Sub", ["X", "genad_offset"], ["genad_centred"]),
           helper.make_node("Div", ["genad_centred", "genad_scale"], ["genad_scaled"])]
    post = [helper.make_node("Neg", [score_name], ["genad_neg"]),
            helper.make_node("Flatten", ["genad_neg"], ["genad_flat"], axis=0),
            helper.make_node("Reshape", ["genad_flat", "genad_shape"], ["score"])]
    inits.append(helper.make_tensor("genad_shape", TensorProto.INT64, (1,), [-1]))
    nodes = pre + list(g.node) + post
    graph = helper.make_graph(
        nodes, "genad_isolation_forest",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["batch", det.n_features_in_])],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["batch"])],
        initializer=list(g.initializer) + inits,
    )
    model = helper.make_model(graph, opset_imports=list(m.opset_import))
    model.ir_version = m.ir_version
    onnx.checker.check_model(model)
    return model


def export_onnx(det, path, *, opset: int = 17) -> Path:
    """Write ``det`` as an ONNX graph (raw samples -> score) to ``path``; returns the path."""
    import onnx

    from .validation import check_fitted

    check_fitted(det)
    name = type(det).__name__
    if name in REFUSED:
        raise ValueError(f"{name} cannot be exported to ONNX: {REFUSED[name]}. Export another detector, or "
                         "score it with genad.")
    if hasattr(det, "_score_groups"):
        raise ValueError(f"{name} is a group detector; ONNX export covers point detectors.")
    model_ = getattr(det, "model_", None)
    if any(hasattr(getattr(model_, a, None), "tocsr") for a in ("_fit_X", "support_vectors_")):
        raise ValueError("detectors fitted on sparse input cannot be exported; fit on dense rows.")
    path = Path(path)
    if name == "IsolationForest":
        model, input_dtype = _isolation_forest(det), "float32"
    else:
        import io

        import torch

        module, tdtype = _torch_module(det)
        x = torch.zeros((2, *det.input_shape_), dtype=tdtype)
        buf = io.BytesIO()
        try:
            with torch.no_grad(), warnings.catch_warnings():
                # shapes fixed by input_shape_ are constants of the graph (the batch stays dynamic)
                warnings.simplefilter("ignore", torch.jit.TracerWarning)
                warnings.filterwarnings("ignore", message=".*batch_size other than 1.*")
                warnings.filterwarnings("ignore", category=DeprecationWarning, module="torch.onnx")
                torch.onnx.export(module, (x,), buf, input_names=["X"], output_names=["score"],
                                  dynamic_axes={"X": {0: "batch"}, "score": {0: "batch"}},
                                  opset_version=int(opset), dynamo=False)
        except Exception as exc:  # the exporter's own errors: say which detector and why
            raise ValueError(f"{name} could not be exported to ONNX: {type(exc).__name__}: {exc}") from exc
        model = onnx.load_from_string(buf.getvalue())
        input_dtype = "float32" if tdtype == torch.float32 else "float64"
    _metadata(det, model, input_dtype)
    tmp = path.with_name(path.name + ".tmp")
    onnx.save(model, str(tmp))
    tmp.replace(path)
    return path


def onnx_scores(path_or_session, X) -> np.ndarray:
    """Scores of ``X`` from an exported model (a path or an ``onnxruntime.InferenceSession``)."""
    import onnxruntime as ort

    sess = path_or_session
    if not isinstance(sess, ort.InferenceSession):
        sess = ort.InferenceSession(str(path_or_session), providers=["CPUExecutionProvider"])
    meta = sess.get_modelmeta().custom_metadata_map
    dtype = np.float32 if meta.get("genad.input_dtype", "float32") == "float32" else np.float64
    X = np.asarray(getattr(X, "to_numpy", lambda: X)(), dtype=dtype)
    return sess.run(["score"], {"X": X})[0].astype(np.float64)


class OnnxDetector:
    """A model exported by :func:`export_onnx`, loaded for scoring with onnxruntime.

    The scoring half of the detector contract -- ``decision_function``, ``predict`` (at
    ``threshold_``), ``p_values`` -- on the inputs the exported detector takes (validated the same
    way: sample shape, DataFrame columns matched by name when it was fitted on named columns,
    NaN/inf refused), with its scores from the ONNX graph. Loading parses the file and builds an
    onnxruntime session; no Python code from the file runs, and a file that refers to external
    tensor data (other files on disk) is refused.

    Parameters
    ----------
    source : str, Path or bytes
        The ``.onnx`` file, or its bytes.
    max_bytes : int, default 1 GiB
        Largest file accepted.

    Attributes
    ----------
    detector_ : str
        Class name of the exported detector.
    threshold_, threshold_rule_, input_shape_, n_features_in_, feature_names_in_ (named columns only)
        As on the exported detector.
    calibration_scores_ : ndarray or None
        The held-out normal scores of the p-values; None for a file exported without them (then
        :meth:`p_values` raises ValueError and ``has_p_values`` is False).
    """

    format = "onnx"

    def __init__(self, source, *, max_bytes: int = 1 << 30):
        import onnx
        import onnxruntime as ort
        from onnx.external_data_helper import _get_all_tensors, uses_external_data

        if isinstance(source, (bytes, bytearray)):
            raw = bytes(source)
        else:
            path = Path(source)
            if path.stat().st_size > int(max_bytes):
                raise ValueError(f"ONNX file of {path.stat().st_size} bytes is over the limit of {int(max_bytes)} bytes.")
            raw = path.read_bytes()
        if len(raw) > int(max_bytes):
            raise ValueError(f"ONNX model of {len(raw)} bytes is over the limit of {int(max_bytes)} bytes.")
        try:
            model = onnx.load_from_string(raw)
        except Exception as exc:  # protobuf's DecodeError and friends
            raise ValueError(f"not an ONNX model ({type(exc).__name__}: {exc}).") from None
        if any(uses_external_data(t) for t in _get_all_tensors(model)):
            raise ValueError("the ONNX model keeps tensors in external files; export it as one file "
                             "with det.export_onnx.")
        meta = {p.key: p.value for p in model.metadata_props}
        missing = [k for k in ("genad.threshold", "genad.input_shape", "genad.detector") if k not in meta]
        if missing:
            raise ValueError(f"the ONNX model has no {', '.join(missing)} metadata: it was not written by "
                             "genad's export (det.export_onnx or genad export --format onnx).")
        try:
            self._session = ort.InferenceSession(raw, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime's own load errors (invalid graph, unknown operator)
            raise ValueError(f"onnxruntime could not load the model ({type(exc).__name__}: {exc}).") from None
        inputs = [i.name for i in self._session.get_inputs()]
        outputs = [o.name for o in self._session.get_outputs()]
        if inputs != ["X"] or "score" not in outputs:
            raise ValueError(f"the ONNX model takes {inputs} and returns {outputs}; genad's export takes "
                             "['X'] and returns ['score'].")
        try:
            self.detector_ = str(meta["genad.detector"])
            self.threshold_ = float(meta["genad.threshold"])
            self.threshold_rule_ = meta.get("genad.threshold_rule") or None
            self.input_shape_ = tuple(int(v) for v in json.loads(meta["genad.input_shape"]))
            names = [str(v) for v in json.loads(meta.get("genad.feature_names", "null")) or []]
            cal = meta.get("genad.calibration_scores")
            self.calibration_scores_ = None if cal is None else np.asarray(json.loads(cal), dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"the ONNX model's genad metadata is malformed ({exc}).") from None
        if not self.input_shape_ or len(self.input_shape_) > 3:
            raise ValueError(f"the ONNX model's genad.input_shape {list(self.input_shape_)} is not a sample shape.")
        self.n_features_in_ = (self.input_shape_[0] if len(self.input_shape_) == 1
                               else int(np.prod(self.input_shape_)))
        named = meta.get("genad.named_features")
        default = [f"x{j}" for j in range(self.input_shape_[-1])]
        if (json.loads(named) if named is not None else bool(names) and names != default) and len(self.input_shape_) == 1:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        self.calibration_ = meta.get("genad.calibration", "")
        self._dtype = np.float32 if meta.get("genad.input_dtype", "float32") == "float32" else np.float64

    @property
    def has_p_values(self) -> bool:
        """Whether the file carries calibration scores (and so :meth:`p_values` works)."""
        return self.calibration_scores_ is not None

    def _validate(self, X, *, fitting: bool = False) -> np.ndarray:
        from .validation import check_X

        if fitting:
            raise ValueError("an exported ONNX model cannot be refitted; fit the genad detector and export it again.")
        names = getattr(self, "feature_names_in_", None)
        return check_X(X, dtype=np.float64, allow_nd=len(self.input_shape_) > 1, min_samples=1,
                       feature_names=None if names is None else list(names), input_shape=self.input_shape_,
                       what="X", estimator_name=self.detector_)

    def decision_function(self, X) -> np.ndarray:
        """Anomaly scores (higher = more anomalous), computed by the ONNX graph."""
        arr = self._validate(X)
        return self._session.run(["score"], {"X": arr.astype(self._dtype)})[0].astype(np.float64).ravel()

    def predict(self, X) -> np.ndarray:
        """0 (normal) or 1 (anomaly) per sample, at ``threshold_``."""
        return (self.decision_function(X) > self.threshold_).astype(np.int64)

    def p_values(self, X) -> np.ndarray:
        """Conformal p-values against the calibration scores (small = anomalous)."""
        from .thresholds import conformal_p_values

        if self.calibration_scores_ is None:
            raise ValueError("this ONNX file carries no calibration scores (genad.calibration_scores metadata), "
                             "so it has no p-values; export the detector again with this genad version.")
        return conformal_p_values(self.calibration_scores_, self.decision_function(X))

    def __repr__(self) -> str:
        return f"OnnxDetector({self.detector_}, input_shape={list(self.input_shape_)}, threshold={self.threshold_!r})"
