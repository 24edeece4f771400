"""scikit-learn interoperability: Pipeline, GridSearchCV with an AUC scorer, clone."""

import numpy as np
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import genad
from genad.metrics import roc_auc_scorer


def test_pipeline(blobs):
    X, X_test, y_test = blobs
    pipe = Pipeline([("scale", StandardScaler()), ("det", genad.IsolationForest(random_state=0))]).fit(X)
    s = pipe.decision_function(X_test)
    assert s[y_test == 1].min() > np.median(s[y_test == 0])
    assert set(pipe.predict(X_test)) <= {0, 1}


def test_grid_search_with_auc_scorer(blobs):
    X, X_test, y_test = blobs
    Xall = np.vstack([X[:100], X_test])
    yall = np.r_[np.zeros(100), y_test].astype(int)
    for scoring in (roc_auc_scorer, "roc_auc"):
        gs = GridSearchCV(genad.KNN(), {"n_neighbors": [1, 5, 20]}, scoring=scoring,
                          cv=StratifiedKFold(3, shuffle=True, random_state=0)).fit(Xall, yall)
        assert gs.best_params_["n_neighbors"] in (1, 5, 20)
        assert gs.best_score_ > 0.9
