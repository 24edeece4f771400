"""Autoencoder: score by how badly a network trained on normal data reconstructs a point.

An encoder ``f`` squeezes ``x`` through a narrow code ``z = f(x)`` and a decoder ``g`` maps it
back, trained to minimise the mean squared reconstruction error on normal data
(Hinton & Salakhutdinov 2006; for anomaly detection Sakurada & Yairi 2014)::

    L(x) = 1/d * || x - g(f(x)) ||^2                     (training loss and anomaly score)

Points unlike the training data are reconstructed badly, so the error is the anomaly score.
``denoising > 0`` trains on corrupted inputs ``x + sigma * eps`` (Vincent et al. 2008) while
the target stays the clean ``x``. The backbone follows the input: an MLP for rows, LSTMs for
``(n, t, d)`` sequences, DCGAN-style convolutions for ``(n, c, h, w)`` images.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..nn import backbones as B
from ..nn.training import Step
from .deep import DeepDetector

__all__ = ["AutoEncoder"]


# ---------------------------------------------------------------- hand-written backward
# A plain MLP autoencoder (Linear layers and element-wise activations) is a chain of small
# matrix products. For the tiny networks typical of tabular data, autograd's per-op bookkeeping
# costs more than the arithmetic, so the training step can use this equivalent forward and
# backward pass written with the same torch ops (same loss, same gradients).

#: activation type -> (forward, backward(grad, output, module))
_ACTS = {
    nn.ReLU: (torch.relu, lambda g, out, m: torch.ops.aten.threshold_backward(g, out, 0)),
    nn.Tanh: (torch.tanh, lambda g, out, m: torch.ops.aten.tanh_backward(g, out)),
    nn.Sigmoid: (torch.sigmoid, lambda g, out, m: torch.ops.aten.sigmoid_backward(g, out)),
    # the output has the sign of the input for a positive slope
    nn.LeakyReLU: (None, lambda g, out, m: torch.ops.aten.leaky_relu_backward(g, out, m.negative_slope, False)),
}


def _linear_chain(modules) -> list | None:
    """``[(linear, activation or None, dropout probability), ...]`` if the modules are only
    Linear layers, each followed by a supported activation and then an optional Dropout, else
    None."""
    chain: list = []
    for seq in modules:
        for m in seq.modules() if isinstance(seq, nn.Sequential) else [seq]:
            if isinstance(m, nn.Sequential) or type(m) is nn.Identity:
                continue
            if type(m) is nn.Linear:
                chain.append([m, None, 0.0])
            elif type(m) in _ACTS and chain and chain[-1][1] is None and chain[-1][2] == 0.0:
                if isinstance(m, nn.LeakyReLU) and not m.negative_slope > 0:
                    return None
                chain[-1][1] = m
            elif type(m) is nn.Dropout and chain and chain[-1][2] == 0.0 and 0.0 <= m.p < 1.0:
                chain[-1][2] = float(m.p)
            else:
                return None
    return [tuple(c) for c in chain] or None


def kept_rows(n: int, trim: float) -> int:
    """How many of a batch's ``n`` rows a loss trimmed by ``trim`` keeps (at least one)."""
    return max(1, int(round(n * (1.0 - trim))))


def trimmed_mean(row_losses: torch.Tensor, trim: float) -> torch.Tensor:
    """Mean of the ``1 - trim`` smallest per-row losses (all of them when ``trim`` is 0)."""
    if not trim:
        return row_losses.mean()
    k = kept_rows(len(row_losses), trim)
    return torch.topk(row_losses, k, largest=False, sorted=False).values.mean()


def check_trim(trim) -> float:
    t = float(trim or 0.0)
    if not 0.0 <= t < 0.5:
        raise ValueError(f"trim must be in [0, 0.5) (the share of each batch's worst-fitting rows left out "
                         f"of the loss; a little above the expected contamination); got {trim!r}.")
    return t


