"""The layout model as a scikit-learn estimator: a block's features → its label.

``fit`` takes label strings and returns the estimator, ``classes_`` holds the labels
(heading, table_cell, prose, other), ``predict_proba`` gives one column per class. Under it is a
gradient-boosted tree ensemble, small and quick on a document's few hundred blocks. Kept apart
from ``classify`` because importing scikit-learn costs more than a text-layer report takes to read:
it is imported only where a model is trained or loaded.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier


class LayoutModel(ClassifierMixin, BaseEstimator):
    def __init__(self, max_iter: int = 60, learning_rate: float = 0.2, max_leaf_nodes: int = 15,
                 l2_regularization: float = 1.0, random_state: int = 0):
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.l2_regularization = l2_regularization
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray) -> LayoutModel:
        """On one thread, too: the trees are the same on any number (histograms are summed per
        feature), and on a 2-core machine that is busy OpenMP's spinning threads make a fit of the
        shipped data take 9–14 CPU s instead of 0.85."""
        with _threadpools().limit(limits=1, user_api="openmp"):
            self.trees_ = HistGradientBoostingClassifier(
                max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
                l2_regularization=self.l2_regularization, early_stopping=False, random_state=self.random_state,
            ).fit(X, y)
        self.classes_ = np.asarray(self.trees_.classes_, dtype=str)
        self.n_features_in_ = self.trees_.n_features_in_
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """On one thread: a document's few hundred rows gain nothing from OpenMP, and on a busy
        machine its spinning threads make a 1 ms call take 30."""
        with _threadpools().limit(limits=1, user_api="openmp"):
            return self.trees_.predict_proba(X)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


@cache
def _threadpools():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()
