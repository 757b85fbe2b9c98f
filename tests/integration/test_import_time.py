"""`import kl_drift` stays light: heavy optional frameworks are imported only by their adapters."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("great_expectations", "pyspark", "pydantic")


def modules_after_import(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_import_kl_drift_does_not_import_heavy_frameworks():
    loaded = modules_after_import("import kl_drift")
    assert "kl_drift" in loaded
    leaked = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert leaked == []


def test_profiling_and_comparing_does_not_import_heavy_frameworks():
    loaded = modules_after_import(
        "import pandas as pd, kl_drift as kd\n"
        "df = pd.DataFrame({'x': [float(i) for i in range(100)], 'c': ['a', 'b'] * 50})\n"
        "kd.compare(kd.profile(df), df).to_json()"
    )
    leaked = sorted(m for m in loaded if m.split(".")[0] in ("great_expectations", "pyspark"))
    assert leaked == []


def test_the_pydantic_schema_is_loaded_only_when_a_profile_is_read():
    loaded = modules_after_import(
        "import pandas as pd, kl_drift as kd\n"
        "p = kd.profile(pd.DataFrame({'x': ['a', 'b'] * 5}))\n"
        "kd.ReferenceProfile.from_dict(p.to_dict())"
    )
    assert "pydantic" in loaded
    assert "great_expectations" not in loaded


def test_the_command_line_imports_renderers_history_and_timelines_only_when_used():
    loaded = modules_after_import("import kl_drift.cli")
    assert "kl_drift.cli" in loaded and "kl_drift.reporting.sources" in loaded
    deferred = ("kl_drift.reporting.html", "kl_drift.reporting.markdown", "kl_drift.reporting.history",
                "kl_drift.reporting.timeline", "sqlite3", "tomllib")  # fmt: skip
    assert sorted(m for m in deferred if m in loaded) == []
    rendered = modules_after_import("import kl_drift.reporting as r\nr.render_html")
    assert "kl_drift.reporting.html" in rendered


def test_import_kl_drift_does_not_import_pandas_and_registers_the_accessor_when_pandas_arrives():
    loaded = modules_after_import("import kl_drift")
    assert "pandas" not in loaded and "scipy" not in loaded and "importlib.metadata" not in loaded
    # pandas imported after kl_drift: the accessor is registered when pandas' import ends.
    after = modules_after_import(
        "import kl_drift, pandas as pd\n"
        "df = pd.DataFrame({'x': [1.0, 2.0] * 10})\n"
        "assert df.kl_drift is df.kl_drift\n"
        "assert df.kl_drift.compare(df).drifted is False\n"
        "assert pd.Series(['a', 'b']).kl_drift is not None"
    )
    assert "kl_drift.accessor" in after


def _compare_modules(tmp_path, data_file: str, *extra: str) -> tuple[int, set[str], str]:
    """Exit code, loaded modules and stderr of `kl-drift compare` run by main() in a fresh
    interpreter (the profile is made in another one, so this one imports only the command)."""
    profile_path = tmp_path / "profile.json"
    subprocess.run(
        [sys.executable, "-c", f"import pandas as pd, kl_drift as kd\n"
         f"df = pd.read_parquet({str(tmp_path / 'ref.parquet')!r})\n"
         f"kd.profile(df).save({str(profile_path)!r})"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    argv = ["compare", "--reference", str(profile_path), data_file, "--quiet", *extra]
    code = f"import json, sys\nfrom kl_drift.cli import main\nrc = main({argv!r})\nprint(json.dumps([rc, sorted(sys.modules)]))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    rc, modules = json.loads(done.stdout.strip().splitlines()[-1])
    return rc, set(modules), done.stderr


def _write_tables(tmp_path) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)

    def table(n: int, shift: float) -> pd.DataFrame:
        ints = pd.array(rng.integers(0, 50, n), dtype="Int64")
        ints[::7] = pd.NA
        return pd.DataFrame({
            "x": rng.normal(shift, 1.0, n), "n": ints, "f": np.where(rng.random(n) < 0.1, np.nan, rng.random(n)),
            "plan": pd.Series(rng.choice(["a", "b", "c", None], n), dtype="str"),
            "tier": pd.Categorical(rng.choice(["gold", "silver"], n)),
        })  # fmt: skip

    table(3_000, 0.0).to_parquet(tmp_path / "ref.parquet")
    table(2_000, 0.5).to_parquet(tmp_path / "cur.parquet")
    table(2_000, 0.5).to_csv(tmp_path / "cur.csv", index=False)


def test_kl_drift_compare_on_parquet_imports_neither_pandas_nor_the_dataset_module(tmp_path):
    _write_tables(tmp_path)
    rc, loaded, stderr = _compare_modules(tmp_path, str(tmp_path / "cur.parquet"), "--json", str(tmp_path / "r.json"))
    assert rc == 1, stderr  # x drifted: the comparison ran to the end
    assert json.loads((tmp_path / "r.json").read_text())["columns"]
    assert "pandas" not in loaded
    assert "pyarrow.dataset" not in loaded  # it imports pandas
    assert "pyarrow.compute" not in loaded  # 25-40 ms; numbers and dictionaries are counted without it
    # A CSV file is read through pandas: the accessor arrives with it.
    rc, loaded, stderr = _compare_modules(tmp_path, str(tmp_path / "cur.csv"))
    assert rc == 1, stderr
    assert "pandas" in loaded and "kl_drift.accessor" in loaded