def _dropout_masks(device, p: float, widths, source: str = "auto"):
    """``draw(n, like)``: inverted-dropout masks (0 with probability ``p``, else ``1 / (1 - p)``)
    of shapes ``(n, w) for w in widths``, with ``like``'s dtype and device.

    On the CPU the masks come from NumPy's PCG64 generator, seeded from torch's global generator
    (so ``torch.manual_seed`` still fixes them), made for many steps at once from 16 random bits
    per unit: for the small batches of tabular training this takes about a seventh of the time
    of ``torch.rand`` and the three tensor ops that turn it into a mask, which were most of a
    dropout step's cost. The drop probability is then ``p`` rounded to a multiple of 2**-16
    (0.2 -> 0.199997) and the scale ``1 / (1 - rounded p)`` keeps the mask's mean at exactly 1.
    Elsewhere, or with ``source="torch"``, torch's own generator makes each step's masks.
    """
    widths = [int(w) for w in widths]
    if source == "torch" or torch.device(device).type != "cpu":
        def draw_torch(n, like):
            keep = torch.rand(n, sum(widths), device=like.device, dtype=like.dtype) >= p
            return keep.to(like.dtype).mul_(1.0 / (1.0 - p)).split(widths, 1)

        return draw_torch
    bits = np.random.default_rng(int(torch.randint(0, 2**62, (1,)).item())).bit_generator
    cut = min(int(round(p * 65536)), 65535)
    keep_from, scale = np.uint16(cut), np.float32(65536 / (65536 - cut))
    blocks: dict = {}  # n -> [the next steps' masks, one (k, n, w) tensor per width; next index]

    def draw(n, like):
        block = blocks.get(n)
        if block is None or block[1] == len(block[0][0]):
            k = max(1, (1 << 18) // (n * sum(widths)))  # about 2**18 units per block
            masks = []
            for w in widths:
                r = bits.random_raw((k * n * w + 3) // 4).view(np.uint16)[: k * n * w].reshape(k, n, w)
                mask = np.empty((k, n, w), np.float32)
                np.multiply(r >= keep_from, scale, out=mask)
                masks.append(torch.from_numpy(mask))
            block = blocks[n] = [masks, 0]
        i = block[1]
        block[1] += 1
        if like.dtype == torch.float32:
            return [m[i] for m in block[0]]
        return [m[i].to(like.dtype) for m in block[0]]

    return draw


def mlp_mse_grad_fn(modules, noise: float = 0.0, trim: float = 0.0, mask_source: str = "auto"):
    """A :class:`genad.nn.training.Step` ``grad_fn`` for ``mse(net(x + noise * eps), x)`` where
    ``net`` chains ``modules`` made only of Linear layers and ReLU/LeakyReLU/Tanh/Sigmoid; None
    when the modules are anything else (then autograd is used). With ``trim`` > 0 the loss is
    the mean over the ``kept_rows(n, trim)`` rows of the batch with the smallest errors.
    Dropout masks come from :func:`_dropout_masks` (``mask_source``: "auto" or "torch").

    Forward: ``h_i = a_i(h_{i-1} W_i^T + b_i)``. Backward from ``g = dL/dh_L = 2 (h_L - x) / (n d)``
    (``m_r 2 (h_L - x) / (k d)`` when trimmed, ``m_r`` = 1 for the k kept rows, else 0):
    ``g <- g * a_i'``, ``dL/dW_i = g^T h_{i-1}``, ``dL/db_i = sum_rows g``, ``g <- g W_i``.
    """
    chain = _linear_chain(modules)
    if chain is None:
        return None
    layers = []
    for lin, act, drop in chain:
        fwd = bwd = None
        if act is not None:
            fwd, bwd = _ACTS[type(act)]
            if fwd is None:  # leaky relu
                slope = act.negative_slope
                fwd = lambda h, slope=slope: torch.nn.functional.leaky_relu(h, slope)  # noqa: E731
        layers.append((lin.weight, lin.bias, fwd, bwd, act, drop))
    for w, b, *_ in layers:
        for p in (w, b):
            if p is not None and p.grad is None:
                p.grad = torch.zeros_like(p)
    linear, mm, tsum = torch.nn.functional.linear, torch.mm, torch.sum
    rates = {lay[5] for lay in layers if lay[5] > 0}
    if len(rates) > 1:
        return None  # one shared rate lets all masks come from one draw
    drop_p = rates.pop() if rates else 0.0
    dropped = [i for i, lay in enumerate(layers) if lay[5] > 0]
    last = len(layers) - 1
    # ReLU and leaky ReLU outputs may be masked in place: their backward only needs the sign of
    # the output, which a mask >= 0 keeps wherever the gradient is not already zeroed by the mask
    mask_in_place = [lay[4] is not None and type(lay[4]) in (nn.ReLU, nn.LeakyReLU) for lay in layers]
    draw_masks = _dropout_masks(layers[0][0].device, drop_p, [layers[i][0].shape[0] for i in dropped],
                                source=mask_source) if dropped else None

    @torch.no_grad()
    def grad_fn(x):
        h = x + noise * torch.randn_like(x) if noise > 0 else x
        inputs, acts, masks = [h], [], [None] * len(layers)
        if dropped:
            for i, mask in zip(dropped, draw_masks(len(x), x)):
                masks[i] = mask
        for i, (w, b, fwd, _, _, _) in enumerate(layers):
            h = linear(h, w, b)
            if fwd is not None:
                h = fwd(h)
            if masks[i] is not None and mask_in_place[i]:
                h = h.mul_(masks[i])
            acts.append(h)
            if masks[i] is not None and not mask_in_place[i]:
                h = h * masks[i]
            inputs.append(h)
        grad_fn.last_masks = masks
        diff = h - x
        if trim:
            k = kept_rows(len(diff), trim)
            kept = torch.topk(diff.pow(2).sum(1), k, largest=False, sorted=False).indices
            weight = torch.zeros(len(diff), 1, device=diff.device, dtype=diff.dtype)
            weight[kept] = 2.0 / (k * diff.shape[1])
            loss = diff[kept].pow(2).mean()
            g = diff.mul_(weight)
        else:
            loss = diff.pow(2).mean()
            g = diff.mul_(2.0 / diff.numel())  # dL/dh_L
        for i in range(last, -1, -1):
            w, b, _, bwd, act, _ = layers[i]
            if masks[i] is not None:
                g = g.mul_(masks[i])  # g is this step's own tensor (diff or a fresh product)
            if bwd is not None:
                g = bwd(g, acts[i], act)
            hp = inputs[i]
            if w.grad is None:
                w.grad = torch.empty_like(w)
            mm(g.t(), hp, out=w.grad)
            if b is not None:
                if b.grad is None:
                    b.grad = torch.empty_like(b)
                tsum(g, 0, out=b.grad)
            if i:
                g = mm(g, w)
        return loss

    return grad_fn


def squared_error(x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    """Per-row mean squared error over every feature (time steps, pixels, channels)."""
    return (x - x_hat).pow(2).reshape(x.shape[0], -1).mean(dim=1)


def x_is_rows(sample_shape) -> bool:
    return len(tuple(sample_shape)) == 1


class _ReconstructionModel(DeepDetector):
    """What the reconstruction detectors share: the backbone choice, code sizes and the
    ``encode`` / ``reconstruct`` / ``feature_errors`` helpers (not a public class)."""

    # ------------------------------------------------------------ sizes
    def _latent_dim(self) -> int:
        if self.latent_dim is not None:
            ld = int(self.latent_dim)
            if ld < 1:
                raise ValueError(f"latent_dim must be a positive integer; got {self.latent_dim!r}.")
            return ld
        return B.default_latent_dim(self.n_features_in_)

    def _hidden(self):
        if self.hidden is None:
            return None
        hidden = [self.hidden] if isinstance(self.hidden, (int, np.integer)) else list(self.hidden)
        if any(int(h) < 1 for h in hidden):
            raise ValueError(f"hidden must list positive layer sizes; got {self.hidden!r}.")
        return [int(h) for h in hidden]

    def _backbone(self, encoder_out: int | None = None):
        return B.encoder_decoder(
            self.input_shape_,
            self._hidden(),
            self._latent_dim(),
            arch=self.arch,
            encoder_out=encoder_out,
            activation=self.activation,
            out_activation=getattr(self, "output_activation", None),
            batchnorm=bool(getattr(self, "batchnorm", False)),
            dropout=float(getattr(self, "dropout", 0.0) or 0.0),
        )

    # ------------------------------------------------------------ model pieces
    def _encode_tensor(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder_(x)

    def _reconstruct_tensor(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder_(self._encode_tensor(x))

    # ------------------------------------------------------------ public helpers
    def _scaled(self, X) -> np.ndarray:
        return self._transform(self._validate(X, fitting=False))

    def encode(self, X) -> np.ndarray:
        """Latent codes ``(n, latent_dim)`` of ``X`` (the mean code for a VAE)."""
        return self._forward_batched(self._encode_tensor, self._scaled(X))

    def reconstruct(self, X) -> np.ndarray:
        """Reconstructions of ``X`` in the input's units (same shape as ``X``)."""
        rec = self._forward_batched(self._reconstruct_tensor, self._scaled(X))
        return self.scaler_.inverse_transform(rec)

    def feature_errors(self, X) -> np.ndarray:
        """Squared reconstruction error of every feature, in the scaled space the model was
        trained in (same shape as ``X``): which features make a point anomalous."""
        Xs = self._scaled(X)
        rec = self._forward_batched(self._reconstruct_tensor, Xs)
        return (Xs - rec) ** 2


class AutoEncoder(_ReconstructionModel):
    """Reconstruction-error autoencoder (optionally denoising).

    Parameters
    ----------
    hidden : list of int or None
        Encoder hidden sizes (the decoder mirrors them). None: from the input width
        (:func:`genad.nn.backbones.default_hidden`) for rows, ``[32]`` LSTM units for sequences;
        ignored for images (the conv backbone's width is ``base_channels``).
    latent_dim : int or None
        Code size; None: about a quarter of the input width, between 2 and 32.
    activation : str
        Hidden activation ("relu", "tanh", "elu", "leaky_relu", "sigmoid", "gelu", "selu").
    output_activation : str or None
        Activation of the reconstruction (None = linear; "sigmoid" suits min-max scaled data).
    arch : {"auto", "mlp", "lstm", "conv"}
        Backbone; "auto" picks it from the input rank.
    denoising : float
        Standard deviation of the Gaussian noise added to training inputs (0 = plain autoencoder).
    dropout : float
        Dropout after each hidden layer of the MLP backbone.
    trim : float in [0, 0.5)
        Trimmed loss for contaminated training data: each batch's ``trim`` share of rows with
        the largest reconstruction errors is left out of the loss (and of the validation loss),
        so anomalies mixed into the training data are not learned. Set it a little above the
        expected contamination; 0 trains on every row. Scores are unaffected (full errors).
        The default 0.2 was chosen on ADBench (contaminated training data, split seed 1):
        mean ROC-AUC 0.727 untrimmed, 0.749 / 0.748 / 0.747 with 0.1 / 0.2 / 0.3; on clean
        ECG5000 training beats it costs 0.986 -> 0.969 (benchmarks/ecg5000, benchmarks/adbench).
        Published protocols with clean training data (FF12, Anomagram) are run with ``trim=0``.
    epochs, batch_size, lr, optimizer, weight_decay : training settings (see
        :func:`genad.nn.training.train`); ``optimizer`` is one of adam, adamax, adadelta,
        rmsprop, momentum, sgd.
    penalty : {None, "l1", "l2", "l1l2"}, penalty_weight : float
        Weight penalty added to the loss.
    validation_fraction : float
        Share of the training rows held out for the validation loss that drives early stopping
        (the best epoch's weights are restored).
    patience : int or None
        Epochs without improvement before stopping; None trains every epoch.
    clip_grad_norm : float or None
    preprocessing : {"standard", "minmax", None}
    device : "auto", "cpu", "cuda", ...
    random_state : int or None
    verbose : int
        1 shows a progress bar.
    callbacks : list of :class:`genad.nn.training.Callback` or callables ``f(info)``
    contamination : float or None
        If given, the threshold flags this share of the training rows.

    Attributes
    ----------
    encoder_, decoder_ : torch modules
    history_ : dict of per-epoch lists (``loss``, ``val_loss``, ``epoch_time``, ``best_epoch``)
    decision_scores_, threshold_, calibration_scores_ : see :class:`genad.base.Detector`

    Examples
    --------
    >>> import numpy as np
    >>> from genad import AutoEncoder
    >>> rng = np.random.default_rng(0)
    >>> X_train = rng.normal(size=(200, 6))
    >>> det = AutoEncoder(epochs=5, random_state=0).fit(X_train)
    >>> s = det.decision_function([[0.0] * 6, [8.0] * 6])   # reconstruction error per row
    >>> bool(s[1] > s[0]), det.predict([[8.0] * 6])
    (True, array([1]))
    """

    _fast_params = {"epochs": 3, "batch_size": 64, "patience": None}
    #: train plain MLP autoencoders with the hand-written backward (:func:`mlp_mse_grad_fn`)
    _fast_backward = True
    #: where the fast path's dropout masks come from (:func:`_dropout_masks`: "auto" or "torch")
    _dropout_mask_source = "auto"

    def __init__(
        self,
        hidden=None,
        latent_dim=None,
        activation="relu",
        output_activation=None,
        arch="auto",
        denoising=0.0,
        dropout=0.0,
        trim=0.2,
        epochs=50,
        batch_size=128,
        lr=1e-3,
        optimizer="adam",
        weight_decay=0.0,
        penalty=None,
        penalty_weight=1e-4,
        validation_fraction=0.1,
        patience=5,
        clip_grad_norm=None,
        preprocessing="standard",
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
        contamination=None,
    ):
        self.hidden = hidden
        self.latent_dim = latent_dim
        self.activation = activation
        self.output_activation = output_activation
        self.arch = arch
        self.denoising = denoising
        self.dropout = dropout
        self.trim = trim
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.penalty = penalty
        self.penalty_weight = penalty_weight
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.clip_grad_norm = clip_grad_norm
        self.preprocessing = preprocessing
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.contamination = contamination

    def _build_networks(self) -> None:
        self.encoder_, self.decoder_ = self._backbone()

    def _steps(self):
        sigma = float(self.denoising or 0.0)
        if sigma < 0:
            raise ValueError(f"denoising must be >= 0 (a noise standard deviation); got {self.denoising!r}.")
        trim = check_trim(self.trim)
        enc, dec = self.encoder_, self.decoder_

        def loss(x):
            x_in = x + sigma * torch.randn_like(x) if sigma > 0 else x
            # L = 1/(n d) sum || x - g(f(x~)) ||^2   (over the kept rows when trimmed)
            return trimmed_mean(squared_error(x, dec(enc(x_in))), trim)

        def val_loss(x):
            return trimmed_mean(squared_error(x, dec(enc(x))), trim)

        self._val_fn = val_loss
        grad_fn = None
        if self._fast_backward and x_is_rows(self.input_shape_):
            grad_fn = mlp_mse_grad_fn([enc, dec], noise=sigma, trim=trim, mask_source=self._dropout_mask_source)
        return [Step("reconstruction", [enc, dec], loss, grad_fn=grad_fn)]

    def _validation_loss(self):
        return getattr(self, "_val_fn", None)

    def _score_batch(self, x):
        return squared_error(x, self.decoder_(self.encoder_(x)))


# ---------------------------------------------------------------- benchmark suites
def _register() -> None:
    from ..bench.registry import register

    register("AutoEncoder", lambda ds, seed: AutoEncoder(epochs=30, random_state=seed), suites=["default"])
    # the FF12 report's network: 18 -> 15 -> 7 -> 2 -> 7 -> 15 -> 18, MinMax scaling, 14 epochs
    register("AutoEncoder", lambda ds, seed: AutoEncoder(
        hidden=[15, 7], latent_dim=2, epochs=14, batch_size=128, lr=0.01, preprocessing="minmax",
        validation_fraction=0.0, patience=None, trim=0.0, random_state=seed), suites=["ff12-kdd"])
    # Anomagram's dense autoencoder on the 140 points of a heartbeat (140-7-3-2-3-7-140)
    register("AutoEncoder", lambda ds, seed: AutoEncoder(
        hidden=[7, 3], latent_dim=2, output_activation="sigmoid", epochs=50, batch_size=512, lr=0.01,
        preprocessing="minmax", validation_fraction=0.0, patience=None, trim=0.0, random_state=seed),
        suites=["ecg5000"])
    register("AutoEncoder", lambda ds, seed: AutoEncoder(epochs=10, latent_dim=32, random_state=seed),
             suites=["mnist", "cifar10"], slow=True)
    register("AutoEncoder", lambda ds, seed: AutoEncoder(random_state=seed), suites=["adbench"])


_register()
