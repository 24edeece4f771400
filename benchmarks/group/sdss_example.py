"""Worked example for docs/group_example.md: anomalous galaxy clusters in SDSS.

    GENAD_DATA=/work/shared/data PYTHONPATH=src python benchmarks/group/sdss_example.py

Prints what the documentation shows and writes docs/img/group_sdss.png.
"""

from pathlib import Path

import numpy as np
import torch

import genad
from genad.datasets import load
from genad.group import GroupAAE, OCSMM

torch.set_num_threads(1)

# 1. data: 4 PCA features per galaxy, one group id per galaxy; anomalous clusters injected in test
ds = load("sdss-groups", anomaly_type=2, random_state=0)
print(f"train: {len(ds.X_train)} galaxies in {len(np.unique(ds.groups_train))} clusters")
print(f"test:  {len(ds.X_test)} galaxies in {len(ds.y_test)} clusters, {ds.y_test.sum()} anomalous")

# 2. fit on normal clusters, score each test cluster (one score per np.unique(groups_test))
det = GroupAAE(random_state=0).fit(ds.X_train, groups=ds.groups_train)
scores = det.decision_function(ds.X_test, groups=ds.groups_test)
ids = np.unique(ds.groups_test)

# 3. how good is the ranking, and what does the default threshold (1% FPR on held-out clusters) flag?
m = genad.evaluate(ds.y_test, scores, threshold=det.threshold_)
print(f"GroupAAE: ROC-AUC {m['roc_auc']:.3f}  PR-AUC {m['pr_auc']:.3f}  "
      f"threshold {det.threshold_:.3f}: recall {m['recall']:.2f}, precision {m['precision']:.2f}")
base = OCSMM().fit(ds.X_train, groups=ds.groups_train)
print(f"OCSMM:    ROC-AUC {genad.evaluate(ds.y_test, base.decision_function(ds.X_test, groups=ds.groups_test))['roc_auc']:.3f}")

# 4. the five most anomalous clusters, with conformal p-values
p = det.p_values(ds.X_test, groups=ds.groups_test)
for i in np.argsort(-scores)[:5]:
    print(f"cluster {ids[i]:4d}  score {scores[i]:.3f}  p-value {p[i]:.3f}  injected anomaly: {bool(ds.y_test[i])}")

# 5. save and load back
det.save("/tmp/sdss_groupaae.genad")
print("reloaded scores identical:", np.array_equal(genad.load("/tmp/sdss_groupaae.genad")
                                                   .decision_function(ds.X_test, groups=ds.groups_test), scores))

# ---- figure (not shown in the documentation's code block) -----------------------------------
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 5))
a1.scatter(ds.X_train[:, 0], ds.X_train[:, 1], s=3, c="0.8", label="training galaxies")
flagged = ids[scores > det.threshold_]
top_normal = ids[(ds.y_test == 0)][:3]
for k, g in enumerate(top_normal):
    P = ds.X_test[ds.groups_test == g]
    a1.scatter(P[:, 0], P[:, 1], s=18, marker="o", c=f"C{k}", label=f"normal cluster {g}")
for k, i in enumerate(np.argsort(-scores)[:3]):
    P = ds.X_test[ds.groups_test == ids[i]]
    a1.scatter(P[:, 0], P[:, 1], s=30, marker="x", c=f"C{k + 3}", label=f"top-{k + 1} score: cluster {ids[i]}"
               + (" (injected)" if ds.y_test[i] else ""))
lo, hi = np.percentile(ds.X_train[:, :2], [1, 99], axis=0)
pad = 0.1 * (hi - lo)
a1.set_xlim(lo[0] - pad[0], hi[0] + pad[0])  # the features are heavy-tailed: zoom on the bulk
a1.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
a1.set_xlabel(ds.feature_names[0])
a1.set_ylabel(ds.feature_names[1])
a1.set_title("SDSS clusters: first two PCA features (1-99% range)")
a1.legend(fontsize=7, loc="best")
hi_score = np.percentile(scores, 98)  # a few clusters score far higher: clip the axis to see the bulk
bins = np.linspace(scores.min(), hi_score, 40)
a2.hist(np.minimum(scores[ds.y_test == 0], hi_score), bins=bins, alpha=0.6, label="normal clusters")
a2.hist(np.minimum(scores[ds.y_test == 1], hi_score), bins=bins, alpha=0.6, label="injected anomalous clusters")
a2.axvline(det.threshold_, color="k", ls="--", label="threshold (1% FPR on held-out clusters)")
a2.set_xlabel("GroupAAE score (mixture + pooled z-scores, clipped at 98th pct.)")
a2.set_ylabel("clusters")
a2.legend(fontsize=8)
a2.set_title(f"GroupAAE scores, ROC-AUC {m['roc_auc']:.3f}")
fig.tight_layout()
out = Path(__file__).resolve().parents[2] / "docs" / "img" / "group_sdss.png"
fig.savefig(out, dpi=110)
print(f"figure: docs/img/{out.name}")
