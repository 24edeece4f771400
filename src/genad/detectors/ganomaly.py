"""GANomaly (Akcay et al., ACCV 2018): an encoder-decoder-encoder generator with an adversary.

The generator maps ``x`` to a code ``z = G_E(x)``, decodes it to ``x_hat = G_D(z)`` and encodes
the reconstruction again, ``z_hat = E(x_hat)``. A discriminator ``D`` tells ``x`` from
``x_hat``. Losses (the paper's eqs. 1-4)::

    L_adv = || f(x) - f(x_hat) ||_2         feature matching on D's last hidden layer
    L_con = || x - x_hat ||_1               contextual loss,   weight w_con = 50
    L_enc = || z - z_hat ||_2               latent (encoder) loss, weight w_enc = 1
    generator      min_{G_E, G_D, E}  w_adv L_adv + w_con L_con + w_enc L_enc
    discriminator  min_D  -log D(x) - log(1 - D(x_hat))

Score (eq. 5): ``A(x) = || G_E(x) - E(G(x)) ||_2^2``, the gap between the code of the input and
the code of its reconstruction (``score_type="latent"``). The default, ``score_type="combined"``,
adds the contextual error ``||x - G(x)||_1`` of the same networks, each term divided by its mean
over the training rows: the latent gap alone is unreliable -- both encoders can agree on codes
of anomalies (the gap of a 5-D Gaussian with far outliers ranked them at 0.57 ROC-AUC after 300
iterations), while the reconstruction, trained with weight 50, keeps ranking them. On 8x8 digits
with library defaults (benchmarks/digits, a partial run) GANomaly scored 0.955-0.999 per class,
level with the convolutional AutoEncoder on digits 0-1 and up to 0.021 below it on the others.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .._deprecation import take_renamed
from ..nn.training import Step
from ._gan import Critic, _GANDetector, encoder_net, generator_net
from sklearn.utils._param_validation import StrOptions

from .deep import NON_NEGATIVE

__all__ = ["GANomaly"]


class GANomaly(_GANDetector):
    """GANomaly anomaly detector (Akcay et al. 2018).

    Parameters
    ----------
    w_adv, w_con, w_enc : float
        Weights of the adversarial (1), contextual (50) and latent (1) losses.
    score_type : {"combined", "latent", "reconstruction"}
        ``"latent"``: the paper's score (eq. 5); ``"reconstruction"``: the contextual error
        ``||x - G(x)||_1``; ``"combined"`` (default): their sum, each divided by its mean on the
        training rows (see the module docstring for why).
    hidden, latent_dim, output_activation, base_channels, preprocessing, out_activation :
        as in :class:`genad.ADGAN`.
    min_steps : int or None, default 300
        Fewest training iterations (mini-batches; each runs every step of the game once):
        on a small data set the epochs are raised until training reaches it (90 images at
        batch 64 are 2 iterations per epoch). 0 or None: ``epochs`` alone decides.
    epochs, batch_size, lr, optimizer, weight_decay, validation_fraction, patience, device,
    random_state, verbose, callbacks, contamination :
        as in :class:`genad.ADGAN` (early stopping off by default);
        as in every deep detector. With ``optimizer="adam"`` the steps use betas (0.5, 0.999).

    Attributes
    ----------
    encoder_ (G_E), decoder_ (G_D), encoder2_ (E), discriminator_ : torch modules
    score_scale_ : ndarray of shape (2,) -- mean latent gap and mean contextual error of the
        training rows (the divisors of ``score_type="combined"``).
    history_ : dict -- per-epoch ``generator_loss``, ``discriminator_loss``, ``loss`` and the
        terms ``adversarial``, ``contextual``, ``latent``.
    """

    _fast_params = {"min_steps": 0, "epochs": 3, "batch_size": 64}
    _parameter_constraints = {
        **_GANDetector._parameter_constraints,
        "w_adv": [NON_NEGATIVE],
        "w_con": [NON_NEGATIVE],
        "w_enc": [NON_NEGATIVE],
        "score_type": [StrOptions({"combined", "latent", "reconstruction"})],
    }

    def __init__(
        self,
        hidden=None,
        latent_dim=None,
        w_adv=1.0,
        w_con=50.0,
        w_enc=1.0,
        score_type="combined",
        output_activation="auto",
        base_channels=32,
        epochs=15,
        min_steps=300,
        batch_size=64,
        lr=2e-4,
        optimizer="adam",
        weight_decay=0.0,
        validation_fraction=0.0,
        patience=None,
        preprocessing="auto",
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
        contamination=None,
        *,
        out_activation=None,
    ):
        self.hidden = hidden
        self.latent_dim = latent_dim
        self.w_adv = w_adv
        self.w_con = w_con
        self.w_enc = w_enc
        self.score_type = score_type
        self.output_activation = output_activation
        self.base_channels = base_channels
        self.epochs = epochs
        self.min_steps = min_steps
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.preprocessing = preprocessing
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.contamination = contamination
        take_renamed(self, out_activation=out_activation)  # the old name of output_activation, for one release

    def _adam_kwargs(self) -> dict:
        return {"betas": (0.5, 0.999)} if (self.optimizer or "adam").lower() == "adam" else {}

    def _build_networks(self) -> None:
        shape, h, k, bc = self.input_shape_, self._hidden(), self._latent_dim(), self.base_channels
        self.encoder_ = encoder_net(shape, h, k, bc)  # G_E
        self.decoder_ = generator_net(shape, h, k, self.output_activation_, bc)  # G_D
        self.encoder2_ = encoder_net(shape, h, k, bc)  # E
        self.discriminator_ = Critic(shape, h, bc, batchnorm=True)

    def _steps(self):
        GE, GD, E, D = self.encoder_, self.decoder_, self.encoder2_, self.discriminator_
        w_adv, w_con, w_enc = float(self.w_adv), float(self.w_con), float(self.w_enc)

        def generator(x):
            z = GE(x)
            x_hat = GD(z)
            z_hat = E(x_hat)
            adv = F.mse_loss(D.features(x_hat), D.features(x).detach())  # L_adv (eq. 2)
            con = F.l1_loss(x_hat, x)  # L_con (eq. 3)
            enc = F.mse_loss(z_hat, z)  # L_enc (eq. 4)
            return {"loss": w_adv * adv + w_con * con + w_enc * enc,
                    "adversarial": adv.detach(), "contextual": con.detach(), "latent": enc.detach()}

        def discriminator(x):
            with torch.no_grad():
                x_hat = GD(GE(x))
            real, fake = D(x), D(x_hat)
            return F.binary_cross_entropy_with_logits(real, torch.ones_like(real)) + \
                F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))

        kw = self._adam_kwargs()
        return [Step("generator", [GE, GD, E], generator, optimizer_kwargs=kw),
                Step("discriminator", [D], discriminator, optimizer_kwargs=kw)]

    def _terms(self, x):
        """Per-row latent gap ``||G_E(x) - E(G(x))||^2`` (eq. 5) and contextual error ``||x - G(x)||_1``."""
        z = self.encoder_(x)
        x_hat = self.decoder_(z)
        z_hat = self.encoder2_(x_hat)
        return (z - z_hat).pow(2).sum(1), (x - x_hat).abs().flatten(1).sum(1)

    def _after_training(self, X):
        super()._after_training(X)
        sums = torch.zeros(2, dtype=torch.float64)
        with torch.no_grad():
            for i in range(0, len(X), int(self.score_batch_size)):
                lat, rec = self._terms(X[i : i + int(self.score_batch_size)])
                sums += torch.stack([lat.sum(), rec.sum()]).double().cpu()
        self.score_scale_ = np.maximum((sums / max(len(X), 1)).numpy(), 1e-12)

    def _score_batch(self, x):
        lat, rec = self._terms(x)
        kind = getattr(self, "score_type", "latent")
        if kind == "latent":
            return lat  # A(x) = ||G_E(x) - E(G(x))||^2 (eq. 5)
        if kind == "reconstruction":
            return rec
        scale = torch.as_tensor(self.score_scale_, dtype=lat.dtype, device=lat.device)
        return lat / scale[0] + rec / scale[1]
