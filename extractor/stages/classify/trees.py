"""The layout model's trees as plain arrays, evaluated with NumPy alone.

Importing scikit-learn and skops and unpickling the estimator costs about two seconds of CPU, far
more than reading a text-layer report; a report is labelled by the same trees read from an
``.npz`` of arrays (``allow_pickle=False``: a model file cannot run code) that loads in
milliseconds. The probabilities equal the estimator's: the same comparisons (a value goes left
when it is at most the node's threshold, a missing one where training sent missing values), the
trees' values summed iteration by iteration onto the same baseline, then the softmax.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# What the file must hold, and how large it may inflate (a 60-iteration model is about 1 MB)
_ARRAYS = ("feature", "threshold", "missing_left", "leaf", "left", "right", "value", "root", "baseline")
_META = ("classes", "features", "feature_version")
MAX_INFLATED = 64 << 20
FULL_LEVELS = 3   # levels of every tree stepped for all samples at once (few leaves are shallower)


@dataclass(frozen=True, slots=True)
class TreeEnsemble:
    """Gradient-boosted trees, ``iterations × len(classes)`` of them, as flat node arrays. Node
    ``i`` tests ``feature[i] <= threshold[i]``; ``left``/``right`` are global node indices (a
    leaf points to itself); ``root[t]`` is tree ``t``'s first node, trees ordered iteration by
    iteration, class within."""
    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    leaf: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    root: np.ndarray
    baseline: np.ndarray          # (1, classes): the raw score before the first tree
    classes_: np.ndarray          # label strings, the columns of predict_proba
    features: tuple[str, ...]
    feature_version: int

    @property
    def n_features_in_(self) -> int:
        return len(self.features)

    @classmethod
    def from_estimator(cls, model, features: tuple[str, ...], feature_version: int) -> TreeEnsemble:
        """The trees of a fitted ``LayoutModel`` (scikit-learn's HistGradientBoostingClassifier under it)."""
        trees = [predictor for iteration in model.trees_._predictors for predictor in iteration]
        sizes = [len(p.nodes) for p in trees]
        root = np.cumsum([0, *sizes[:-1]]).astype(np.intp)
        nodes = np.concatenate([p.nodes for p in trees])
        if nodes["is_categorical"].any():
            raise ValueError("categorical splits are not supported: the layout features are numbers")
        offset = np.repeat(root, sizes)
        leaf = nodes["is_leaf"].astype(bool)
        here = np.arange(len(nodes), dtype=np.intp)
        left = np.where(leaf, here, nodes["left"].astype(np.intp) + offset)
        right = np.where(leaf, here, nodes["right"].astype(np.intp) + offset)
        return cls(nodes["feature_idx"].astype(np.intp), nodes["num_threshold"].astype(float),
                   nodes["missing_go_to_left"].astype(bool), leaf, left, right, nodes["value"].astype(float),
                   root, np.asarray(model.trees_._baseline_prediction, dtype=float),
                   np.asarray(model.classes_, dtype=str), tuple(features), feature_version)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        n, k = len(X), len(self.classes_)
        trees = len(self.root)
        # per (tree, sample), tree-major: the pairs of one tree read the same few nodes
        node = np.repeat(self.root, n)
        row = np.tile(np.arange(n, dtype=np.intp) * X.shape[1], trees)
        flat = np.ascontiguousarray(X, dtype=float).ravel()
        missing = bool(np.isnan(flat).any())
        child = np.stack([self.left, self.right], axis=1).ravel()   # node i's children at 2i, 2i + 1

        def step(at: np.ndarray, rows: np.ndarray) -> np.ndarray:
            x = flat[rows + self.feature[at]]
            go_left = x <= self.threshold[at]
            if missing:
                go_left |= np.isnan(x) & self.missing_left[at]
            return child[2 * at + ~go_left]

        # The first levels step every pair (a leaf steps to itself): nearly all are still inside
        # their tree there, and the bookkeeping of which are not would cost more than it saves.
        for _ in range(FULL_LEVELS):
            node = step(node, row)
        active = np.flatnonzero(~self.leaf[node])    # the pairs not at a leaf yet
        while active.size:
            node[active] = at = step(node[active], row[active])
            active = active[~self.leaf[at]]
        values = self.value[node].reshape(trees // k, k, n).transpose(2, 0, 1)
        raw = np.repeat(self.baseline, n, axis=0)
        for iteration in range(trees // k):             # in the estimator's order of summation
            raw += values[:, iteration, :]
        e = np.exp(raw - raw.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        np.savez_compressed(path, **{name: getattr(self, name) for name in _ARRAYS},
                            classes=self.classes_, features=np.array(self.features, dtype=str),
                            feature_version=np.array(self.feature_version))
        return path

    @classmethod
    def load(cls, path: str | Path) -> TreeEnsemble:
        """Raises ``ValueError`` for a file that is not such an ensemble, with what is wrong."""
        with zipfile.ZipFile(path) as z:
            inflated = sum(info.file_size for info in z.infolist())
            if inflated > MAX_INFLATED:
                raise ValueError(f"it would inflate to {inflated >> 20} MiB (at most {MAX_INFLATED >> 20})")
        with np.load(path, allow_pickle=False) as data:
            missing = [name for name in (*_ARRAYS, *_META) if name not in data.files]
            if missing:
                raise ValueError(f"it lacks {', '.join(missing)}")
            arrays = {name: data[name] for name in _ARRAYS}
            model = cls(**arrays, classes_=data["classes"].astype(str),
                        features=tuple(data["features"].astype(str)), feature_version=int(data["feature_version"]))
        model._check()
        return model

    def _check(self) -> None:
        """Indices in range and shapes consistent, so that evaluation cannot read out of bounds."""
        nodes = len(self.feature)
        same = all(len(a) == nodes for a in (self.threshold, self.missing_left, self.leaf, self.left, self.right, self.value))
        k = len(self.classes_)
        if not (same and k and len(self.root) % k == 0 and self.baseline.shape == (1, k)):
            raise ValueError("its arrays do not fit together")
        if (nodes == 0 or self.root.min(initial=0) < 0 or self.root.max(initial=0) >= nodes
                or self.left.min() < 0 or self.left.max() >= nodes or self.right.min() < 0 or self.right.max() >= nodes
                or self.feature.min() < 0 or self.feature.max() >= len(self.features)):
            raise ValueError("its node indices are out of range")
        # every internal node points further down its tree, so evaluation ends, and a leaf to itself
        internal = np.flatnonzero(~self.leaf)
        leaves = np.flatnonzero(self.leaf)
        if ((self.left[internal] <= internal).any() or (self.right[internal] <= internal).any()
                or (self.left[leaves] != leaves).any() or (self.right[leaves] != leaves).any()):
            raise ValueError("its trees are not trees")
