#!/usr/bin/env python3
"""Generate test/core/fixtures/metrics.json: reference metric values from scipy and scikit-learn.

Run from the project root with a Python that has numpy, scipy and scikit-learn
(e.g. Debian's python3-scipy and python3-sklearn):

    /usr/bin/python3 scripts/make-metric-fixtures.py

Each case stores its inputs (x = predicted scores, y = continuous target, labels = 0/1 ground
truth) and, per metric, either the reference number or how the reference behaves when the metric
is undefined ("nan" when scipy returns NaN, "raises" with the message when it raises). Our
implementation must match the numbers within 1e-9 and must throw in every undefined case.
Inputs are written with repr() precision, so the TypeScript side reads exactly the same doubles.
"""
import json
import platform
from decimal import Decimal, localcontext
from fractions import Fraction
import sys
import warnings
from pathlib import Path

import numpy as np
import scipy
import scipy.stats
import sklearn
from sklearn.metrics import average_precision_score, roc_auc_score

OUT = Path(__file__).resolve().parent.parent / "test" / "core" / "fixtures" / "metrics.json"


def reference(fn):
    """Value of fn(), or a description of why the reference gives no number.

    A plain number means "defined: match it". Anything else is an undefined case that our
    implementation must refuse: the reference raised or returned NaN.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = fn()
        except Exception as exc:  # the reference refuses: record its message
            return {"reference": "raises", "message": f"{type(exc).__name__}: {exc}"}
    value = float(value)
    messages = [f"{w.category.__name__}: {w.message}" for w in caught]
    if np.isnan(value):
        return {"reference": "nan", "message": "; ".join(messages)}
    if messages:
        print(f"note: defined value {value} came with warnings: {messages}", file=sys.stderr)
    return value


def exact_pearson(x, y):
    """Pearson correlation of these exact doubles in rational arithmetic, rounded once at the end.

    scipy's one-pass mean can lose more than 1e-9 when values differ only in the last digits
    (see the "nearly equal distinct scores" case); this is the value an ideal float64 code approaches.
    """
    xs = [Fraction(v) for v in x]
    ys = [Fraction(v) for v in y]
    mx = sum(xs) / len(xs)
    my = sum(ys) / len(ys)
    sxy = sum((a - mx) * (b - my) for a, b in zip(xs, ys))
    sxx = sum((a - mx) ** 2 for a in xs)
    syy = sum((b - my) ** 2 for b in ys)
    with localcontext() as ctx:
        ctx.prec = 50
        dec = lambda f: Decimal(f.numerator) / Decimal(f.denominator)
        return float(dec(sxy) / (dec(sxx).sqrt() * dec(syy).sqrt()))


def correlation_metrics(x, y):
    out = {
        "pearson": reference(lambda: scipy.stats.pearsonr(x, y)[0]),
        "spearman": reference(lambda: scipy.stats.spearmanr(x, y)[0]),
    }
    if isinstance(out["pearson"], float):
        out["pearsonExact"] = exact_pearson(x, y)
        rx = scipy.stats.rankdata(x, method="average")
        ry = scipy.stats.rankdata(y, method="average")
        out["spearmanExact"] = exact_pearson(rx, ry)
    return out


def classification_metrics(x, labels):
    roc_auc = reference(lambda: roc_auc_score(labels, x))
    ap = reference(lambda: average_precision_score(labels, x))
    if np.unique(labels).size < 2 and isinstance(ap, float):
        # sklearn returns 0 (with a warning) or 1 for a single class; precision/recall are not
        # meaningful there, so we treat AP as undefined like ROC-AUC and throw.
        ap = {"reference": "returns", "value": ap, "message": "single class in labels: sklearn returns a number, we throw"}
    return {"rocAuc": roc_auc, "ap": ap}


def case(name, x, y=None, labels=None, note=None):
    x = np.asarray(x, dtype=np.float64)
    entry = {"name": name}
    if note:
        entry["note"] = note
    entry["x"] = x.tolist()
    expected = {"rankX": scipy.stats.rankdata(x, method="average").tolist()}
    if y is not None:
        y = np.asarray(y, dtype=np.float64)
        entry["y"] = y.tolist()
        expected.update(correlation_metrics(x, y))
    if labels is not None:
        labels = np.asarray(labels, dtype=np.int64)
        entry["labels"] = labels.tolist()
        expected.update(classification_metrics(x, labels))
    entry["expected"] = expected
    return entry


def main():
    rs = np.random.RandomState(20200607)
    cases = []

    # Continuous scores and targets with a moderate relation; labels from the target.
    y = rs.uniform(0, 10, 50)
    x = 0.3 * y + rs.normal(0, 1.5, 50)
    cases.append(case("random continuous n=50", x, y, (y > 5).astype(int)))

    # Integer scores 0..3: many ties in x and in y, ties that span both classes.
    y = rs.randint(0, 4, 120)
    x = np.clip(y + rs.randint(-1, 2, 120), 0, 3)
    cases.append(case("heavy ties: integer scores 0..3", x, y, (rs.uniform(size=120) < 0.2 + 0.2 * x).astype(int)))

    # All predictions equal: ROC-AUC is 0.5, AP is the positive fraction; correlations undefined.
    labels = (rs.uniform(size=30) < 0.4).astype(int)
    cases.append(case("all-tied predictions", np.full(30, 0.7), rs.uniform(size=30), labels))

    # Perfect and inverse ranking.
    y = np.sort(rs.uniform(-1, 1, 40))
    labels = (np.arange(40) >= 25).astype(int)
    cases.append(case("perfect ranking", y * 2 + 1, y, labels))
    cases.append(case("inverse ranking", -y, y, labels))

    # Monotone but non-linear: SRCC is 1, PLCC is not.
    y = rs.uniform(0, 3, 60)
    cases.append(case("monotone non-linear", np.exp(3 * y), y, (y > 1.5).astype(int)))

    # Tiny samples.
    cases.append(case("tiny n=2", [0.2, 0.9], [1.0, 3.0], [0, 1]))
    cases.append(case("tiny n=2 tied scores", [0.5, 0.5], [1.0, 3.0], [1, 0]))
    cases.append(case("tiny n=3", [0.3, 0.1, 0.2], [2.0, 1.5, 4.0], [1, 0, 1]))

    # Large n.
    y = np.abs(rs.randint(-10, 10, 2000)).astype(float)  # |z-level| like FocusPath
    x = 0.05 * y + rs.normal(0, 0.3, 2000)
    cases.append(case("large n=2000", x, y, (y >= 3).astype(int)))

    # Mixed scales: tiny scores against a huge target with a large offset (two-pass mean matters).
    y = 1e8 + rs.normal(0, 1, 200)
    x = 1e-6 * (y - 1e8) + 1e-7 * rs.normal(0, 1, 200)
    cases.append(case("mixed scales with large offset", x, y, (y > 1e8).astype(int)))
    y = rs.uniform(0, 1, 80)
    x = np.where(rs.uniform(size=80) < 0.5, 1e-9, 1e9) * y
    cases.append(case("mixed magnitudes", x, y, (y > 0.5).astype(int)))

    # Negative values.
    y = rs.normal(-5, 2, 70)
    x = -3 + 0.5 * y + rs.normal(0, 1, 70)
    cases.append(case("negative values", x, y, (y > -5).astype(int)))

    # Ties across classes: every tied group holds both classes.
    x = np.repeat([0.1, 0.4, 0.4000001, 0.9], [6, 8, 3, 5])
    labels = np.array([0, 0, 0, 0, 1, 0] + [1, 0, 1, 0, 0, 1, 1, 0] + [1, 0, 1] + [1, 1, 0, 1, 1])
    cases.append(case("label ties across classes", x, rs.uniform(size=x.size), labels))

    # Binary predictions (hard decisions as scores).
    labels = (rs.uniform(size=50) < 0.5).astype(int)
    x = np.where(rs.uniform(size=50) < 0.8, labels, 1 - labels)
    cases.append(case("binary predictions", x, None, labels))

    # Distinct scores 1e-12 apart: must not be merged into ties.
    x = 1.0 + 1e-12 * np.arange(10)
    labels = np.array([0, 1, 0, 0, 1, 1, 0, 1, 1, 1])
    cases.append(case("nearly equal distinct scores", x, np.arange(10.0) ** 2, labels))

    # Imbalanced: one positive among many negatives.
    x = rs.uniform(size=40)
    labels = np.zeros(40, dtype=int)
    labels[7] = 1
    cases.append(case("single positive", x, None, labels))

    # Undefined cases: constant inputs (scipy returns nan) and single-class labels (sklearn raises).
    cases.append(case("undefined: constant x", np.full(12, 2.5), rs.uniform(size=12), None))
    cases.append(case("undefined: constant y", rs.uniform(size=12), np.full(12, -1.0), None))
    cases.append(case("undefined: all labels 0", rs.uniform(size=15), None, np.zeros(15, dtype=int)))
    cases.append(case("undefined: all labels 1", rs.uniform(size=15), None, np.ones(15, dtype=int)))

    # Sample mean and std (ddof=1) for cross-validation summaries.
    mean_std = []
    for values in ([0.91, 0.93, 0.88, 0.95, 0.90], [1.0, 1.0], [-2.5, 3.25, 1e-3], (1e6 + rs.normal(0, 1e-3, 10)).tolist()):
        v = np.asarray(values, dtype=np.float64)
        mean_std.append({"values": v.tolist(), "mean": float(v.mean()), "std": float(v.std(ddof=1))})

    fixture = {
        "generator": "scripts/make-metric-fixtures.py",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "sklearn": sklearn.__version__,
        },
        "metrics": {
            "rankX": "scipy.stats.rankdata(x, method='average')",
            "pearson": "scipy.stats.pearsonr(x, y)[0]",
            "spearman": "scipy.stats.spearmanr(x, y)[0]",
            "pearsonExact": "Pearson of the same doubles in rational arithmetic (50-digit sqrt), rounded to float64",
            "spearmanExact": "pearsonExact of the average ranks",
            "rocAuc": "sklearn.metrics.roc_auc_score(labels, x)",
            "ap": "sklearn.metrics.average_precision_score(labels, x)",
            "meanStd": "numpy mean and std(ddof=1)",
        },
        "cases": cases,
        "meanStd": mean_std,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {OUT} ({len(cases)} cases)", file=sys.stderr)


if __name__ == "__main__":
    main()
