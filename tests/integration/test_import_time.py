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
