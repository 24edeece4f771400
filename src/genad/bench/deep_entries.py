"""Benchmark registrations of the deep detectors (autoencoder family, GANs, Seq2Seq).

The detector modules know nothing about benchmarks; :func:`genad.bench.registry.load_all`
imports this module, so ``entries(suite)`` always lists them. Protocol networks come from
:mod:`genad.bench.protocols`.

Settings per suite:

* ``default``: short budgets that run in seconds on the bundled tables (breast-cancer, digits).
* ``ff12-kdd``: genad's settings for the FF12 network (:data:`~genad.bench.protocols.FF12_NETWORK`,
  :data:`~genad.bench.protocols.FF12_SEQ2SEQ`; the GANs share
  :data:`~genad.bench.protocols.FF12_GAN`); ``<name>(report)``: the report's own settings
  (:data:`~genad.bench.protocols.FF12_REPORT`); ``<name>(defaults)``: the library defaults, nothing
  passed but the seed (the autoencoder family; the GANs' defaults are sized for images and take
  hours on the 97,278 training rows of this CPU).
* ``ecg5000``: Anomagram's autoencoder; the VAE / AAE of :data:`~genad.bench.protocols.ECG5000_VAE`.
* ``adbench``: library defaults (the product as shipped). Seq2Seq is not registered there: ADBench
  rows have up to 1,555 unordered features, which are not a sequence.
* ``mnist`` / ``cifar10`` (slow): CPU budgets.
* ``adbench-semi-1`` / ``-5`` / ``-10`` (ADBench's semi-supervised protocol): the weakly supervised
  DeepSAD and DevNet, DeepSVDD and the autoencoder family with library defaults.
* DAGMM, REPEN, ICL: library defaults on ``default`` and ``adbench``; DAGMM's KDDCUP protocol
  (:data:`~genad.bench.protocols.KDD99_DAGMM`) is ``benchmarks/kdd99_dagmm/run.py``.
"""

from __future__ import annotations

from ..detectors.aae import AdversarialAutoEncoder
from ..detectors.adgan import ADGAN
from ..detectors.anogan import AnoGAN
from ..detectors.autoencoder import AutoEncoder
from ..detectors.bigan import BiGAN
from ..detectors.deep_sad import DeepSAD
from ..detectors.deep_svdd import DeepSVDD
from ..detectors.devnet import DevNet
from ..detectors.dagmm import DAGMM
from ..detectors.ganomaly import GANomaly
from ..detectors.icl import ICL
from ..detectors.repen import REPEN
from ..detectors.seq2seq import Seq2Seq
from ..detectors.vae import VAE
from .protocols import (ANOMAGRAM_NETWORK, ECG5000_VAE, FF12_EPOCHS, FF12_GAN, FF12_NETWORK, FF12_REPORT, FF12_SEQ2SEQ,
                        IMAGE_DEEP)
from .registrations import Registrations
from .suites import ADBENCH_SEMI

__all__: list[str] = []

#: the registrations of this module; genad.bench.registry.load_all adds them to the suites
register = Registrations()

IMAGES = ("mnist", "cifar10")


def _with(cls, **params):
    return lambda ds, seed: cls(**params, random_state=seed)


# ---------------------------------------------------------------- GANs
def _adgan_small(ds, seed):  # a few seconds on the bundled breast-cancer / digits data
    img = ds.X_train.ndim == 4
    return ADGAN(epochs=10, n_critic=2, n_seeds=8 if not img else 4, search_steps=3, lr=1e-3,
                 base_channels=8, latent_dim=16 if img else None, random_state=seed)


register("ADGAN", _adgan_small, suites=["default"])
# the paper's protocol: its reconstruction score, not the library's default for images
register("ADGAN", _with(ADGAN, epochs=20, n_critic=5, batch_size=64, lr=1e-4, score_type="reconstruction"),
         suites=IMAGES, slow=True)

register("AnoGAN", _with(AnoGAN, epochs=10, search_steps=20, lr=1e-3, base_channels=8), suites=["default"])
register("AnoGAN", _with(AnoGAN, epochs=20, search_steps=100), suites=IMAGES, slow=True)

register("BiGAN", _with(BiGAN, epochs=20, lr=1e-3, base_channels=8), suites=["default"])
register("BiGAN", _with(BiGAN, **FF12_GAN), suites=["ff12-kdd"])
register("BiGAN", _with(BiGAN, epochs=20), suites=IMAGES, slow=True)

register("GANomaly", _with(GANomaly, epochs=15, lr=1e-3, base_channels=8), suites=["default"])
register("GANomaly", _with(GANomaly, epochs=15), suites=IMAGES, slow=True)

