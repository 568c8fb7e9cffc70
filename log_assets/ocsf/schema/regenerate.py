"""Regenerate the vendored OCSF 1.8.0 JSON Schemas in this folder (not imported by the package).

Run it in a throwaway virtualenv that has the two tools (they conflict with nothing here, but the
package does not depend on them):

    python -m venv /tmp/ocsf-venv
    /tmp/ocsf-venv/bin/pip install ocsf-json-schema==1.2.0 ocsf-lib==0.10.4
    git clone --branch 1.8.0 https://github.com/ocsf/ocsf-schema /tmp/ocsf-schema-1.8.0
    /tmp/ocsf-venv/bin/python log_assets/ocsf/schema/regenerate.py /tmp/ocsf-schema-1.8.0

Source: the OCSF 1.8.0 schema as the OCSF schema server exports it
(https://schema.ocsf.io/1.8.0/export/v2/schema), the copy ocsf-json-schema 1.2.0 carries; the JSON
Schema of each class is made by that package (`OcsfJsonSchemaEmbedded.get_class_schema`, no
profiles: the objects a class names are embedded under `$defs`).

Cross-check: every class written is compared with the release itself, the `1.8.0` tag of
github.com/ocsf/ocsf-schema compiled by ocsf-lib: its uid, caption, category, required attributes and
the values of its `activity_id`. (ocsf-lib 0.10.4 is not used as the source: it gives an object
the `at_least_one` of the object it extends, e.g. `_entity`'s name/uid for `network_endpoint` and
`user`, where the release overrides it, and keeps a profile an event's own definition overrides with
`"profile": null`, as file_hosting's actor; the export has the release's.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema  # type: ignore[import-not-found]

VERSION = "1.8.0"
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))  # the source tree: log_assets.ocsf.schema needs no dependency
from log_assets.ocsf.schema import CLASSES  # noqa: E402  (the classes emitted, and detection_finding)


def release_classes(repo: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "ocsf.compile", "--no-prefix-extensions", str(repo)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    compiled = json.loads(out)
    assert compiled["version"] == VERSION, compiled["version"]
    return compiled["classes"]


def check(name: str, exported: dict, released: dict) -> None:
    def required(attrs: dict) -> set[str]:
        return {k for k, v in attrs.items() if v.get("requirement") == "required"}

    e, r = exported, released
    assert (e["uid"], e["caption"], e["category"]) == (r["uid"], r["caption"], r["category"]), name
    # The same required attributes, profiles aside (ocsf-lib keeps a profile an event's own
    # definition overrides with `"profile": null`, as file_hosting's actor).
    assert required(e["attributes"]) == required(r["attributes"]), name
    assert set(e["attributes"]["activity_id"]["enum"]) == set(r["attributes"]["activity_id"]["enum"]), name


def captions(cls: dict) -> dict:
    """The captions a JSON Schema leaves out: the class's and its category's, and those of the values
    of its enum attributes that the tables name (activity_id, type_uid, severity_id, status_id)."""

    def enum(attribute: str) -> dict[str, str]:
        values = cls["attributes"].get(attribute, {}).get("enum", {})
        return {k: v["caption"] for k, v in sorted(values.items(), key=lambda kv: int(kv[0]))}

    return {
        "class": cls["caption"],
        "category": cls["category_name"],
        **{a: enum(a) for a in ("activity_id", "type_uid", "severity_id", "status_id")},
    }


def main(repo: str) -> None:
    export = get_ocsf_schema(VERSION)
    assert export["version"] == VERSION
    released = release_classes(Path(repo))
    generator = OcsfJsonSchemaEmbedded(export)
    names = {}
    for name in CLASSES:
        check(name, export["classes"][name], released[name])
        schema = generator.get_class_schema(name)
        (HERE / f"{name}.json").write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
        names[name] = captions(export["classes"][name])
        print(name, export["classes"][name]["uid"])
    (HERE / "captions.json").write_text(json.dumps(names, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
