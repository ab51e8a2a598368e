"""inputs.yaml: an LA's own file names and header spellings, read without renaming its files."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cme_eval.config import load_scenario
from cme_eval.inputs.ingest import IngestError, read_authority
from cme_eval.inputs.layout import LayoutError, read_layout
from cme_eval.synth.sources import synthesise, write_synthetic

LA = "Gwynedd"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("layout")
    scenario = load_scenario("smoke", authorities=[LA])
    write_synthetic(synthesise(scenario, LA), folder, scenario)
    return folder / "inputs"


def _copy(src, dst, names: dict[str, str], headers: dict[str, str]):
    dst.mkdir()
    for path in src.rglob("*"):
        if path.is_dir():
            continue
        rel = path.relative_to(src).as_posix()
        target = dst / names.get(rel.split("/")[0], rel.split("/")[0]) / "/".join(
            rel.split("/")[1:]) if "/" in rel else dst / names.get(rel, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".csv" and "/" not in rel:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False).rename(columns=headers)
            frame.to_csv(target, index=False)
        else:
            target.write_bytes(path.read_bytes())


def test_files_and_headers_named_in_inputs_yaml_read_as_the_standard_ones(generated, tmp_path):
    own = tmp_path / "own"
    _copy(generated, own, {"nhs_extract.csv": "NWSSP extract April 2025.csv",
                           "independent_returns": "Returns from schools"},
          {"forename": "Enw cyntaf", "dob": "Geni"})
    with pytest.raises(IngestError, match="nhs_extract.csv"):
        read_authority(own, LA)  # without inputs.yaml the standard name is looked for
    (own / "inputs.yaml").write_text(
        "files:\n  nhs_extract.csv: NWSSP extract April 2025.csv\n"
        "  independent_returns: Returns from schools\n"
        "headers:\n  forename: [Enw cyntaf]\n  dob: Geni\n", encoding="utf-8")
    ours, standard = read_authority(own, LA), read_authority(generated, LA)
    for source, frame in standard.items():
        columns = ["record_id", "forename", "surname", "dob", "address", "postcode"]
        assert_frame_equal(ours[source][columns].reset_index(drop=True),
                           frame[columns].reset_index(drop=True), obj=source)


@pytest.mark.parametrize("text, message", [
    ("file:\n  a: b\n", "unknown section 'file'; allowed: files, headers"),
    ("files:\n  nhs.csv: x.csv\n", "files: unknown file 'nhs.csv'"),
    ("files:\n  plasc.csv: ../elsewhere.csv\n", "files: plasc.csv: give a file name inside"),
    ("headers:\n  given: [x]\n", "headers: unknown field 'given'"),
    ("headers:\n  forename: [1]\n", "headers: forename: give a header or a list"),
    ("files: [\n", "not readable YAML"),
])
def test_a_bad_inputs_yaml_is_refused_naming_the_file_and_key(generated, tmp_path, text,
                                                             message):
    own = tmp_path / "own"
    _copy(generated, own, {}, {})
    (own / "inputs.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(IngestError, match=r"^inputs\.yaml: .*") as caught:
        read_authority(own, LA)
    assert message in str(caught.value)


@pytest.mark.parametrize("value, why", [
    ('" ../x.csv"', "leads out of it with .."),
    ('" {outside}"', "absolute path outside it"),
    ('"sub/../../x.csv"', "leads out of it with .."),
    ('"link.csv"', "symlink pointing out of it"),
    ('" linked/x.csv"', "symlink pointing out of it"),
    ('"."', "the folder itself"),
])
def test_a_file_named_outside_the_folder_is_refused_after_stripping_and_resolving(
        tmp_path, value, why):
    """Issue 22: values are stripped, resolved against the folder (symlinks followed) and only
    then checked, so neither spaces, .. nor a symlink reach a file outside it."""
    own, outside = tmp_path / "own", tmp_path / "x.csv"
    (own / "sub").mkdir(parents=True)
    outside.write_text("forename\nSecret\n", encoding="utf-8")
    (own / "link.csv").symlink_to(outside)
    (own / "linked").symlink_to(tmp_path, target_is_directory=True)
    (own / "inputs.yaml").write_text(
        "files:\n  plasc.csv: " + value.format(outside=outside) + "\n", encoding="utf-8")
    with pytest.raises(LayoutError) as caught:
        read_layout(own)
    message = str(caught.value)
    assert message.startswith("inputs.yaml: files: plasc.csv: give a file name inside the "
                              "folder; ") and why in message and "\n" not in message
    assert "Secret" not in message and "x.csv" not in message
    with pytest.raises(IngestError, match=r"^inputs\.yaml: files: plasc\.csv: "):
        read_authority(own, LA)


def test_a_file_named_inside_the_folder_is_read_whatever_its_spelling(tmp_path):
    own = tmp_path / "own"
    (own / "sub").mkdir(parents=True)
    (own / "PLASC Jan.csv").write_text("x\n", encoding="utf-8")
    (own / "alias.csv").symlink_to(own / "PLASC Jan.csv")  # a link that stays inside: fine
    (own / "inputs.yaml").write_text(
        'files:\n  plasc.csv: "  sub/../PLASC Jan.csv "\n  ehe.csv: alias.csv\n'
        f"  ooc.csv: {own / 'PLASC Jan.csv'}\n", encoding="utf-8")
    layout = read_layout(own)
    assert layout.path(own, "plasc.csv").resolve() == (own / "PLASC Jan.csv").resolve()
    assert layout.path(own, "ooc.csv").resolve() == (own / "PLASC Jan.csv").resolve()
    assert layout.path(own, "ehe.csv").name == "alias.csv"


def test_the_readme_example_names_the_nhs_extract(tmp_path):
    (tmp_path / "inputs.yaml").write_text("files: {nhs_extract.csv: NWSSP April.xlsx}\n",
                                          encoding="utf-8")
    (tmp_path / "NWSSP April.xlsx").write_bytes(b"")
    named = read_layout(tmp_path).path(tmp_path, "nhs_extract.csv")
    assert named == tmp_path / "NWSSP April.xlsx"