# ---------------------------------------------------------------- sequences
# rows of the bundled tables read as sequences of their features (digits: one pixel row per step)
register("Seq2Seq", _with(Seq2Seq, hidden=[16], epochs=20, batch_size=32, lr=3e-3), suites=["default"])
register("Seq2Seq", _with(Seq2Seq, **FF12_SEQ2SEQ), suites=["ff12-kdd"], slow=True)
register("Seq2Seq", _with(Seq2Seq, hidden=[32], epochs=40), suites=["ecg5000"], slow=True)

# ---------------------------------------------------------------- autoencoder family
register("AutoEncoder", _with(AutoEncoder, epochs=30), suites=["default"])
register("AutoEncoder", _with(AutoEncoder, **FF12_NETWORK, epochs=FF12_EPOCHS["AutoEncoder"]), suites=["ff12-kdd"])
register("AutoEncoder", _with(AutoEncoder, **ANOMAGRAM_NETWORK), suites=["ecg5000"])
register("AutoEncoder", _with(AutoEncoder, **IMAGE_DEEP), suites=IMAGES, slow=True)
register("AutoEncoder", _with(AutoEncoder), suites=["adbench", *ADBENCH_SEMI])

register("VAE", _with(VAE, epochs=30), suites=["default"])
register("VAE", _with(VAE, **FF12_NETWORK, epochs=FF12_EPOCHS["VAE"]), suites=["ff12-kdd"])
register("VAE", _with(VAE, **ECG5000_VAE, lr=1e-3), suites=["ecg5000"])
register("VAE", _with(VAE, **IMAGE_DEEP), suites=IMAGES, slow=True)
register("VAE", _with(VAE), suites=["adbench", *ADBENCH_SEMI])

register("AdversarialAutoEncoder", _with(AdversarialAutoEncoder, epochs=30), suites=["default"])
register("AdversarialAutoEncoder", _with(AdversarialAutoEncoder, **FF12_NETWORK,
                                         epochs=FF12_EPOCHS["AdversarialAutoEncoder"]), suites=["ff12-kdd"])
register("AdversarialAutoEncoder", _with(AdversarialAutoEncoder, **ECG5000_VAE), suites=["ecg5000"])
register("AdversarialAutoEncoder", _with(AdversarialAutoEncoder, **IMAGE_DEEP), suites=IMAGES, slow=True)
register("AdversarialAutoEncoder", _with(AdversarialAutoEncoder), suites=["adbench", *ADBENCH_SEMI])

# ---------------------------------------------------------------- GANs on ff12-kdd and adbench
register("GANomaly", _with(GANomaly, **FF12_GAN), suites=["ff12-kdd"])
register("ADGAN", _with(ADGAN, **FF12_GAN), suites=["ff12-kdd"])
register("AnoGAN", _with(AnoGAN, **FF12_GAN), suites=["ff12-kdd"])
for _name, _cls in (("GANomaly", GANomaly), ("BiGAN", BiGAN), ("ADGAN", ADGAN), ("AnoGAN", AnoGAN)):
    register(_name, _with(_cls), suites=["adbench"])

# ---------------------------------------------------------------- ff12-kdd: the report's settings, library defaults
for _name, _cls in (("AutoEncoder", AutoEncoder), ("VAE", VAE), ("BiGAN", BiGAN), ("Seq2Seq", Seq2Seq)):
    register(f"{_name}(report)", _with(_cls, **FF12_REPORT[_name]), suites=["ff12-kdd"], slow=_name == "Seq2Seq")
for _name, _cls in (("AutoEncoder", AutoEncoder), ("VAE", VAE), ("AdversarialAutoEncoder", AdversarialAutoEncoder)):
    register(f"{_name}(defaults)", _with(_cls), suites=["ff12-kdd"])

# ---------------------------------------------------------------- one-class and weakly supervised
register("DeepSVDD", _with(DeepSVDD, epochs=30), suites=["default"])
register("DeepSVDD", _with(DeepSVDD), suites=["adbench", *ADBENCH_SEMI])
register("DeepSVDD", _with(DeepSVDD, epochs=20), suites=IMAGES, slow=True)
register("DeepSAD", _with(DeepSAD), suites=list(ADBENCH_SEMI))
register("DevNet", _with(DevNet), suites=list(ADBENCH_SEMI))

# ---------------------------------------------------------------- density, representation, contrastive
for _name, _cls in (("DAGMM", DAGMM), ("REPEN", REPEN), ("ICL", ICL)):
    register(_name, _with(_cls), suites=["default", "adbench"])
