"""Seq2Seq: an LSTM encoder-decoder autoencoder for sequences (Sutskever et al. 2014; for
anomaly detection Malhotra et al. 2016, "LSTM-based encoder-decoder for multi-sensor anomaly
detection"; the unconditioned decoder of Srivastava et al. 2015, "Unsupervised learning of
video representations using LSTMs").

An LSTM encoder reads a sequence ``x_1 .. x_T`` (each ``x_t`` in R^d) and its final state is
squeezed into a code::

    (h_T, c_T) = LSTM_enc(x_1 .. x_T)
    z          = tanh(W_z [h_T ; c_T] + b_z)                       (the code, latent_dim)

The code sets the decoder's initial state (one linear map per decoder layer)::

    (h_0, c_0) = (tanh(W_h z + b_h), W_c z + b_c)

and the decoder reconstructs the sequence; the training loss and the anomaly score are the mean
squared reconstruction error ``L(x) = 1/(T d) sum_t || x_t - x^_t ||^2``.

Decoders
--------
*Unconditioned* (``conditional=False``, the default): the decoder has no input (a zero at
every step), so the reconstruction comes from the code alone::

    x^_t = W_o LSTM_dec(0 | state_{t-1})

Training and scoring are the same single batched LSTM pass -- no loop over time steps in
Python. *Conditional* (``conditional=True``): the decoder's input at step t is the previous
value. It is trained with *teacher forcing* (the true ``x_{t-1}``, a zero start token at
t = 1; one batched pass) and scored as ``decode`` says: ``"teacher_forcing"`` (one batched
pass), or ``"free_running"`` (the default for a conditional decoder: its own previous output
``x^_{t-1}``, a loop over the LSTM steps -- never over sequences).

Several time steps per LSTM step
--------------------------------
An LSTM must run its steps one after another, and that sequential length is its cost.
``steps_per_cell=k`` reads k consecutive time steps as one LSTM input, ``(n, t, d)`` ->
``(n, ceil(t / k), k d)`` (the tail padded with zeros that neither the loss nor the score
count), and the decoder emits k steps per LSTM step; ``step_errors`` and ``reconstruct`` map
back to ``(n, t)`` and ``(n, t, d)``. ``"auto"`` (default) takes ``k = ceil(t / 10)``: about
10 LSTM steps whatever the length.

Which setting
-------------
Measured (benchmarks/seq/README.md, mean of 3 seeds unless said): on ECG5000 beats of 140
steps the default (unconditioned, 14 steps per LSTM step) has ROC-AUC 0.991 (7 steps: 0.991,
4: 0.988, 1: 0.958; the dense ``genad.AutoEncoder`` 0.984); a conditional decoder with one
step per LSTM step scores 0.971 free running and 0.912 with teacher forcing (teacher forcing
is a one-step-ahead predictor in disguise: a sequence of abnormal *shape* but locally smooth
is reconstructed well). On NAB windows (53 series, one seed) the unconditioned decoder has
window ROC-AUC 0.623 (4 steps per LSTM step, the default there) and 0.621 (2), the conditional
one 0.616 free running and 0.602 teacher forcing. Scoring time on a CPU per ECG5000-shaped sequence,
against the dense autoencoder's: 11.5x at the defaults, about 100x with one time step per LSTM
step (teacher forcing or unconditioned), 160x free running at one step per LSTM step.

``conditional=True, decode="teacher_forcing", steps_per_cell=1`` is the choice for isolated
point anomalies (spikes), which it pins to the step where they happen (see
:meth:`Seq2Seq.step_errors`); an unconditioned or free-running decoder smooths over them.
``decode`` is read at scoring time, so a conditional model can switch it after fitting
(``det.set_params(decode="teacher_forcing")``); ``threshold_`` and the p-values keep referring
to the decoding used during ``fit`` -- refit, or move the threshold with ``set_threshold``.
``conditional`` and ``steps_per_cell`` shape the networks: they take effect at the next
``fit`` (the fitted values are ``conditional_`` and ``steps_per_cell_``).

Rows and images as sequences
----------------------------
2-D input ``(n, d)`` is read as ``n`` sequences of ``d`` steps with one feature each
(``(n, d, 1)``), after the usual per-column scaling -- the FF12 report's "Seq2Seq on KDD rows".
Images ``(n, c, h, w)`` are read one pixel row per step: ``(n, h, c * w)``. ``steps_per_cell``
then groups these steps as above.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils._param_validation import StrOptions
from torch import nn

from ..nn.training import Step
from .deep import LAYER_SIZES, POSITIVE_INT, DeepDetector

__all__ = ["Seq2Seq", "SequenceEncoder", "SequenceDecoder"]

DECODE_MODES = ("free_running", "teacher_forcing")
#: ``steps_per_cell="auto"`` aims at this many LSTM steps per sequence
AUTO_CELLS = 10


# ---------------------------------------------------------------------------- networks
class SequenceEncoder(nn.Module):
    """Stacked (optionally bidirectional) LSTMs; the last layer's final ``(h, c)`` (both
    directions) -> a ``latent_dim`` code through ``tanh(linear)``."""

    def __init__(self, n_inputs: int, hidden: list[int], latent_dim: int, bidirectional: bool = False):
        super().__init__()
        dirs = 2 if bidirectional else 1
        self.layers = nn.ModuleList()
        d = int(n_inputs)
        for h in hidden:
            self.layers.append(nn.LSTM(d, int(h), batch_first=True, bidirectional=bidirectional))
            d = int(h) * dirs
        # [h_T ; c_T] of every direction of the last layer
        self.head = nn.Linear(2 * dirs * int(hidden[-1]), int(latent_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for lstm in self.layers:
            h, (hn, cn) = lstm(h)
        state = torch.cat([*hn.unbind(0), *cn.unbind(0)], dim=-1)  # (n, 2 * dirs * H)
        return torch.tanh(self.head(state))  # z = tanh(W_z [h_T ; c_T] + b_z)


class SequenceDecoder(nn.Module):
    """Stacked LSTMs started from a code: ``(h_0, c_0) = (tanh(W_h z), W_c z)`` per layer;
    a linear read-out gives ``x^_t`` from the top layer's output.

    A *conditional* decoder (``conditional=True``) is fed the previous value at every step
    (the true one under teacher forcing, its own output when free running); an
    *unconditioned* one (Srivastava et al. 2015) has no input -- a single zero feature at
    every step -- so its reconstruction depends on the code (through the initial state) alone
    and the whole decoder is one batched LSTM pass."""

    def __init__(self, n_outputs: int, hidden: list[int], latent_dim: int, conditional: bool = True):
        super().__init__()
        self.conditional = bool(conditional)
        self.init = nn.ModuleList(nn.Linear(int(latent_dim), 2 * int(h)) for h in hidden)
        self.layers = nn.ModuleList()
        d = int(n_outputs) if self.conditional else 1
        for h in hidden:
            self.layers.append(nn.LSTM(d, int(h), batch_first=True))
            d = int(h)
        self.out = nn.Linear(d, int(n_outputs))

    def initial_state(self, z: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        states = []
        for lin in self.init:
            h0, c0 = lin(z).chunk(2, dim=-1)
            states.append((torch.tanh(h0).unsqueeze(0).contiguous(), c0.unsqueeze(0).contiguous()))
        return states

    def forward(self, inputs: torch.Tensor, states):
        """Run ``inputs`` ``(n, s, d)`` from ``states``; return outputs ``(n, s, d)`` and the new states."""
        h, new = inputs, []
        for lstm, st in zip(self.layers, states):
            h, st = lstm(h, st)
            new.append(st)
        return self.out(h), new

    def unconditioned(self, z: torch.Tensor, n_steps: int) -> torch.Tensor:
        """One batched pass with no input (zeros): ``x^_t = W_o LSTM_dec(0 | state_{t-1})``, the
        state started from the code."""
        if self.conditional:
            raise ValueError("this decoder is conditional: use teacher_forcing or free_running.")
        out, _ = self(z.new_zeros(z.shape[0], int(n_steps), 1), self.initial_state(z))
        return out

    def teacher_forcing(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """One batched pass: the input at step t is the true ``x_{t-1}`` (zeros at t = 1)."""
        self._need_conditional()
        shifted = torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], dim=1)
        out, _ = self(shifted, self.initial_state(z))
        return out

    def free_running(self, z: torch.Tensor, n_steps: int, n_outputs: int) -> torch.Tensor:
        """Autoregressive: the input at step t is the decoder's own ``x^_{t-1}`` (a loop over
        time steps; every sequence of the batch advances together). Each step runs the LSTM
        layers' own weights through ``torch.lstm_cell`` (the kernel behind ``nn.LSTMCell``), so
        it computes exactly what ``forward`` computes, without its per-call set-up."""
        self._need_conditional()
        hs = [(h[0], c[0]) for h, c in self.initial_state(z)]
        weights = [(m.weight_ih_l0, m.weight_hh_l0, m.bias_ih_l0, m.bias_hh_l0) for m in self.layers]
        w_out = self.out.weight.t()
        y = z.new_zeros(z.shape[0], int(n_outputs))
        out = z.new_empty(z.shape[0], int(n_steps), int(n_outputs))
        for t in range(int(n_steps)):
            inp = y
            for j, w in enumerate(weights):
                hs[j] = torch.lstm_cell(inp, hs[j], *w)
                inp = hs[j][0]
            y = torch.addmm(self.out.bias, inp, w_out)  # x^_t = W_o h_t + b_o
            out[:, t] = y
        return out

    def _need_conditional(self) -> None:
        if not self.conditional:
            raise ValueError("this decoder is unconditioned: it has no previous-value input.")


def to_cells(x: torch.Tensor, k: int) -> torch.Tensor:
    """``(n, t, d)`` -> ``(n, ceil(t / k), k * d)``: k consecutive steps per LSTM step, the
    tail padded with zeros (the scaled data's mean for standard scaling)."""
    n, t, d = x.shape
    pad = (-t) % int(k)
    if pad:
        x = torch.nn.functional.pad(x, (0, 0, 0, pad))
    return x.reshape(n, (t + pad) // int(k), int(k) * d)


def from_cells(y: torch.Tensor, t: int, d: int) -> torch.Tensor:
    """Inverse of :func:`to_cells`: ``(n, s, k * d)`` -> ``(n, t, d)``, the padding dropped."""
    return y.reshape(y.shape[0], -1, int(d))[:, : int(t)]


def auto_steps_per_cell(t: int) -> int:
    """``steps_per_cell="auto"``: about AUTO_CELLS LSTM steps for any length, ``ceil(t / AUTO_CELLS)``."""
    return max(1, -(-int(t) // AUTO_CELLS))


# ---------------------------------------------------------------------------- detector
class Seq2Seq(DeepDetector):
    """LSTM encoder-decoder autoencoder; the anomaly score is the mean squared reconstruction
    error of a sequence.

    Parameters
    ----------
    hidden : int or list of int or None
        LSTM sizes of the encoder's stacked layers. None: ``[32]``.
    decoder_hidden : int or list of int or None
        LSTM sizes of the decoder's layers. None: ``hidden`` reversed. (The FF12 report's
        network: ``hidden=[10], decoder_hidden=[20]``.)
    latent_dim : int or None
        Size of the code between encoder and decoder. None: the encoder's last layer size
        (times 2 when bidirectional).
    bidirectional : bool
        Bidirectional encoder (the decoder is always left to right).
    conditional : bool
        False (default): an *unconditioned* decoder (Srivastava et al. 2015) with no input,
        started from the code; the reconstruction depends on the code alone, and training and
        scoring are one batched LSTM pass. True: a *conditional* decoder fed the previous value
        at every step, trained with teacher forcing and scored as ``decode`` says. See the
        module docstring for the measured trade-offs.
    decode : {None, "free_running", "teacher_forcing"}
        Scoring-time decoding of a conditional decoder (an unconditioned one has a single
        decoding and needs None). None or ``"free_running"``: the decoder feeds back its own
        outputs (a loop over LSTM steps, never over sequences), so the reconstruction depends
        on the code only. ``"teacher_forcing"``: one batched LSTM pass fed the true previous
        values -- sharp on point anomalies (spikes).
    steps_per_cell : int or "auto"
        Time steps read (and reconstructed) per LSTM step: ``(n, t, d)`` becomes
        ``(n, ceil(t / k), k * d)``, the tail padded with zeros that the loss and the scores
        leave out. It divides the sequential length by k -- the cost of an LSTM. ``"auto"``
        (default): ``ceil(t / 10)``, about 10 LSTM steps (14 for ECG5000's 140 steps, 4 for
        NAB windows of 32, 2 for KDD rows of 18 features, 1 for at most 10 steps). The fitted value is ``steps_per_cell_``.
    epochs, batch_size, lr, optimizer, weight_decay : training settings (see
        :func:`genad.nn.training.train`).
    validation_fraction : float
        Share of training sequences held out for early stopping (best weights restored).
    patience : int or None
        Epochs without validation improvement before stopping; None trains every epoch.
    clip_grad_norm : float or None
        Clip the global gradient norm (LSTMs benefit; default 1.0).
    preprocessing : {"standard", "minmax", None}
        Per-feature scaling fitted on the training sequences (per column for 2-D rows).
    device : "auto", "cpu", "cuda", ...
    random_state : int or None
    verbose : int
    callbacks : list of callbacks or callables ``f(info)``
    contamination : float or None
        If given, the threshold flags this share of the training sequences.

    Attributes
    ----------
    encoder_ : SequenceEncoder
    decoder_ : SequenceDecoder
    conditional_ : bool
        The decoder kind fitted.
    steps_per_cell_ : int
        The resolved ``steps_per_cell`` (the networks' input is ``steps_per_cell_ * d`` wide).
    history_ : dict of per-epoch lists
    decision_scores_, threshold_, calibration_scores_ : see :class:`genad.base.Detector`

    Examples
    --------
    >>> import numpy as np
    >>> from genad import Seq2Seq
    >>> t = np.linspace(0, 2 * np.pi, 20)
    >>> rng = np.random.default_rng(0)
    >>> X_train = np.sin(t + rng.uniform(0, 6, size=(100, 1)))[..., None]   # (n, t, d) = (100, 20, 1)
    >>> det = Seq2Seq(hidden=[16], epochs=3, random_state=0).fit(X_train)
    >>> det.decision_function(X_train[:2]).shape
    (2,)
    >>> det.step_errors(X_train[:2]).shape   # (n, t): where in each sequence the error is
    (2, 20)
    >>> spikes = Seq2Seq(conditional=True, decode="teacher_forcing", steps_per_cell=1)
    """

    _fast_params = {"hidden": [8], "epochs": 2, "batch_size": 64, "patience": None}
    _parameter_constraints = {
        **DeepDetector._parameter_constraints,
        "decoder_hidden": LAYER_SIZES,
        "bidirectional": ["boolean"],
        "conditional": ["boolean"],
        "decode": [None, StrOptions(set(DECODE_MODES))],
        "steps_per_cell": [POSITIVE_INT, StrOptions({"auto"})],
    }
    _min_hidden_layers = 1
    #: CPU scoring batches hold about this many (sequence x LSTM step) pairs: long sequences
    #: score in batches of a few hundred, whose LSTM gates stay in cache; short ones (few LSTM
    #: steps) in large batches that spread each kernel call's fixed cost (measured in
    #: benchmarks/seq/run_speed.py); on a GPU a large batch is best.
    cpu_score_cells = 32768
    #: fixed sequences per CPU scoring batch instead of the rule above (None: the rule)
    cpu_score_batch_size: int | None = None

    @property
    def score_batch_size(self) -> int:
        if self._device().type != "cpu":
            return 65536
        if self.cpu_score_batch_size is not None:
            return int(self.cpu_score_batch_size)
        cells = -(-self._seq_shape()[0] // int(self.steps_per_cell_))
        return int(min(4096, max(256, self.cpu_score_cells // cells)))

    def __init__(
        self,
        hidden=None,
        decoder_hidden=None,
        latent_dim=None,
        bidirectional=False,
        conditional=False,
        decode=None,
        steps_per_cell="auto",
        epochs=50,
        batch_size=128,
        lr=1e-3,
        optimizer="adam",
        weight_decay=0.0,
        validation_fraction=0.1,
        patience=5,
        clip_grad_norm=1.0,
        preprocessing="standard",
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
        contamination=None,
    ):
        self.hidden = hidden
        self.decoder_hidden = decoder_hidden
        self.latent_dim = latent_dim
        self.bidirectional = bidirectional
        self.conditional = conditional
        self.decode = decode
        self.steps_per_cell = steps_per_cell
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.clip_grad_norm = clip_grad_norm
        self.preprocessing = preprocessing
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.contamination = contamination

    # ------------------------------------------------------------ shapes and sizes
    def _check_input(self, X: np.ndarray) -> None:
        super()._check_input(X)
        steps = {2: 1, 3: 1, 4: 2}.get(X.ndim)
        if steps is None:
            raise ValueError(
                f"Seq2Seq expects sequences (n, t, d), rows (n, d) or images (n, c, h, w); got an "
                f"array of shape {X.shape}."
            )
        if X.shape[steps] < 2:
            rows = f" (a row of {X.shape[1]} feature(s) is a sequence of that many steps)" if X.ndim == 2 else ""
            raise ValueError(f"Seq2Seq needs sequences of at least 2 time steps; got shape {X.shape}{rows}.")
        self._check_params()

    def _check_params(self) -> None:
        if not isinstance(self.conditional, (bool, np.bool_)):
            raise ValueError(f"conditional must be True or False; got {self.conditional!r}.")
        self._decode_mode(bool(self.conditional))
        k = self.steps_per_cell
        if not (k == "auto" or (isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k >= 1)):
            raise ValueError(f"steps_per_cell must be a positive integer or 'auto'; got {k!r}.")

    def _decode_mode(self, conditional: bool, decode=None) -> str:
        """The decoding to score with: "unconditioned", "free_running" or "teacher_forcing"."""
        mode = self.decode if decode is None else decode
        if not conditional:
            if mode is not None:
                raise ValueError(
                    f"decode={mode!r} applies to a conditional decoder only (conditional=True); an "
                    "unconditioned decoder has one decoding: leave decode=None."
                )
            return "unconditioned"
        mode = "free_running" if mode is None else mode
        if mode not in DECODE_MODES:
            raise ValueError(f"decode must be one of {DECODE_MODES} (or None); got {mode!r}.")
        return mode

    def _resolve_steps_per_cell(self) -> int:
        t, _ = self._seq_shape()
        k = auto_steps_per_cell(t) if self.steps_per_cell == "auto" else int(self.steps_per_cell)
        return min(k, t)

    def _seq_shape(self) -> tuple[int, int]:
        shape = tuple(self.input_shape_)
        if len(shape) == 1:
            return shape[0], 1
        if len(shape) == 3:
            return shape[1], shape[0] * shape[2]
        return shape[0], shape[1]

    @staticmethod
    def _as_sequences(X: np.ndarray) -> np.ndarray:
        """Rows (n, d) -> (n, d, 1); images (n, c, h, w) -> (n, h, c*w), one image row per step."""
        if X.ndim == 2:
            return X[:, :, None]
        if X.ndim == 4:
            return np.ascontiguousarray(X.transpose(0, 2, 1, 3)).reshape(X.shape[0], X.shape[2], -1)
        return X

    def _default_hidden(self) -> list[int]:
        return [32]

    def _default_latent_dim(self) -> int:
        return self._encoder_hidden()[-1] * (2 if self.bidirectional else 1)

    def _encoder_hidden(self) -> list[int]:
        return self._hidden()

    def _decoder_hidden(self) -> list[int]:
        if self.decoder_hidden is None:
            return self._encoder_hidden()[::-1]
        return self._layer_sizes(self.decoder_hidden, "decoder_hidden", min_layers=1)

    # ------------------------------------------------------------ DeepDetector hooks
    def _build_networks(self) -> None:
        _, d = self._seq_shape()
        ld, k = self._latent_dim(), int(self.steps_per_cell_)
        self.encoder_ = SequenceEncoder(k * d, self._encoder_hidden(), ld, bool(self.bidirectional))
        self.decoder_ = SequenceDecoder(k * d, self._decoder_hidden(), ld, bool(self.conditional_))

    def _steps(self):
        enc, dec = self.encoder_, self.decoder_
        train_mode = "teacher_forcing" if self.conditional_ else "unconditioned"

        def loss(x):
            # L = 1/(n T d) sum || x_t - x^_t ||^2 over the real steps (padding excluded); a
            # conditional decoder is fed x_{t-1} (teacher forcing), an unconditioned one z
            return torch.nn.functional.mse_loss(self._reconstruct_tensor(x, train_mode), x)

        return [Step("reconstruction", [enc, dec], loss)]

    def _reconstruct_tensor(self, x: torch.Tensor, mode: str) -> torch.Tensor:
        """Reconstruct scaled sequences ``(n, t, d)`` with a resolved decoding ``mode``
        ("unconditioned", "free_running" or "teacher_forcing", see ``_decode_mode``)."""
        n, t, d = x.shape
        cells = to_cells(x, self.steps_per_cell_)
        z = self.encoder_(cells)
        if mode == "unconditioned":
            out = self.decoder_.unconditioned(z, cells.shape[1])
        elif mode == "teacher_forcing":
            out = self.decoder_.teacher_forcing(z, cells)
        else:
            out = self.decoder_.free_running(z, cells.shape[1], cells.shape[2])
        return from_cells(out, t, d)

    def _score_batch(self, x: torch.Tensor) -> torch.Tensor:
        rec = self._reconstruct_tensor(x, self._decode_mode(self.conditional_))
        return (x - rec).pow(2).mean(dim=(1, 2))

    def _fit(self, X: np.ndarray) -> None:
        self._check_params()
        self.conditional_ = bool(self.conditional)
        self.steps_per_cell_ = self._resolve_steps_per_cell()
        super()._fit(self._as_sequences(X))

    def _score(self, X: np.ndarray) -> np.ndarray:
        return super()._score(self._as_sequences(X))

    # ------------------------------------------------------------ public helpers
    def _scaled_sequences(self, X) -> np.ndarray:
        return self._as_sequences(self._transform(self._validate(X, fitting=False)))

    def reconstruct(self, X, decode: str | None = None) -> np.ndarray:
        """Reconstructions of ``X`` in the input's units and shape (``decode`` overrides the
        detector's setting for this call)."""
        Xs = self._scaled_sequences(X)
        mode = self._decode_mode(self.conditional_, decode)
        rec = self._forward_batched(lambda x: self._reconstruct_tensor(x, mode), Xs)
        return self.scaler_.inverse_transform(self._from_sequences(rec))

    def _from_sequences(self, S: np.ndarray) -> np.ndarray:
        shape = tuple(self.input_shape_)
        if len(shape) == 3:
            c, h, w = shape
            return S.reshape(len(S), h, c, w).transpose(0, 2, 1, 3)
        return S.reshape((len(S), *shape))

    def step_errors(self, X, decode: str | None = None) -> np.ndarray:
        """Squared reconstruction error per time step ``(n, t)`` (mean over features), in the
        scaled space the model was trained in: where in a sequence the anomaly is."""
        Xs = self._scaled_sequences(X)
        mode = self._decode_mode(self.conditional_, decode)
        rec = self._forward_batched(lambda x: self._reconstruct_tensor(x, mode), Xs)
        return ((Xs - rec) ** 2).mean(axis=2)
