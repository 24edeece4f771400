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
the code of its reconstruction.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .._deprecation import take_renamed
from ..nn.training import Step
from ._gan import Critic, _GANDetector, encoder_net, generator_net
from .deep import NON_NEGATIVE

__all__ = ["GANomaly"]


class GANomaly(_GANDetector):
    """GANomaly anomaly detector (Akcay et al. 2018).

    Parameters
    ----------
    w_adv, w_con, w_enc : float
        Weights of the adversarial (1), contextual (50) and latent (1) losses.
    hidden, latent_dim, output_activation, base_channels, preprocessing, out_activation :
        as in :class:`genad.ADGAN`.
    epochs, batch_size, lr, optimizer, weight_decay, validation_fraction, patience, device,
    random_state, verbose, callbacks, contamination :
        as in :class:`genad.ADGAN` (early stopping off by default);
        as in every deep detector. With ``optimizer="adam"`` the steps use betas (0.5, 0.999).

    Attributes
    ----------
    encoder_ (G_E), decoder_ (G_D), encoder2_ (E), discriminator_ : torch modules
    history_ : dict -- per-epoch ``generator_loss``, ``discriminator_loss``, ``loss`` and the
        terms ``adversarial``, ``contextual``, ``latent``.
    """

    _fast_params = {"epochs": 3, "batch_size": 64}
    _parameter_constraints = {
        **_GANDetector._parameter_constraints,
        "w_adv": [NON_NEGATIVE],
        "w_con": [NON_NEGATIVE],
        "w_enc": [NON_NEGATIVE],
    }

    def __init__(
        self,
        hidden=None,
        latent_dim=None,
        w_adv=1.0,
        w_con=50.0,
        w_enc=1.0,
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

    def _score_batch(self, x):
        z = self.encoder_(x)
        z_hat = self.encoder2_(self.decoder_(z))
        return (z - z_hat).pow(2).sum(1)  # A(x) = ||G_E(x) - E(G(x))||^2 (eq. 5)
