"""Protocol settings of the published benchmarks, written once.

The harness entries (:mod:`genad.bench.deep_entries`) and the scripts under ``benchmarks/`` import
these dictionaries, so a protocol's network is spelled out in one place. Each is a plain dict of
detector keyword arguments; combine with ``{**FF12_NETWORK, "epochs": FF12_EPOCHS["AutoEncoder"]}``.
"""

from __future__ import annotations

__all__ = [
    "FF12_NETWORK", "FF12_EPOCHS", "FF12_REFERENCE", "FF12_SEQ2SEQ", "FF12_GAN", "FF12_REPORT",
    "ANOMAGRAM_NETWORK", "ECG5000_VAE", "IMAGE_DEEP", "KDD99_DAGMM", "KDD99_DAGMM_REFERENCE",
]

#: Cloudera Fast Forward report FF12 ("Deep Learning for Anomaly Detection") on KDD Cup 99:
#: 18 -> 15 -> 7 -> 2 -> 7 -> 15 -> 18, batch 128, lr 0.01, min-max scaling fitted on the
#: training rows; no validation split or early stopping and the plain loss (the report trains on
#: clean normal rows), so no trimming.
FF12_NETWORK = dict(hidden=[15, 7], latent_dim=2, batch_size=128, lr=0.01, preprocessing="minmax",
                    validation_fraction=0.0, patience=None, trim=0.0)

#: epochs of the FF12 report per model (the AAE takes the autoencoder's)
FF12_EPOCHS = {"AutoEncoder": 14, "VAE": 8, "AdversarialAutoEncoder": 14}

#: ROC-AUC the FF12 report gives on its KDD test sample
FF12_REFERENCE = {"AutoEncoder": 0.963, "VAE": 0.946, "BiGAN": 0.972, "OCSVM": 0.957, "PCA": 0.771}

#: the FF12 report's sequence model: encoder LSTM 10, decoder LSTM 20, min-max scaling
FF12_SEQ2SEQ = dict(hidden=[10], decoder_hidden=[20], epochs=10, batch_size=256, preprocessing="minmax")

#: GANs on the FF12 data (chosen for BiGAN by benchmarks/gan/ff12_tune.py on validation seeds;
#: the other GANs take the same network and budget)
FF12_GAN = dict(hidden=[64, 32], latent_dim=8, epochs=5, batch_size=256, lr=1e-3, preprocessing="minmax")

#: The FF12 report's own settings per method (its settings table): PCA with 2 components; OCSVM
#: rbf, outlier fraction (nu) 0.01, gamma 0.5; AE and VAE 18 -> [15, 7] -> 2, batch 256; a
#: bidirectional LSTM encoder [10] with an LSTM decoder [20], batch 256; BiGAN with hidden layers
#: [15, 7], a 32-dimensional latent and lr 0.1. Min-max scaling as the protocol prescribes. The
#: report trains "to the best validation accuracy" without giving epochs: the AE and VAE take
#: :data:`FF12_EPOCHS`, BiGAN the epochs of :data:`FF12_GAN`. The ``ff12-kdd`` suite registers
#: these as ``<name>(report)``.
FF12_REPORT = {
    "PCA": dict(n_components=2, preprocessing="minmax"),
    "OCSVM": dict(kernel="rbf", nu=0.01, gamma=0.5, preprocessing="minmax"),
    "AutoEncoder": {**FF12_NETWORK, "batch_size": 256, "epochs": FF12_EPOCHS["AutoEncoder"]},
    "VAE": {**FF12_NETWORK, "batch_size": 256, "epochs": FF12_EPOCHS["VAE"]},
    "Seq2Seq": {**FF12_SEQ2SEQ, "bidirectional": True},
    "BiGAN": dict(hidden=[15, 7], latent_dim=32, lr=0.1, batch_size=256, epochs=FF12_GAN["epochs"],
                  preprocessing="minmax"),
}

#: Anomagram's dense autoencoder on the 140 points of an ECG5000 heartbeat (140-7-3-2-3-7-140),
#: sigmoid output, min-max scaling, no validation split, plain loss
ANOMAGRAM_NETWORK = dict(hidden=[7, 3], latent_dim=2, output_activation="sigmoid", epochs=50, batch_size=512,
                         lr=0.01, preprocessing="minmax", validation_fraction=0.0, patience=None, trim=0.0)

#: the VAE / AAE of the ecg5000 suite
ECG5000_VAE = dict(hidden=[32, 16], latent_dim=8, epochs=50, preprocessing="minmax", trim=0.0)

#: autoencoder family on MNIST / CIFAR-10 (CPU budget)
IMAGE_DEEP = dict(epochs=10, latent_dim=32)

#: DAGMM's KDDCUP network (Zong et al. 2018, Sec. 4.3): compression 120-60-30-10-1-10-30-60-120 with
#: tanh, estimation 10 tanh units, dropout 0.5, 4 components; lambda_1 0.1, lambda_2 0.005; Adam,
#: lr 1e-4, batch 1024, 200 epochs; min-max scaled features; no validation split
KDD99_DAGMM = dict(hidden=[60, 30, 10], latent_dim=1, activation="tanh", n_components=4, estimation_hidden=10,
                   estimation_dropout=0.5, lambda_energy=0.1, lambda_cov=0.005, epochs=200, batch_size=1024,
                   lr=1e-4, preprocessing="minmax", validation_fraction=0.0, patience=None)

#: precision, recall and F1 DAGMM's paper reports on KDDCUP (top 20% of the test energies flagged)
KDD99_DAGMM_REFERENCE = {"precision": 0.9297, "recall": 0.9442, "f1": 0.9369}
