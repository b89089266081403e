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
from dataclasses import dataclass, field
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
    # What a step reads, by a pair's state (twice its node: the node's children are at state and
    # state + 1 of ``child``): the feature, threshold, whether a missing value goes right, the
    # child's state, whether a leaf, the value; one gather each, no arithmetic on indices.
    _steps: tuple[np.ndarray, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._check()   # before anything is indexed by them
        twice = [np.repeat(a, 2) for a in (self.feature, self.threshold, ~self.missing_left, self.leaf, self.value)]
        child = 2 * np.stack([self.left, self.right], axis=1).ravel()
        object.__setattr__(self, "_steps", (*twice[:3], child, *twice[3:]))

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
        X = np.ascontiguousarray(X, dtype=float)
        flat = X.ravel()
        missing = bool(np.isnan(flat).any())
        feature, threshold, missing_right, child, leaf, value = self._steps

        def right(x: np.ndarray, at: np.ndarray) -> np.ndarray:
            """Where values ``x`` at states ``at`` go right: above the threshold (the same as not
            at most it, but for a missing value), or missing where training sent those right."""
            goes = x > threshold.take(at)
            if missing:
                goes |= np.isnan(x) & missing_right.take(at)
            return goes

        # per (tree, sample), tree-major: the pairs of one tree read the same few nodes. At the
        # root every sample of a tree tests the same feature: one column of X each.
        root = 2 * self.root[:, None]
        state = child.take((root + right(X[:, self.feature[self.root]].T, root)).ravel())
        row = np.tile(np.arange(n, dtype=np.intp) * X.shape[1], trees)
        # The next levels step every pair (a leaf steps to itself): nearly all are still inside
        # their tree there, and the bookkeeping of which are not would cost more than it saves.
        for _ in range(FULL_LEVELS - 1):
            state = child.take(state + right(flat.take(row + feature.take(state)), state))
        active = np.flatnonzero(~leaf.take(state))    # the pairs not at a leaf yet
        while active.size:
            at = state.take(active)
            state[active] = at = child.take(at + right(flat.take(row.take(active) + feature.take(at)), at))
            active = active[~leaf.take(at)]
        raw = np.repeat(self.baseline.T, n, axis=1)   # (classes, samples)
        for iteration in value.take(state).reshape(trees // k, k, n):   # in the estimator's order of summation
            raw += iteration
        raw = raw.T
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
            return cls(**arrays, classes_=data["classes"].astype(str),
                       features=tuple(data["features"].astype(str)), feature_version=int(data["feature_version"]))

    def _check(self) -> None:
        """Indices in range and shapes consistent, so that evaluation cannot read out of bounds."""
        kinds = {"feature": "iu", "left": "iu", "right": "iu", "root": "iu", "leaf": "b", "missing_left": "b",
                 "threshold": "f", "value": "f", "baseline": "f"}
        if any(getattr(self, name).dtype.kind not in kind for name, kind in kinds.items()):
            raise ValueError("its arrays are not of the types of trees")
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
